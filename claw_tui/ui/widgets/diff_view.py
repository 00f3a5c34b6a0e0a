"""One file's diff: syntax-highlighted, unified or split, optionally hunk by hunk.

Rendered with Textual's Line API (``ScrollView.render_line``): each row is
built once per layout and width, so a 5,000-line diff scrolls as fast as a
short one. Highlighting is done once per side with Pygments through Rich.
"""

from __future__ import annotations

from typing import Any, Literal

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip

from claw_tui.diffing import Hunk, compute_hunks

Layout = Literal["auto", "unified", "split"]
SPLIT_MIN_WIDTH = 140

ADD_BG = Style(bgcolor="#16361f")
DEL_BG = Style(bgcolor="#3d1a1d")
HUNK_STYLE = Style(color="#7aa2f7", bold=True)
CURSOR_STYLE = Style(color="black", bgcolor="#e0af68", bold=True)
NUM_STYLE = Style(color="#6b7089")
DROPPED = Style(dim=True, strike=True)


def _highlight(path: str, text: str | None) -> list[Text]:
    if not text:
        return []
    from rich.syntax import Syntax  # with pygments, on first use: not needed for the first frame

    try:
        lexer = Syntax.guess_lexer(path, code=text[:4000])
    except Exception:
        lexer = "text"
    syntax = Syntax(text, lexer, theme="monokai")
    lines = syntax.highlight(text).split("\n", allow_blank=True)
    return [_foreground_only(line) for line in lines]


def _foreground_only(line: Text) -> Text:
    """Keep the theme's colours but not its background: the diff paints added and removed rows."""
    out = Text(line.plain, end="")
    for span in line.spans:
        style = span.style if isinstance(span.style, Style) else Style.parse(str(span.style))
        out.stylize(Style(color=style.color, bold=style.bold, italic=style.italic), span.start, span.end)
    return out


