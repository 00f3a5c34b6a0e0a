"""Usage and cost, per model and per agent, from the catalogue's prices."""

from __future__ import annotations

from dataclasses import dataclass, field

from claw_tui.bus import EventBus
from claw_tui.events import Notice, UsageUpdated
from claw_tui.providers import catalogue
from claw_tui.providers.base import Usage


@dataclass
class Totals:
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    requests: int = 0


class CostLedger:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.by_model: dict[str, Totals] = {}
        self.by_agent: dict[str, Totals] = {}
        self._warned: set[str] = set()

    @property
    def total_cost(self) -> float:
        return sum(t.cost_usd for t in self.by_model.values())

    @property
    def total_usage(self) -> Usage:
        total = Usage()
        for t in self.by_model.values():
            total = total + t.usage
        return total

    def record(self, agent_id: str, model: str, usage: Usage) -> float:
        """Add one response's usage; publish the new totals. Returns this response's cost."""
        info = catalogue.lookup(model)
        if info is None:
            cost = 0.0
            if model not in self._warned:
                self._warned.add(model)
                self.bus.publish(
                    Notice(
                        agent_id=agent_id,
                        level="warning",
                        text=f"Model {model!r} is not in the price catalogue: its cost is counted as $0.",
                    )
                )
        else:
            cost = info.cost(usage)
        for table, key in ((self.by_model, model), (self.by_agent, agent_id)):
            t = table.setdefault(key, Totals())
            t.usage = t.usage + usage
            t.cost_usd += cost
            t.requests += 1
        self.bus.publish(
            UsageUpdated(
                agent_id=agent_id,
                model=model,
                usage=usage,
                cost_usd=cost,
                agent_cost_usd=self.by_agent[agent_id].cost_usd,
                session_cost_usd=self.total_cost,
                context_tokens=usage.context_tokens,
                context_window=info.context_window if info else None,
            )
        )
        return cost
