"""/resume (and ``claw --resume`` without an id): pick a stored session of this project."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.engine.store import SessionInfo


def when(ts: float, now: float | None = None) -> str:
    moment = dt.datetime.fromtimestamp(ts)
    today = dt.datetime.fromtimestamp(now) if now else dt.datetime.now()
    if moment.date() == today.date():
        return moment.strftime("today %H:%M")
    if (today.date() - moment.date()).days == 1:
        return moment.strftime("yesterday %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def session_row(info: SessionInfo, current: bool = False) -> Text:
    first = " ".join(info.first_prompt.split())
    first = first if len(first) <= 100 else first[:99] + "…"
    head = Text.assemble(("● " if current else "  ", "green"), (info.title or "(no prompt)", "bold"))
    meta = Text(f"\n    {when(info.updated)} · {info.messages} messages · ${info.cost_usd:.4f} · {info.id[:8]}",
                style="dim")
    body = Text(f"\n    {first}", style="italic") if first and first != info.title else Text()
    return Text.assemble(head, meta, body)


class SessionPicker(ModalScreen[str | None]):
    """Sessions of this directory, newest first; type to search titles and first prompts."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="session_picker.close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, sessions: list[SessionInfo], current_id: str | None = None) -> None:
        super().__init__()
        self.sessions = sessions
        self.current_id = current_id
        self.shown: list[SessionInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="session-picker") as box:
            box.border_title = "Resume a session"
            yield Input(placeholder="Search titles and first prompts…", id="session-search")
            yield OptionList(id="session-list")
            yield Static(Text("Enter resumes · ↑/↓ choose · Esc closes", style="dim"), id="session-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#session-search", Input).focus()

    def _fill(self, query: str) -> None:
        options = self.query_one("#session-list", OptionList)
        options.clear_options()
        self.shown = [s for s in self.sessions if s.matches(query)]
        if not self.shown:
            what = "No stored sessions in this directory yet." if not self.sessions else f"Nothing matches {query!r}."
            options.add_option(Option(Text(what, style="dim"), id="", disabled=True))
            return
        options.add_options([Option(session_row(s, s.id == self.current_id), id=s.id) for s in self.shown])
        options.highlighted = 0

    @on(Input.Changed, "#session-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#session-search")
    def _submit(self) -> None:
        options = self.query_one("#session-list", OptionList)
        if self.shown and options.highlighted is not None:
            self.dismiss(self.shown[options.highlighted].id)

    @on(OptionList.OptionSelected, "#session-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one("#session-list", OptionList)
        if options.option_count and options.highlighted is not None:
            options.highlighted = max(0, min(options.option_count - 1, options.highlighted + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
