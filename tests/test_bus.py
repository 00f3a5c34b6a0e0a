"""The bus delivers in order, never waits on a slow subscriber, coalesces a backlog
of deltas, survives a broken subscriber, and carries approvals as futures."""

from __future__ import annotations

import asyncio
import time

import pytest

from claw_tui.bus import EventBus
from claw_tui.events import ApprovalDecision, ApprovalRequested, Notice, TextDelta, ToolOutputDelta


async def test_delivers_in_publish_order():
    bus = EventBus()
    got: list[str] = []
    bus.subscribe(lambda e: got.append(e.text))
    for i in range(100):
        bus.publish(Notice(level="info", text=str(i)))
    await bus.drain()
    assert got == [str(i) for i in range(100)]


async def test_publish_never_waits_for_a_slow_subscriber():
    bus = EventBus()
    done = asyncio.Event()

    async def slow(event):
        await asyncio.sleep(0.05)
        done.set()

    bus.subscribe(slow)
    started = time.perf_counter()
    for _ in range(1000):
        bus.publish(Notice(level="info", text="x"))
    assert time.perf_counter() - started < 0.5  # 1000 × 50 ms if it waited
    bus.close()


async def test_coalescing_merges_a_backlog_of_deltas_per_agent():
    bus = EventBus()
    got: list = []
    gate = asyncio.Event()

    async def blocked(event):
        await gate.wait()
        got.append(event)

    bus.subscribe(blocked, coalesce=True)
    bus.publish(Notice(level="info", text="first"))
    await asyncio.sleep(0)  # the subscriber takes the first event and blocks on it
    for ch in "abc":
        bus.publish(TextDelta(agent_id="main", text=ch))
    bus.publish(TextDelta(agent_id="sub-1", text="z"))
    bus.publish(TextDelta(agent_id="main", text="d"))
    bus.publish(ToolOutputDelta(call_id="c1", text="o1"))
    bus.publish(ToolOutputDelta(call_id="c2", text="o2"))
    gate.set()
    await bus.drain()
    texts = [(type(e).__name__, e.agent_id, e.text) for e in got[1:]]
    assert texts == [
        ("TextDelta", "main", "abc"),
        ("TextDelta", "sub-1", "z"),
        ("TextDelta", "main", "d"),
        ("ToolOutputDelta", "main", "o1"),
        ("ToolOutputDelta", "main", "o2"),
    ]


async def test_a_broken_subscriber_does_not_stop_others():
    bus = EventBus()
    good: list = []

    def broken(event):
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(good.append)
    bus.publish(Notice(level="info", text="a"))
    bus.publish(Notice(level="info", text="b"))
    await bus.drain()
    assert [e.text for e in good] == ["a", "b"]


async def test_approval_is_a_future_resolved_by_the_approver():
    bus = EventBus()

    def answer(event):
        if isinstance(event, ApprovalRequested):
            event.future.set_result(ApprovalDecision(allow=True, scope="session", decided_by="ui"))

    bus.subscribe(answer, approver=True)
    decision = await bus.request_approval(agent_id="sub-1", agent_name="explorer", call_id="c", tool="Bash",
                                          tool_input={"command": "ls"}, description="$ ls")
    assert decision.allow and decision.scope == "session" and decision.decided_by == "ui"


async def test_without_an_approver_the_answer_is_no():
    bus = EventBus()
    decision = await bus.request_approval(agent_id="main", agent_name="main", call_id="c", tool="Bash",
                                          tool_input={}, description="")
    assert not decision.allow and decision.decided_by == "nobody"


async def test_stream_iterates_events():
    bus = EventBus()
    got: list = []

    async def consume():
        async for e in bus.stream(lambda e: isinstance(e, Notice)):
            got.append(e.text)
            if len(got) == 2:
                return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    bus.publish(Notice(level="info", text="1"))
    bus.publish(TextDelta(text="ignored"))
    bus.publish(Notice(level="info", text="2"))
    await asyncio.wait_for(task, 2)
    assert got == ["1", "2"]


def test_events_are_frozen():
    e = TextDelta(text="x")
    with pytest.raises(AttributeError):
        e.text = "y"  # type: ignore[misc]
