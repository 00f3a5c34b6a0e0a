"""Answers' Markdown as styled text, rendered block by block: while it streams and after.

The live answer used to be Textual's Markdown widget. It mounts a widget per block (and
per list item, table cell, ...) and every flush lays all of them out again; following a
stream at 1,000 chunks/s that kept the app's loop busy most of the time, so keys waited
(median 40-70 ms, p95 300-560 ms, benchmarks/RESULTS.md). Here an answer is split into
its top-level Markdown blocks; a block is rendered once with Rich into styled text and
cached, and while streaming only the block still growing is rendered on each flush.
Textual's MarkdownStream still drives the live answer (``LiveMarkdown.append`` is what it
calls): it coalesces what arrives while a flush runs.

A finished answer is the same rendering, so nothing moves when it is frozen, and a
resumed answer (split from its text) looks exactly like one that streamed. Styled text
rather than widgets, so a person can select it with the mouse and copy what they see.
"""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any, Coroutine

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

SEGMENT_LINES = 40
FLUSHES_PER_SECOND = 15


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

    def render(self, block: str, references: str = "") -> Text:
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
        text = Text()
        for i, line in enumerate(lines[start:end]):
            if i:
                text.append("\n")
            for seg in line:
                if not seg.control:
                    text.append(seg.text, seg.style)
        return text


def join_blocks(rendered: list[Text]) -> Text:
    return Text("\n\n").join(t for t in rendered if t.plain or t.spans)


def render_markdown(source: str, width: int, theme: str) -> Text:
    """Markdown as styled text at ``width``, block by block (pure: safe in a worker thread)."""
    parts, references = split_blocks(source)
    renderer = BlockRenderer(width, theme)
    return join_blocks([renderer.render(p, references) for p in parts])


class FrozenMarkdown(Static):
    """Markdown shown as styled text, kept as its blocks' sources and renderings.

    Rendered again only when the width changes; blocks can be added (a live answer's
    segments grow), and only the new ones are rendered.
    """

    def __init__(self, source: str = "", *, blocks: list[str] | None = None,
                 rendered: tuple[int, list[Text]] | None = None, references: str = "",
                 theme: str | None = None) -> None:
        super().__init__("", classes="frozen")
        if blocks is None:
            blocks, references = split_blocks(source) if source else ([], "")
        self.blocks: list[str] = list(blocks)
        self.references = references
        self._rendered: list[Text] = list(rendered[1]) if rendered else []
        self._rendered_width = rendered[0] if rendered else -1
        self._rendered_theme = theme
        if rendered:
            self.update(join_blocks(self._rendered))

    @property
    def source(self) -> str:
        return "".join(self.blocks)

    @property
    def rendered_lines(self) -> int:
        return sum(t.plain.count("\n") + 2 for t in self._rendered)

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
        self._rendered = [renderer.render(b, self.references) for b in self.blocks]
        self.update(join_blocks(self._rendered))

    def set_blocks(self, blocks: list[str], references: str, renderer: BlockRenderer | None,
                   keep: int = 0) -> None:
        """Show ``blocks``; the first ``keep`` are the ones shown now (their renderings are reused)."""
        self.blocks = list(blocks)
        if references != self.references:
            self.references, keep = references, 0
        if renderer is None or renderer.width != self._rendered_width:
            self._rendered_width = -1  # the next Resize renders them all
            self._rendered = []
            if self.size.width:
                self._render_at(self.size.width)
            return
        self._rendered = self._rendered[:keep] + [renderer.render(b, references) for b in blocks[keep:]]
        self._rendered_theme = renderer.theme
        self.update(join_blocks(self._rendered))

    def renderings(self) -> tuple[int, list[Text]]:
        return self._rendered_width, list(self._rendered)

    def get_selection(self, selection: Any) -> tuple[str, str] | None:
        got = super().get_selection(selection)
        if got is None:
            return None
        text, end = got
        return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n"), end


class LiveMarkdown(Widget):
    """A streaming answer: finished blocks in frozen segments, the growing one re-rendered.

    ``append`` has the shape of ``textual.widgets.Markdown.append``, so Textual's
    MarkdownStream drives it. A block is finished once another top-level block starts
    after it: nothing later in the text can change it (as Markdown.append assumes).
    """

    DEFAULT_CSS = """
    LiveMarkdown { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.source = ""
        self.shown = 0  # characters of source on screen
        self._finished_lines = 0  # source lines whose blocks sit in segments
        self._segments: list[FrozenMarkdown] = []
        self._tail = FrozenMarkdown(blocks=[])
        self.lock = asyncio.Lock()
        self._last_flush = 0.0
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
            # Every flush lays out and redraws the followed view; a fast stream is drawn at
            # most FLUSHES_PER_SECOND times a second (MarkdownStream gathers what arrives
            # meanwhile), so the loop stays free for keys. After a pause it draws at once.
            wait = self._last_flush + 1 / FLUSHES_PER_SECOND - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_flush = time.monotonic()
            await self.draw()

    async def finish(self) -> None:
        """Draw everything that has arrived now, without the pacing wait (the answer ended)."""
        async with self.lock:
            await self.draw()

    async def draw(self) -> None:
        """Draw what has arrived: the work of one flush (the lock held)."""
        source = self.source
        if len(source) == self.shown:
            return
        lines = source_lines(source)
        open_text = "".join(lines[self._finished_lines:])
        parts, definitions = _split(open_text)
        finished_lines = sum(len(source_lines(p)) for p in parts[:-1])
        # A definition in a finished block stays known (a later block may use it); one in
        # the growing block may still be half written ("[x]: https://exa"), so it is used
        # for this flush only.
        for line, definition in definitions:
            if line < finished_lines and definition not in self._definitions:
                self._definitions.append(definition)
        references = "".join(self._definitions) + "".join(
            d for line, d in definitions if line >= finished_lines)
        renderer = self._renderer()
        if len(parts) > 1:
            finished = parts[:-1]
            await self._add_finished(finished, references, renderer)
            self._finished_lines += finished_lines
            parts = parts[-1:]
        self._tail.set_blocks(parts, references, renderer)
        if self._segments:
            self._tail.set_class(bool(parts), "continued")
        self.shown = len(source)

    async def _add_finished(self, blocks: list[str], references: str, renderer: BlockRenderer | None) -> None:
        segment = self._segments[-1] if self._segments else None
        if segment is None or segment.rendered_lines >= SEGMENT_LINES:
            segment = FrozenMarkdown(blocks=[])
            if self._segments:
                segment.add_class("continued")
            self._segments.append(segment)
            await self.mount(segment, before=self._tail)
        keep = len(segment.blocks)
        segment.set_blocks(segment.blocks + blocks, references, renderer, keep=keep)

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
