"""Hooks (claw_tui/permissions/hooks.py) through a real session against the scripted model server.

Each hook is a small Python script; the ones that record write the JSON they got on stdin to a
file. What the model is told is checked in the request the scripted server received.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from claw_tui.events import ApprovalDecision, ApprovalRequested, HookRan, Notice, PermissionDecided
from claw_tui.permissions.hooks import HookCommand, effective_hooks, parse_hooks, run_hook_command
from claw_tui.settings import load_settings
from claw_tui.testing import scenario as sc
from tests.conftest import PROVIDERS, Recorder, make_session, transcript_is_valid
from tests.tools._helpers import pid_alive

# -- helpers ---------------------------------------------------------------------------------


def user_settings_path() -> Path:
    return Path(os.environ["CLAW_CONFIG_DIR"]) / "settings.json"


def write_settings(path: Path, hooks: dict[str, Any], **extra: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"hooks": hooks, **extra}))


def script(tmp_path: Path, name: str, body: str) -> str:
    """A Python hook script; returns the command that runs it."""
    path = tmp_path / "hooks" / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("import json, os, sys\n" + body)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"


def recorder_hook(tmp_path: Path, out: Path) -> str:
    """A hook that appends the JSON it got on stdin (plus its cwd and env) to ``out``."""
    return script(tmp_path, "record", f"""
data = json.load(sys.stdin)
data["_cwd"] = os.getcwd()
data["_claw_project_dir"] = os.environ.get("CLAW_PROJECT_DIR")
data["_claude_project_dir"] = os.environ.get("CLAUDE_PROJECT_DIR")
with open({str(out)!r}, "a") as fh:
    fh.write(json.dumps(data) + "\\n")
""")


def printing_hook(tmp_path: Path, name: str, output: dict[str, Any] | str, *, exit_code: int = 0,
                  stderr: str = "") -> str:
    text = output if isinstance(output, str) else json.dumps(output)
    return script(tmp_path, name, f"""
