"""Answers' Markdown as styled text, rendered block by block: while it streams and after.

The live answer used to be Textual's Markdown widget. It mounts a widget per block (and
per list item, table cell, ...) and every flush lays all of them out again; following a
stream at 1,000 chunks/s that kept the app's loop busy most of the time, so keys waited
(median 40-70 ms, p95 300-560 ms, benchmarks/RESULTS.md). Here an answer is split into
its top-level Markdown blocks; a block is rendered once with Rich into lines and cached,
and while streaming only the block still growing is rendered on each flush, in a worker
thread, at a pace set by what flushes cost. Textual's MarkdownStream still drives the
live answer (``LiveMarkdown.append`` is what it calls): it coalesces what arrives while a
flush runs.

A finished answer is the same rendering, so nothing moves when it is frozen, and a
resumed answer (split from its text) looks exactly like one that streamed. Lines of text
rather than widgets, so a person can select them with the mouse and copy what they see.
"""

from __future__ import annotations

import asyncio
import io
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Coroutine

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.app import ComposeResult
from textual.geometry import Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widget import Widget

SEGMENT_LINES = 40
# A fast stream is drawn at most this often: MarkdownStream gathers what arrives meanwhile.
FLUSHES_PER_SECOND = 15
# And no more often than leaves the loop this share of its time for drawing the stream: each
# flush (the drawing here and the layout and paint it causes) costs 10-15 ms on a fast machine
# and 40-50 ms on a slow one, and a key that arrives during one waits for it. A slow machine
# draws the stream less often (down to MIN_FLUSHES_PER_SECOND) and keeps answering keys.
DRAW_SHARE = 1 / 3
MIN_FLUSHES_PER_SECOND = 4


def laid_out_virtual_size() -> Reactive[Size]:
    """A ``virtual_size`` for widgets that grow with a streamed answer.

    Textual sets a widget's virtual size while it lays the screen out, from that layout; its
    default reactive (layout=True) then asks for another layout of the whole screen, which
    finds nothing to change. For the answer, its container and the conversation that was a
    second full layout and repaint after every flush (~30-40% of the frames' time while
    streaming, benchmarks/RESULTS.md). A scrollbar that appears or goes still asks for
    its own layout (show_vertical_scrollbar).
    """
    return Reactive(Size(0, 0), layout=False, repaint=False)


def code_theme(widget: Widget) -> str:
    """A Pygments theme that reads on the app's background (dark or light)."""
    try:
        dark = widget.app.current_theme.dark
    except Exception:  # not attached to an app yet
        dark = True
    return "monokai" if dark else "friendly"


_parser: Any = None


def _markdown_it() -> Any:
    global _parser
    if _parser is None:
        from markdown_it import MarkdownIt  # imported on first use: not needed for the first frame

        _parser = MarkdownIt().enable("strikethrough").enable("table")  # as rich.markdown parses
    return _parser


