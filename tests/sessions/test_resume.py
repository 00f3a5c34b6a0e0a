"""Resuming and forking stored sessions: in-process, and `claw -p` with -c / --resume / --fork-session."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from claw_tui.engine.store import SessionBusy, list_sessions, load_session
from claw_tui.events import SessionResumed
from claw_tui.testing import scenario as sc
from tests.conftest import Recorder, make_session, transcript_is_valid

TODOS = [{"content": "Fix the parser", "status": "in_progress", "activeForm": "Fixing the parser"},
         {"content": "Run the tests", "status": "pending", "activeForm": "Running the tests"}]


def _first_session(server, ws):
    (ws / "a.py").write_text("x = 1\n")
    server.add(
        sc.tool("Read", file_path=str(ws / "a.py")),
        sc.tool("TodoWrite", todos=TODOS),
        sc.tool("Edit", file_path=str(ws / "a.py"), old_string="x = 1", new_string="x = 2"),
        sc.text("Changed x to 2."),
    )


async def test_resume_restores_conversation_todos_mode_and_cost(server, workspace):
    _first_session(server, workspace)
    first = make_session(server, workspace, permission_mode="acceptEdits")
    await first.run("set x to 2")
    first.set_permission_mode("plan")
    await first.close()
    messages = [m.to_dict() for m in first.agent.messages]
    cost = first.ledger.total_cost
    assert cost > 0

    server.add(sc.text("It is 2 now."))
    second = make_session(server, workspace, resume=first.id[:8])
    rec = Recorder(second.bus)
    assert second.id == first.id
    assert [m.to_dict() for m in second.agent.messages] == messages
    assert second.ctx.todos == TODOS
    assert second.policy.mode == "plan"
    assert second.ledger.total_cost == cost
    assert second.ledger.by_model[first.model].requests == 4
    result = await second.run("what is x?")
    await second.close()
    assert result.result == "It is 2 now."
    assert [e.session_id for e in rec.of(SessionResumed)] == [first.id]
    # The model was sent the whole earlier conversation, then the new prompt.
    sent = server.received[-1].body["messages"]
    assert len(sent) == len(messages) + 1
    assert "set x to 2" in json.dumps(sent[0]) and "what is x?" in json.dumps(sent[-1])
    # One file, appended to; cost adds up across both runs.
    assert [i.id for i in list_sessions(workspace)] == [first.id]
    assert load_session(second.persistence.path).cost_usd > cost


async def test_continue_picks_the_latest_session_and_an_explicit_mode_wins(server, workspace):
    server.add(sc.text("one"), sc.text("two"), sc.text("three"))
    a = make_session(server, workspace, permission_mode="plan")
    await a.run("first session")
    await a.close()
    b = make_session(server, workspace, permission_mode="plan")
    await b.run("second session")
    await b.close()
    c = make_session(server, workspace, continue_session=True, permission_mode="default")
    assert c.id == b.id
    assert c.policy.mode == "default"  # given explicitly: the stored "plan" does not override it
    assert c.agent.messages[0].text == "second session"
    await c.close()


async def test_bypass_permissions_is_not_restored_silently(server, workspace):
    server.add(sc.text("ok"))
    a = make_session(server, workspace, permission_mode="bypassPermissions")
    await a.run("go")
    await a.close()
    b = make_session(server, workspace, resume=a.id)
    rec = Recorder(b.bus)
    await b.start()
    await b.close()
    assert b.policy.mode == "default"
    assert any("bypassPermissions" in getattr(e, "text", "") for e in rec.events)


async def test_fork_session_leaves_the_original_untouched(server, workspace):
    server.add(sc.text("first answer"), sc.text("forked answer"))
    a = make_session(server, workspace)
    await a.run("original prompt")
    await a.close()
    before = a.persistence.path.read_bytes()
    f = make_session(server, workspace, resume=a.id, fork_session=True)
    assert f.id != a.id
    await f.run("a different direction")
    await f.close()
    assert a.persistence.path.read_bytes() == before
    forked = load_session(f.persistence.path)
    assert forked.forked_from == a.id
    assert [m.text for m in forked.messages] == ["original prompt", "first answer", "a different direction",
                                                 "forked answer"]
    assert forked.cost_usd > 0 and forked.cost_usd < a.ledger.total_cost * 2
    assert {i.id for i in list_sessions(workspace)} == {a.id, f.id}


async def test_sub_agent_messages_are_stored_with_their_id_but_not_restored(server, workspace):
    server.add(
        {**sc.tools(("Agent", {"description": "look", "prompt": "SUB-TASK: look around",
                               "subagent_type": "general-purpose"})), "match": "PARENT"},
        {**sc.text("sub report"), "match": "SUB-TASK"},
        {**sc.text("parent done"), "match": "sub report"},
    )
    s = make_session(server, workspace)
    await s.run("PARENT start")
    await s.close()
    lines = [json.loads(x) for x in s.persistence.path.read_text().splitlines()]
    sub_msgs = [r for r in lines if r["t"] == "msg" and r.get("a") == "agent-1"]
    assert [r["m"]["role"] for r in sub_msgs] == ["user", "assistant"]
    assert any(r["t"] == "agent" and r["a"] == "agent-1" for r in lines)
    again = make_session(server, workspace, resume=s.id)
    assert [m.to_dict() for m in again.agent.messages] == [m.to_dict() for m in s.agent.messages]
    assert transcript_is_valid(again.agent.messages)
    # The sub-agent's own answer is not part of the main conversation (only its report, as a tool result).
    assert not any(m.role == "assistant" and m.text == "sub report" for m in again.agent.messages)
    await again.close()


async def test_clear_is_stored(server, workspace):
    server.add(sc.text("a"), sc.text("b"))
    s = make_session(server, workspace)
    await s.run("before clear")
    s.clear()
    await s.run("after clear")
    await s.close()
    loaded = load_session(s.persistence.path)
    assert [m.text for m in loaded.messages] == ["after clear", "b"]


def _claw(args, env, cwd):
    return subprocess.run([sys.executable, "-m", "claw_tui.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_headless_continue_resume_and_fork(server, workspace, claw_env, tmp_path):
    env = {**claw_env, "CLAW_DATA_DIR": str(tmp_path / "data")}
    server.add(sc.text("remembered: blue"), sc.text("you said blue"), sc.text("fork says blue"))
    one = _claw(["-p", "my colour is blue", "--output-format", "json"], env, workspace)
    assert one.returncode == 0, one.stderr
    sid = json.loads(one.stdout)["session_id"]
    two = _claw(["-p", "-c", "what colour?", "--output-format", "json"], env, workspace)
    assert two.returncode == 0, two.stderr
    obj = json.loads(two.stdout)
    assert obj["session_id"] == sid and obj["result"] == "you said blue"
    assert obj["total_cost_usd"] > json.loads(one.stdout)["total_cost_usd"]  # the cost so far carried over
    assert "my colour is blue" in json.dumps(server.received[1].body["messages"])
    three = _claw(["-p", "--resume", sid, "--fork-session", "and now?", "--output-format", "json"], env, workspace)
    assert three.returncode == 0, three.stderr
    assert json.loads(three.stdout)["session_id"] != sid
    missing = _claw(["-p", "--resume", "nope", "x"], env, workspace)
    assert missing.returncode == 2 and "no session 'nope'" in missing.stderr


async def test_a_session_open_elsewhere_is_refused_not_interleaved(server, workspace):
    server.add(sc.text("hi"))
    a = make_session(server, workspace)
    await a.run("still open")
    with pytest.raises(SessionBusy, match="another claw"):
        make_session(server, workspace, resume=a.id)
    forked = make_session(server, workspace, resume=a.id, fork_session=True)  # forking is fine
    assert forked.id != a.id
    await forked.close()
    await a.close()
