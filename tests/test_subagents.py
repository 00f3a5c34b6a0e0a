"""Sub-agents: parallel spawning, isolation, cancelling, limits, depth, custom types,
the shared scratchpad, and approvals that say which agent asks."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest

from claw_tui.engine.subagents import load_agent_types, parse_agent_file
from claw_tui.events import (
    AgentSpawned,
    AgentStateChanged,
    ApprovalDecision,
    ApprovalRequested,
    ModelRequestStarted,
    Notice,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdated,
)
from claw_tui.providers.base import ToolResultBlock
from claw_tui.testing import scenario as sc
from tests.conftest import PROVIDERS, Recorder, make_session, transcript_is_valid, wait_for


def agent(prompt: str, subagent_type: str = "general-purpose", description: str = "do a part",
          **extra: Any) -> tuple[str, dict[str, Any]]:
    return ("Agent", {"description": description, "prompt": prompt, "subagent_type": subagent_type, **extra})



def request_text(req) -> str:
    return json.dumps(req.body)


def tool_names(req) -> set[str]:
    tools = req.body.get("tools", [])
    return {t.get("name") or t.get("function", {}).get("name") for t in tools}


def agent_results(session) -> list[ToolResultBlock]:
    """The tool results the main agent received for its Agent calls, in call order."""
    msgs = session.agent.messages
    out = []
    for i, msg in enumerate(msgs):
        if msg.role == "assistant" and any(u.name == "Agent" for u in msg.tool_uses):
            by_id = {b.tool_use_id: b for b in msgs[i + 1].content if isinstance(b, ToolResultBlock)}
            out += [by_id[u.id] for u in msg.tool_uses if u.name == "Agent"]
    return out


def approve_everything(session) -> list[ApprovalRequested]:
    seen: list[ApprovalRequested] = []

    def approve(event: ApprovalRequested) -> None:
        seen.append(event)
        event.future.set_result(ApprovalDecision(allow=True, scope="once"))

    session.bus.subscribe(approve, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    return seen


# -- parallel and isolated --------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_three_agent_calls_in_one_answer_run_side_by_side_in_isolated_conversations(
        server, workspace, provider):
    latency = 0.6
    server.add(sc.text("warmed up", match="WARM"))

    def script(tag: str, n: int) -> None:
        server.add(
            {**sc.tools(*(agent(f"{tag}-TASK-{i}: look at part {i}", description=f"part {i}") for i in range(n))),
             "match": f"{tag}-PARENT"},
            *({**sc.text(f"{tag}-ANSWER-{i}"), "match": f"{tag}-TASK-{i}", "latency": latency} for i in range(n)),
            {**sc.text(f"{tag}: all parts done"), "match": f"{tag}-ANSWER-0"},
        )

    script("ONE", 1)
    script("THREE", 3)
    session = make_session(server, workspace, provider)
    rec = Recorder(session.bus)
    await session.run("WARM up")  # SDK imports and connection set-up are not part of the timing
    started = time.monotonic()
    one = await session.run("ONE-PARENT: do it")
    single = time.monotonic() - started
    started = time.monotonic()
    three = await session.run("THREE-PARENT: do it in three parts")
    wall = time.monotonic() - started
    await session.close()

    assert one.result == "ONE: all parts done" and three.result == "THREE: all parts done"
    assert wall < 1.6 * single, f"three agents took {wall:.2f}s, one took {single:.2f}s"
    # Each Agent call got its own sub-agent's answer, with the footer.
    results = agent_results(session)[1:]
    assert len(results) == 3
    for i, block in enumerate(results):
        assert f"THREE-ANSWER-{i}" in block.content and not block.is_error
        assert "1 turn(s)" in block.content and "tokens in" in block.content and "$" in block.content
        others = {f"THREE-ANSWER-{j}" for j in range(3)} - {f"THREE-ANSWER-{i}"}
        assert not any(o in block.content for o in others)
    # No sub-agent saw another's prompt, nor the parent's conversation.
    sub_requests = [r for r in server.received if "PARENT" not in request_text(r) and "WARM" not in request_text(r)]
    assert len(sub_requests) == 4
    for req in sub_requests:
        text = request_text(req)
        mine = [i for i in range(3) if f"THREE-TASK-{i}" in text]
        assert len(mine) <= 1
        assert len(req.body["messages"]) == (1 if provider == "anthropic" else 2)  # (+ system for OpenAI)
    # Lifecycle for the swarm pane: spawned (with the task), running, done; ids are unique.
    spawned = rec.of(AgentSpawned)
    assert len(spawned) == 4 and len({e.agent_id for e in spawned}) == 4
    assert all(e.parent_id == "main" and e.model == session.model for e in spawned)
    assert {e.task for e in spawned} == {"part 0", "part 1", "part 2"}
    for e in spawned:
        states = [s.state for s in rec.of(AgentStateChanged) if s.agent_id == e.agent_id]
        assert states[0] == "running" and states[-1] == "done"
    assert session.sub_agents == {}
    # Usage is counted per sub-agent.
    for e in spawned:
        assert session.ledger.by_agent[e.agent_id].requests == 1
        assert any(u.agent_id == e.agent_id for u in rec.of(UsageUpdated))


async def test_a_sub_agents_events_and_approvals_name_it_and_its_shell_is_its_own(server, workspace):
    server.add(
        {**sc.tools(agent("AP-TASK: make a dir and report")), "match": "AP-PARENT"},
        {**sc.tool("Bash", "Working on it.", command="mkdir -p sub && cd sub && echo SUBRAN"), "match": "AP-TASK"},
        {**sc.text("sub finished: SUBRAN seen"), "match": "SUBRAN\n"},
        {**sc.text("parent done"), "match": "sub finished"},
    )
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    running: dict[str, Any] = {}
    seen: list[ApprovalRequested] = []

    def approve(event: ApprovalRequested) -> None:
        seen.append(event)
        running.update(session.sub_agents)
        event.future.set_result(ApprovalDecision(allow=True, scope="once"))

    session.bus.subscribe(approve, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    result = await session.run("AP-PARENT go")
    await session.close()
    assert result.result == "parent done"
    (request,) = seen
    assert request.tool == "Bash" and request.agent_id == "agent-1" and request.agent_name == "general-purpose #1"
    states = [(e.state, e.detail) for e in rec.of(AgentStateChanged) if e.agent_id == "agent-1"]
    assert ("waiting_approval", "Bash mkdir -p sub && cd sub && echo SUBRAN") in states
    assert [s for s, _ in states][-1] == "done"
    assert any(e.agent_id == "agent-1" and e.tool == "Bash" for e in rec.of(ToolCallStarted))
    assert "".join(e.text for e in rec.of(TextDelta) if e.agent_id == "agent-1").startswith("Working on it.")
    # Its own shell moved into sub/; the parent's did not.
    assert running["agent-1"].ctx.cwd == str(workspace / "sub")
    assert session.ctx.cwd == str(workspace)
    assert transcript_is_valid(running["agent-1"].messages)
    # One HTTP client for every agent of the session.
    assert running["agent-1"].provider is session.provider


async def test_agent_type_rules_still_apply_to_spawning(server, workspace):
    server.add(
        {**sc.tools(agent("RULE-GP", "general-purpose"), agent("RULE-EX", "Explore")), "match": "RULE-PARENT"},
        {**sc.text("explored"), "match": "RULE-EX"},
        {**sc.text("ok"), "match": "explored"},
    )
    session = make_session(server, workspace, disallowed_tools=["Agent(general-purpose)"])
    await session.run("RULE-PARENT")
    await session.close()
    denied, explored = agent_results(session)
    assert denied.is_error and "denied" in denied.content and "Agent(general-purpose)" in denied.content
    assert "explored" in explored.content and not explored.is_error
    assert not any("RULE-GP" in request_text(r) and "RULE-PARENT" not in request_text(r) for r in server.received)


# -- cancelling --------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_interrupting_the_parent_cancels_its_running_children(server, workspace, provider):
    server.add(
        {**sc.tools(*(agent(f"C-TASK-{i}") for i in range(3))), "match": "C-PARENT"},
        *({**sc.text("never seen"), "match": f"C-TASK-{i}", "latency": 10} for i in range(3)),
        sc.text("next turn works", match="AFTER"),
    )
    session = make_session(server, workspace, provider)
    rec = Recorder(session.bus)
    task = asyncio.create_task(session.run("C-PARENT go"))
    await wait_for(lambda: len([e for e in rec.of(ModelRequestStarted) if e.agent_id != "main"]) == 3
                   and len(server.received) == 4)
    children = dict(session.sub_agents)
    assert len(children) == 3
    started = time.monotonic()
    assert session.interrupt()
    result = await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 2
    assert result.outcome == "interrupted"
    cancelled = {e.agent_id for e in rec.of(AgentStateChanged) if e.state == "cancelled"}
    assert cancelled == set(children)
    assert session.sub_agents == {}
    assert transcript_is_valid(session.agent.messages)
    for child in children.values():
        assert not child.busy and transcript_is_valid(child.messages)
    # The parent's conversation goes on.
    again = await session.run("AFTER the interrupt")
    await session.close()
    assert again.result == "next turn works"


async def test_cancel_agent_stops_one_sub_agent_and_tells_its_parent(server, workspace):
    server.add(
        {**sc.tools(agent("K-TASK-slow"), agent("K-TASK-fast")), "match": "K-PARENT"},
        {**sc.text("too late", match="K-TASK-slow"), "latency": 10},
        {**sc.text("K-ANSWER-fast", match="K-TASK-fast"), "latency": 0.5},
        sc.text("parent carries on", match="K-ANSWER-fast"),
    )
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    task = asyncio.create_task(session.run("K-PARENT go"))
    await wait_for(lambda: len(rec.of(AgentSpawned)) == 2 and len(server.received) == 3)
    prompts = {e.call_id: e.input["prompt"] for e in rec.of(ToolCallStarted) if e.tool == "Agent"}
    slow = next(e.agent_id for e in rec.of(AgentSpawned) if prompts[e.call_id] == "K-TASK-slow")
    assert session.cancel_agent(slow)
    result = await asyncio.wait_for(task, 5)
    await session.close()
    assert result.outcome == "success" and result.result == "parent carries on"
    slow_result, fast_result = agent_results(session)
    assert slow_result.is_error and "cancelled by the user" in slow_result.content
    assert "K-ANSWER-fast" in fast_result.content and not fast_result.is_error
    final = {e.agent_id: e.state for e in rec.of(AgentStateChanged)}
    assert final[slow] == "cancelled" and list(final.values()).count("done") == 1
    assert not session.cancel_agent(slow)  # no longer running


async def test_cancelling_a_sub_agent_cancels_the_sub_agents_it_started(server, workspace):
    server.add(
        {**sc.tools(agent("M-LEVEL1: delegate")), "match": "M-PARENT"},
        {**sc.tools(agent("M-LEVEL2: slow leaf")), "match": "M-LEVEL1"},
        {**sc.text("never"), "match": "M-LEVEL2", "latency": 10},
        sc.text("parent goes on", match="cancelled by the user"),
    )
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    task = asyncio.create_task(session.run("M-PARENT"))
    await wait_for(lambda: len(session.sub_agents) == 2 and len(server.received) == 3)
    level1, level2 = (e.agent_id for e in rec.of(AgentSpawned))
    children = dict(session.sub_agents)
    assert session.cancel_agent(level1)
    result = await asyncio.wait_for(task, 5)
    await session.close()
    assert result.result == "parent goes on"
    final = {e.agent_id: e.state for e in rec.of(AgentStateChanged)}
    assert final == {level1: "cancelled", level2: "cancelled"}
    (block,) = agent_results(session)
    assert block.is_error and "cancelled by the user" in block.content
    assert all(transcript_is_valid(a.messages) for a in children.values())


# -- limits ------------------------------------------------------------------------


def write_agent(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.md"
    path.write_text(text)
    return path


async def test_a_sub_agents_max_turns_from_its_file_holds(server, workspace):
    write_agent(workspace / ".claw" / "agents", "one-step", "---\nname: one-step\ndescription: one turn only\n"
                "maxTurns: 1\n---\nYou take one step.\n")
    (workspace / "a.txt").write_text("alpha\n")
    server.add(
        {**sc.tools(agent("MT-TASK", "one-step")), "match": "MT-PARENT"},
        {**sc.tool("Read", file_path=str(workspace / "a.txt")), "match": "MT-TASK"},
        sc.text("never asked for", match="alpha"),
        sc.text("parent saw the limit", match="stopped before finishing"),
    )
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    result = await session.run("MT-PARENT")
    await session.close()
    assert result.result == "parent saw the limit"
    (block,) = agent_results(session)
    assert block.is_error and "limit of 1 turns" in block.content
    assert [e.state for e in rec.of(AgentStateChanged)][-1] == "failed"
    assert server.remaining == 1  # the sub-agent did not get a second turn


async def test_a_sub_agent_stops_at_the_sessions_remaining_budget(server, workspace):
    marker = workspace / "ran"
    expensive = {"input_tokens": 1_000_000, "output_tokens": 0,
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    server.add(
        {**sc.tools(agent("BU-TASK")), "match": "BU-PARENT"},
        {**sc.tool("Bash", command=f"touch {marker}"), "match": "BU-TASK", "usage": expensive},
        {**sc.tools(agent("BU-AGAIN")), "match": "budget"},
        sc.text("parent stops", match="used up"),
    )
    session = make_session(server, workspace, max_budget_usd=1.0, permission_mode="bypassPermissions")
    result = await session.run("BU-PARENT")
    await session.close()
    first, second = agent_results(session)
    assert first.is_error and "budget" in first.content
    assert not marker.exists()  # its tool call was not run
    assert second.is_error and "budget of $1.00 is used up" in second.content
    assert result.result == "parent stops"
    assert not any("BU-AGAIN" in request_text(r) and "BU-PARENT" not in request_text(r) for r in server.received)


# -- depth -------------------------------------------------------------------------


async def test_sub_agents_nest_to_the_depth_limit_and_no_further(server, workspace):
    server.add(
        {**sc.tools(agent("D-LEVEL1: delegate")), "match": "D-PARENT"},
        {**sc.tools(agent("D-LEVEL2: the leaf")), "match": "D-LEVEL1"},
        {**sc.text("L2-ANSWER"), "match": "D-LEVEL2"},
        {**sc.text("L1-ANSWER"), "match": "L2-ANSWER"},
        {**sc.text("top done"), "match": "L1-ANSWER"},
    )
    session = make_session(server, workspace)  # default depth limit: 2
    rec = Recorder(session.bus)
    result = await session.run("D-PARENT")
    assert result.result == "top done"
    level1 = next(r for r in server.received if "D-LEVEL1" in request_text(r) and "D-PARENT" not in request_text(r))
    level2 = next(r for r in server.received if "D-LEVEL2" in request_text(r) and "D-LEVEL1" not in request_text(r))
    assert "Agent" in tool_names(level1) and "Agent" not in tool_names(level2)
    first, second = rec.of(AgentSpawned)
    assert first.parent_id == "main" and second.parent_id == first.agent_id
    # Past the limit the tool refuses clearly (here forced: a depth-2 context asking for more).
    deep = dataclasses.replace(session.ctx, depth=2)
    refused = await session.subagents.run_subagent(parent=deep, description="x", prompt="x",
                                                   subagent_type="general-purpose", model=None)
    await session.close()
    assert refused.is_error and "nested at most 2 deep" in refused.content


async def test_depth_limit_is_configurable(server, workspace):
    server.add(
        {**sc.tools(agent("Z-LEVEL1")), "match": "Z-PARENT"},
        {**sc.text("leaf"), "match": "Z-LEVEL1"},
        sc.text("ok", match="leaf"),
    )
    session = make_session(server, workspace, max_agent_depth=1)
    await session.run("Z-PARENT")
    await session.close()
    level1 = next(r for r in server.received if "Z-LEVEL1" in request_text(r) and "Z-PARENT" not in request_text(r))
    assert "Agent" not in tool_names(level1)
    none = make_session(server, workspace, max_agent_depth=0)
    assert "Agent" not in none.tools.names()
    await none.close()


# -- agent types -------------------------------------------------------------------


async def test_custom_agent_files_load_with_their_tools_model_and_prompt(server, workspace, monkeypatch, tmp_path):
    user_dir = tmp_path / "user-config"
    monkeypatch.setenv("CLAW_CONFIG_DIR", str(user_dir))
    write_agent(workspace / ".claw" / "agents", "reviewer",
                "---\nname: reviewer\ndescription: Reviews code for bugs\ntools: Read, Grep\nmodel: haiku\n---\n"
                "You review code. REVIEWER-MARKER\n")
    write_agent(workspace / ".claude" / "agents", "lister",
                "---\nname: lister\ndescription: Lists things\ntools:\n  - LS\n  - Glob\nmodel: inherit\n---\n"
                "LISTER-MARKER\n")
    write_agent(user_dir / "agents", "personal", "---\nname: personal\ndescription: Mine\n---\nPERSONAL\n")
    write_agent(workspace / ".claw" / "agents", "broken", "no frontmatter here\n")
    write_agent(workspace / ".claw" / "agents", "bad-yaml", "---\nname: [unclosed\n---\nbody\n")
    server.add(
        {**sc.tools(agent("CU-TASK", "reviewer"), agent("CU-NOPE", "nope")), "match": "CU-PARENT"},
        {**sc.text("reviewed"), "match": "CU-TASK"},
        sc.text("ok", match="reviewed"),
    )
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    await session.run("CU-PARENT")
    await session.close()
    notices = " ".join(n.text for n in rec.of(Notice))
    assert "broken.md: not loaded" in notices and "bad-yaml.md: not loaded" in notices
    first = server.received[0].body
    agent_spec = next(t for t in first["tools"] if t["name"] == "Agent")
    for line in ("- reviewer: Reviews code for bugs (Tools: Read, Grep)", "- lister: Lists things (Tools: LS, Glob)",
                 "- personal: Mine (Tools: all tools)", "- Explore:", "- Plan:", "- general-purpose:"):
        assert line in agent_spec["description"]
    sub = next(r for r in server.received if "CU-TASK" in request_text(r) and "CU-PARENT" not in request_text(r))
    assert sub.body["model"] == "claude-haiku-5-5"
    assert tool_names(sub) == {"Read", "Grep"}
    assert "REVIEWER-MARKER" in json.dumps(sub.body["system"])
    reviewed, unknown = agent_results(session)
    assert "reviewed" in reviewed.content and "claude-haiku-5-5" in reviewed.content
    assert unknown.is_error and "Unknown subagent_type 'nope'" in unknown.content
    assert all(name in unknown.content for name in ("general-purpose", "Explore", "Plan", "reviewer", "lister"))


async def test_explore_and_plan_get_read_only_tools_and_plan_is_told_to_plan(server, workspace):
    server.add(
        {**sc.tools(agent("RO-EXPLORE", "Explore"), agent("RO-PLAN", "Plan")), "match": "RO-PARENT"},
        {**sc.text("found"), "match": "RO-EXPLORE"},
        {**sc.text("1. do it"), "match": "RO-PLAN"},
        sc.text("ok", match="found"),
    )
    session = make_session(server, workspace)
    await session.run("RO-PARENT")
    await session.close()
    read_only = {t.name for t in session.tools if t.read_only} | {"Scratchpad"}
    for marker in ("RO-EXPLORE", "RO-PLAN"):
        req = next(r for r in server.received if marker in request_text(r) and "RO-PARENT" not in request_text(r))
        names = tool_names(req)
        assert names == read_only, names
        assert not names & {"Bash", "Edit", "Write", "Agent", "AskUserQuestion", "ExitPlanMode"}
    plan_req = next(r for r in server.received if "RO-PLAN" in request_text(r) and "RO-PARENT" not in request_text(r))
    assert "step-by-step" in json.dumps(plan_req.body["system"])


@pytest.mark.parametrize(("session_mode", "agent_mode", "asked"), [
    ("default", "acceptEdits", False),       # the agent's own mode lets it edit
    ("default", "bypassPermissions", True),  # an agent file cannot grant bypass on its own
    ("acceptEdits", "default", True),        # nor must it be looser than it says
])
async def test_a_custom_agents_permission_mode_applies_to_its_calls_only(server, workspace, session_mode,
                                                                         agent_mode, asked):
    write_agent(workspace / ".claw" / "agents", "editor",
                f"---\nname: editor\ndescription: edits\npermissionMode: {agent_mode}\n---\nYou edit.\n")
    target = workspace / "new.txt"
    server.add(
        {**sc.tools(agent("PM-TASK", "editor")), "match": "PM-PARENT"},
        {**sc.tool("Write", file_path=str(target), content="x\n"), "match": "PM-TASK"},
        sc.text("edited", match="new.txt"),
        sc.text("ok", match="edited"),
    )
    session = make_session(server, workspace, permission_mode=session_mode)
    seen = approve_everything(session)
    await session.run("PM-PARENT")
    await session.close()
    assert target.read_text() == "x\n"
    assert [(r.tool, r.agent_name) for r in seen] == ([("Write", "editor #1")] if asked else [])
    assert session.policy.mode == session_mode


async def test_headless_stream_json_ties_sub_agent_messages_to_the_agent_call(server, workspace):
    import io

    from claw_tui.config import RunConfig
    from claw_tui.headless import run_headless
    from claw_tui.providers import make_provider

    server.add(
        {**sc.tools(agent("HL-TASK", "Explore")), "match": "HL-PARENT"},
        {**sc.text("explored it"), "match": "HL-TASK"},
        sc.text("all done", match="explored it"),
    )
    out = io.StringIO()
    cfg = RunConfig(cwd=workspace, provider="anthropic", base_url=server.base_url, watch=False)
    code = await run_headless(cfg, "HL-PARENT", output_format="stream-json", out=out,
                              provider=make_provider("anthropic", base_url=server.base_url, api_key="k"))
    assert code == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    call = next(b for o in lines if o["type"] == "assistant" for b in o["message"]["content"]
                if b["type"] == "tool_use" and b["name"] == "Agent")
    sub = [o for o in lines if o["type"] == "assistant" and o["parent_tool_use_id"] is not None]
    assert len(sub) == 1 and sub[0]["parent_tool_use_id"] == call["id"]
    assert sub[0]["message"]["content"][0]["text"] == "explored it"
    assert lines[-1]["result"] == "all done"


def test_agent_file_parsing_reports_what_is_wrong(tmp_path):
    ok = write_agent(tmp_path, "ok", "---\nname: ok\ndescription: fine\nmodel: not-a-model\npermissionMode: weird\n"
                     "maxTurns: 0\ntools: '*'\n---\nbody\n")
    warnings: list[str] = []
    parsed = parse_agent_file(ok, warnings=warnings)
    assert parsed.name == "ok" and parsed.tools is None and parsed.model is None
    assert parsed.permission_mode is None and parsed.max_turns is None
    assert len(warnings) == 3
    no_name = write_agent(tmp_path, "noname", "---\ndescription: x\n---\nbody\n")
    unclosed = write_agent(tmp_path, "unclosed", "---\nname: x\ndescription: y\n")
    bad_tools = write_agent(tmp_path, "badtools", "---\nname: x\ndescription: y\ntools: {a: 1}\n---\n")
    (tmp_path / "ws").mkdir()
    types, problems = load_agent_types(tmp_path / "ws", tmp_path)  # user dir = tmp_path/agents (none)
    assert set(types) == {"general-purpose", "Explore", "Plan"} and problems == []
    for path, why in ((no_name, "'name'"), (unclosed, "closing"), (bad_tools, "'tools'")):
        with pytest.raises(ValueError, match=why):
            parse_agent_file(path)


# -- the scratchpad ----------------------------------------------------------------


async def test_siblings_share_a_scratchpad_with_their_parent(server, workspace):
    server.add(
        {**sc.tools(agent("SP-WRITER: note the endpoints"), agent("SP-READER: use the endpoints")),
         "match": "SP-PARENT"},
        {**sc.tool("Scratchpad", operation="write", key="endpoints", content="GET /users\nPOST /users"),
         "match": "SP-WRITER"},
        sc.text("writer done", match="under 'endpoints'"),
        {**sc.tool("Scratchpad", operation="read", key="endpoints"), "match": "SP-READER", "latency": 0.5},
        sc.text("reader saw POST /users", match="written by"),
        {**sc.tool("Scratchpad", operation="list"), "match": "reader saw"},
        sc.text("parent done", match="1 note(s)"),
    )
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    result = await session.run("SP-PARENT")
    await session.close()
    assert result.result == "parent done"
    finished = {(e.agent_id, e.tool): e for e in rec.of(ToolCallFinished)}
    read = next(e for (aid, tool), e in finished.items() if tool == "Scratchpad" and "GET /users" in e.content)
    assert read.agent_id != "main" and not read.is_error
    writer = next(e.name for e in rec.of(AgentSpawned) if e.agent_id != read.agent_id)
    assert f"written by {writer}" in read.content
    listing = finished[("main", "Scratchpad")]
    assert "endpoints (by " in listing.content and "GET /users" in listing.content
    assert [n.key for n in session.subagents.scratchpad.notes()] == ["endpoints"]


async def test_scratchpad_limits_and_errors(workspace):
    from claw_tui.engine.subagents import Scratchpad
    from claw_tui.tools.scratchpad import ScratchpadTool
    from tests.tools.conftest import make_ctx

    ctx = make_ctx(workspace)
    tool = ScratchpadTool()

    async def call(**raw):
        return await tool.run(tool.parse(raw), ctx)

    assert "no scratchpad" in (await call(operation="list")).content.lower()
    ctx.scratchpad = Scratchpad()
    assert (await call(operation="list")).content == "The scratchpad is empty."
    assert (await call(operation="read")).is_error
    missing = await call(operation="read", key="nope")
    assert missing.is_error and "No note under 'nope'" in missing.content
    assert (await call(operation="write", key="k")).is_error
    huge = await call(operation="write", key="k", content="x" * (Scratchpad.MAX_CONTENT_CHARS + 1))
    assert huge.is_error and "at most" in huge.content
    ok = await call(operation="write", key="k", content="v1")
    assert not ok.is_error
    await call(operation="write", key="k", content="v2")
    assert (await call(operation="read", key="k")).content.endswith("\nv2")
    ctx.bus.close()


# -- the swarm pane draws a real run ---------------------------------------------------


async def test_the_swarm_pane_follows_a_real_sub_agent(server, workspace):
    from textual.app import App, ComposeResult

    from claw_tui.ui.widgets.swarm import SwarmPane

    server.add(
        {**sc.tools(agent("SW-TASK", "Explore", description="scan the repo")), "match": "SW-PARENT"},
        {**sc.tool("Glob", pattern="*.py"), "match": "SW-TASK"},
        sc.text("no python here", match="No files"),
        sc.text("ok", match="no python here"),
    )
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    await session.run("SW-PARENT")
    await session.close()

    class Host(App):
        def compose(self) -> ComposeResult:
            yield SwarmPane(id="swarm")

    app = Host()
    async with app.run_test() as pilot:
        pane = app.query_one(SwarmPane)
        for event in rec.events:
            if event.agent_id != "main" or isinstance(event, AgentSpawned):
                pane.handle(event)
        await pilot.pause()
        (row,) = pane.rows.values()
        assert row.name == "Explore #1" and row.task == "scan the repo" and row.parent_id == "main"
        assert row.state == "done" and row.tokens_in > 0 and row.tokens_out > 0 and row.cost_usd > 0
        assert pane.active == 0
