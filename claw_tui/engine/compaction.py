"""Compaction: older turns folded into a summary so long work does not run out of context.

``/compact [instructions]`` runs it by hand; before each model request of the main
agent it runs by itself once the context passes a share of the model's window
(``autoCompactThreshold``, default 0.85; ``autoCompactEnabled: false`` turns it off).

What is kept: the most recent messages, verbatim, up to a quarter of the window and
never further back than the last prompt of the person (when there is an earlier
one). The cut is only ever placed where it cannot separate a tool call from its
result: the kept part never starts with a message of tool results.

The summary is written by the session's model from a plain-text rendering of the
older messages. If that call fails, a deterministic summary (the person's requests,
the files and commands the agent touched, its last words) is used instead, so
compaction never fails for want of a model.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from claw_tui.events import (
    CompactionStarted,
    ConversationCleared,
    ConversationCompacted,
    ConversationRewound,
    Event,
    SessionResumed,
    UsageUpdated,
)
from claw_tui.providers import catalogue
from claw_tui.providers.base import (
    Message,
    ModelRequest,
    ModelResponse,
    ProviderError,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)

if TYPE_CHECKING:
    from claw_tui.engine.agent import Agent
    from claw_tui.engine.session import Session

DEFAULT_THRESHOLD = 0.85
KEEP_SHARE = 0.25  # of the window, kept verbatim at most
MAX_KEEP_TOKENS = 50_000
CHARS_PER_TOKEN = 4
# How much of the window the text sent to the summariser may fill.
SUMMARY_INPUT_SHARE = 0.6
MAX_TOOL_RESULT_CHARS = 2_000
MAX_TEXT_CHARS = 20_000

SUMMARY_INTRO = (
    "This session is being continued from an earlier conversation that was compacted to save context. "
    "The earlier part is summarised below; the messages after this one are the most recent ones, verbatim."
)

SUMMARY_SYSTEM = """You summarise a coding session between a developer and an AI coding agent, so that the \
agent can continue the work with only your summary and the most recent messages. Write for the agent, \
not for the developer. Be specific and complete; never invent anything that is not in the conversation."""

SUMMARY_REQUEST = """Summarise the conversation below. Include, under these headings:
1. Primary request and intent: everything the developer asked for, in detail.
2. Key technical concepts, decisions and constraints.
3. Files and code: every file read, changed or created, with why it matters and the important snippets.
4. Errors met and how they were fixed, and any feedback the developer gave.
5. All of the developer's messages (not tool results), briefly, in order.
6. Pending tasks.
7. Current work: exactly what was being done just before this summary.
8. Next step: the next step in line with the developer's latest request (quote it), if any.

