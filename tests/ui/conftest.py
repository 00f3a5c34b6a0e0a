from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claw_tui.config import RunConfig
from claw_tui.providers import make_provider
from claw_tui.testing.server import ScriptedModelServer


def make_app(server: ScriptedModelServer, workspace: Path, *, first_prompt: str | None = None, **config: Any):
    from claw_tui.ui.app import ClawApp

    # Trusted unless a test says otherwise (the trust dialog has its own tests).
    trusted = config.pop("trusted", True)
    cfg = RunConfig(
        cwd=workspace,
        model=config.pop("model", "claude-sonnet-5-5"),
        provider="anthropic",
        base_url=server.base_url,
        retry_base_delay=0.01,
        watch=config.pop("watch", False),
        **config,
    )
    return ClawApp(cfg, first_prompt=first_prompt, trusted=trusted,
                   provider=make_provider("anthropic", base_url=server.base_url, api_key="test-key"))


async def wait_for(pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Let the app run until ``condition()`` holds."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
    await asyncio.sleep(0)


async def approval_shown(pilot, app, what: str = "approval") -> None:
    """Until an approval is on screen as a person sees it: shown, and holding the keys."""
    await wait_for(pilot, lambda: app.approval.current is not None and app.focused is app.approval, what=what)


@pytest.fixture
def app_factory(server: ScriptedModelServer, workspace: Path):
    def factory(**kwargs: Any):
        return make_app(server, workspace, **kwargs)

    return factory
