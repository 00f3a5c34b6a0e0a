"""Memory files: /memory edit (an editor over the workspace) and a consolidation proposal (a diff)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from claw_tui.ui.widgets.diff_view import DiffView


class MemoryEditor(ModalScreen[bool]):
    """Edit one memory file in place. Ctrl+S saves, Esc closes without saving."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="memory_editor.save"),
        Binding("escape", "cancel", "Close", id="memory_editor.close"),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        try:
            self.original = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.original = ""
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="memory-editor") as box:
            box.border_title = f"{self.path}  (ctrl+s saves · esc closes)"
            note = "New file." if not self.path.exists() else ""
            yield Static(Text(note, style="dim"), id="memory-editor-note")
            yield TextArea(self.original, language="markdown", id="memory-text", soft_wrap=True)

    def on_mount(self) -> None:
        self.query_one("#memory-text", TextArea).focus()

    def action_save(self) -> None:
        from claw_tui.tools._text import atomic_write

        text = self.query_one("#memory-text", TextArea).text
        try:
            atomic_write(self.path, text.encode("utf-8"))
        except OSError as exc:
            self.query_one("#memory-editor-note", Static).update(Text(f"Could not save: {exc}", style="red"))
            return
        self.dismiss(text != self.original)

    def action_cancel(self) -> None:
        self.dismiss(False)


class MemoryProposalScreen(ModalScreen[bool]):
    """Memory consolidation's proposed change to a memory file: a accepts, r rejects."""

    BINDINGS = [
        Binding("a", "accept", "Accept", id="memory_proposal.accept"),
        Binding("r,escape", "reject", "Reject", id="memory_proposal.reject"),
    ]

    def __init__(self, path: str, before: str | None, after: str, summary: str) -> None:
        super().__init__()
        self.path, self.before, self.after, self.summary = path, before, after, summary

    def compose(self) -> ComposeResult:
        with Vertical(id="memory-proposal") as box:
            box.border_title = "Memory consolidation suggests a change"
            yield Static(Text.assemble(
                ("What this session taught, folded into ", "bold"), (self.path, "bold cyan"), "\n",
                (self.summary or "(no list of changes given)", ""),
            ), id="memory-proposal-summary")
            yield DiffView(self.path, self.before, self.after, id="memory-proposal-diff")
            with Horizontal(id="memory-proposal-buttons"):
                yield Button("Accept (a)", id="memory-accept", variant="success")
                yield Button("Reject (r)", id="memory-reject", variant="error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "memory-accept")

    def action_accept(self) -> None:
        self.dismiss(True)

    def action_reject(self) -> None:
        self.dismiss(False)
