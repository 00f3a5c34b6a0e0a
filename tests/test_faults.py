"""Each injected fault either recovers or ends in a clear error; no tool call is ever
executed twice or from a cut stream."""

from __future__ import annotations

import time

import pytest

from claw_tui.events import RetryScheduled, StreamDiscarded, ToolCallStarted
from claw_tui.testing import scenario as sc
from tests.conftest import PROVIDERS, Recorder, make_session, transcript_is_valid


def appending_tool(ws, text="x"):
    """A Bash call whose every execution leaves a visible trace."""
    return sc.tool("Bash", command=f"echo {text} >> {ws / 'runs.log'}")


def runs(ws) -> int:
    log = ws / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "fault",
    [
        {"type": "status", "status": 429, "retry_after_ms": 50},
        {"type": "status", "status": 529},
        {"type": "status", "status": 500},
        {"type": "status", "status": 503},
        {"type": "cut"},
        {"type": "disconnect"},
    ],
    ids=["429", "529", "500", "503", "cut", "disconnect"],
)
async def test_fault_recovers_and_tool_runs_exactly_once(server, workspace, provider, fault):
    server.add({**appending_tool(workspace), "faults": [fault, fault]}, sc.text("done"))
    session = make_session(server, workspace, provider, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "success", result.error
    assert runs(workspace) == 1
    assert len(rec.of(RetryScheduled)) == 2
    assert len(rec.of(ToolCallStarted)) == 1
    assert [s.fault for s in server.served[:3]] == [fault["type"], fault["type"], None]
    assert transcript_is_valid(session.agent.messages)


async def test_anthropic_mid_stream_error_event_is_retried(server, workspace):
    server.add({**appending_tool(workspace), "faults": [{"type": "error_event"}]}, sc.text("done"))
    session = make_session(server, workspace, "anthropic", permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "success"
    assert runs(workspace) == 1
    assert "529" in rec.of(RetryScheduled)[0].reason  # overloaded, mapped from the error event


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_cut_stream_never_executes_its_tool_calls(server, workspace, provider):
    """A stream that ends before its stop event is a failure even though its tool
    calls look complete; if it is never served whole, nothing runs."""
    server.add({**appending_tool(workspace), "faults": [{"type": "cut"}] * 10})
    session = make_session(server, workspace, provider, permission_mode="bypassPermissions", max_retries=2)
    rec = Recorder(session.bus)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "error"
    assert "ended" in (result.error or "")
    assert runs(workspace) == 0
    assert not rec.of(ToolCallStarted)
    assert len(server.received) == 3  # the first try and two retries


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_partial_text_of_a_failed_stream_is_discarded(server, workspace, provider):
    server.add({**sc.text("a long answer that gets cut"), "faults": [{"type": "disconnect"}]})
    session = make_session(server, workspace, provider)
    rec = Recorder(session.bus)
    result = await session.run("go")
    await session.close()
    assert result.result == "a long answer that gets cut"
    assert len(rec.of(StreamDiscarded)) == 1
    # The transcript holds the answer once, from the good attempt.
    assistant = [m for m in session.agent.messages if m.role == "assistant"]
    assert [m.text for m in assistant] == ["a long answer that gets cut"]


async def test_retry_after_header_is_honoured(server, workspace):
    server.add({**sc.text("ok"), "faults": [{"type": "status", "status": 429, "retry_after": 1}]})
    session = make_session(server, workspace, "anthropic", retry_base_delay=0.0)
    rec = Recorder(session.bus)
    started = time.monotonic()
    result = await session.run("go")
    elapsed = time.monotonic() - started
    await session.close()
    assert result.outcome == "success"
    assert rec.of(RetryScheduled)[0].delay == pytest.approx(1.0)
    assert elapsed >= 1.0


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_non_retryable_error_ends_with_a_clear_message(server, workspace, provider):
    server.add({**sc.text("never"), "faults": [{"type": "status", "status": 400, "message": "prompt is too long"}]})
    session = make_session(server, workspace, provider)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "error"
    assert "400" in result.error and "prompt is too long" in result.error
    assert len(server.received) == 1


async def test_retries_give_up_after_the_limit(server, workspace):
    server.add({**sc.text("never"), "faults": [{"type": "status", "status": 529}] * 10})
    session = make_session(server, workspace, "anthropic", max_retries=3)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "error" and "529" in result.error
    assert len(server.received) == 4


async def test_connection_refused_is_retried_then_reported(workspace):
    from claw_tui.config import RunConfig
    from claw_tui.engine.session import Session
    from claw_tui.providers import make_provider
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}"
    cfg = RunConfig(cwd=workspace, provider="anthropic", base_url=url, max_retries=2, retry_base_delay=0.01,
                    watch=False)
    session = Session(cfg, provider=make_provider("anthropic", base_url=url, api_key="k"))
    result = await session.run("hello?")
    await session.close()
    assert result.outcome == "error"
    assert "Could not reach" in result.error


async def test_missing_key_is_a_clear_error(workspace):
    from claw_tui.config import RunConfig
    from claw_tui.engine.session import Session

    session = Session(RunConfig(cwd=workspace, provider="anthropic", watch=False))
    result = await session.run("hi")
    await session.close()
    assert result.outcome == "error" and "ANTHROPIC_API_KEY" in result.error


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_slow_token_rate_still_completes(server, workspace, provider):
    server.add({**sc.text("slow " * 20, chunk_chars=5), "delay": 0.01})
    session = make_session(server, workspace, provider)
    result = await session.run("go")
    await session.close()
    assert result.result == "slow " * 20
