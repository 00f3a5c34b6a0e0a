"""The folder trust dialog, shown at start when a folder nobody trusted yet has settings,
hooks or MCP servers of its own (claw_tui/permissions/trust.py says what waits for trust).

Three answers: trust it (remembered in the user config dir), trust it for this session only,
or don't trust it (claw goes on with the folder's deny and ask rules but none of what would
widen permissions or run the folder's programs). Esc is "don't trust".
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.permissions.trust import HeldBack

TrustChoice = Literal["trust", "session", "no"]

CHOICES: tuple[tuple[TrustChoice, str], ...] = (
    ("trust", "Trust this folder (remembered)"),
    ("session", "Trust it for this session only"),
    ("no", "Don't trust it: go on without its settings, hooks and servers"),
)
MAX_ROWS = 12


class TrustScreen(ModalScreen[TrustChoice]):
    BINDINGS = [Binding("escape", "distrust", "Don't trust", id="trust.distrust")]

    def __init__(self, folder: str, items: list[HeldBack]) -> None:
        super().__init__()
        self.folder = folder
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical(id="trust") as box:
            box.border_title = "Do you trust the files in this folder?"
            yield Static(self._summary(), id="trust-summary")
            yield OptionList(*[Option(label, id=choice) for choice, label in CHOICES], id="trust-choices")
            yield Static(Text("Enter chooses · Esc: don't trust", style="dim"))

    def _summary(self) -> Text:
        text = Text.assemble(
            ("claw has not opened ", ""), (self.folder, "bold cyan"), (" before. ", ""),
            ("Its own files would change what claw does, and a repository can be written to trick an agent:\n\n",
             ""))
        for item in self.items[:MAX_ROWS]:
            text.append("  • ", style="dim")
            text.append(f"{item.kind} ", style="bold")
            text.append(item.text)
            text.append(f"  ({item.source})\n", style="dim")
        if len(self.items) > MAX_ROWS:
            text.append(f"  … and {len(self.items) - MAX_ROWS} more (/permissions lists them)\n", style="dim")
        text.append("\nUntil you trust it, its deny and ask rules apply and everything above waits: no hook or "
                    "server of the folder runs, and no key goes to a base URL it names.", style="yellow")
        return text

    def on_mount(self) -> None:
        options = self.query_one("#trust-choices", OptionList)
        options.highlighted = 2  # the safe answer is the default
        options.focus()

    @on(OptionList.OptionSelected, "#trust-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)  # type: ignore[arg-type]

    def action_distrust(self) -> None:
        self.dismiss("no")
