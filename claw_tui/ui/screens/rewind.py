"""/rewind (and Esc Esc on an empty prompt): go back to the state before a prompt."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.engine.persistence import FileRestore
from claw_tui.engine.store import Checkpoint
from claw_tui.ui.screens.session_picker import when

ACTIONS = (
    ("both", "Restore code and conversation"),
    ("conversation", "Restore conversation only (files stay as they are)"),
    ("code", "Restore code only (the conversation stays)"),
    ("fork", "Fork: a new session with the conversation up to here (files stay as they are)"),
    ("cancel", "Never mind"),
)


@dataclass
class RewindChoice:
    seq: int
    action: str  # both | conversation | code | fork


class RewindScreen(ModalScreen[RewindChoice | None]):
    BINDINGS = [Binding("escape", "back", "Back", id="rewind.back")]

    def __init__(self, checkpoints: list[Checkpoint], plans: dict[int, list[FileRestore]]) -> None:
        super().__init__()
        self.checkpoints = list(reversed(checkpoints))  # newest first
        self.plans = plans
        self.chosen: Checkpoint | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="rewind") as box:
            box.border_title = "Rewind to before a prompt"
            yield Static(id="rewind-head")
            yield OptionList(id="rewind-list")
            yield Static(id="rewind-plan")
            yield Static(Text("Enter chooses · Esc goes back", style="dim"))

    def on_mount(self) -> None:
        self._show_checkpoints()

    def _show_checkpoints(self) -> None:
        self.chosen = None
        self.query_one("#rewind-head", Static).update(Text(
            "Choose the prompt to go back to: the code and/or conversation return to how they were just before "
            "it was sent.", style="bold"))
        self.query_one("#rewind-plan", Static).update("")
        options = self.query_one("#rewind-list", OptionList)
        options.clear_options()
        if not self.checkpoints:
            options.add_option(Option(Text("No prompts in this session yet.", style="dim"), id="", disabled=True))
            return
        for cp in self.checkpoints:
            files = len(self.plans.get(cp.seq, []))
            first = " ".join(cp.text.split())
            first = first if len(first) <= 90 else first[:89] + "…"
            row = Text.assemble((f"#{cp.seq} ", "dim"), (first, "bold"),
                                (f"\n    {when(cp.ts)} · {files} file(s) changed since", "dim"))
            if cp.at is None:
                row.append(" · conversation compacted: code only", style="yellow")
            options.add_option(Option(row, id=f"cp-{cp.seq}"))
        options.highlighted = 0
        options.focus()

    def _show_actions(self, cp: Checkpoint) -> None:
        self.chosen = cp
        self.query_one("#rewind-head", Static).update(Text.assemble(
            ("Back to before: ", "bold"), " ".join(cp.text.split())[:200]))
        plan = self.plans.get(cp.seq, [])
        lines = Text()
        if plan:
            lines.append(f"Files the code restore changes ({len(plan)}):\n", style="bold")
            for item in plan:
                what = "delete (it did not exist then)" if item.content is None and not item.error else "restore"
                if item.error:
                    lines.append(f"  ✗ {item.path}: cannot restore: {item.error}\n", style="red")
                else:
                    lines.append(f"  • {item.path}: {what}")
                    if item.changed_since:
                        lines.append("  (changed since the agent last wrote it: that change is lost)",
                                     style="yellow")
                    lines.append("\n")
            lines.append("Changes made by shell commands are not tracked and are not undone.", style="dim")
        else:
            lines.append("The agent changed no files since this prompt.", style="dim")
        self.query_one("#rewind-plan", Static).update(lines)
        options = self.query_one("#rewind-list", OptionList)
        options.clear_options()
        for key, label in ACTIONS:
            disabled = cp.at is None and key in ("both", "conversation", "fork")
            options.add_option(Option(label + ("  (the conversation was compacted)" if disabled else ""), id=key,
                                      disabled=disabled))
        options.highlighted = next(i for i, (k, _) in enumerate(ACTIONS)
                                   if not (cp.at is None and k in ("both", "conversation", "fork")))
        options.focus()

    @on(OptionList.OptionSelected, "#rewind-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        if self.chosen is None:
            cp = next((c for c in self.checkpoints if f"cp-{c.seq}" == key), None)
            if cp is not None:
                self._show_actions(cp)
            return
        if key == "cancel":
            self.dismiss(None)
        elif key:
            self.dismiss(RewindChoice(self.chosen.seq, key))

    def action_back(self) -> None:
        if self.chosen is not None:
            self._show_checkpoints()
        else:
            self.dismiss(None)
