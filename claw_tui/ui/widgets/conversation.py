"""The conversation pane: one agent's messages, thinking, tool calls and errors.

The live answer streams through Textual's MarkdownStream into styled text rendered
block by block (markdown_text.py). A finished message is frozen into a single
Static of that text (one widget, selectable and copyable), and past
``MAX_MOUNTED`` entries the oldest widgets are unmounted and kept as data, with a
line at the top to bring them back: the cost of drawing stays flat however long
the session gets.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from claw_tui.ui.lazy import ev
from claw_tui.ui.widgets.markdown_text import FrozenMarkdown, LiveMarkdown, laid_out_virtual_size

# Conversation entries kept as widgets; older ones are data until asked for. Every frame of a
# followed stream lays out and maps every mounted widget: with 120, a frame cost ~2.5× an empty
# conversation's, with 60 ~1.5× (benchmarks/RESULTS.md).
MAX_MOUNTED = 60
SHOW_EARLIER_BATCH = 40
MAX_TOOL_OUTPUT = 200_000  # characters of a tool's output kept for the expanded view
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class UserMessage(Static):
    def __init__(self, text: str) -> None:
        super().__init__(Text(text), classes="user-message")
        self.text = text


class CommandOutput(Static):
    """What a slash command printed: not part of what the model sees."""

    def __init__(self, body: Any, title: str = "") -> None:
        super().__init__(body, classes="command-output")
        self.body, self.title_text = body, title
        if title:
            self.border_title = title


class NoticeLine(Static):
    def __init__(self, text: str, level: str = "info") -> None:
        super().__init__(Text(text), classes=f"notice notice-{level}")
        self.text = text
        self.level = level


class AssistantMessage(Widget):
    """An answer: streamed block by block while it arrives, then frozen as it stands.

    Textual's MarkdownStream drives a LiveMarkdown (markdown_text.py): finished
    blocks are rendered once into styled text, only the growing one on each flush.
    Freezing reuses those renderings, so a finished answer does not move. A live
    answer starts empty and grows by ``append``; ``text`` is for a frozen one.
    """

    virtual_size = laid_out_virtual_size()

    def __init__(self, text: str = "", *, frozen: bool = False) -> None:
        super().__init__(classes="assistant-message")
        self.text = text
        self.frozen = frozen
        self._stream: Any = None
        self._live: LiveMarkdown | None = None

    def compose(self) -> ComposeResult:
        if self.frozen:
            yield FrozenMarkdown(self.text)
        else:
            self._live = LiveMarkdown()
            yield self._live

    @property
    def shown_chars(self) -> int:
        """How much of the answer is on screen (the live widget may trail the stream)."""
        if self.frozen or self._live is None:
            return len(self.text)
        return self._live.shown

    async def append(self, text: str) -> None:
        self.text += text
        if self.frozen or self._live is None:
            return
        if self._stream is None:
            from textual.widgets._markdown import MarkdownStream  # on first use: not needed for the first frame

            self._stream = MarkdownStream(self._live)  # type: ignore[arg-type]  # it only calls append()
            self._stream.start()
        await self._stream.write(text)

    async def freeze(self) -> None:
        """Replace the live widget with one frozen text, reusing its renderings."""
        if self.frozen:
            return
        self.frozen = True
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        live, self._live = self._live, None
        if live is None:
            return
        # The stream's stop does not wait for a flush in flight (it is shielded): this one
        # waits for it (the lock) and then draws whatever is still missing.
        live.source = self.text
        await live.finish()
        frozen = live.frozen()
        if self.is_attached:
            with self.app.batch_update():
                await self.mount(frozen, before=live)
                await live.remove()


class ThinkingBlock(Collapsible):
    """The model's thinking, collapsed: its text is drawn only when opened."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.started = time.monotonic()
        self._body = Static(Text(text, style="italic"), classes="thinking-text")
        super().__init__(self._body, title="Thinking…", collapsed=True, classes="thinking")

    def append(self, text: str) -> None:
        self.text += text
        if not self.collapsed:
            self._body.update(Text(self.text, style="italic"))

    def finish(self) -> None:
        self.title = f"Thought for {max(1, round(time.monotonic() - self.started))}s"
        self._body.update(Text(self.text, style="italic"))


@dataclass
class ToolCallData:
    call_id: str
    tool: str
    summary: str
    input: dict[str, Any]
    started: float
    output: str = ""
    content: str | None = None
    is_error: bool = False
    duration_s: float | None = None
    result_summary: str = ""
    display: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        return self.content is None


