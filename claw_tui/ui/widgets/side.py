"""The side pane's tabs: diffs, swarm, background shells.

Mounted just after the first frame, into the place that frame kept for them (ClawApp._mount_side):
this module and the Textual widgets it needs (tabs, DataTable) load then, not before the prompt.
"""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane

from claw_tui.ui.widgets.diff_pane import DiffPane
from claw_tui.ui.widgets.shells import BackgroundShells
from claw_tui.ui.widgets.swarm import SwarmPane

TAB_ORDER = ("diffs-tab", "swarm-tab", "shells-tab")


class SideTabs(TabbedContent):
    def __init__(self) -> None:
        super().__init__(id="side-tabs", initial="diffs-tab")
        self.compose_add_child(TabPane("Diffs", DiffPane(id="diffs"), id="diffs-tab"))
        self.compose_add_child(TabPane("Swarm", SwarmPane(id="swarm"), id="swarm-tab"))
        self.compose_add_child(TabPane("Shells", BackgroundShells(id="shells"), id="shells-tab"))

    def next_tab(self) -> None:
        self.active = TAB_ORDER[(TAB_ORDER.index(self.active) + 1) % len(TAB_ORDER)] \
            if self.active in TAB_ORDER else TAB_ORDER[0]

    def show_shell_count(self, running: int) -> None:
        self.get_tab("shells-tab").label = f"Shells ({running})" if running else "Shells"
