"""The background shells list: one row per ``Bash(run_in_background)`` command, from bus events.

Shows each shell's id, its command (cut to fit the width), its state and how long it
has run. Built only from BackgroundShellStarted / BackgroundShellFinished.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from claw_tui.ui.lazy import ev

STATE_STYLE = {"running": "cyan", "completed": "green", "failed": "bold red", "killed": "magenta"}


@dataclass
class ShellRow:
    shell_id: str
    command: str
    agent_id: str
    started: float
    state: str = "running"
    exit_code: int | None = None
    ended: float | None = None

    def elapsed(self, now: float | None = None) -> float:
        end = self.ended if self.ended is not None else (now if now is not None else time.time())
        return max(0.0, end - self.started)

    @property
    def state_text(self) -> str:
        if self.state in ("completed", "failed") and self.exit_code is not None:
            return f"{self.state} ({self.exit_code})"
        return self.state


def fmt_elapsed(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class BackgroundShells(Widget):
    """Lists the session's background shells; feed it bus events through :meth:`handle`."""

    DEFAULT_CSS = """
    BackgroundShells { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: dict[str, ShellRow] = {}

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self._tick, pause=not self.running)

    # -- updates from the bus ---------------------------------------------------

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.BackgroundShellStarted):
            self.shell_started(event)
        elif isinstance(event, ev.BackgroundShellFinished):
            self.shell_finished(event)

    def shell_started(self, event: ev.BackgroundShellStarted) -> None:
        self.rows[event.shell_id] = ShellRow(event.shell_id, event.command, event.agent_id, started=event.ts)
        self._changed()

    def shell_finished(self, event: ev.BackgroundShellFinished) -> None:
        row = self.rows.get(event.shell_id)
        if row is None:  # started before this widget was listening: still worth showing
            row = self.rows[event.shell_id] = ShellRow(event.shell_id, "", event.agent_id, started=event.ts)
        row.state, row.exit_code, row.ended = event.status, event.exit_code, event.ts
        self._changed()

    @property
    def running(self) -> int:
        return sum(1 for r in self.rows.values() if r.ended is None)

    def _changed(self) -> None:
        # Elapsed times only move while something runs: tick then, sleep otherwise.
        if self.is_mounted:
            if self.running:
                self._ticker.resume()
            else:
                self._ticker.pause()
        self.refresh(layout=True)

    def _tick(self) -> None:
        self.refresh()

    # -- drawing ------------------------------------------------------------------

    def render(self) -> Any:
        if not self.rows:
            return Text("No background shells.", style="dim")
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column("id", no_wrap=True)
        # The command takes what the other columns leave, cut with an ellipsis.
        table.add_column("command", ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column("state", no_wrap=True)
        table.add_column("elapsed", no_wrap=True, justify="right")
        now = time.time()
        for row in self.rows.values():
            command = " ".join(row.command.split())  # one line, whatever the model wrote
            table.add_row(
                Text(row.shell_id, style="bold"),
                Text(command, style="" if row.ended is None else "dim"),
                Text(row.state_text, style=STATE_STYLE.get(row.state, "")),
                fmt_elapsed(row.elapsed(now)),
            )
        return table
