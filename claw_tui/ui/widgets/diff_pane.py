"""Every file change of the session, grouped by turn, with the selected diff.

Changes come from FileChanged events: the agent's own (with the tool call that
made them) and anyone else's, as the file observer saw them.
"""

from __future__ import annotations

import os
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.diffing import FileChange, diff_stats
from claw_tui.ui.widgets.diff_view import DiffView

LAYOUTS = ("auto", "unified", "split")
STATUS_STYLE = {"A": "bold green", "M": "bold yellow", "D": "bold red"}


class DiffPane(Vertical):
    BINDINGS = [
        Binding("v", "cycle_layout", "Unified/split", id="diffs.layout"),
        Binding("g", "jump_to_call", "Go to tool call", id="diffs.jump_to_call"),
    ]

    class JumpToCall(Message):
        def __init__(self, call_id: str) -> None:
            super().__init__()
            self.call_id = call_id

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._changes: list[FileChange] = []
        self._selected: FileChange | None = None
        self.layout_mode = "auto"
        self.root: str | None = None
        self._list = OptionList(classes="diff-list")
        self._empty = Static(Text("No file changes yet. Changes by the agent and by anyone else appear here, "
                                  "grouped by turn.", style="dim"), classes="diff-empty")
        self._holder = Vertical(classes="diff-holder")

    def compose(self) -> ComposeResult:
        yield self._empty
        yield self._list
        yield self._holder

    def on_mount(self) -> None:
        self._list.display = False

    @property
    def changes(self) -> list[FileChange]:
        return list(self._changes)

    @property
    def count(self) -> int:
        return len(self._changes)

    @property
    def selected(self) -> FileChange | None:
        return self._selected

    def add_change(self, change: FileChange) -> None:
        for existing in reversed(self._changes):
            if existing.turn != change.turn:
                break
            if existing.path == change.path and existing.by == change.by and existing.agent_id == change.agent_id:
                existing.after = change.after
                existing.call_id = change.call_id or existing.call_id
                existing.tool = change.tool or existing.tool
                existing.ts = change.ts
                self._rebuild()
                if self._selected is existing:
                    self._show(existing)
                return
        self._changes.append(change)
        self._rebuild()
        if self._selected is None:
            self.select(change)

    def _label(self, c: FileChange) -> Text:
        added, removed = diff_stats(c.before, c.after)
        path = c.path
        if self.root and path.startswith(self.root.rstrip(os.sep) + os.sep):
            path = path[len(self.root.rstrip(os.sep)) + 1:]
        t = Text.assemble((c.status + " ", STATUS_STYLE[c.status]), path)
        if added:
            t.append(f"  +{added}", style="green")
        if removed:
            t.append(f"  −{removed}", style="red")
        who = c.by if c.agent_id == "main" or c.by == "external" else f"{c.agent_id}"
        t.append(f"  {who}", style="cyan" if c.by == "agent" else "bold magenta")
        return t

    def _rebuild(self) -> None:
        self._empty.display = not self._changes
        self._list.display = bool(self._changes)
        highlighted = self._list.highlighted
        self._list.clear_options()
        turn = None
        options: list[Option] = []
        for i, c in enumerate(self._changes):
            if c.turn != turn:
                turn = c.turn
                n = sum(1 for x in self._changes if x.turn == turn)
                heading = f"Turn {turn}" if turn else "Before the first prompt"
                options.append(Option(Text(f"{heading} — {n} file{'s' if n != 1 else ''}", style="bold dim"),
                                      id=f"turn-{turn}-{i}", disabled=True))
            options.append(Option(self._label(c), id=f"change-{i}"))
        self._list.add_options(options)
        if highlighted is not None and highlighted < self._list.option_count:
            self._list.highlighted = highlighted
        if self._selected is not None:
            self._highlight(self._selected)

    def _highlight(self, change: FileChange) -> None:
        index = self._changes.index(change)
        try:
            self._list.highlighted = self._list.get_option_index(f"change-{index}")
        except Exception:
            pass

    def select(self, change: FileChange) -> None:
        self._selected = change
        self._highlight(change)
        self._show(change)

    def _show(self, change: FileChange) -> None:
        self._holder.remove_children()
        view = DiffView(change.path, change.before, change.after, layout=self.layout_mode,  # type: ignore[arg-type]
                        classes="diff-view")
        self._holder.mount(view)

    @on(OptionList.OptionHighlighted)
    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        event.stop()
        oid = event.option.id or ""
        if oid.startswith("change-"):
            change = self._changes[int(oid.split("-", 1)[1])]
            if change is not self._selected:
                self._selected = change
                self._show(change)

    def show_call(self, call_id: str) -> bool:
        for c in reversed(self._changes):
            if c.call_id == call_id:
                self.select(c)
                return True
        return False

    @property
    def view(self) -> DiffView | None:
        views = list(self._holder.query(DiffView))
        return views[0] if views else None

    def action_cycle_layout(self) -> None:
        self.layout_mode = LAYOUTS[(LAYOUTS.index(self.layout_mode) + 1) % len(LAYOUTS)]
        view = self.view
        if view is not None:
            view.layout_mode = self.layout_mode  # type: ignore[assignment]
        self.notify(f"Diff layout: {self.layout_mode}")

    def action_jump_to_call(self) -> None:
        if self._selected is not None and self._selected.call_id:
            self.post_message(self.JumpToCall(self._selected.call_id))

    def focus(self, scroll_visible: bool = True) -> DiffPane:
        self._list.focus(scroll_visible)
        return self