class ToolCallBlock(Widget, can_focus=True):
    """One tool call: a compact line that expands to its full output."""

    BINDINGS = [
        Binding("enter", "toggle", "Expand", show=False, id="tool_call.expand"),
        Binding("d", "show_diff", "Diff", show=False, id="tool_call.diff"),
    ]

    class JumpToDiff(Message):
        def __init__(self, call_id: str, display: dict[str, Any] | None = None) -> None:
            super().__init__()
            self.call_id = call_id
            # The tool's own diff, for changes that are not file edits (GitDiff, GitShow).
            self.display = display

    def __init__(self, data: ToolCallData) -> None:
        super().__init__(classes="tool-call")
        self.data = data
        self.expanded = False
        self._frame = 0
        self._header = Static(classes="tool-header")
        self._body = Static(classes="tool-body")
        self._body.display = False
        self._timer = None

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._body

    def on_mount(self) -> None:
        self.refresh_header()
        if self.data.running:
            self._timer = self.set_interval(0.1, self._tick)

    def _tick(self) -> None:
        self._frame += 1
        self.refresh_header()

    def header_text(self) -> Text:
        d = self.data
        if d.running:
            mark, style = SPINNER[self._frame % len(SPINNER)], "bold yellow"
            elapsed = time.monotonic() - d.started
            tail = f"  {elapsed:.1f}s"
        else:
            mark, style = ("✗", "bold red") if d.is_error else ("✓", "bold green")
            tail = f"  {d.result_summary}" if d.result_summary else ""
            tail += f"  {d.duration_s:.1f}s" if d.duration_s is not None else ""
        text = Text.assemble((f"{mark} ", style), (d.tool, "bold"), " ")
        summary = d.summary if len(d.summary) <= 100 else d.summary[:99] + "…"
        text.append(summary, style="cyan")
        text.append(tail, style="dim")
        if d.display and d.display.get("kind") == "diff" and not d.running:
            text.append("  d: diff", style="dim italic")
        return text

    def refresh_header(self) -> None:
        self._header.update(self.header_text())

    def add_output(self, text: str) -> None:
        if len(self.data.output) < MAX_TOOL_OUTPUT:
            self.data.output += text
        if self.expanded:
            self._render_body()

    def finish(self, event: ev.ToolCallFinished) -> None:
        d = self.data
        d.content, d.is_error, d.duration_s = event.content, event.is_error, event.duration_s
        d.result_summary, d.display = event.summary, event.display
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.set_class(event.is_error, "error")
        self.refresh_header()
        if self.expanded:
            self._render_body()

    def _render_body(self) -> None:
        d = self.data
        parts = [Text(json.dumps(d.input, indent=2, ensure_ascii=False)[:4000], style="dim")]
        body = d.content if d.content is not None else d.output
        if body:
            parts.append(Text(body[:MAX_TOOL_OUTPUT], style="red" if d.is_error else ""))
        text = Text("\n").join(parts)
        self._body.update(text)

    def action_toggle(self) -> None:
        self.expanded = not self.expanded
        self._body.display = self.expanded
        if self.expanded:
            self._render_body()

    def on_click(self) -> None:
        self.action_toggle()

    def action_show_diff(self) -> None:
        if self.data.display and self.data.display.get("kind") == "diff":
            self.post_message(self.JumpToDiff(self.data.call_id, self.data.display))


class ShowEarlier(Static, can_focus=True):
    BINDINGS = [Binding("enter", "press", "Show earlier", show=False)]

    class Pressed(Message):
        pass

    def on_click(self) -> None:
        self.post_message(self.Pressed())

    def action_press(self) -> None:
        self.post_message(self.Pressed())


# An entry kept as data once its widget is unmounted: enough to build it again.
Entry = tuple[str, Any]


