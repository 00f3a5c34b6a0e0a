"""Whole turns through the real anthropic and openai SDKs against the scripted server."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from claw_tui.events import (
    AssistantMessageCompleted,
    FileChanged,
    Notice,
    TextDelta,
    ThinkingDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    UsageUpdated,
)
from claw_tui.providers.base import ToolResultBlock
from claw_tui.testing import scenario as sc
from tests.conftest import PROVIDERS, Recorder, make_session, transcript_is_valid


def read_edit_run(ws: Path) -> list[dict]:
    return [
        {"blocks": [{"type": "thinking", "thinking": "Look first."},
                    {"type": "text", "text": "Reading it."},
                    {"type": "tool_use", "name": "Read", "input": {"file_path": str(ws / "app.py")}}]},
        sc.tool("Edit", "Fixing.", file_path=str(ws / "app.py"), old_string="print('helo')",
                new_string="print('hello')"),
        sc.tool("Bash", "Running.", command="python3 app.py"),
        sc.text("Fixed: it now prints **hello**."),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_read_edit_run_answer(server, workspace, provider):
    (workspace / "app.py").write_text("print('helo')\n")
    server.add(*read_edit_run(workspace))
    session = make_session(server, workspace, provider, permission_mode="acceptEdits",
                           allowed_tools=["Bash(python3 app.py)"])
    rec = Recorder(session.bus)
    result = await session.run("fix app.py")
    await session.close()

    assert result.outcome == "success", result
    assert result.result == "Fixed: it now prints **hello**."
    assert result.num_turns == 4
    assert (workspace / "app.py").read_text() == "print('hello')\n"
    finished = {e.tool: e for e in rec.of(ToolCallFinished)}
    assert finished["Bash"].content.strip() == "hello"
    assert not any(e.is_error for e in finished.values())
    # The streamed text arrived as deltas and the thinking was streamed too.
    assert "".join(e.text for e in rec.of(TextDelta)).startswith("Reading it.")
    if provider == "anthropic":
        assert "Look first." in "".join(e.text for e in rec.of(ThinkingDelta))
    # The edit published a diff-able change by the agent.
    change = rec.of(FileChanged)[0]
    assert change.by == "agent" and "helo" in change.before and "hello" in change.after
    # Cost is counted for a known model, per model and per agent.
    assert session.ledger.total_cost > 0
    assert rec.of(UsageUpdated)[-1].session_cost_usd == pytest.approx(session.ledger.total_cost)
    assert transcript_is_valid(session.agent.messages)
    # The model got every tool result back.
    assert len(server.received) == 4
    assert "hello" in server.received[-1].last_user_text


async def test_anthropic_request_caches_system_tools_and_conversation(server, workspace):
    server.add(sc.text("hi"), sc.text("again"))
    session = make_session(server, workspace, "anthropic")
    await session.run("one")
    await session.run("two")
    await session.close()
    body = server.received[1].body
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in json.dumps(body["tools"][:-1])
    # The second request read the prefix from the (simulated) cache.
    assert session.ledger.total_usage.cache_read_input_tokens > 0
    assert session.ledger.total_usage.cache_creation_input_tokens > 0
    assert server.received[0].headers.get("x-api-key") == "test-key" or \
        server.received[0].headers.get("authorization") == "Bearer test-key"


async def test_openai_request_shape(server, workspace):
    (workspace / "a.txt").write_text("A\n")
    server.add(sc.tool("Read", file_path=str(workspace / "a.txt")), sc.text("done"))
    session = make_session(server, workspace, "openai")
    await session.run("read a")
    await session.close()
    body = server.received[1].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assert body["messages"][2]["tool_calls"][0]["function"]["name"] == "Read"
    assert "A" in body["messages"][3]["content"]
    assert server.received[0].headers["authorization"] == "Bearer test-key"
    assert {t["function"]["name"] for t in body["tools"]} >= {"Read", "Edit", "Bash", "Grep", "Glob", "Write", "LS"}


async def test_compatible_server_without_key(server, workspace):
    """An OpenAI-compatible local server works by base URL alone."""
    from claw_tui.config import RunConfig
    from claw_tui.engine.session import Session

    server.add(sc.text("local model here"))
    cfg = RunConfig(cwd=workspace, model="llama3.3", provider="compatible", base_url=server.openai_base_url,
                    watch=False)
    session = Session(cfg)
    rec = Recorder(session.bus)
    result = await session.run("hi")
    await session.close()
    assert result.result == "local model here"
    assert "max_tokens" in server.received[0].body  # local servers know max_tokens
    # An unknown model costs 0 and says so, once.
    assert session.ledger.total_cost == 0
    notices = [n for n in rec.of(Notice) if "llama3.3" in n.text]
    assert len(notices) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_read_only_calls_run_concurrently(server, workspace, provider):
    # Three Bash-free read-only calls in one answer: Grep over a slow FIFO would block; instead
    # measure overlap with timestamps of started/finished events.
    for name in "abc":
        (workspace / f"{name}.txt").write_text(name * 10)
    server.add(sc.tools(*(("Read", {"file_path": str(workspace / f"{n}.txt")}) for n in "abc")), sc.text("ok"))
    session = make_session(server, workspace, provider)
    rec = Recorder(session.bus)
    order: list[str] = []
    session.bus.subscribe_sync(lambda e: order.append(type(e).__name__),
                               lambda e: isinstance(e, (ToolCallStarted, ToolCallFinished)))
    await session.run("read all")
    await session.close()
    # All three started before the first finished: they were gathered together.
    assert order[:3] == ["ToolCallStarted"] * 3
    results = session.agent.messages[2].content
    assert [r.content.split("\t")[1] for r in results] == ["a" * 10, "b" * 10, "c" * 10]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_malformed_tool_input_goes_back_to_the_model(server, workspace, provider):
    server.add(
        {"blocks": [
            {"type": "tool_use", "name": "Read", "raw_input": '{"file_path": "/x", '},  # bad JSON
            {"type": "tool_use", "name": "Read", "input": {"path": "/x"}},  # schema violation
            {"type": "tool_use", "name": "Teleport", "input": {"to": "mars"}},  # unknown tool
        ]},
        sc.text("sorry"),
    )
    session = make_session(server, workspace, provider)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "success" and result.result == "sorry"
    results = session.agent.messages[2].content
    assert all(isinstance(r, ToolResultBlock) and r.is_error for r in results)
    assert "not valid JSON" in results[0].content
    assert "file_path" in results[1].content and "Field required" in results[1].content
    assert "No such tool: Teleport" in results[2].content
    assert transcript_is_valid(session.agent.messages)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_max_turns_stops_the_loop(server, workspace, provider):
    for _ in range(5):
        server.add(sc.tool("LS", path=str(workspace)))
    session = make_session(server, workspace, provider, max_turns=2)
    result = await session.run("loop forever")
    await session.close()
    assert result.outcome == "max_turns" and result.num_turns == 2
    assert len(server.received) == 2
    assert transcript_is_valid(session.agent.messages)


async def test_max_budget_stops_and_does_not_run_tools(server, workspace):
    marker = workspace / "ran"
    server.add({**sc.tool("Bash", command=f"touch {marker}"),
                "usage": {"input_tokens": 1_000_000, "output_tokens": 0,
                          "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})
    session = make_session(server, workspace, "anthropic", max_budget_usd=1.0, permission_mode="bypassPermissions")
    result = await session.run("spend")
    await session.close()
    assert result.outcome == "max_budget"
    assert session.ledger.total_cost == pytest.approx(2.0)  # 1M input tokens of claude-sonnet-5-5
    assert not marker.exists()
    assert transcript_is_valid(session.agent.messages)
    assert "budget" in session.agent.messages[-1].content[0].content


async def test_headless_policy_refuses_unapproved_calls_clearly(server, workspace):
    from claw_tui.config import RunConfig
    from claw_tui.headless import run_headless
    from claw_tui.providers import make_provider
    import io

    marker = workspace / "pwned"
    server.add(sc.tool("Bash", command=f"touch {marker}"), sc.text("ok, I won't"))
    out = io.StringIO()
    cfg = RunConfig(cwd=workspace, provider="anthropic", base_url=server.base_url, watch=False)
    code = await run_headless(cfg, "do it", output_format="json", out=out,
                              provider=make_provider("anthropic", base_url=server.base_url, api_key="k"))
    obj = json.loads(out.getvalue())
    assert code == 0 and not marker.exists()
    assert obj["permission_denials"][0]["tool_name"] == "Bash"
    refusal = server.received[1].body["messages"][-1]["content"][0]
    assert refusal["is_error"] is True
    assert "--allowedTools" in refusal["content"] and "cannot ask a person" in refusal["content"]


async def test_two_sessions_do_not_share_read_state(server, workspace):
    """Edit needs a Read in *this* session."""
    f = workspace / "f.txt"
    f.write_text("x\n")
    server.add(sc.tool("Read", file_path=str(f)), sc.text("read"))
    s1 = make_session(server, workspace, permission_mode="acceptEdits")
    await s1.run("read it")
    await s1.close()
    server.add(sc.tool("Edit", file_path=str(f), old_string="x", new_string="y"), sc.text("tried"))
    s2 = make_session(server, workspace, permission_mode="acceptEdits")
    await s2.run("edit it")
    await s2.close()
    assert f.read_text() == "x\n"
    assert "has not been read" in s2.agent.messages[2].content[0].content


async def test_turn_finished_and_assistant_events_carry_agent_id(server, workspace):
    server.add(sc.text("hello"))
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    await session.run("hi")
    await session.close()
    assert all(e.agent_id == "main" for e in rec.events)
    assert rec.of(AssistantMessageCompleted)[0].message.text == "hello"
    assert rec.of(TurnFinished)[0].outcome == "success"


async def test_slow_subscriber_does_not_slow_the_engine(server, workspace):
    server.add(sc.text("x" * 4000, chunk_chars=4))
    session = make_session(server, workspace)
    seen: list[str] = []

    async def slow(event):
        await asyncio.sleep(0.01)
        if isinstance(event, TextDelta):
            seen.append(event.text)

    session.bus.subscribe(slow, coalesce=True)
    started = time.monotonic()
    await session.run("stream")
    engine_time = time.monotonic() - started
    await session.bus.drain()
    await session.close()
    # 1,000 deltas at 10 ms each would take 10 s if the engine waited on the subscriber.
    assert engine_time < 5
    assert "".join(seen) == "x" * 4000
    assert len(seen) < 1000  # the backlog was coalesced
