"""Sleep: waits, refuses waits over the cap, and stops at once when the turn is interrupted."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from claw_tui.events import ApprovalRequested, ToolCallFinished, ToolCallStarted
from claw_tui.testing import scenario as sc
from claw_tui.tools.base import ToolContext
from claw_tui.tools.sleep import MAX_SLEEP_S, SleepTool
from tests.conftest import Recorder, make_session, transcript_is_valid

from ._helpers import call

sleep = SleepTool()


async def test_sleeps_for_the_duration(ctx: ToolContext) -> None:
    started = time.monotonic()
    res = await call(sleep, ctx, duration=0.2, reason="waiting for the server")
    took = time.monotonic() - started
    assert not res.is_error, res.content
    assert 0.19 <= took < 1.0
    assert res.content.startswith("Slept for 0.2")
    assert sleep.summary(sleep.parse({"duration": 0.2, "reason": "waiting for the server"})) == \
        "0.2 s: waiting for the server"


async def test_over_the_cap_is_a_clear_error_without_waiting(ctx: ToolContext) -> None:
    started = time.monotonic()
    res = await call(sleep, ctx, duration=MAX_SLEEP_S + 1)
    assert time.monotonic() - started < 0.5
    assert res.is_error
    assert f"limit of {MAX_SLEEP_S} s" in res.content and "call Sleep again" in res.content


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "soon"])
async def test_nonsense_durations_are_refused_by_the_schema(bad) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        sleep.parse({"duration": bad})


async def test_cancelling_the_call_ends_it_at_once(ctx: ToolContext) -> None:
    task = asyncio.create_task(call(sleep, ctx, duration=60))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.2


async def test_interrupting_the_turn_stops_the_sleep(server, workspace: Path) -> None:
    server.add(sc.tool("Sleep", "Waiting for the build.", duration=60, reason="build"), sc.text("awake"))
    session = make_session(server, workspace, "anthropic")  # default mode: Sleep needs no approval
    rec = Recorder(session.bus)
    task = asyncio.create_task(session.run("wait for the build"))
    deadline = time.monotonic() + 10
    while not rec.of(ToolCallStarted):
        assert time.monotonic() < deadline, "Sleep never started"
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    started = time.monotonic()
    assert session.interrupt()
    result = await task
    took = time.monotonic() - started
    await session.close()
    assert result.outcome == "interrupted"
    assert took < 1.0
    assert rec.of(ApprovalRequested) == []
    assert transcript_is_valid(session.agent.messages)
    # The sleep never finished: the model is told it was interrupted, not that it slept.
    assert not any(e.tool == "Sleep" and "Slept" in e.content for e in rec.of(ToolCallFinished))