class ConversationView(VerticalScroll):
    """Draws the events of one agent. The app hands it every event of that agent."""

    BINDINGS = [Binding("ctrl+up", "show_earlier", "Earlier messages", show=False)]
    virtual_size = laid_out_virtual_size()

    def __init__(self, agent_id: str = "main", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agent_id = agent_id
        self._live_answer: AssistantMessage | None = None
        self._answer_follows = True
        self._thinking: ThinkingBlock | None = None
        self._tools: dict[str, ToolCallBlock] = {}
        self._archived: list[Entry] = []
        self._show_earlier = ShowEarlier(classes="show-earlier")
        self._show_earlier.display = False

    def compose(self) -> ComposeResult:
        yield self._show_earlier

    def _follow(self) -> None:
        """Stay at the newest content: anchored, the view stays at the bottom as the live
        answer grows, in the same layout pass (scrolling to the end after each delta lost the
        race with a fast stream and stopped following); scrolling up releases the anchor,
        scrolling to the end restores it. Only once the content overflows: Textual anchors
        short content to the bottom of the pane, and a conversation starts at the top."""
        if self.max_scroll_y > 0:
            if not self.is_anchored:
                self.anchor()
        else:
            self.scroll_end(animate=False)

    @property
    def following(self) -> bool:
        """Does the view stay at the newest content (the person has not scrolled away)?"""
        released = getattr(self, "_anchor_released", False)  # Textual has no public reader for it
        return (self.is_anchored and not released) or self.is_vertical_scroll_end

    # -- building --------------------------------------------------------------

    @property
    def entries(self) -> list[Widget]:
        return [w for w in self.children if w is not self._show_earlier]

    @property
    def archived_count(self) -> int:
        return len(self._archived)

    async def add(self, widget: Widget) -> None:
        follow = self.following or self.max_scroll_y == 0
        await self.mount(widget)
        await self._prune()
        if follow:
            self._follow()

    async def _prune(self) -> None:
        entries = self.entries
        excess = len(entries) - MAX_MOUNTED
        if excess <= 0:
            return
        old = [w for w in entries[:excess] if not self._is_live(w)]
        for w in old:
            self._archived.append(_to_entry(w))
        await self.remove_children(old)
        self._update_show_earlier()

    def _is_live(self, w: Widget) -> bool:
        return w is self._live_answer or w is self._thinking or (
            isinstance(w, ToolCallBlock) and w.data.running
        )

    def _update_show_earlier(self) -> None:
        n = len(self._archived)
        self._show_earlier.display = n > 0
        self._show_earlier.update(
            Text(f"▲ {n} earlier entr{'y' if n == 1 else 'ies'} hidden to keep drawing fast — "
                 f"click or Ctrl+↑ to show {min(n, SHOW_EARLIER_BATCH)} more", style="dim")
        )

    async def action_show_earlier(self) -> None:
        if not self._archived:
            return
        batch = self._archived[-SHOW_EARLIER_BATCH:]
        del self._archived[-SHOW_EARLIER_BATCH:]
        widgets = [_from_entry(e) for e in batch]
        await self.mount_all(widgets, after=self._show_earlier)
        self._update_show_earlier()
        self.scroll_home(animate=False)

    @on(ShowEarlier.Pressed)
    async def _earlier_pressed(self) -> None:
        await self.action_show_earlier()

    async def load_history(self, entries: list[Entry], mounted: int = 40) -> None:
        """Draw a stored conversation: the last ``mounted`` entries as widgets, the rest kept
        as data behind "show earlier" (a resumed 2,000-message session opens at once)."""
        await self.clear()
        split = max(0, len(entries) - mounted)
        self._archived = list(entries[:split])
        widgets = [_from_entry(e) for e in entries[split:]]
        if widgets:
            await self.mount_all(widgets)
        self._update_show_earlier()
        self.scroll_end(animate=False)

    async def clear(self) -> None:
        self._live_answer = None
        self._thinking = None
        self._tools.clear()
        self._archived.clear()
        await self.remove_children(self.entries)
        self._update_show_earlier()
        self.anchor(False)  # nothing left to follow: the next conversation starts at the top

    def tool_block(self, call_id: str) -> ToolCallBlock | None:
        return self._tools.get(call_id)

    def scroll_to_call(self, call_id: str) -> bool:
        block = self._tools.get(call_id)
        if block is None or not block.is_attached:
            return False
        self.scroll_to_widget(block, animate=False, top=True)
        block.focus()
        return True

    # -- events ----------------------------------------------------------------

    async def handle(self, event: ev.Event) -> None:
        kind = type(event)
        if kind is ev.TextDelta:
            await self._text(event.text)  # type: ignore[attr-defined]
        elif kind is ev.ThinkingDelta:
            await self._think(event.text)  # type: ignore[attr-defined]
        elif kind is ev.ToolOutputDelta:
            block = self._tools.get(event.call_id)  # type: ignore[attr-defined]
            if block is not None:
                block.add_output(event.text)  # type: ignore[attr-defined]
        elif kind is ev.UserPromptSubmitted:
            await self._end_answer()
            await self.add(UserMessage(event.text))  # type: ignore[attr-defined]
            self.scroll_end(animate=False)
        elif kind is ev.ToolCallStarted:
            await self._end_answer()
            e: ev.ToolCallStarted = event  # type: ignore[assignment]
            block = ToolCallBlock(ToolCallData(e.call_id, e.tool, e.summary, e.input, time.monotonic()))
            self._tools[e.call_id] = block
            await self.add(block)
        elif kind is ev.ToolCallFinished:
            block = self._tools.get(event.call_id)  # type: ignore[attr-defined]
            if block is not None:
                block.finish(event)  # type: ignore[arg-type]
        elif kind is ev.AssistantMessageCompleted:
            await self._end_answer()
        elif kind is ev.StreamDiscarded:
            await self._discard()
            await self.add(NoticeLine(f"The answer stream broke off ({event.reason}); "  # type: ignore[attr-defined]
                                      "what was shown is void and the request is retried.", "warning"))
        elif kind is ev.RetryScheduled:
            e2: ev.RetryScheduled = event  # type: ignore[assignment]
            await self.add(NoticeLine(f"Retrying in {e2.delay:.1f}s (attempt {e2.attempt + 1}): {e2.reason}",
                                      "warning"))
        elif kind is ev.Notice:
            await self.add(NoticeLine(event.text, event.level))  # type: ignore[attr-defined]
        elif kind is ev.TurnFinished:
            await self._end_answer()
            e3: ev.TurnFinished = event  # type: ignore[assignment]
            if e3.outcome == "error":
                await self.add(NoticeLine(f"Error: {e3.error}", "error"))
            elif e3.outcome == "interrupted":
                await self.add(NoticeLine("Interrupted. Tell claw what to do instead.", "warning"))
            elif e3.outcome in ("max_turns", "max_budget"):
                await self.add(NoticeLine(f"Stopped: {e3.error}.", "warning"))

    async def _text(self, text: str) -> None:
        if self._thinking is not None:
            self._thinking.finish()
            self._thinking = None
        if self._live_answer is None:
            # Decided once per answer: while it streams, the last layout may trail the text.
            self._answer_follows = self.following or self.max_scroll_y == 0
            self._live_answer = AssistantMessage()
            await self.add(self._live_answer)
        await self._live_answer.append(text)
        if self._answer_follows and not self.is_anchored:
            self._follow()

    async def _think(self, text: str) -> None:
        if self._thinking is None:
            self._thinking = ThinkingBlock()
            await self.add(self._thinking)
        self._thinking.append(text)

    async def _end_answer(self) -> None:
        if self._thinking is not None:
            self._thinking.finish()
            self._thinking = None
        if self._live_answer is not None:
            answer, self._live_answer = self._live_answer, None
            if answer.text.strip():
                await answer.freeze()
            else:
                await answer.remove()

    async def _discard(self) -> None:
        for w in (self._live_answer, self._thinking):
            if w is not None and w.is_attached:
                await w.remove()
        self._live_answer = None
        self._thinking = None


def _to_entry(w: Widget) -> Entry:
    if isinstance(w, UserMessage):
        return ("user", w.text)
    if isinstance(w, AssistantMessage):
        return ("assistant", w.text)
    if isinstance(w, ThinkingBlock):
        return ("thinking", w.text)
    if isinstance(w, ToolCallBlock):
        return ("tool", w.data)
    if isinstance(w, NoticeLine):
        return ("notice", (w.text, w.level))
    if isinstance(w, CommandOutput):
        return ("command", (w.body, w.title_text))
    from claw_tui.ui.widgets.compaction import CompactionNotice

    if isinstance(w, CompactionNotice):
        return ("compaction", (w.summary, w.title_text))
    return ("notice", (f"[{type(w).__name__}]", "info"))


def _from_entry(entry: Entry) -> Widget:
    kind, data = entry
    if kind == "user":
        return UserMessage(data)
    if kind == "assistant":
        return AssistantMessage(data, frozen=True)
    if kind == "thinking":
        block = ThinkingBlock(data)
        block.title = "Thinking"
        return block
    if kind == "tool":
        return ToolCallBlock(data)
    if kind == "command":
        return CommandOutput(*data)
    if kind == "compaction":
        from claw_tui.ui.widgets.compaction import CompactionNotice

        return CompactionNotice(*data) if isinstance(data, tuple) else CompactionNotice(data)
    return NoticeLine(*data)
