"""The agent loop.

One user turn: stream the model's answer onto the bus, run the tool calls it
asks for (consecutive read-only calls concurrently), send the results back, and
repeat until the model stops, a limit is reached, or the user interrupts.

Invariants the rest of claw relies on:
- A tool call is executed only from a complete response (a stream that ends
  before its stop event is retried, its tool calls are never run), and never twice.
- The transcript stays valid whatever happens: every tool_use in it is answered
  by a tool_result, also after an interrupt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from claw_tui.bus import EventBus
from claw_tui.engine.cost import CostLedger
from claw_tui.engine.retry import RetryPolicy
from claw_tui.engine.throttle import DeltaThrottle
from claw_tui.events import (
    AgentStateChanged,
    AssistantMessageCompleted,
    ModelRequestStarted,
    Notice,
    PermissionDecided,
    RetryScheduled,
    StreamDiscarded,
    TextDelta,
    ThinkingDelta,
    ToolCallFinished,
    ToolCallStarted,
    ToolResultsSent,
    TurnFinished,
    UserPromptSubmitted,
)
from claw_tui.lsp.hook import with_edit_diagnostics
from claw_tui.permissions.hooks import MAX_STOP_CONTINUATIONS, HookRunner, gate_tool_call
from claw_tui.permissions.policy import PermissionPolicy
from claw_tui.providers.base import (
    Message,
    ModelRequest,
    ModelResponse,
    Provider,
    ProviderError,
    StreamText,
    StreamThinking,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from claw_tui.tools.base import Tool, ToolContext, ToolResult
from claw_tui.tools.registry import ToolRegistry

log = logging.getLogger(__name__)

INTERRUPTED_TOOL = "Interrupted by user: this tool call did not complete."
INTERRUPTED_PROMPT = "[Request interrupted by user]"


@dataclass
class Limits:
    max_turns: int | None = None
    max_budget_usd: float | None = None


@dataclass
class TurnResult:
    outcome: str  # success | max_turns | max_budget | error | interrupted
    result: str
    num_turns: int
    error: str | None = None
    duration_s: float = 0.0
    api_duration_s: float = 0.0
    permission_denials: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_error(self) -> bool:
        return self.outcome != "success"


class _StopTurn(Exception):
    """A person declined a call and asked to take over (Esc on an approval)."""


class Agent:
    def __init__(
        self,
        *,
        provider: Provider,
        model: str,
        tools: ToolRegistry,
        policy: PermissionPolicy,
        bus: EventBus,
        ledger: CostLedger,
        ctx: ToolContext,
        system_prompt: str,
        agent_id: str = "main",
        name: str = "main",
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        max_tokens: int = 16000,
        thinking: bool = True,
        parent_id: str | None = None,
        hooks: HookRunner | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.tools = tools
        self.policy = policy
        self.bus = bus
        self.ledger = ledger
        self.ctx = ctx
        self.system_prompt = system_prompt
        self.agent_id = agent_id
        self.name = name
        self.limits = limits or Limits()
        self.retry = retry or RetryPolicy()
        self.max_tokens = max_tokens
        self.thinking = thinking
        # A sub-agent (parent_id set) reports its state for the swarm pane.
        self.parent_id = parent_id
        # The session's hooks (settings "hooks"); None: no hooks run.
        self.hooks = hooks
        # Set when a hook says {"continue": false}: the turn ends once the current calls are answered.
        self._hook_stop: str | None = None
        self._tools_running = 0
        self.messages: list[Message] = []
        self._task: asyncio.Task[TurnResult] | None = None
        self._interrupted = False
        # Results of the tool calls of the response being worked on, for repair on interrupt.
        self._pending_results: dict[str, ToolResultBlock] | None = None
        self._pending_calls: list[ToolUseBlock] = []
        self.api_duration_s = 0.0
        # Awaited before each model request (the session's auto-compaction); may rewrite messages.
        self.before_request: Callable[[Agent], Awaitable[None]] | None = None

    # -- public ----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run(self, prompt: str) -> TurnResult:
        """Run one user turn to its end. Interrupting ends it early, not with an exception."""
        if self.busy:
            raise RuntimeError("the agent is already working on a turn")
        self._interrupted = False
        started = time.monotonic()
        self.api_duration_s = 0.0
        self._task = asyncio.get_running_loop().create_task(self._turn(prompt), name=f"turn:{self.agent_id}")
        try:
            result = await asyncio.shield(self._task)
        except asyncio.CancelledError:
            if self._task.cancelled() and self._interrupted:
                result = self._after_interrupt()
            else:
                # The caller itself was cancelled: stop the turn too, then propagate.
                self._interrupted = True
                self._task.cancel()
                try:
                    await self._task
                except BaseException:
                    pass
                self._after_interrupt()
                raise
        result.duration_s = time.monotonic() - started
        result.api_duration_s = self.api_duration_s
        self.bus.publish(
            TurnFinished(
                agent_id=self.agent_id,
                outcome=result.outcome,  # type: ignore[arg-type]
                result=result.result,
                num_turns=result.num_turns,
                error=result.error,
            )
        )
        return result

    def interrupt(self) -> bool:
        """Cancel the running turn: the stream stops and running commands are killed."""
        if not self.busy:
            return False
        self._interrupted = True
        assert self._task is not None
        self._task.cancel()
        return True

    def _state(self, state: str, detail: str = "") -> None:
        if self.parent_id is not None:
            self.bus.publish(AgentStateChanged(agent_id=self.agent_id, state=state, detail=detail))  # type: ignore[arg-type]

    # -- the loop --------------------------------------------------------------

    async def _turn(self, prompt: str) -> TurnResult:
        self._hook_stop = None
        prompt_message = Message.user(prompt)
        if self.hooks is not None and self.parent_id is None:
            hooked = await self.hooks.user_prompt_submit(prompt, agent_id=self.agent_id)
            if hooked.blocked or hooked.stopped:
                # The prompt is not sent, nor kept in the conversation (the hook refused it).
                why = hooked.reason if hooked.blocked else hooked.stop_reason
                return TurnResult("error", "", 0, f"a UserPromptSubmit hook blocked the prompt: {why}")
            context = [*self.hooks.pending_context, *hooked.additional_context]
            self.hooks.pending_context.clear()
            if context:
                prompt_message.content.append(TextBlock(_hook_context(context)))
        self.messages.append(prompt_message)
        self.bus.publish(UserPromptSubmitted(agent_id=self.agent_id, text=prompt))
        turns = 0
        stop_continuations = 0
        denials: list[dict[str, Any]] = []
        last_text = ""
        while True:
            if self.limits.max_turns is not None and turns >= self.limits.max_turns:
                return TurnResult("max_turns", last_text, turns, f"reached the limit of {turns} turns",
                                  permission_denials=denials)
            if self.before_request is not None:
                await self.before_request(self)
            try:
                response = await self._call_model(turns + 1)
            except ProviderError as exc:
                return TurnResult("error", str(exc), turns, str(exc), permission_denials=denials)
            turns += 1
            message = response.message
            self.messages.append(message)
            self.bus.publish(
                AssistantMessageCompleted(
                    agent_id=self.agent_id, message=message, stop_reason=response.stop_reason, model=response.model
                )
            )
            self.ledger.record(self.agent_id, response.model, response.usage)
            if message.text:
                last_text = message.text
            calls = message.tool_uses
            if not calls:
                if response.stop_reason == "max_tokens":
                    last_text += "\n\n[The answer was cut off: it reached the output token limit.]"
                if self.hooks is not None:
                    # Stop / SubagentStop hooks may send the model back to work with a reason.
                    feedback = await self.hooks.stop(agent_id=self.agent_id, agent_name=self.name,
                                                     subagent=self.parent_id is not None,
                                                     active=stop_continuations > 0)
                    if feedback is not None and stop_continuations < MAX_STOP_CONTINUATIONS:
                        stop_continuations += 1
                        self.messages.append(Message.user(feedback))
                        continue
                    if feedback is not None:
                        self.bus.publish(Notice(agent_id=self.agent_id, level="warning", text=(
                            f"A stop hook kept the agent going {MAX_STOP_CONTINUATIONS} times this turn; "
                            "it is stopped now.")))
                return TurnResult("success", last_text, turns, permission_denials=denials)
            budget = self.limits.max_budget_usd
            if budget is not None and self.ledger.by_agent[self.agent_id].cost_usd >= budget:
                note = f"Not run: the budget of ${budget:.2f} is used up."
                self._answer_calls(calls, {c.id: ToolResultBlock(c.id, note, True) for c in calls})
                return TurnResult("max_budget", last_text, turns, f"reached the budget of ${budget:.2f}",
                                  permission_denials=denials)
            try:
                results = await self._run_tools(calls, denials)
            except _StopTurn:
                assert self._pending_results is not None
                self._answer_calls(calls, self._pending_results)
                return TurnResult("interrupted", last_text, turns, "the user declined and took over",
                                  permission_denials=denials)
            self._answer_calls(calls, results)
            if self._hook_stop is not None:
                return TurnResult("error", last_text, turns, f"a hook stopped the agent: {self._hook_stop}",
                                  permission_denials=denials)

    def _answer_calls(self, calls: list[ToolUseBlock], results: dict[str, ToolResultBlock]) -> None:
        blocks = [
            results.get(c.id) or ToolResultBlock(c.id, INTERRUPTED_TOOL, is_error=True) for c in calls
        ]
        msg = Message("user", list(blocks))
        self.messages.append(msg)
        self._pending_results = None
        self._pending_calls = []
        self.bus.publish(ToolResultsSent(agent_id=self.agent_id, message=msg))

    def _after_interrupt(self) -> TurnResult:
        """Make the transcript valid again after the turn's task was cancelled."""
        if self._pending_results is not None and self._pending_calls:
            self._answer_calls(self._pending_calls, self._pending_results)
        # Tell the model, on the next turn, that it was stopped (a partial answer is not kept).
        self.messages.append(Message.user(INTERRUPTED_PROMPT))
        turns = sum(1 for m in self.messages if m.role == "assistant")
        return TurnResult("interrupted", "", turns, "interrupted by the user")

    # -- the model -------------------------------------------------------------

    def _request(self) -> ModelRequest:
        return ModelRequest(
            model=self.model,
            system=self.system_prompt,
            messages=list(self.messages),
            tools=self.tools.specs(),
            max_tokens=self.max_tokens,
            thinking=self.thinking,
        )

    async def _call_model(self, turn: int) -> ModelResponse:
        request = self._request()
        attempt = 0
        while True:
            attempt += 1
            self.bus.publish(ModelRequestStarted(agent_id=self.agent_id, model=self.model, turn=turn, attempt=attempt))
            streamed = False
            started = time.monotonic()
            throttle = DeltaThrottle(self.bus.publish, self.agent_id)
            try:
                try:
                    async for event in self.provider.stream(request):
                        # Hot path: one event per streamed token.
                        kind = type(event)
                        if kind is StreamText:
                            streamed = True
                            throttle.add(TextDelta, event.text)  # type: ignore[attr-defined]
                        elif kind is StreamThinking:
                            streamed = True
                            throttle.add(ThinkingDelta, event.text)  # type: ignore[attr-defined]
                        elif kind is ModelResponse:
                            throttle.close()
                            self.api_duration_s += time.monotonic() - started
                            return event  # type: ignore[return-value]
                finally:
                    # Text that arrived before a failure or an interrupt is still shown.
                    throttle.close()
                raise ProviderError("the provider's stream ended without a response", retryable=True)
            except ProviderError as exc:
                self.api_duration_s += time.monotonic() - started
                if streamed:
                    self.bus.publish(StreamDiscarded(agent_id=self.agent_id, reason=str(exc)))
                if not self.retry.should_retry(exc, attempt):
                    raise
                delay = self.retry.delay(exc, attempt)
                self.bus.publish(RetryScheduled(agent_id=self.agent_id, attempt=attempt, delay=delay, reason=str(exc)))
                await asyncio.sleep(delay)

    # -- tools -----------------------------------------------------------------

    async def _run_tools(self, calls: list[ToolUseBlock], denials: list[dict[str, Any]]) -> dict[str, ToolResultBlock]:
        results: dict[str, ToolResultBlock] = {}
        self._pending_results = results
        self._pending_calls = calls
        # Consecutive read-only (or parallel: Agent) calls run together; anything else runs
        # alone, in order.
        batch: list[ToolUseBlock] = []

        async def flush() -> None:
            if batch:
                await asyncio.gather(*(self._execute(c, results, denials) for c in batch))
                batch.clear()

        for call in calls:
            if self._hook_stop is not None:
                batch.clear()
                break
            tool = self.tools.get(call.name)
            if tool is not None and (tool.read_only or tool.parallel) and call.input_error is None:
                batch.append(call)
                continue
            await flush()
            await self._execute(call, results, denials)
        await flush()
        if self._hook_stop is not None:
            for c in calls:
                if c.id not in results:
                    results[c.id] = ToolResultBlock(c.id, f"Not run: a hook stopped the agent ({self._hook_stop}).",
                                                    is_error=True)
        return results

    async def _execute(
        self, call: ToolUseBlock, results: dict[str, ToolResultBlock], denials: list[dict[str, Any]]
    ) -> None:
        tool = self.tools.get(call.name)
        started = time.monotonic()
        summary = ""
        params: Any = None
        if tool is not None and call.input_error is None:
            try:
                params = tool.parse(call.input)
                summary = tool.summary(params)
            except ValidationError:
                params = None
        self.bus.publish(
            ToolCallStarted(agent_id=self.agent_id, call_id=call.id, tool=call.name, input=call.input, summary=summary)
        )
        self._tools_running += 1
        self._state("tool", f"{call.name} {summary}".strip())
        try:
            result = await self._invoke(tool, call, params, denials)
        except _StopTurn:
            result = ToolResult("The user declined this action and will say what to do instead.", is_error=True,
                                summary="declined")
            self._finish(call, result, started)
            results[call.id] = ToolResultBlock(call.id, result.content, True)
            raise
        finally:
            self._tools_running -= 1
            if self._tools_running == 0:
                self._state("running")
        self._finish(call, result, started)
        results[call.id] = ToolResultBlock(call.id, result.content, result.is_error)

    def _finish(self, call: ToolUseBlock, result: ToolResult, started: float) -> None:
        self.bus.publish(
            ToolCallFinished(
                agent_id=self.agent_id,
                call_id=call.id,
                tool=call.name,
                content=result.content,
                is_error=result.is_error,
                duration_s=time.monotonic() - started,
                summary=result.summary,
                display=result.display,
            )
        )

    async def _invoke(
        self, tool: Tool | None, call: ToolUseBlock, params: Any, denials: list[dict[str, Any]]
    ) -> ToolResult:
        if call.input_error is not None:
            raw = (call.raw_input or "")[:500]
            return ToolResult(
                f"Invalid tool input for {call.name}: {call.input_error}. Raw input: {raw}", is_error=True,
                summary="invalid input",
            )
        if tool is None:
            return ToolResult(
                f"No such tool: {call.name}. Available tools: {', '.join(self.tools.names())}.",
                is_error=True,
                summary="unknown tool",
            )
        if params is None:
            try:
                tool.parse(call.input)
            except ValidationError as exc:
                return ToolResult(
                    f"Invalid input for {tool.name}:\n{_format_validation(exc)}", is_error=True, summary="invalid input"
                )
        ctx = self.ctx.for_call(call.id)
        # The policy, then the PreToolUse hooks (which may rewrite the input: ``params`` is then
        # the rewrite, validated and checked again, and it is what is shown and run).
        gate = await gate_tool_call(self.hooks, self.policy, tool, params, call.input, ctx,
                                    agent_id=self.agent_id, call_id=call.id)
        verdict, params, decided_by = gate.verdict, gate.params, gate.decided_by
        if gate.stop_reason is not None:
            self._hook_stop = gate.stop_reason
        decision_content: str | None = None
        refused_hunks: tuple[str, ...] = ()
        if verdict.behavior == "ask":
            self._state("waiting_approval", _one_line(tool, params))
            decision = await self.bus.request_approval(
                agent_id=self.agent_id,
                agent_name=self.name,
                call_id=call.id,
                tool=tool.name,
                tool_input=gate.tool_input,
                description=_describe(tool, params, ctx) + (f"\n\n{gate.note}" if gate.note else ""),
                preview=_preview(tool, params, ctx),
                reason=verdict.reason,
            )
            decided_by = decision.decided_by
            self._state("tool", _one_line(tool, params))
            if decision.allow:
                verdict = verdict.__class__("allow", f"approved by {decision.decided_by} ({decision.scope})")
                decision_content, refused_hunks = decision.content, decision.refused_hunks
                if decision.scope in ("session", "always"):
                    self.policy.remember(self.policy.suggest_rule(tool, params), decision.scope)
            else:
                reason = decision.message or "the user denied it"
                verdict = verdict.__class__("deny", reason)
                if decision.stop_turn:
                    self._record_decision(call, tool, verdict, decided_by, denials, gate.tool_input)
                    raise _StopTurn()
        self._record_decision(call, tool, verdict, decided_by, denials, gate.tool_input)
        if verdict.behavior == "deny":
            return tool.denied(params, verdict.reason)
        if decision_content is not None:
            result = await self._apply_partial(tool, params, ctx, decision_content, refused_hunks)
            result = await with_edit_diagnostics(tool, params, ctx, result)
        else:
            try:
                result = await tool.run(params, ctx)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a tool bug must not end the session
                log.exception("tool %s failed", tool.name)
                result = ToolResult(f"{tool.name} failed: {type(exc).__name__}: {exc}", is_error=True,
                                    summary="crashed")
            else:
                # An edit's result gets the language server's new diagnostics for the file (if any).
                result = await with_edit_diagnostics(tool, params, ctx, result)
        if self.hooks is not None:
            # PostToolUse / PostToolUseFailure: their feedback and context are appended to the result.
            result, post = await self.hooks.post_tool_use(tool_name=tool.name, tool_input=gate.tool_input,
                                                          call_id=call.id, result=result, agent_id=self.agent_id)
            if post.stopped:
                self._hook_stop = post.stop_reason
        return result

    async def _apply_partial(
        self, tool: Tool, params: Any, ctx: ToolContext, content: str, refused: tuple[str, ...]
    ) -> ToolResult:
        """Write the part of a file change the person approved hunk by hunk.

        The approver computed ``content`` from the preview it was shown, so what is
        written is exactly what was approved; the model is told what was refused.
        """
        from claw_tui.tools._text import atomic_write

        preview = _preview(tool, params, ctx) or {}
        path_str = preview.get("path")
        if preview.get("kind") != "diff" or not path_str or not preview.get("partial", True):
            return ToolResult(f"{tool.name} cannot be approved in part.", is_error=True, summary="refused")
        path = Path(path_str)
        if (preview.get("before") or None) != (_read_or_none(path) or None):
            return ToolResult(
                f"{path} changed while the change was waiting for approval; nothing was written. Read it again.",
                is_error=True,
                summary="stale",
            )
        before = preview.get("before")
        data = content.encode("utf-8")
        # Through a symlink, write the file it points to (as Edit and Write do).
        await asyncio.to_thread(atomic_write, Path(os.path.realpath(path)), data)
        ctx.files.record_agent_write(path, data)
        ctx.file_changed(path, before, content, tool.name)
        shown = ctx.display_path(path)
        if not refused:
            note = f"The user approved the change to {shown}; it was applied."
        else:
            hunks = "\n\n".join(refused)
            note = (
                f"The user approved only part of the change to {shown}. The approved hunks were applied; "
                f"these {len(refused)} hunk(s) were refused and NOT applied:\n\n{hunks}"
            )
        return ToolResult(note, display={"kind": "diff", "path": str(path), "before": before, "after": content},
                          summary=f"partly applied ({len(refused)} hunk(s) refused)" if refused else "applied")

    def _record_decision(self, call: ToolUseBlock, tool: Tool, verdict: Any, decided_by: str,
                         denials: list[dict[str, Any]], tool_input: dict[str, Any] | None = None) -> None:
        self.bus.publish(
            PermissionDecided(
                agent_id=self.agent_id,
                call_id=call.id,
                tool=tool.name,
                behavior="allow" if verdict.behavior == "allow" else "deny",
                reason=verdict.reason,
                rule=verdict.rule,
                decided_by=decided_by,
                mode=self.policy.mode,
                input=tool_input if tool_input is not None else call.input,
            )
        )
        if verdict.behavior == "deny":
            denials.append({"tool_name": tool.name, "tool_use_id": call.id, "tool_input": call.input,
                            "reason": verdict.reason})


def _hook_context(context: list[str]) -> str:
    body = "\n\n".join(context)
    return f"\n\n<system-reminder>\nContext added by the session's hooks:\n{body}\n</system-reminder>"


def _one_line(tool: Tool, params: Any) -> str:
    try:
        return f"{tool.name} {tool.summary(params)}".strip()
    except Exception:  # a plugin's summary() must not break the loop
        return tool.name


def _describe(tool: Tool, params: Any, ctx: ToolContext) -> str:
    try:
        return tool.approval_description(params, ctx)
    except Exception as exc:  # describing must never block asking
        return f"{tool.name} {params!r} (could not describe: {exc})"


def _preview(tool: Tool, params: Any, ctx: ToolContext) -> dict[str, Any] | None:
    try:
        return tool.preview(params, ctx)
    except Exception:  # a preview that cannot be built falls back to showing the input
        log.exception("preview of %s failed", tool.name)
        return None


def _read_or_none(path: Path) -> str | None:
    from claw_tui.tools._text import decode

    try:
        return decode(path.read_bytes())
    except (OSError, UnicodeDecodeError):
        return None


def _format_validation(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(input)"
        lines.append(f"- {where}: {err['msg']}")
    return "\n".join(lines)
