"""Streamed text reaches the bus at frame rate, complete and in order."""

from __future__ import annotations

import asyncio

from claw_tui.engine.throttle import DeltaThrottle
from claw_tui.events import TextDelta, ThinkingDelta


async def test_first_delta_is_immediate_and_the_rest_are_gathered():
    out = []
    t = DeltaThrottle(out.append, "main", interval=0.05)
    t.add(TextDelta, "a")
    assert [e.text for e in out] == ["a"]  # no latency on the first token
    for ch in "bcdef":
        t.add(TextDelta, ch)
    assert len(out) == 1  # gathered, not one event per token
    await asyncio.sleep(0.08)  # the stream stalls: the timer still delivers
    assert [e.text for e in out] == ["a", "bcdef"]
    t.close()


async def test_switching_kind_flushes_in_order_and_close_delivers_the_rest():
    out = []
    t = DeltaThrottle(out.append, "sub-1", interval=10)
    t.add(ThinkingDelta, "hm")
    t.add(ThinkingDelta, "m")
    t.add(TextDelta, "Hel")
    t.add(TextDelta, "lo")
    t.close()
    assert [(type(e).__name__, e.text, e.agent_id) for e in out] == [
        ("ThinkingDelta", "hm", "sub-1"),
        ("ThinkingDelta", "m", "sub-1"),
        ("TextDelta", "Hello", "sub-1"),
    ]
    await asyncio.sleep(0)
