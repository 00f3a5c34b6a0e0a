"""The audit log (claw_tui/permissions/audit.py): every decision, on disk, secrets redacted."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

from claw_tui.events import ApprovalDecision, ApprovalRequested, PermissionDecided
from claw_tui.permissions.audit import AuditLog, audit_dir, canonical_json, input_digest, read_records
from claw_tui.testing import scenario as sc
from tests.conftest import Recorder, make_session

SECRET = "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD"


def lines_of(session) -> list[dict]:  # noqa: ANN001
    path = session.audit.path
    assert path.parent == audit_dir()
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_every_decision_lands_in_the_log_with_digest_rule_decider_and_mode(server, workspace, tmp_path):
    hook = f"{shlex.quote(sys.executable)} -c \"import sys; sys.stdin.read(); sys.stderr.write('no curl'); sys.exit(2)\""
    settings = Path(os.environ["CLAW_CONFIG_DIR"]) / "settings.json"
    settings.write_text(json.dumps({"hooks": {"PreToolUse": [{"matcher": "WebFetch",
                                                              "hooks": [{"type": "command", "command": hook}]}]}}))
    server.add(
        sc.tool("Bash", command="echo allowed-by-rule"),
        sc.tool("Bash", command="rm -rf nothing-here"),
        sc.tool("Bash", command="touch asked-file"),
        sc.tool("WebFetch", url="https://example.com/", prompt="read it"),
        sc.text("done"),
    )
    session = make_session(server, workspace, allowed_tools=["Bash(echo:*)"], disallowed_tools=["Bash(rm:*)"])

    def approve(event: ApprovalRequested) -> None:
        event.future.set_result(ApprovalDecision(allow=True, scope="once"))

    session.bus.subscribe(approve, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    rec = Recorder(session.bus)
    await session.run("do things")
    await session.close()
    decided = rec.of(PermissionDecided)
    assert len(decided) == 4
    lines = lines_of(session)
    perms = [r for r in lines if r["kind"] == "permission"]
    assert [(r["tool"], r["decision"], r["decided_by"]) for r in perms] == [
        ("Bash", "allow", "policy"), ("Bash", "deny", "policy"), ("Bash", "allow", "user"), ("WebFetch", "deny", "hook"),
    ]
    assert perms[0]["rule"] == "Bash(echo:*)" and perms[1]["rule"] == "Bash(rm:*)"
    for r, e in zip(perms, decided):
        assert r["session_id"] == session.id and r["agent_id"] == "main" and r["mode"] == "default"
        assert r["call_id"] == e.call_id
        assert r["input_sha256"] == input_digest(e.input)
        assert len(r["input_sha256"]) == 64
        assert r["time"].endswith("Z")
    assert perms[0]["input_preview"] == "echo allowed-by-rule"
    assert input_digest({"command": "echo allowed-by-rule"}) == perms[0]["input_sha256"]
    hook_lines = [r for r in lines if r["kind"] == "hook"]
    assert hook_lines and hook_lines[0]["hook_event"] == "PreToolUse" and hook_lines[0]["decision"] == "deny"
    assert hook_lines[0]["reason"] == "no curl" and hook_lines[0]["tool"] == "WebFetch"
    # recent_decisions() reads them back, newest last.
    assert session.audit.recent_decisions(2)[-1]["tool"] == "WebFetch"


async def test_a_secret_in_a_command_never_reaches_the_file(server, workspace):
    command = f"export OPENAI_API_KEY={SECRET}; curl -H 'Authorization: Bearer {SECRET[3:]}' localhost"
    server.add(sc.tool("Bash", command=command), sc.tool("Bash", command=f"GITHUB_TOKEN=ghp_{'a1' * 18} gh pr list"),
               sc.text("done"))
    session = make_session(server, workspace)  # nobody to ask: both are refused, and logged
    await session.run("use the key")
    await session.close()
    text = session.audit.path.read_text()
    assert SECRET not in text and SECRET[3:] not in text and SECRET[:16] not in text
    assert "ghp_" + "a1" * 18 not in text
    lines = lines_of(session)
    assert "[REDACTED]" in lines[0]["input_preview"]
    assert lines[0]["input_preview"].startswith("export OPENAI_API_KEY=[REDACTED]")
    # The digest is still of the exact input that was decided on.
    assert lines[0]["input_sha256"] == input_digest({"command": command})


def test_a_preview_is_redacted_before_it_is_cut(tmp_path):
    log = AuditLog(session_id=lambda: "s1", directory=tmp_path)
    long_prefix = "x" * 150
    event = PermissionDecided(call_id="c", tool="Bash", behavior="deny", reason="r", rule=None, decided_by="policy",
                              mode="default", input={"command": f"{long_prefix} {SECRET}"})
    record = log.permission_record(event)
    # Cut first, "sk-abcdefg" would be too short to recognise as a key and would be kept.
    assert "sk-abc" not in record["input_preview"]


def test_the_log_survives_a_crash_with_complete_lines(tmp_path):
    data = tmp_path / "data"
    code = textwrap.dedent("""
        import asyncio, os, signal
        from claw_tui.bus import EventBus
        from claw_tui.events import PermissionDecided
        from claw_tui.permissions.audit import AuditLog

        async def main():
            bus = EventBus()
            AuditLog(session_id=lambda: "crashy").attach(bus)
            for i in range(50):
                bus.publish(PermissionDecided(call_id=f"c{i}", tool="Bash", behavior="allow", reason="r",
                                              rule="Bash(echo:*)", decided_by="policy", mode="default",
                                              input={"command": "echo " + "x" * i}))
            os.kill(os.getpid(), signal.SIGKILL)  # no flush, no atexit: the process is gone

        asyncio.run(main())
    """)
    env = {**os.environ, "CLAW_DATA_DIR": str(data)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == -9
    path = data / "audit" / "crashy.jsonl"
    raw = path.read_text()
    assert raw.endswith("\n")
    parsed = [json.loads(line) for line in raw.splitlines()]
    assert [r["call_id"] for r in parsed] == [f"c{i}" for i in range(50)]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"


def test_a_torn_line_is_skipped_and_does_not_swallow_the_next(tmp_path):
    log = AuditLog(session_id=lambda: "torn", directory=tmp_path)
    log.write({"kind": "permission", "tool": "Read", "n": 1})
    with open(log.path, "a") as fh:
        fh.write('{"kind": "permission", "tool": "Ba')  # a crash mid-write
    later = AuditLog(session_id=lambda: "torn", directory=tmp_path)  # the session is resumed
    later.write({"kind": "permission", "tool": "Edit", "n": 2})
    assert [r["tool"] for r in read_records(log.path)] == ["Read", "Edit"]
    assert [r["tool"] for r in later.recent_decisions(1)] == ["Edit"]


def test_digest_is_of_canonical_json():
    a = {"b": 1, "a": "é"}
    assert canonical_json(a) == '{"a":"é","b":1}'
    assert input_digest(a) == input_digest({"a": "é", "b": 1})
    assert input_digest(a) != input_digest({"a": "e", "b": 1})


def test_a_session_id_cannot_name_a_path_outside_the_audit_dir(tmp_path):
    log = AuditLog(session_id=lambda: "../../etc/passwd", directory=tmp_path)
    assert log.path.parent == tmp_path and log.path.name == "etcpasswd.jsonl"
