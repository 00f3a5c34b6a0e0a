"""Small helpers shared by the tool tests."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from claw_tui.tools.base import Tool, ToolContext, ToolResult


async def call(tool: Tool, ctx: ToolContext, **raw: Any) -> ToolResult:
    """Run ``tool`` the way the engine does: parse the model's raw input, then run."""
    return await tool.run(tool.parse(raw), ctx)


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process. A zombie (already dead, only waiting for
    whoever adopted it to reap it) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


async def wait_dead(pid: int, timeout: float = 2.0) -> bool:
    """Poll until ``pid`` is gone; True if it died within ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if not pid_alive(pid):
            return True
        await asyncio.sleep(0.05)
    return not pid_alive(pid)


async def read_pid(path: os.PathLike[str] | str, timeout: float = 3.0) -> int:
    """Wait for a command to write its child's pid into ``path``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            text = open(path).read().strip()
        except OSError:
            text = ""
        if text:
            return int(text)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no pid written to {path}")


def kill_quietly(pid: int, expect: str = "sleep") -> None:
    """Clean up a process this test started, if it outlived the test (checking it is
    still that process, not an unrelated one that reused the pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            if expect.encode() not in fh.read():
                return
        os.kill(pid, 9)
    except (OSError, ProcessLookupError):
        pass