Answer with the summary only, in Markdown."""


def message_chars(msg: Message) -> int:
    n = 0
    for b in msg.content:
        if isinstance(b, TextBlock):
            n += len(b.text)
        elif isinstance(b, ThinkingBlock):
            n += len(b.thinking) + len(b.redacted_data or "")
        elif isinstance(b, ToolUseBlock):
            n += len(b.name) + len(json.dumps(b.input, ensure_ascii=False))
        elif isinstance(b, ToolResultBlock):
            n += len(b.content)
        n += 16  # block framing
    return n


def estimate_tokens(messages: list[Message]) -> int:
    return sum(message_chars(m) for m in messages) // CHARS_PER_TOKEN


def is_summary_message(msg: Message) -> bool:
    return msg.role == "user" and msg.text.startswith(SUMMARY_INTRO)


def _has_results(msg: Message) -> bool:
    return any(isinstance(b, ToolResultBlock) for b in msg.content)


def _is_prompt(msg: Message) -> bool:
    return msg.role == "user" and not _has_results(msg) and not is_summary_message(msg)


def choose_split(messages: list[Message], keep_tokens: int) -> int:
    """Index of the first message kept verbatim (len(messages): none kept).

    Never returns an index whose message holds tool results: those stay with the
    tool calls they answer, on whichever side of the cut the calls are.
    """
    n = len(messages)
    valid = [i for i in range(1, n) if not _has_results(messages[i])] + [n]
    tail = 0
    sizes = [message_chars(m) // CHARS_PER_TOKEN for m in messages]
    suffix = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        tail += sizes[i]
        suffix[i] = tail
    budget_split = next(i for i in valid if suffix[i] <= keep_tokens)
    last_prompt = max((i for i in range(1, n) if _is_prompt(messages[i])), default=0)
    return max(budget_split, last_prompt)


def render_for_summary(messages: list[Message], max_chars: int) -> str:
    parts: list[str] = []
    for msg in messages:
        who = "Developer" if msg.role == "user" else "Agent"
        for b in msg.content:
            if isinstance(b, TextBlock) and b.text.strip():
                text = b.text if len(b.text) <= MAX_TEXT_CHARS else b.text[:MAX_TEXT_CHARS] + " […]"
                parts.append(f"{who}: {text}")
            elif isinstance(b, ToolUseBlock):
                args = json.dumps(b.input, ensure_ascii=False)
                if len(args) > 1_000:
                    args = args[:1_000] + " […]"
                parts.append(f"[Agent called {b.name} {args}]")
            elif isinstance(b, ToolResultBlock):
                body = b.content
                if len(body) > MAX_TOOL_RESULT_CHARS:
                    more = len(b.content) - MAX_TOOL_RESULT_CHARS
                    body = body[:MAX_TOOL_RESULT_CHARS] + f" […{more} more characters]"
                parts.append(f"[{'Tool error' if b.is_error else 'Tool result'}: {body}]")
    text = "\n\n".join(parts)
    if len(text) > max_chars:
        # The beginning (the task) and the end (the current work) matter most.
        head = max_chars // 4
        tail = max_chars - head
        text = (text[:head] + f"\n\n[… {len(text) - max_chars} characters of the middle of the conversation left "
                "out …]\n\n" + text[-tail:])
    return text


def fallback_summary(messages: list[Message]) -> str:
    """A summary built without a model: what was asked, what was touched, how it ended."""
    earlier: list[str] = []
    prompts: list[str] = []
    files: dict[str, list[str]] = {}
    commands: list[str] = []
    calls = errors = 0
    last_words = ""
    for msg in messages:
        if is_summary_message(msg):
            earlier.append(msg.text[len(SUMMARY_INTRO):].strip()[:4_000])
            continue
        if _is_prompt(msg) and msg.text.strip():
            prompts.append(msg.text.strip())
        for b in msg.content:
            if isinstance(b, ToolUseBlock):
                calls += 1
                path = b.input.get("file_path") or b.input.get("notebook_path") or b.input.get("path")
                if isinstance(path, str) and path:
                    files.setdefault(path, []).append(b.name)
                command = b.input.get("command")
                if b.name == "Bash" and isinstance(command, str):
                    commands.append(command.strip().splitlines()[0][:200] if command.strip() else "")
            elif isinstance(b, ToolResultBlock) and b.is_error:
                errors += 1
        if msg.role == "assistant" and msg.text.strip():
            last_words = msg.text.strip()
    lines = ["(The model could not write a summary, so this one was put together mechanically from the earlier "
             "messages. Read files again before relying on details.)", ""]
    if earlier:
        lines += ["## Summary of what came before", "", *earlier, ""]
    lines += ["## The developer's requests, in order", ""]
    lines += [f"- {p[:500]}{'…' if len(p) > 500 else ''}" for p in prompts] or ["- (none in this part)"]
    if files:
        lines += ["", "## Files the agent worked with", ""]
        for path, tools in files.items():
            counts: dict[str, int] = {}
            for t in tools:
                counts[t] = counts.get(t, 0) + 1
            lines.append(f"- {path} ({', '.join(f'{t} ×{n}' if n > 1 else t for t, n in counts.items())})")
    if commands:
        lines += ["", "## Commands run", ""]
        lines += [f"- `{c}`" for c in commands[-30:] if c]
    lines += ["", f"Tool calls: {calls} ({errors} failed)."]
    if last_words:
        tail = last_words if len(last_words) <= 1_500 else "…" + last_words[-1_500:]
        lines += ["", "## The agent's last message in this part", "", tail]
    return "\n".join(lines)


class CompactionError(ValueError):
    pass


@dataclass
class CompactionResult:
    summarised: int
    kept: int
    tokens_before: int
    tokens_after: int
    fallback: bool
    error: str | None
    summary: str


class Compactor:
    """Compacts the main agent's conversation, by hand or when the context fills up."""

    def __init__(self, session: Session) -> None:
        self.session = session
        settings = session.settings
        enabled = getattr(settings, "auto_compact_enabled", None)
        self.auto = True if enabled is None else bool(enabled)
        threshold = getattr(settings, "auto_compact_threshold", None)
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        # The main agent's context as last reported by the provider, and the transcript length then.
        self._reported = 0
        self._reported_len = 0
        self._compacted_before_request = False
        self.running = False
        session.agent.before_request = self._before_request  # type: ignore[attr-defined]
        session.bus.subscribe_sync(self._on_event, lambda e: isinstance(
            e, (UsageUpdated, ConversationCleared, ConversationRewound, SessionResumed)))

    # -- how full is it ------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, UsageUpdated):
            if event.agent_id == "main":
                self._reported = event.context_tokens + event.usage.output_tokens
                self._reported_len = len(self.session.agent.messages)
                self._compacted_before_request = False
        else:
            self._reported = self._reported_len = 0

    @property
    def context_window(self) -> int | None:
        info = catalogue.lookup(self.session.agent.model)
        return info.context_window if info else None

    def context_tokens(self) -> int:
        msgs = self.session.agent.messages
        if self._reported and self._reported_len <= len(msgs):
            return self._reported + estimate_tokens(msgs[self._reported_len:])
        return estimate_tokens(msgs)

    async def _before_request(self, agent: Agent) -> None:
        window = self.context_window
        if not self.auto or window is None or self._compacted_before_request:
            return
        if self.context_tokens() < self.threshold * window:
            return
        try:
            await self.compact(trigger="auto")
        except CompactionError:
            pass
        # Once per request: if it is still too full, the request says so itself.
        self._compacted_before_request = True

    # -- compacting ----------------------------------------------------------------

    async def compact(self, instructions: str = "", *, trigger: str = "manual") -> CompactionResult:
        s = self.session
        agent = s.agent
        if trigger == "manual" and agent.busy:
            raise CompactionError("the agent is working; compact when it is done, or interrupt it")
        if self.running:
            raise CompactionError("a compaction is already running")
        msgs = list(agent.messages)
        if len(msgs) < 2:
            raise CompactionError("there is nothing to compact yet")
        window = self.context_window or 200_000
        keep_tokens = min(MAX_KEEP_TOKENS, int(window * KEEP_SHARE))
        split = choose_split(msgs, keep_tokens)
        older, kept = msgs[:split], msgs[split:]
        if not older or (len(older) == 1 and is_summary_message(older[0])):
            raise CompactionError("there is nothing older than the last prompt to compact")
        tokens_before = self.context_tokens()
        self.running = True
        s.bus.publish(CompactionStarted(trigger=trigger, messages=len(msgs),  # type: ignore[arg-type]
                                        context_tokens=tokens_before))
        try:
            error: str | None = None
            try:
                summary = await self._summarise(older, instructions, window)
                if not summary.strip():
                    raise ProviderError("the model's summary was empty")
                fallback = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure of the model call: the summary is built without it
                error = str(exc) or type(exc).__name__
                summary = fallback_summary(older)
                fallback = True
            intro = SUMMARY_INTRO
            if trigger == "auto" and not kept:
                intro += " Continue the work from where it left off."
            head = Message.user(f"{intro}\n\n<summary>\n{summary.strip()}\n</summary>")
            # Anything appended while the summary was being written stays (after the kept part).
            extra = agent.messages[len(msgs):]
            new = [head, *kept, *extra]
            agent.messages[:] = new
            self._reported = self._reported_len = 0
            tokens_after = estimate_tokens(new)
            s.bus.publish(ConversationCompacted(
                trigger=trigger, summary=summary, messages=tuple(new), summarised=len(older),  # type: ignore[arg-type]
                kept=len(kept) + len(extra), tokens_before=tokens_before, tokens_after=tokens_after,
                fallback=fallback, error=error))
            return CompactionResult(len(older), len(kept) + len(extra), tokens_before, tokens_after, fallback, error,
                                    summary)
        finally:
            self.running = False

    async def _summarise(self, older: list[Message], instructions: str, window: int) -> str:
        s = self.session
        max_chars = int(window * SUMMARY_INPUT_SHARE * CHARS_PER_TOKEN)
        body = render_for_summary(older, max_chars)
        ask = SUMMARY_REQUEST
        if instructions.strip():
            ask += f"\n\nThe developer asks you to focus on: {instructions.strip()}"
        request = ModelRequest(
            model=s.agent.model, system=SUMMARY_SYSTEM,
            messages=[Message.user(f"{ask}\n\n<conversation>\n{body}\n</conversation>")],
            max_tokens=min(8_000, s.config.max_tokens), thinking=False,
        )
        attempt = 0
        retry = s.agent.retry
        while True:
            attempt += 1
            try:
                response: ModelResponse | None = None
                async for event in s.agent.provider.stream(request):
                    if isinstance(event, ModelResponse):
                        response = event
                if response is None:
                    raise ProviderError("the summary stream ended without a response", retryable=True)
                s.ledger.record("main:compact", response.model, response.usage)
                return response.message.text
            except ProviderError as exc:
                if attempt > 2 or not retry.should_retry(exc, attempt):
                    raise
                await asyncio.sleep(retry.delay(exc, attempt))