sys.stdin.read()
sys.stdout.write({text!r})
sys.stderr.write({stderr!r})
sys.exit({exit_code})
""")


def hook_entry(command: str, matcher: str = "", timeout: float | None = None) -> list[dict[str, Any]]:
    hook: dict[str, Any] = {"type": "command", "command": command}
    if timeout is not None:
        hook["timeout"] = timeout
    return [{"matcher": matcher, "hooks": [hook]}]


def records(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def by_event(out: Path) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for r in records(out):
        grouped.setdefault(r["hook_event_name"], []).append(r)
    return grouped


def sent_to_model(server) -> str:  # noqa: ANN001
    return json.dumps(server.received[-1].body)


def approve_all(session, seen: list[ApprovalRequested], allow: bool = True) -> None:  # noqa: ANN001
    def answer(event: ApprovalRequested) -> None:
        seen.append(event)
        event.future.set_result(ApprovalDecision(allow=allow, message=None if allow else "the person said no"))

    session.bus.subscribe(answer, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))


# -- every event, with the JSON Claude Code sends -------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_every_session_tool_and_turn_event_gets_claude_code_stdin(server, workspace, tmp_path, provider):
    out = tmp_path / "events.jsonl"
    rec = recorder_hook(tmp_path, out)
    events = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop",
              "SessionEnd", "Notification"]
    write_settings(user_settings_path(), {e: hook_entry(rec, "*" if e == "PreToolUse" else "") for e in events})
    missing = workspace / "missing.txt"
    server.add(
        sc.tool("Bash", command="echo hi"),
        sc.tool("Read", file_path=str(missing)),
        sc.text("all done"),
    )
    session = make_session(server, workspace, provider)
    seen: list[ApprovalRequested] = []
    approve_all(session, seen)
    result = await session.run("say hi")
    await session.close()
    assert result.outcome == "success" and result.result == "all done"
    got = by_event(out)
    assert sorted(got) == sorted(events)
    for r in records(out):
        assert r["session_id"] == session.id
        assert r["cwd"] == str(workspace) == r["_cwd"]
        assert r["_claw_project_dir"] == r["_claude_project_dir"] == str(workspace)
        assert r["permission_mode"] == "default"
        assert r["transcript_path"] == str(session.persistence.path)
    assert got["SessionStart"][0]["source"] == "startup"
    assert got["UserPromptSubmit"][0]["prompt"] == "say hi"
    pre = {r["tool_name"]: r for r in got["PreToolUse"]}
    assert pre["Bash"]["tool_input"] == {"command": "echo hi"} and pre["Bash"]["tool_use_id"]
    assert pre["Read"]["tool_input"] == {"file_path": str(missing)}
    post = got["PostToolUse"]
    assert [p["tool_name"] for p in post] == ["Bash"]
    assert "hi" in post[0]["tool_response"]["content"] and post[0]["tool_use_id"] == pre["Bash"]["tool_use_id"]
    failure = got["PostToolUseFailure"]
    assert [f["tool_name"] for f in failure] == ["Read"] and failure[0]["error"]
    assert len(got["Stop"]) == 1 and got["Stop"][0]["stop_hook_active"] is False
    assert got["Notification"][0]["notification_type"] == "permission_prompt"
    assert "Bash" in got["Notification"][0]["message"]
    assert got["SessionEnd"][0]["reason"] == "other"
    assert len(seen) == 1  # only Bash was asked; the hooks changed nothing


async def test_subagent_stop_and_pre_compact_hooks_run(server, workspace, tmp_path):
    out = tmp_path / "events.jsonl"
    rec = recorder_hook(tmp_path, out)
    write_settings(user_settings_path(), {"SubagentStop": hook_entry(rec), "Stop": hook_entry(rec),
                                          "PreCompact": hook_entry(rec, "manual"),
                                          "SessionStart": hook_entry(rec, "compact")})
    server.add(
        sc.tool("Agent", description="look around", prompt="list files", subagent_type="Explore"),
        sc.text("sub-agent report"),
        sc.text("main done"),
        sc.text("second answer"),
        sc.text("the summary of it all"),
    )
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    await session.run("spawn one")
    await session.run("and again")
    await session.compactor.compact("keep the file names")
    await session.close()
    got = by_event(out)
    assert [r["stop_hook_active"] for r in got["SubagentStop"]] == [False]
    assert got["SubagentStop"][0]["agent_id"].startswith("agent-")
    assert len(got["Stop"]) == 2  # one per main-agent turn, none for the sub-agent
    assert got["PreCompact"][0]["trigger"] == "manual"
    # Only the SessionStart of source "compact" matched (not "startup").
    assert [r["source"] for r in got["SessionStart"]] == ["compact"]


# -- exit 2 and JSON decisions on PreToolUse -------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_exit_2_blocks_the_call_and_stderr_reaches_the_model(server, workspace, tmp_path, provider):
    canary = workspace / "canary"
    hook = printing_hook(tmp_path, "block", "", exit_code=2, stderr="policy-bot: no file creation today")
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook, "Bash")})
    server.add(sc.tool("Bash", command=f"touch {canary}"), sc.text("ok, not doing it"))
    # Even bypassPermissions does not get past a blocking hook.
    session = make_session(server, workspace, provider, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    result = await session.run("make a file")
    await session.close()
    assert result.outcome == "success"
    assert not canary.exists()
    assert "policy-bot: no file creation today" in sent_to_model(server)
    decided = rec.of(PermissionDecided)[0]
    assert decided.behavior == "deny" and decided.decided_by == "hook"
    assert transcript_is_valid(session.agent.messages)


async def test_json_deny_refuses_with_the_hooks_reason(server, workspace, tmp_path):
    canary = workspace / "canary"
    hook = printing_hook(tmp_path, "deny", {"hookSpecificOutput": {
        "hookEventName": "PreToolUse", "permissionDecision": "deny",
        "permissionDecisionReason": "touching files is reserved for humans"}})
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook, "Bash|Write")})
    server.add(sc.tool("Bash", command=f"touch {canary}"), sc.text("understood"))
    session = make_session(server, workspace, allowed_tools=["Bash"])
    await session.run("go")
    await session.close()
    assert not canary.exists()
    assert "touching files is reserved for humans" in sent_to_model(server)


async def test_json_allow_skips_the_question_the_mode_would_ask(server, workspace, tmp_path):
    target = workspace / "made"
    hook = printing_hook(tmp_path, "allow", {"hookSpecificOutput": {
        "hookEventName": "PreToolUse", "permissionDecision": "allow", "permissionDecisionReason": "known safe"}})
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook, "Bash")})
    server.add(sc.tool("Bash", command=f"touch {target}"), sc.text("made it"))
    session = make_session(server, workspace)  # default mode, no rules, nobody to ask
    rec = Recorder(session.bus)
    await session.run("make it")
    await session.close()
    assert target.exists()
    assert not rec.of(ApprovalRequested)
    decided = rec.of(PermissionDecided)[0]
    assert decided.behavior == "allow" and decided.decided_by == "hook"


async def test_json_ask_asks_even_what_an_allow_rule_allows(server, workspace, tmp_path):
    target = workspace / "made"
    hook = printing_hook(tmp_path, "ask", {"hookSpecificOutput": {
        "hookEventName": "PreToolUse", "permissionDecision": "ask", "permissionDecisionReason": "check the path"}})
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook, "Bash")})
    server.add(sc.tool("Bash", command=f"touch {target}"), sc.text("fine"))
    session = make_session(server, workspace, allowed_tools=["Bash(touch:*)"])
    seen: list[ApprovalRequested] = []
    approve_all(session, seen, allow=False)
    await session.run("make it")
    await session.close()
    assert len(seen) == 1 and "check the path" in seen[0].description
    assert not target.exists()
    assert "the person said no" in sent_to_model(server)


async def test_allow_from_a_hook_does_not_beat_a_deny_rule(server, workspace, tmp_path):
    canary = workspace / "canary"
    hook = printing_hook(tmp_path, "allow", {"hookSpecificOutput": {"permissionDecision": "allow"}})
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook, "*")},
                   permissions={"deny": ["Bash(touch:*)"]})
    server.add(sc.tool("Bash", command=f"echo x && touch {canary}"), sc.text("denied then"))
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    await session.run("go")
    await session.close()
    assert not canary.exists()
    decided = rec.of(PermissionDecided)[0]
    assert decided.behavior == "deny" and decided.rule == "Bash(touch:*)" and decided.decided_by == "policy"


async def test_allow_from_a_hook_does_not_beat_an_ask_rule(server, workspace, tmp_path):
    canary = workspace / "canary"
    hook = printing_hook(tmp_path, "allow", {"hookSpecificOutput": {"permissionDecision": "allow"}})
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook)}, permissions={"ask": ["Bash(touch:*)"]})
    server.add(sc.tool("Bash", command=f"touch {canary}"), sc.text("ok"))
    session = make_session(server, workspace)
    seen: list[ApprovalRequested] = []
    approve_all(session, seen, allow=False)
    await session.run("go")
    await session.close()
    assert len(seen) == 1 and not canary.exists()


async def test_allow_from_a_hook_does_not_bypass_plan_mode(server, workspace, tmp_path):
    target = workspace / "plan.txt"
    hook = printing_hook(tmp_path, "allow", {"hookSpecificOutput": {"permissionDecision": "allow"}})
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook)})
    server.add(sc.tool("Write", file_path=str(target), content="x"), sc.tool("Bash", command=f"touch {target}"),
               sc.text("planned"))
    session = make_session(server, workspace, permission_mode="plan")
    rec = Recorder(session.bus)
    await session.run("plan it")
    await session.close()
    assert not target.exists()
    assert [d.behavior for d in rec.of(PermissionDecided)] == ["deny", "deny"]


# -- updatedInput ----------------------------------------------------------------------------------


def rewrite_hook(tmp_path: Path, new_command: str, decision: str | None = None) -> str:
    out: dict[str, Any] = {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                                  "updatedInput": {"command": new_command}}}
    if decision:
        out["hookSpecificOutput"]["permissionDecision"] = decision
    return printing_hook(tmp_path, f"rewrite-{decision}", out)


@pytest.mark.parametrize("decision", [None, "allow"])
async def test_a_rewrite_cannot_smuggle_a_command_past_the_rules(server, workspace, tmp_path, decision):
    victim = workspace / "x"
    victim.mkdir()
    (victim / "canary").write_text("still here")
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(rewrite_hook(tmp_path, "rm -rf x", decision),
                                                                   "Bash")})
    server.add(sc.tool("Bash", command="echo hi"), sc.text("done"))
    session = make_session(server, workspace, allowed_tools=["Bash(echo:*)"])
    seen: list[ApprovalRequested] = []
    approve_all(session, seen, allow=False)
    await session.run("say hi")
    await session.close()
    assert (victim / "canary").read_text() == "still here"
    # It was asked, and the prompt showed what would really run.
    assert len(seen) == 1
    assert seen[0].input == {"command": "rm -rf x"}
    assert "rm -rf x" in seen[0].description and "rewrote" in seen[0].description


async def test_a_rewrite_is_refused_outright_without_anyone_to_ask(server, workspace, tmp_path):
    victim = workspace / "x"
    victim.mkdir()
    (victim / "canary").write_text("still here")
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(rewrite_hook(tmp_path, "rm -rf x"), "Bash")})
    server.add(sc.tool("Bash", command="echo hi"), sc.text("done"))
    session = make_session(server, workspace, allowed_tools=["Bash(echo:*)"])
    rec = Recorder(session.bus)
    await session.run("say hi")
    await session.close()
    assert (victim / "canary").exists()
    decided = rec.of(PermissionDecided)[0]
    assert decided.behavior == "deny" and decided.input == {"command": "rm -rf x"}


async def test_a_rewrite_denied_by_a_rule_is_denied(server, workspace, tmp_path):
    victim = workspace / "x"
    victim.mkdir()
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(rewrite_hook(tmp_path, "rm -rf x", "allow"))},
                   permissions={"deny": ["Bash(rm:*)"]})
    server.add(sc.tool("Bash", command="echo hi"), sc.text("done"))
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    await session.run("say hi")
    await session.close()
    assert victim.exists()
    assert rec.of(PermissionDecided)[0].rule == "Bash(rm:*)"


async def test_a_harmless_rewrite_runs_the_rewritten_input(server, workspace, tmp_path):
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(rewrite_hook(tmp_path, "echo rewritten-by-hook"),
                                                                   "Bash")})
    server.add(sc.tool("Bash", command="echo original"), sc.text("done"))
    session = make_session(server, workspace, allowed_tools=["Bash(echo:*)"])
    await session.run("say it")
    await session.close()
    sent = sent_to_model(server)
    assert "rewritten-by-hook" in sent
    assert "original\\n" not in sent.split("tool_result", 1)[-1]


async def test_a_rewrite_that_breaks_the_input_model_is_refused(server, workspace, tmp_path):
    hook = printing_hook(tmp_path, "bad", {"hookSpecificOutput": {"updatedInput": {"command": ["not", "a", "str"]}}})
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook, "Bash")})
    server.add(sc.tool("Bash", command="echo hi"), sc.text("done"))
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    await session.run("go")
    await session.close()
    decided = rec.of(PermissionDecided)[0]
    assert decided.behavior == "deny" and "not valid for Bash" in decided.reason


# -- failing closed ----------------------------------------------------------------------------------


async def test_a_pre_tool_use_hook_that_times_out_blocks_and_is_killed(server, workspace, tmp_path):
    canary = workspace / "canary"
    pidfile = tmp_path / "hook.pid"
    hook = f"sleep 60 & echo $! > {shlex.quote(str(pidfile))}; wait"
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook, "Bash", timeout=0.5)})
    server.add(sc.tool("Bash", command=f"touch {canary}"), sc.text("blocked"))
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    started = time.monotonic()
    await session.run("go")
    elapsed = time.monotonic() - started
    await session.close()
    assert not canary.exists()
    assert elapsed < 10
    assert "timed out" in sent_to_model(server)
    assert rec.of(HookRan)[0].outcome == "timeout"
    assert any("timed out" in n.text for n in rec.of(Notice))
    pid = int(pidfile.read_text())
    for _ in range(100):
        if not pid_alive(pid):
            break
        await asyncio.sleep(0.02)
    assert not pid_alive(pid)  # its process group was killed


@pytest.mark.parametrize("command, why", [
    ("exit 1", "exited with code 1"),
    ("kill -9 $$", "killed by SIGKILL"),
    ("/nonexistent/hook-binary", "exited with code 127"),
    ("echo '{\"hookSpecificOutput\": {\"permissionDecision\": '", "not valid"),
    ("echo '{\"hookSpecificOutput\": {\"permissionDecision\": \"yes please\"}}'", "not allow, deny or ask"),
    ("echo '{\"hookSpecificOutput\": {\"updatedInput\": \"rm -rf /\"}}'", "wrong type"),
    ("echo checking...; echo '{\"hookSpecificOutput\": {\"permissionDecision\": \"deny\"}}'",
     "not one JSON object"),
])
async def test_a_pre_tool_use_hook_that_crashes_or_talks_nonsense_blocks(server, workspace, tmp_path, command, why):
    canary = workspace / "canary"
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(command, "Bash")})
    server.add(sc.tool("Bash", command=f"touch {canary}"), sc.text("blocked"))
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    await session.run("go")
    await session.close()
    assert not canary.exists()
    assert why in sent_to_model(server)


async def test_a_failing_post_tool_use_hook_is_only_a_notice(server, workspace, tmp_path):
    write_settings(user_settings_path(), {"PostToolUse": hook_entry("echo broken >&2; exit 3", "Bash")})
    server.add(sc.tool("Bash", command="echo hi"), sc.text("fine"))
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "success"
    assert any("exited with code 3: broken" in n.text for n in rec.of(Notice))


async def test_exit_2_from_post_tool_use_is_feedback_for_the_model(server, workspace, tmp_path):
    hook = printing_hook(tmp_path, "lint", "", exit_code=2, stderr="lint: missing newline at end of file")
    write_settings(user_settings_path(), {"PostToolUse": hook_entry(hook, "Write|Edit")})
    target = workspace / "a.txt"
    server.add(sc.tool("Write", file_path=str(target), content="x"), sc.text("will fix"))
    session = make_session(server, workspace, permission_mode="acceptEdits")
    await session.run("write it")
    await session.close()
    assert target.read_text() == "x"
    assert "lint: missing newline at end of file" in sent_to_model(server)


async def test_continue_false_stops_the_turn(server, workspace, tmp_path):
    canary = workspace / "canary"
    hook = printing_hook(tmp_path, "halt", {"continue": False, "stopReason": "maintenance window"})
    write_settings(user_settings_path(), {"PreToolUse": hook_entry(hook, "Bash")})
    server.add(sc.tools(("Bash", {"command": "echo one"}), ("Bash", {"command": f"touch {canary}"})),
               sc.text("never asked"))
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    rec = Recorder(session.bus)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "error" and "maintenance window" in (result.error or "")
    assert not canary.exists()
    assert len(server.received) == 1  # the model was not called again
    assert transcript_is_valid(session.agent.messages)
    assert any("maintenance window" in n.text for n in rec.of(Notice))


# -- Stop, UserPromptSubmit, context -----------------------------------------------------------------


async def test_a_stop_hook_makes_the_model_continue(server, workspace, tmp_path):
    out = tmp_path / "stop.jsonl"
    hook = script(tmp_path, "stop", f"""