def source_lines(source: str) -> list[str]:
    """Lines as markdown-it counts them (only "\n" ends a line; str.splitlines also splits
    on form feeds and Unicode separators, which would shift every block after one)."""
    lines = [line + "\n" for line in source.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def split_blocks(source: str) -> tuple[list[str], str]:
    """``source`` cut into its top-level blocks (each with the blank lines after it), and
    the text of its link reference definitions (``[x]: url``), which a block rendered
    alone needs to resolve a reference link defined elsewhere."""
    parts, definitions = _split(source)
    return parts, "".join(text for _line, text in definitions)


def _split(source: str) -> tuple[list[str], list[tuple[int, str]]]:
    env: dict[str, Any] = {}
    tokens = _markdown_it().parse(source, env)
    starts = [t.map[0] for t in tokens if t.level == 0 and t.map is not None]
    lines = source_lines(source)
    definitions = sorted((r["map"][0], "".join(lines[r["map"][0]:r["map"][1]]))
                         for r in env.get("references", {}).values() if r.get("map"))
    if not starts:
        return ([source] if source else []), definitions
    starts[0] = 0  # leading blank lines belong to the first block
    return ["".join(lines[a:b]) for a, b in zip(starts, starts[1:] + [len(lines)])], definitions


class BlockRenderer:
    """Renders Markdown blocks at one width and theme (one Rich console for all of them)."""

    def __init__(self, width: int, theme: str) -> None:
        from rich.console import Console

        self.width = max(width, 20)
        self.theme = theme
        self.console = Console(width=self.width, file=io.StringIO(), color_system="truecolor",
                               legacy_windows=False)

    def render(self, block: str, references: str = "") -> RenderedMarkdown:
        from rich.markdown import Markdown as RichMarkdown  # on first use: not needed for the first frame

        source = f"{block.rstrip()}\n\n{references}" if references else block
        # Padded, so code blocks keep their background to the edge; get_selection drops the
        # padding again from what is copied.
        lines = self.console.render_lines(RichMarkdown(source, code_theme=self.theme), self.console.options,
                                          pad=True)

        def blank(line: list[Any]) -> bool:  # nothing drawn: no text and no background
            return all(not seg.text.strip() and not (seg.style and seg.style.bgcolor) for seg in line)

        # Blank lines around a block go (blocks are joined by exactly one); a code block's
        # padding lines have a background and stay.
        start, end = 0, len(lines)
        while start < end and blank(lines[start]):
            start += 1
        while end > start and blank(lines[end - 1]):
            end -= 1
        kept = [[seg for seg in line if not seg.control] for line in lines[start:end]]
        return RenderedMarkdown([Strip(line) for line in kept], ["".join(seg.text for seg in line) for line in kept])


@dataclass
class RenderedMarkdown:
    """Markdown rendered at one width: its lines as Textual draws them, and their text.

    Made once (in a worker thread while an answer streams) and drawn line by line as they
    are: a Static given styled text converted all of it to Textual's Content and wrapped it
    again on every change, in the frame, 10-50 ms for a long segment on a slow machine.
    """

    lines: list[Strip]
    plain_lines: list[str]

    @property
    def plain(self) -> str:
        return "\n".join(self.plain_lines)


def join_blocks(rendered: list[RenderedMarkdown]) -> RenderedMarkdown:
    """Blocks one under the other, with one blank line between them."""
    lines: list[Strip] = []
    plain: list[str] = []
    for block in rendered:
        if not block.lines:
            continue
        if lines:
            lines.append(Strip([], 0))
            plain.append("")
        lines.extend(block.lines)
        plain.extend(block.plain_lines)
    return RenderedMarkdown(lines, plain)


def render_markdown(source: str, width: int, theme: str) -> RenderedMarkdown:
    """Markdown rendered at ``width``, block by block (pure: safe in a worker thread)."""
    parts, references = split_blocks(source)
    renderer = BlockRenderer(width, theme)
    return join_blocks([renderer.render(p, references) for p in parts])


@dataclass
class FlushPlan:
    """What one flush of a live answer shows, worked out away from the loop (prepare_flush)."""

    finished: list[str]  # blocks that another block now follows: nothing can change them
    finished_lines: int  # source lines they take
    finished_rendered: list[RenderedMarkdown] | None
    tail: list[str]  # the block still growing (none, or one)
    tail_rendered: list[RenderedMarkdown] | None
    references: str  # the link reference definitions the blocks were rendered with
    new_definitions: list[str]  # definitions in the finished blocks, known from now on


def prepare_flush(open_text: str, known_definitions: tuple[str, ...], renderer: BlockRenderer | None) -> FlushPlan:
    """Parse the answer's open text (after its finished blocks) and render its blocks.

    Pure, and run in a worker thread: it touches no widget (``renderer`` has its own console).
    """
    parts, definitions = _split(open_text)
    finished, tail = parts[:-1], parts[-1:]
    finished_lines = sum(len(source_lines(p)) for p in finished)
    # A definition in a finished block stays known (a later block may use it); one in the
    # growing block may still be half written ("[x]: https://exa"), so it is used for this
    # flush only.
    new = []
    for line, definition in definitions:
        if line < finished_lines and definition not in known_definitions and definition not in new:
            new.append(definition)
    references = "".join(known_definitions) + "".join(new) + "".join(
        d for line, d in definitions if line >= finished_lines)

    def render(blocks: list[str]) -> list[RenderedMarkdown] | None:
        return None if renderer is None else [renderer.render(b, references) for b in blocks]

    return FlushPlan(finished, finished_lines, render(finished), tail, render(tail), references, new)


class FrozenMarkdown(Widget):
    """Markdown shown as rendered lines, kept as its blocks' sources and renderings.

    Rendered again only when the width or the code theme changes; blocks can be added (a
    live answer's segments grow), and only the new ones are rendered. Drawn with Textual's
    line API: a line is styled and given its selection offsets only when it is drawn.
    """

    DEFAULT_CSS = """
    FrozenMarkdown { height: auto; }
    """
    virtual_size = laid_out_virtual_size()

    def __init__(self, source: str = "", *, blocks: list[str] | None = None,
                 rendered: tuple[int, list[RenderedMarkdown]] | None = None, references: str = "",
                 theme: str | None = None) -> None:
        super().__init__(classes="frozen")
        if blocks is None:
            blocks, references = split_blocks(source) if source else ([], "")
        self.blocks: list[str] = list(blocks)
        self.references = references
        self._rendered: list[RenderedMarkdown] = list(rendered[1]) if rendered else []
        self._rendered_width = rendered[0] if rendered else -1
        self._rendered_theme = theme
        self._shown = join_blocks(self._rendered)

    @property
    def source(self) -> str:
        return "".join(self.blocks)

    @property
    def plain(self) -> str:
        """The text as shown (lines padded to the width, as they are drawn)."""
        return self._shown.plain

    @property
    def rendered_lines(self) -> int:
        return len(self._shown.lines)

    def on_mount(self) -> None:
        # Before its first layout the width is unknown: the Resize that layout sends renders it,
        # once, at the real width (rendering at a guess first doubled the cost of a resumed session).
        if self.size.width and self.size.width != self._rendered_width:
            self._render_at(self.size.width)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def on_unmount(self) -> None:
        # The signal's subscription holds this widget (its callback refers to it): without this,
        # every answer ever shown stayed in memory with its renderings (2,000 messages: 330 MB).
        self.app.theme_changed_signal.unsubscribe(self)

    def _theme_changed(self, _theme: Any) -> None:
        # Code blocks are highlighted for a dark or a light background: drawn again on a switch.
        if self._rendered_width > 0 and self._rendered_theme != code_theme(self):
            self._render_at(self._rendered_width)

    def on_resize(self, event: events.Resize) -> None:
        # The event carries the widget's outer size; the text is laid out inside the padding
        # (rendered at the outer width, padded lines wrapped and code blocks lost their background).
        width = event.size.width - self.styles.gutter.width
        if width > 0 and width != self._rendered_width:
            self._render_at(width)

    def _render_at(self, width: int) -> None:
        renderer = BlockRenderer(width, code_theme(self))
        self._rendered_width = width
        self._rendered_theme = renderer.theme
        self._show([renderer.render(b, self.references) for b in self.blocks])

    def _show(self, rendered: list[RenderedMarkdown]) -> None:
        height = len(self._shown.lines)
        self._rendered = rendered
        self._shown = join_blocks(rendered)
        # A layout only when the height changed: a growing last line is a repaint.
        self.refresh(layout=len(self._shown.lines) != height)

    def set_blocks(self, blocks: list[str], references: str, renderer: BlockRenderer | None,
                   keep: int = 0, rendered: list[RenderedMarkdown] | None = None) -> None:
        """Show ``blocks``; the first ``keep`` are the ones shown now (their renderings are
        reused); ``rendered``, if given, are the rest already rendered by ``renderer``."""
        self.blocks = list(blocks)
        if references != self.references:
            self.references = references
            if keep:  # any block may use the new definition: all are rendered again
                keep, rendered = 0, None
        fits = renderer is not None and renderer.width == (self.size.width or renderer.width) and (
            not keep or renderer.width == self._rendered_width)
        if not fits:
            self._rendered_width = -1  # the next Resize renders them all
            if self.size.width:
                self._render_at(self.size.width)
            else:
                self._show([])
            return
        assert renderer is not None
        if rendered is None:
            rendered = [renderer.render(b, references) for b in blocks[keep:]]
        self._rendered_width = renderer.width
        self._rendered_theme = renderer.theme
        self._show(self._rendered[:keep] + rendered)

    def renderings(self) -> tuple[int, list[RenderedMarkdown]]:
        return self._rendered_width, list(self._rendered)

    # -- drawing (Textual's line API) -------------------------------------------------

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._shown.lines)

    def render_line(self, y: int) -> Strip:
        lines = self._shown.lines
        if y >= len(lines):
            return Strip.blank(self.size.width, self.rich_style)
        # The widget's colours under the text's own (Rich leaves plain text unstyled).
        strip = lines[y].apply_style(self.rich_style)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            strip = _selected(strip, self._shown.plain_lines[y], span,
                              VisualStyle.from_styles(self.screen.get_component_styles("screen--selection")))
        # Where each character is, for selecting with the mouse (as Textual's Log does).
        return strip.apply_offsets(0, y)

    def get_selection(self, selection: Any) -> tuple[str, str] | None:
        text = selection.extract(self._shown.plain)
        return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n"), "\n"


