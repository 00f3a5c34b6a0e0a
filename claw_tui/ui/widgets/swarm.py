"""The swarm pane: one live row per sub-agent, built only from bus events.

Enter opens an agent's own conversation in a pane; ``x`` cancels it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from claw_tui.ui.lazy import ev
from claw_tui.ui.widgets.status import fmt_tokens

STATE_STYLE = {
    "starting": "dim",
    "running": "cyan",
    "tool": "blue",
    "waiting_approval": "bold yellow",
    "done": "green",
    "failed": "bold red",
    "cancelled": "magenta",
}
FINAL = {"done", "failed", "cancelled"}


@dataclass
class AgentRow:
    agent_id: str
    name: str
    task: str
    model: str
    parent_id: str | None
    state: str = "starting"
    detail: str = ""
    tool: str = ""
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started


class SwarmPane(Vertical):
    BINDINGS = [
        Binding("enter", "open_agent", "Open agent", id="swarm.open"),
        Binding("x", "cancel_agent", "Cancel agent", id="swarm.cancel"),
    ]

    class OpenAgent(Message):
        def __init__(self, agent_id: str, name: str) -> None:
            super().__init__()
            self.agent_id = agent_id
            self.name = name

    class CancelAgent(Message):
        def __init__(self, agent_id: str) -> None:
            super().__init__()
            self.agent_id = agent_id

    # Two lines per agent so every field fits a side pane of ~50 columns:
    # agent over its task · state over its current tool · elapsed · tokens over cost.
    COLUMNS = ("agent", "state", "elapsed", "usage")
    HEADERS = {"agent": "agent · task", "state": "state · tool", "elapsed": "time", "usage": "tokens · $"}
    FIXED = {"state": 16, "elapsed": 5, "usage": 11}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: dict[str, AgentRow] = {}
        self.table: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=True, id="swarm-table")
        self._empty = Static(Text("No sub-agents yet. When the agent spawns helpers they appear here, live; "
                                  "Enter opens one, x cancels it.", style="dim"), classes="swarm-empty")
        self._agent_w = 30

    def compose(self) -> ComposeResult:
        yield self._empty
        yield self.table

    def on_mount(self) -> None:
        self._build_columns()
        self.table.display = False
        self.set_interval(1.0, self._tick)

    def on_resize(self) -> None:
        room = self.size.width - sum(self.FIXED.values()) - 2 * len(self.COLUMNS) - 2
        width = max(12, min(60, room))
        if width != self._agent_w or not self.table.columns:
            self._agent_w = width
            self._build_columns()

    def _build_columns(self) -> None:
        """Columns of fixed widths (a DataTable's auto widths only ever grow, so a row would
        push the others out of a narrow pane)."""
        cursor = self.table.cursor_row
        self.table.clear(columns=True)
        for col in self.COLUMNS:
            self.table.add_column(self.HEADERS[col], key=col, width=self.FIXED.get(col, self._agent_w))
        for row in self.rows.values():
            self.table.add_row(*self._cells(row), key=row.agent_id, height=2)
        if self.rows and cursor >= 0:
            self.table.move_cursor(row=min(cursor, len(self.rows) - 1))

    def handle(self, event: ev.Event) -> None:
        kind = type(event)
        if kind is ev.AgentSpawned:
            e: ev.AgentSpawned = event  # type: ignore[assignment]
            self.rows[e.agent_id] = AgentRow(e.agent_id, e.name, e.task, e.model, e.parent_id, state="running")
            self.table.add_row(*self._cells(self.rows[e.agent_id]), key=e.agent_id, height=2)
            self.table.display = True
            self._empty.display = False
            return
        row = self.rows.get(event.agent_id)
        if row is None:
            return
        if kind is ev.AgentStateChanged:
            row.state, row.detail = event.state, event.detail  # type: ignore[attr-defined]
            if row.state in FINAL:
                row.ended = row.ended or time.monotonic()
                row.tool = ""
        elif kind is ev.ToolCallStarted:
            row.tool = f"{event.tool} {event.summary}".strip()  # type: ignore[attr-defined]
            if row.state not in FINAL:
                row.state = "tool"
        elif kind is ev.ToolCallFinished:
            row.tool = ""
            if row.state == "tool":
                row.state = "running"
        elif kind is ev.UsageUpdated:
            e2: ev.UsageUpdated = event  # type: ignore[assignment]
            u = e2.usage
            row.tokens_in += u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
            row.tokens_out += u.output_tokens
            row.cost_usd = e2.agent_cost_usd
        elif kind is ev.TurnFinished and row.state not in FINAL:
            row.state = "done" if event.outcome == "success" else "failed"  # type: ignore[attr-defined]
            row.ended = time.monotonic()
        else:
            return
        self._update(row)

    def _cells(self, row: AgentRow) -> tuple[Any, ...]:
        def cut(text: str, width: int) -> str:
            return text if len(text) <= width else text[: max(1, width - 1)] + "…"

        state = row.state.replace("_", " ")
        tool_w = self.FIXED["state"]
        return (
            Text.assemble((cut(row.name, self._agent_w), "bold"), "\n", (cut(row.task, self._agent_w), "dim")),
            Text.assemble((state, STATE_STYLE.get(row.state, "")), "\n",
                          (cut(row.tool or row.detail or "", tool_w), "cyan")),
            f"{row.elapsed:.0f}s",
            Text.assemble(f"{fmt_tokens(row.tokens_in)}/{fmt_tokens(row.tokens_out)}", "\n",
                          (f"${row.cost_usd:.4f}", "bold")),
        )

    def _update(self, row: AgentRow) -> None:
        for col, value in zip(self.COLUMNS, self._cells(row), strict=True):
            self.table.update_cell(row.agent_id, col, value)

    def _tick(self) -> None:
        for row in self.rows.values():
            if row.state not in FINAL:
                self.table.update_cell(row.agent_id, "elapsed", f"{row.elapsed:.0f}s")

    def _selected(self) -> AgentRow | None:
        if not self.rows or self.table.cursor_row < 0:
            return None
        key = self.table.coordinate_to_cell_key((self.table.cursor_row, 0)).row_key.value
        return self.rows.get(key or "")

    def action_open_agent(self) -> None:
        row = self._selected()
        if row is not None:
            self.post_message(self.OpenAgent(row.agent_id, row.name))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.rows.get(event.row_key.value or "")
        if row is not None:
            self.post_message(self.OpenAgent(row.agent_id, row.name))

    def action_cancel_agent(self) -> None:
        row = self._selected()
        if row is not None and row.state not in FINAL:
            self.post_message(self.CancelAgent(row.agent_id))

    @property
    def active(self) -> int:
        return sum(1 for r in self.rows.values() if r.state not in FINAL)