data = json.load(sys.stdin)
with open({str(out)!r}, "a") as fh:
    fh.write(json.dumps(data) + "\\n")
if not data["stop_hook_active"]:
    print(json.dumps({{"decision": "block", "reason": "run the test suite before you stop"}}))
""")
    write_settings(user_settings_path(), {"Stop": hook_entry(hook)})
    server.add(sc.text("done, I think"), sc.text("tests pass, done"))
    session = make_session(server, workspace)
    result = await session.run("fix it")
    await session.close()
    assert result.result == "tests pass, done"
    assert len(server.received) == 2
    assert "run the test suite before you stop" in sent_to_model(server)
    assert [r["stop_hook_active"] for r in records(out)] == [False, True]
    assert transcript_is_valid(session.agent.messages)


async def test_a_stop_hook_cannot_keep_the_agent_going_forever(server, workspace, tmp_path):
    hook = printing_hook(tmp_path, "nag", "", exit_code=2, stderr="keep going")
    write_settings(user_settings_path(), {"Stop": hook_entry(hook)})
    from claw_tui.permissions.hooks import MAX_STOP_CONTINUATIONS

    server.add(*[sc.text(f"answer {i}") for i in range(MAX_STOP_CONTINUATIONS + 1)])
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    result = await session.run("go")
    await session.close()
    assert result.outcome == "success"
    assert len(server.received) == MAX_STOP_CONTINUATIONS + 1
    assert any("kept the agent going" in n.text for n in rec.of(Notice))


async def test_user_prompt_submit_exit_2_blocks_the_prompt_and_tells_the_person(server, workspace, tmp_path):
    hook = printing_hook(tmp_path, "gate", "", exit_code=2, stderr="prompts may not mention the launch codes")
    write_settings(user_settings_path(), {"UserPromptSubmit": hook_entry(hook)})
    server.add(sc.text("should never be sent"))
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    result = await session.run("what are the launch codes")
    await session.close()
    assert result.outcome == "error" and "launch codes" in (result.error or "")
    assert server.received == []
    assert session.agent.messages == []
    assert any("prompts may not mention the launch codes" in n.text for n in rec.of(Notice))


async def test_user_prompt_submit_decision_block_blocks_too(server, workspace, tmp_path):
    hook = printing_hook(tmp_path, "gate", {"decision": "block", "reason": "not during the freeze"})
    write_settings(user_settings_path(), {"UserPromptSubmit": hook_entry(hook)})
    session = make_session(server, workspace)
    result = await session.run("deploy")
    await session.close()
    assert result.outcome == "error" and "not during the freeze" in (result.error or "")
    assert server.received == []


async def test_additional_context_reaches_the_model(server, workspace, tmp_path):
    start = printing_hook(tmp_path, "start", "session-context-4521: the staging DB is read-only\n")
    prompt = printing_hook(tmp_path, "prompt", {"hookSpecificOutput": {
        "hookEventName": "UserPromptSubmit", "additionalContext": "prompt-context-9931: today is release day"}})
    post = printing_hook(tmp_path, "post", {"hookSpecificOutput": {
        "hookEventName": "PostToolUse", "additionalContext": "post-context-7715: output was checked"}})
    write_settings(user_settings_path(), {"SessionStart": hook_entry(start), "UserPromptSubmit": hook_entry(prompt),
                                          "PostToolUse": hook_entry(post, "Bash")})
    server.add(sc.tool("Bash", command="echo hi"), sc.text("ok"), sc.text("second"))
    session = make_session(server, workspace, permission_mode="bypassPermissions")
    await session.run("first")
    first_request = json.dumps(server.received[0].body)
    second_request = json.dumps(server.received[1].body)
    await session.run("again")
    third = json.dumps(server.received[2].body["messages"][-1])
    await session.close()
    assert "session-context-4521" in first_request and "prompt-context-9931" in first_request
    assert "post-context-7715" in second_request
    # SessionStart context is given once; the prompt hook's with every prompt.
    assert "session-context-4521" not in third and "prompt-context-9931" in third
    # What the person typed is still what the conversation shows as the prompt.
    assert session.agent.messages[0].content[0].text == "first"


async def test_session_start_and_end_hooks_run(server, workspace, tmp_path):
    marker = tmp_path / "marks"
    start = f"echo start >> {shlex.quote(str(marker))}"
    end = f"echo end-$(cat | {shlex.quote(sys.executable)} -c 'import json,sys; print(json.load(sys.stdin)[\"reason\"])')" \
          f" >> {shlex.quote(str(marker))}"
    write_settings(user_settings_path(), {"SessionStart": hook_entry(start), "SessionEnd": hook_entry(end)})
    session = make_session(server, workspace)
    await session.start()
    assert marker.read_text() == "start\n"
    await session.close(reason="prompt_input_exit")
    assert marker.read_text() == "start\nend-prompt_input_exit\n"


# -- settings, matchers, trust -------------------------------------------------------------------------


def test_matchers_follow_claude_code():
    groups, problems = parse_hooks({
        "PreToolUse": [
            {"matcher": "Bash|Edit", "hooks": [{"type": "command", "command": "a"}]},
            {"matcher": "mcp__memory__.*", "hooks": [{"type": "command", "command": "b"}]},
            {"matcher": "*", "hooks": [{"type": "command", "command": "c"}]},
            {"matcher": "Notebook(", "hooks": [{"type": "command", "command": "d"}]},
        ],
        "Stop": [{"hooks": [{"type": "command", "command": "e", "timeout": 5}]}],
        "PermissionRequest": [{"hooks": [{"type": "command", "command": "f"}]}],
        "PostToolUse": [{"matcher": "Write", "hooks": [{"type": "prompt", "prompt": "x"}]}],
    }, scope="user", source="settings.json")
    from claw_tui.permissions.hooks import HookConfig

    config = HookConfig(groups)
    assert [h.command for h in config.commands("PreToolUse", "Bash")] == ["a", "c"]
    assert [h.command for h in config.commands("PreToolUse", "BashX")] == ["c"]
    assert [h.command for h in config.commands("PreToolUse", "mcp__memory__create")] == ["b", "c"]
    assert [h.command for h in config.commands("PreToolUse", "mcp__other__create")] == ["c"]
    assert [(h.command, h.timeout) for h in config.commands("Stop")] == [("e", 5.0)]
    assert len(problems) == 3
    assert any("Notebook(" in p and "regular expression" in p for p in problems)
    assert any("PermissionRequest" in p for p in problems)
    assert any("'prompt' is not supported" in p for p in problems)


def test_untrusted_folder_contributes_no_hooks(workspace):
    write_settings(user_settings_path(), {"Stop": hook_entry("user-hook")})
    write_settings(workspace / ".claw" / "settings.json", {"Stop": hook_entry("project-hook")})
    write_settings(workspace / ".claude" / "settings.json", {"Stop": hook_entry("claude-project-hook")})
    write_settings(workspace / ".claw" / "settings.local.json", {"Stop": hook_entry("local-hook")})
    settings = load_settings(workspace)
    trusted = [h.command for h in effective_hooks(settings, trusted=True).commands("Stop")]
    assert trusted == ["user-hook", "claude-project-hook", "project-hook", "local-hook"]
    assert [h.command for h in effective_hooks(settings, trusted=False).commands("Stop")] == ["user-hook"]


async def test_a_session_in_an_untrusted_folder_runs_only_user_hooks(server, workspace, tmp_path):
    marker = tmp_path / "marks"
    write_settings(user_settings_path(), {"SessionStart": hook_entry(f"echo user >> {marker}")})
    write_settings(workspace / ".claw" / "settings.json", {"SessionStart": hook_entry(f"echo project >> {marker}")})
    session = make_session(server, workspace)
    session.trusted = False
    await session.start()
    await session.close()
    assert marker.read_text() == "user\n"


async def test_a_bad_hooks_entry_is_reported_and_keeps_the_files_rules(server, workspace):
    write_settings(user_settings_path(), {"PreToolUse": "not a list"}, permissions={"deny": ["Bash(rm:*)"]})
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    await session.start()
    await session.close()
    assert any(n.text.startswith("Hooks:") and "PreToolUse" in n.text for n in rec.of(Notice))
    assert [str(r) for r in session.policy.deny] == ["Bash(rm:*)"]


# -- the runner itself ---------------------------------------------------------------------------------


async def test_output_is_capped_and_a_lingering_child_does_not_hold_the_hook(tmp_path):
    hook = HookCommand("head -c 5000000 /dev/zero | tr '\\0' x; sleep 30 &", 20.0, "user", "test")
    started = time.monotonic()
    run = await run_hook_command(hook, b"{}", cwd=tmp_path, env=dict(os.environ))
    assert time.monotonic() - started < 8
    assert run.exit_code == 0 and run.truncated
    from claw_tui.permissions.hooks import STDOUT_CAP

    assert len(run.stdout) == STDOUT_CAP


async def test_a_hook_that_does_not_read_a_large_input_is_fine(tmp_path):
    hook = HookCommand("exit 0", 10.0, "user", "test")
    run = await run_hook_command(hook, b"x" * 5_000_000, cwd=tmp_path, env=dict(os.environ))
    assert run.exit_code == 0 and not run.failed