class DiffView(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("space", "toggle_cursor_hunk", "Keep/drop hunk", show=False),
        Binding("right_square_bracket", "next_hunk", "Next hunk", show=False),
        Binding("left_square_bracket", "previous_hunk", "Previous hunk", show=False),
        Binding("A", "accept_all", "Keep all hunks", show=False),
    ]

    layout_mode: reactive[Layout] = reactive("auto")

    class HunksChanged(Message):
        def __init__(self, accepted: frozenset[int]) -> None:
            super().__init__()
            self.accepted = accepted

    def __init__(
        self,
        path: str,
        before: str | None,
        after: str | None,
        *,
        layout: Layout = "auto",
        selectable: bool = False,
        context: int = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.before = before
        self.after = after
        self.selectable = selectable
        self.hunks: list[Hunk] = compute_hunks(before, after, context)
        self.accepted_hunks: set[int] = {h.index for h in self.hunks}
        self.cursor_hunk = 0
        self._old = _highlight(path, before)
        self._new = _highlight(path, after)
        self._rows: list[Strip] = []
        self._hunk_rows: list[int] = []
        self._built_for: tuple[Any, ...] | None = None
        self.set_reactive(DiffView.layout_mode, layout)

    # -- layout ----------------------------------------------------------------

    @property
    def effective_layout(self) -> Literal["unified", "split"]:
        if self.layout_mode != "auto":
            return self.layout_mode  # type: ignore[return-value]
        return "split" if self.size.width >= SPLIT_MIN_WIDTH else "unified"

    def watch_layout_mode(self) -> None:
        self._built_for = None
        self.refresh()

    def on_resize(self) -> None:
        self._built_for = None
        self._build()

    def _num_width(self) -> int:
        n = max(len(self._old), len(self._new), 1)
        return len(str(n))

    def _cell(self, text: Text | None, num: int | None, mark: str, bg: Style | None, width: int) -> list[Segment]:
        nw = self._num_width()
        number = (str(num + 1) if num is not None else "").rjust(nw)
        head = Text(f"{number} {mark} ", style=NUM_STYLE)
        body = text.copy() if text is not None else Text("")
        line = Text.assemble(head, body)
        line.truncate(width, pad=True)
        if bg is not None:
            line.stylize(bg)
        return list(line.render(self.app.console)) if self.is_attached else []

    def _hunk_header(self, h: Hunk, width: int) -> list[Segment]:
        label = h.header
        style = HUNK_STYLE
        if self.selectable:
            box = "[x]" if h.index in self.accepted_hunks else "[ ]"
            label = f"{box} hunk {h.index + 1}/{len(self.hunks)}  {h.header}  +{h.added} −{h.removed}"
            if h.index == self.cursor_hunk:
                style = CURSOR_STYLE
        t = Text(label, style=style)
        t.truncate(width, pad=True)
        return list(t.render(self.app.console))

    def _build(self) -> None:
        width = max(self.size.width, 20)
        key = (width, self.effective_layout, frozenset(self.accepted_hunks), self.cursor_hunk)
        if key == self._built_for:
            return
        self._built_for = key
        rows: list[Strip] = []
        self._hunk_rows = []
        if not self.hunks:
            rows.append(Strip(list(Text("no changes", style="dim").render(self.app.console))))
        split = self.effective_layout == "split"
        half = (width - 1) // 2
        for h in self.hunks:
            self._hunk_rows.append(len(rows))
            rows.append(Strip(self._hunk_header(h, width)))
            dropped = self.selectable and h.index not in self.accepted_hunks
            oi, ni = h.old_start, h.new_start
            pending_del: list[int] = []
            pending_add: list[int] = []

            def flush() -> None:
                if split:
                    for k in range(max(len(pending_del), len(pending_add))):
                        o = pending_del[k] if k < len(pending_del) else None
                        n = pending_add[k] if k < len(pending_add) else None
                        left = self._cell(self._old[o] if o is not None else None, o, "-" if o is not None else " ",
                                          DEL_BG if o is not None else None, half)
                        right = self._cell(self._new[n] if n is not None else None, n, "+" if n is not None else " ",
                                           ADD_BG if n is not None else None, width - half - 1)
                        rows.append(Strip([*left, Segment("│", NUM_STYLE), *right]))
                else:
                    for o in pending_del:
                        rows.append(Strip(self._cell(self._old[o], o, "-", DEL_BG, width)))
                    for n in pending_add:
                        rows.append(Strip(self._cell(self._new[n], n, "+", ADD_BG, width)))
                pending_del.clear()
                pending_add.clear()

            for tag, _text in h.lines:
                if tag == " ":
                    flush()
                    if split:
                        left = self._cell(self._old[oi] if oi < len(self._old) else None, oi, " ", None, half)
                        right = self._cell(self._new[ni] if ni < len(self._new) else None, ni, " ", None,
                                           width - half - 1)
                        rows.append(Strip([*left, Segment("│", NUM_STYLE), *right]))
                    else:
                        rows.append(Strip(self._cell(self._new[ni] if ni < len(self._new) else None, ni, " ", None,
                                                     width)))
                    oi += 1
                    ni += 1
                elif tag == "-":
                    pending_del.append(oi)
                    oi += 1
                else:
                    pending_add.append(ni)
                    ni += 1
            start = len(rows)
            flush()
            if dropped:
                for i in range(start, len(rows)):
                    rows[i] = rows[i].apply_style(DROPPED)
        self._rows = rows
        self.virtual_size = Size(width, len(rows))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        if self._built_for is None:
            self._build()
        index = int(self.scroll_offset.y) + y
        if 0 <= index < len(self._rows):
            return self._rows[index].crop(0, self.size.width)
        return Strip.blank(self.size.width)

    @property
    def row_count(self) -> int:
        if self._built_for is None and self.is_attached:
            self._build()
        return len(self._rows)

    # -- hunk selection --------------------------------------------------------

    def _changed(self) -> None:
        self._built_for = None
        self._build()
        self.post_message(self.HunksChanged(frozenset(self.accepted_hunks)))

    def toggle_hunk(self, index: int) -> None:
        if not self.selectable or not 0 <= index < len(self.hunks):
            return
        self.accepted_hunks ^= {index}
        self._changed()

    def set_all(self, accepted: bool) -> None:
        self.accepted_hunks = {h.index for h in self.hunks} if accepted else set()
        self._changed()

    def _move(self, delta: int) -> None:
        if not self.hunks:
            return
        self.cursor_hunk = max(0, min(len(self.hunks) - 1, self.cursor_hunk + delta))
        self._built_for = None
        self._build()
        if self._hunk_rows:
            self.scroll_to(y=max(0, self._hunk_rows[self.cursor_hunk] - 1), animate=False)

    def action_toggle_cursor_hunk(self) -> None:
        self.toggle_hunk(self.cursor_hunk)

    def action_next_hunk(self) -> None:
        self._move(1)

    def action_previous_hunk(self) -> None:
        self._move(-1)

    def action_accept_all(self) -> None:
        self.set_all(True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.row_count or 1


class DiffScreen(ModalScreen[None]):
    """One diff, full screen over the workspace (a tool's diff that changed no file). Esc closes."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="diff_screen.close"),
                Binding("v", "cycle_layout", "Unified/split", id="diff_screen.layout")]
    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    DiffScreen > Vertical { width: 95%; height: 90%; border: round $accent; background: $surface; }
    DiffScreen DiffView { height: 1fr; }
    """

    def __init__(self, path: str, before: str | None, after: str | None) -> None:
        super().__init__()
        self.path, self.before, self.after = path, before, after

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical
        from textual.widgets import Static

        with Vertical() as box:
            box.border_title = f"{self.path}  (esc closes, v unified/split)"
            yield Static(Text(self.path, style="bold"))
            yield DiffView(self.path, self.before, self.after)

    def on_mount(self) -> None:
        self.query_one(DiffView).focus()

    def action_cycle_layout(self) -> None:
        view = self.query_one(DiffView)
        order = ("auto", "unified", "split")
        view.layout_mode = order[(order.index(view.layout_mode) + 1) % len(order)]  # type: ignore[assignment]
