from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claw_tui.bus import EventBus
from claw_tui.config import RunConfig
from claw_tui.engine.session import Session
from claw_tui.events import Event
from claw_tui.providers import make_provider
from claw_tui.testing.server import ScriptedModelServer

PROVIDERS = ("anthropic", "openai")


@pytest.fixture(autouse=True)
def _no_real_endpoints(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never reach the internet, never need a real key, and never read the
    user's own claw settings or credentials (a fresh user config dir per test)."""
    monkeypatch.setenv("CLAW_CONFIG_DIR", str(tmp_path_factory.mktemp("claw-config")))
    # Sessions are stored under the user data dir: a fresh one per test, never the user's.
    monkeypatch.setenv("CLAW_DATA_DIR", str(tmp_path_factory.mktemp("claw-data")))
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY",
                "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as srv:
        yield srv


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "project"
    ws.mkdir()
    return ws.resolve()


async def wait_for(predicate, timeout: float = 10.0) -> None:
    """Let the loop run until ``predicate()`` holds."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


class Recorder:
    """Keeps every event published on a bus (subscribed synchronously)."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        bus.subscribe_sync(self.events.append)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def make_session(
    server: ScriptedModelServer,
    workspace: Path,
    provider: str = "anthropic",
    *,
    model: str | None = None,
    trusted: bool | None = True,
    **config: Any,
) -> Session:
    base = server.base_url if provider == "anthropic" else server.openai_base_url
    cfg = RunConfig(
        cwd=workspace,
        model=model or ("claude-sonnet-5-5" if provider == "anthropic" else "gpt-6.2-sol"),
        provider=provider,
        base_url=base,
        retry_base_delay=config.pop("retry_base_delay", 0.01),
        watch=config.pop("watch", False),
        **config,
    )
    prov = make_provider(provider, base_url=base, api_key="test-key")
    # Tests set their folder up themselves: trusted unless a test says otherwise (trusted=False,
    # or None to let the trust store decide, as claw itself does).
    return Session(cfg, provider=prov, trusted=trusted)


def transcript_is_valid(messages: list[Any]) -> bool:
    """Every tool_use is answered by a tool_result in the next message."""
    from claw_tui.providers.base import ToolResultBlock

    for i, msg in enumerate(messages):
        uses = [b.id for b in msg.tool_uses] if msg.role == "assistant" else []
        if not uses:
            continue
        if i + 1 >= len(messages):
            return False
        answered = {b.tool_use_id for b in messages[i + 1].content if isinstance(b, ToolResultBlock)}
        if not set(uses) <= answered:
            return False
    return True


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def claw_env(server: ScriptedModelServer) -> dict[str, str]:
    """Environment for a `claw` subprocess talking to the scripted server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env.update({"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": server.base_url,
                "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": server.openai_base_url,
                "CLAW_RETRY_BASE_DELAY": "0.01"})
    return env
