"""Sleep: wait a while without holding a shell process."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

# One call waits at most this long; the model can call again to wait longer, and the
# person sees each wait as a separate step.
MAX_SLEEP_S = 300


class SleepInput(ToolInput):
    duration: float = Field(
        gt=0, allow_inf_nan=False, description=f"How long to wait, in seconds (at most {MAX_SLEEP_S})"
    )
    reason: str | None = Field(default=None, description="What you are waiting for, shown to the user")


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value < 10 else f"{value:.0f} s"


class SleepTool(Tool):
    name = "Sleep"
    # Waiting touches nothing: it needs no approval and may run beside other read-only calls.
    category = "other"
    read_only = True
    Input = SleepInput
    description = (
        "Waits for the given number of seconds, then returns. The user can interrupt the wait at any time.\n"
        f"- duration is in seconds, at most {MAX_SLEEP_S}; to wait longer, call again.\n"
        "- Use it when you are waiting for something (a background command, a server starting, a file "
        "to appear) and have nothing else to do. Prefer it to `Bash(sleep ...)`: it holds no shell.\n"
        "- Give a short reason so the user knows what you are waiting for."
    )

    def summary(self, params: Any) -> str:
        text = _seconds(params.duration)
        return f"{text}: {params.reason}" if params.reason else text

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        return []

    async def run(self, params: SleepInput, ctx: ToolContext) -> ToolResult:
        if params.duration > MAX_SLEEP_S:
            return ToolResult(
                f"duration {params.duration:g} s is over the limit of {MAX_SLEEP_S} s for one Sleep. "
                f"Sleep at most {MAX_SLEEP_S} s, then call Sleep again if you still need to wait.",
                is_error=True,
                summary="too long",
            )
        started = time.monotonic()
        # Interrupting the turn cancels this task: the wait ends at once (CancelledError propagates).
        await asyncio.sleep(params.duration)
        slept = time.monotonic() - started
        return ToolResult(f"Slept for {_seconds(slept)}.", summary=f"slept {_seconds(slept)}")
