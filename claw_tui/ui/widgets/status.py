"""The bottom line: permission mode (always shown) and the cost meter."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


def fmt_tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)


MODE_LABEL = {
    "default": ("ask before edits and commands", "dim"),
    "acceptEdits": ("⏵⏵ accept edits on", "bold magenta"),
    "plan": ("⏸ plan mode (read-only)", "bold cyan"),
    "bypassPermissions": ("⚠ bypass permissions: everything runs without asking", "bold white on red"),
    "allowlist": ("allowlist: only what allow rules name runs, the rest is refused", "bold white on dark_blue"),
    "denylist": ("⚠ denylist: everything runs except what deny rules name", "bold black on yellow"),
}


class ModeIndicator(Static):
    def show(self, mode: str) -> None:
        label, style = MODE_LABEL.get(mode, (mode, "bold"))
        self.update(Text.assemble((label, style), ("  (shift+tab to cycle)", "dim")))


class CostMeter(Static):
    """Tokens in / out / cache, $ for the session and the main agent, context use, budget left."""

    def show(
        self,
        *,
        tokens_in: int,
        tokens_out: int,
        cache_read: int,
        cache_write: int,
        session_cost: float,
        agent_costs: dict[str, float],
        context_tokens: int,
        context_window: int | None,
        budget: float | None,
        priced: bool = True,
    ) -> None:
        t = Text()
        t.append(f"↑{fmt_tokens(tokens_in)} ↓{fmt_tokens(tokens_out)}")
        if cache_read or cache_write:
            t.append(f"  cache r{fmt_tokens(cache_read)}/w{fmt_tokens(cache_write)}", style="dim")
        t.append("  ")
        t.append(f"${session_cost:.4f}", style="bold" if priced else "bold yellow")
        if not priced:
            t.append(" (unpriced model)", style="yellow")
        subs = {k: v for k, v in agent_costs.items() if k != "main"}
        if subs:
            t.append(f" (main ${agent_costs.get('main', 0.0):.4f}, {len(subs)} sub-agents ${sum(subs.values()):.4f})",
                     style="dim")
        if context_window:
            pct = 100 * context_tokens / context_window
            style = "red bold" if pct >= 85 else "yellow" if pct >= 60 else ""
            t.append("  ctx ")
            t.append(f"{pct:.0f}%", style=style)
            t.append(f" of {fmt_tokens(context_window)}", style="dim")
        if budget is not None:
            left = budget - session_cost
            t.append("  budget ")
            t.append(f"${max(left, 0):.2f} left", style="red bold" if left <= budget * 0.1 else "green")
        self.update(t)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