def _selected(strip: Strip, plain: str, span: tuple[int, int], selection_style: VisualStyle) -> Strip:
    """``strip`` with the characters in ``span`` (-1: to the end) under the selection style.

    The style is Textual's (a translucent background, no colour of its own), laid over each
    character's as Textual does for text in Content: the text stays readable in it."""
    start, end = span
    a = cell_len(plain[:start])
    b = strip.cell_length if end == -1 else cell_len(plain[:end])
    if b <= a:
        return strip
    before, middle, after = strip.divide([a, b, strip.cell_length])
    lit = [Segment(seg.text, (VisualStyle.from_rich_style(seg.style) + selection_style).rich_style if seg.style
                   else selection_style.rich_style) for seg in middle]
    return Strip.join([before, Strip(lit, middle.cell_length), after])


class LiveMarkdown(Widget):
    """A streaming answer: finished blocks in frozen segments, the growing one re-rendered.

    ``append`` has the shape of ``textual.widgets.Markdown.append``, so Textual's
    MarkdownStream drives it. A block is finished once another top-level block starts
    after it: nothing later in the text can change it (as Markdown.append assumes).
    """

    DEFAULT_CSS = """
    LiveMarkdown { height: auto; }
    """
    virtual_size = laid_out_virtual_size()

    def __init__(self) -> None:
        super().__init__()
        self.source = ""
        self.shown = 0  # characters of source on screen
        self._finished_lines = 0  # source lines whose blocks sit in segments
        self._segments: list[FrozenMarkdown] = []
        self._tail = FrozenMarkdown(blocks=[])
        self.lock = asyncio.Lock()
        self._next_flush = 0.0  # time.monotonic() before which no flush starts
        self._paced_flush = asyncio.Event()  # set once the last flush's cost is known (_paced)
        self._paced_flush.set()
        self._definitions: list[str] = []  # link reference definitions in finished blocks

    def compose(self) -> ComposeResult:
        yield self._tail

    @property
    def segments(self) -> list[FrozenMarkdown]:
        return list(self._segments)

    def append(self, markdown: str) -> Coroutine[Any, Any, None]:
        """Add text; what is returned draws it (MarkdownStream awaits it)."""
        self.source += markdown
        return self._flush()

    def _renderer(self) -> BlockRenderer | None:
        width = self._tail.size.width or (self._segments[-1].size.width if self._segments else 0)
        return BlockRenderer(width, code_theme(self)) if width > 0 else None

    async def _flush(self) -> None:
        async with self.lock:
            # After a pause the text is drawn at once; in a fast stream, when its pace allows,
            # and what arrives meanwhile is drawn together. The pace comes from the last
            # flush's cost, known once the frame it caused is drawn (_paced): until then the
            # next flush does not start (bounded, in case no frame comes).
            if not self._paced_flush.is_set():
                with suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._paced_flush.wait(), 1 / MIN_FLUSHES_PER_SECOND)
            while (wait := self._next_flush - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            started, cpu = time.monotonic(), time.process_time()
            self._next_flush = started + 1 / FLUSHES_PER_SECOND
            self._paced_flush.clear()
            await self.draw()
            self.call_after_refresh(self._paced, started, cpu)

    def _paced(self, started: float, cpu: float) -> None:
        """Space the next flush by what this one cost, once its layout and paint are done.

        The cost is the process's CPU time since the flush began: its parsing and rendering
        (in a worker thread, but holding the GIL the loop needs), the layout and paint it
        caused, and whatever else the loop had to do meanwhile (keys, the engine), which is
        load the next flush should also leave room for. Waiting is not counted.
        """
        cost = time.process_time() - cpu
        interval = min(max(1 / FLUSHES_PER_SECOND, cost / DRAW_SHARE), 1 / MIN_FLUSHES_PER_SECOND)
        self._next_flush = max(self._next_flush, started + interval)
        self._paced_flush.set()

    async def finish(self) -> None:
        """Draw everything that has arrived now, without the pacing wait (the answer ended)."""
        async with self.lock:
            await self.draw()

    async def draw(self) -> None:
        """Draw what has arrived: the work of one flush (the lock held).

        Parsing and rendering run in a worker thread (they are pure: prepare_flush): a flush
        of a fast stream renders for 10-60 ms, and a key that arrived meanwhile waited for
        all of it; the loop now answers it between the thread's turns with the GIL. The
        widgets are updated here, on the loop.
        """
        source = self.source
        if len(source) == self.shown:
            return
        lines = source_lines(source)
        open_text = "".join(lines[self._finished_lines:])
        renderer = self._renderer()  # on the loop: it reads the widgets' sizes and the app's theme
        plan = await asyncio.to_thread(prepare_flush, open_text, tuple(self._definitions), renderer)
        self._definitions.extend(plan.new_definitions)
        if plan.finished:
            await self._add_finished(plan, renderer)
            self._finished_lines += plan.finished_lines
        self._tail.set_blocks(plan.tail, plan.references, renderer, rendered=plan.tail_rendered)
        if self._segments:
            self._tail.set_class(bool(plan.tail), "continued")
        self.shown = len(source)

    async def _add_finished(self, plan: FlushPlan, renderer: BlockRenderer | None) -> None:
        segment = self._segments[-1] if self._segments else None
        if segment is None or segment.rendered_lines >= SEGMENT_LINES:
            # Rendered before it is mounted, at the tail's width (the same as its own): drawn
            # in the layout that places it, not again on its first Resize one frame later.
            rendered = None if renderer is None or plan.finished_rendered is None else (
                renderer.width, plan.finished_rendered)
            segment = FrozenMarkdown(blocks=plan.finished, rendered=rendered, references=plan.references,
                                     theme=None if renderer is None else renderer.theme)
            if self._segments:
                segment.add_class("continued")
            self._segments.append(segment)
            await self.mount(segment, before=self._tail)
            return
        keep = len(segment.blocks)
        segment.set_blocks(segment.blocks + plan.finished, plan.references, renderer, keep=keep,
                           rendered=plan.finished_rendered)

    def frozen(self) -> FrozenMarkdown:
        """The whole answer as one FrozenMarkdown, reusing what is rendered (nothing moves).
        Call after ``finish``."""
        widgets = [*self._segments, self._tail]
        widths = {w.renderings()[0] for w in widgets if w.blocks}
        blocks = [b for w in widgets for b in w.blocks]
        # The tail's last draw used every definition the answer has (finished and its own).
        references = self._tail.references
        if len(widths) == 1 and -1 not in widths and all(w.references == references for w in widgets if w.blocks):
            rendered = [t for w in widgets for t in w.renderings()[1]]
            if len(rendered) == len(blocks):
                return FrozenMarkdown(blocks=blocks, rendered=(widths.pop(), rendered), references=references,
                                      theme=self._tail._rendered_theme)
        return FrozenMarkdown(blocks=blocks, references=references)
