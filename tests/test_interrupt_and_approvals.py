"""Interrupting leaves a valid transcript and kills running commands; approvals are
futures on the bus that whoever answers resolves."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from claw_tui.events import (
    ApprovalDecision,
    ApprovalRequested,
    PermissionDecided,
    TextDelta,
    ToolCallStarted,
    ToolOutputDelta,
    TurnFinished,
)
from claw_tui.providers.base import ToolResultBlock
from claw_tui.testing import scenario as sc
from tests.conftest import PROVIDERS, Recorder, make_session, transcript_is_valid, wait_for



def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_interrupt_during_stream(server, workspace, provider):
    server.add({**sc.text("word " * 400, chunk_chars=5), "delay": 0.01}, sc.text("second turn works"))
    session = make_session(server, workspace, provider)
    rec = Recorder(session.bus)
    task = asyncio.create_task(session.run("talk a lot"))
    await wait_for(lambda: len(rec.of(TextDelta)) > 5)
    assert session.interrupt()
    result = await task
    assert result.outcome == "interrupted"
    assert rec.of(TurnFinished)[-1].outcome == "interrupted"
    assert transcript_is_valid(session.agent.messages)
    # The conversation goes on: the next turn is sent and the model is told it was stopped.
    result2 = await session.run("shorter please")
    await session.close()
    assert result2.result == "second turn works"
    sent = server.received[-1].body["messages"]
    assert "[Request interrupted by user]" in str(sent)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_interrupt_kills_running_command_and_answers_every_tool_use(server, workspace, provider):
    pidfile = workspace / "pid"
    # The test reads the child's pid from the host, which the Bash sandbox's pid namespace hides
    # (tests/security/test_sandbox.py checks that interrupting kills sandboxed commands).
    (workspace / ".claw").mkdir(exist_ok=True)
    (workspace / ".claw" / "settings.json").write_text('{"sandbox": {"enabled": false}}')
    server.add(
        sc.tools(
            ("Bash", {"command": f"sleep 60 & echo $! > {pidfile}; echo started; wait"}),
            ("Bash", {"command": "echo never"}),
        ),
        sc.text("ok"),
    )
    session = make_session(server, workspace, provider, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    task = asyncio.create_task(session.run("run it"))
    await wait_for(lambda: any("started" in e.text for e in rec.of(ToolOutputDelta)))
    pid = int(pidfile.read_text())
    assert pid_alive(pid)
    session.interrupt()
    result = await asyncio.wait_for(task, 10)
    await session.close()
    assert result.outcome == "interrupted"
    await wait_for(lambda: not pid_alive(pid), timeout=5)
    assert transcript_is_valid(session.agent.messages)
    answers = [b for b in session.agent.messages[2].content if isinstance(b, ToolResultBlock)]
    assert len(answers) == 2 and all("Interrupted" in a.content for a in answers)
    assert len(rec.of(ToolCallStarted)) == 1  # the second command never started


async def test_interrupt_while_waiting_for_approval(server, workspace):
    server.add(sc.tool("Bash", command="echo hi"))
    session = make_session(server, workspace)
    requests: list[ApprovalRequested] = []
    session.bus.subscribe(requests.append, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    task = asyncio.create_task(session.run("go"))
    await wait_for(lambda: bool(requests))
    session.interrupt()
    result = await task
    await session.close()
    assert result.outcome == "interrupted"
    assert requests[0].future.cancelled()
    assert transcript_is_valid(session.agent.messages)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_approval_allow_once_runs_the_call(server, workspace, provider):
    target = workspace / "made.txt"
    server.add(sc.tool("Bash", command=f"echo yes > {target}"), sc.text("done"))
    session = make_session(server, workspace, provider)
    seen: list[ApprovalRequested] = []

    def approve(event):
        seen.append(event)
        event.future.set_result(ApprovalDecision(allow=True, scope="once"))

    session.bus.subscribe(approve, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    result = await session.run("make it")
    await session.close()
    assert result.outcome == "success"
    assert target.read_text() == "yes\n"
    assert seen[0].tool == "Bash" and seen[0].agent_name == "main"
    assert f"echo yes > {target}" in seen[0].description  # exactly what will run


async def test_approval_shows_the_diff_of_an_edit(server, workspace):
    f = workspace / "f.py"
    f.write_text("a = 1\n")
    server.add(sc.tool("Read", file_path=str(f)),
               sc.tool("Edit", file_path=str(f), old_string="a = 1", new_string="a = 2"),
               sc.text("done"))
    session = make_session(server, workspace)
    seen: list[ApprovalRequested] = []

    def deny(event):
        seen.append(event)
        event.future.set_result(ApprovalDecision(allow=False, message="not like that"))

    session.bus.subscribe(deny, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    result = await session.run("change a")
    await session.close()
    assert f.read_text() == "a = 1\n"  # denied: unchanged
    assert "-a = 1" in seen[0].description and "+a = 2" in seen[0].description
    refusal = session.agent.messages[4].content[0]
    assert refusal.is_error and "not like that" in refusal.content
    assert result.outcome == "success"


async def test_allow_for_session_is_remembered(server, workspace):
    server.add(sc.tool("Bash", command="echo one"), sc.tool("Bash", command="echo one"), sc.text("done"))
    session = make_session(server, workspace)
    asked: list[ApprovalRequested] = []

    def approve(event):
        asked.append(event)
        event.future.set_result(ApprovalDecision(allow=True, scope="session"))

    session.bus.subscribe(approve, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    rec = Recorder(session.bus)
    await session.run("twice")
    await session.close()
    assert len(asked) == 1
    decisions = rec.of(PermissionDecided)
    assert [d.behavior for d in decisions] == ["allow", "allow"]
    # The suggested rule is the first two words as a prefix (permissions/policy.py suggest_bash_spec).
    assert decisions[1].rule == "Bash(echo one:*)"


async def test_always_allow_writes_local_settings(server, workspace):
    server.add(sc.tool("Bash", command="echo hi"), sc.text("done"))
    session = make_session(server, workspace)
    session.bus.subscribe(
        lambda e: e.future.set_result(ApprovalDecision(allow=True, scope="always")),
        approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested),
    )
    await session.run("go")
    await session.close()
    import json

    saved = json.loads((workspace / ".claw" / "settings.local.json").read_text())
    assert saved["permissions"]["allow"] == ["Bash(echo hi:*)"]


async def test_decline_and_take_over_ends_the_turn(server, workspace):
    server.add(sc.tools(("Bash", {"command": "echo a"}), ("Bash", {"command": "echo b"})), sc.text("never"))
    session = make_session(server, workspace)
    session.bus.subscribe(
        lambda e: e.future.set_result(ApprovalDecision(allow=False, stop_turn=True)),
        approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested),
    )
    result = await session.run("go")
    await session.close()
    assert result.outcome == "interrupted"
    assert len(server.received) == 1  # the model was not called again
    assert transcript_is_valid(session.agent.messages)


async def test_deny_rule_beats_allow_and_bypass(server, workspace):
    marker = workspace / "gone"
    server.add(sc.tool("Bash", command=f"ls; rm -rf {marker}"), sc.text("ok"))
    marker.mkdir()
    session = make_session(server, workspace, permission_mode="bypassPermissions",
                           allowed_tools=["Bash"], disallowed_tools=["Bash(rm:*)"])
    await session.run("clean")
    await session.close()
    assert marker.exists()
    assert "denied by rule Bash(rm:*)" in session.agent.messages[2].content[0].content


async def test_plan_mode_refuses_edits(server, workspace):
    f = workspace / "f.txt"
    server.add(sc.tool("Write", file_path=str(f), content="x"), sc.text("ok"))
    session = make_session(server, workspace, permission_mode="plan")
    await session.run("write")
    await session.close()
    assert not f.exists()
    assert "plan mode" in session.agent.messages[2].content[0].content


async def test_accept_edits_still_asks_outside_the_workspace(server, workspace, tmp_path):
    outside = tmp_path / "outside.txt"
    server.add(sc.tool("Write", file_path=str(outside), content="x"), sc.text("ok"))
    session = make_session(server, workspace, permission_mode="acceptEdits")
    asked: list[ApprovalRequested] = []
    session.bus.subscribe(
        lambda e: (asked.append(e), e.future.set_result(ApprovalDecision(allow=False))),
        approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested),
    )
    await session.run("write outside")
    await session.close()
    assert asked and not outside.exists()


async def test_prefix_rule_does_not_allow_chained_commands(server, workspace):
    marker = workspace / "canary"
    server.add(sc.tool("Bash", command=f"git status && touch {marker}"), sc.text("ok"))
    session = make_session(server, workspace, allowed_tools=["Bash(git status:*)"])
    await session.run("status")
    await session.close()
    assert not marker.exists()
