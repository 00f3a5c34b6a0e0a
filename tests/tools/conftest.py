"""Fixtures for the core tool tests: a ToolContext over a fresh workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from claw_tui.bus import EventBus
from claw_tui.tools.base import ShellState, ToolContext
from claw_tui.tools.filestate import FileStateRegistry


def make_ctx(workspace: Path) -> ToolContext:
    """A ToolContext for ``workspace``. Needs a running event loop (the bus does)."""
    return ToolContext(
        workspace=workspace,
        bus=EventBus(),
        files=FileStateRegistry(),
        shell=ShellState(str(workspace)),
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return tmp_path.resolve()


@pytest.fixture
async def ctx(ws: Path) -> AsyncIterator[ToolContext]:
    context = make_ctx(ws)
    try:
        yield context
    finally:
        context.bus.close()
