"""The session file format: append-only JSONL, torn lines, redaction, listing, cleanup."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from claw_tui.engine.store import (
    BlobStore,
    SessionNotFound,
    SessionWriter,
    cleanup_sessions,
    encode_record,
    find_session,
    list_sessions,
    load_session,
    project_dir,
    write_meta,
)
from claw_tui.providers.base import Message, TextBlock, ToolResultBlock, ToolUseBlock
from claw_tui.redact import REDACTED, redact


def _write_session(ws: Path, sid: str, prompts: list[str], *, cost: float = 0.0) -> Path:
    path = project_dir(ws) / f"{sid}.jsonl"
    w = SessionWriter(path, sync=False)
    w.append({"t": "session", "id": sid, "cwd": str(ws), "model": "m", "provider": "anthropic", "mode": "default"})
    for i, p in enumerate(prompts, 1):
        w.append({"t": "prompt", "seq": i, "text": p})
        w.append({"t": "msg", "m": Message.user(p).to_dict()})
        w.append({"t": "msg", "m": Message("assistant", [TextBlock(f"answer {i}")]).to_dict()})
        w.append({"t": "usage", "model": "m", "u": {"input_tokens": 10, "output_tokens": 5}, "cost": cost})
        w.append({"t": "turn", "outcome": "success"})
    w.close()
    return path


def test_round_trip_restores_messages_prompts_and_cost(workspace):
    path = _write_session(workspace, "s1", ["first thing", "second thing"], cost=0.25)
    loaded = load_session(path)
    assert [m.text for m in loaded.messages] == ["first thing", "answer 1", "second thing", "answer 2"]
    assert [(c.seq, c.text, c.at) for c in loaded.checkpoints] == [(1, "first thing", 0), (2, "second thing", 2)]
    assert loaded.cost_usd == pytest.approx(0.5)
    assert loaded.by_model["m"].requests == 2 and loaded.by_model["m"].usage.output_tokens == 10
    assert loaded.title == "first thing" and not loaded.notices and not loaded.turn_open
    # Every line is one complete JSON object.
    for line in path.read_text().splitlines():
        json.loads(line)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_torn_last_line_is_skipped_with_a_notice_and_cut_before_appending(workspace):
    path = _write_session(workspace, "s2", ["keep me"])
    with open(path, "ab") as fh:
        fh.write(b'{"t":"msg","m":{"role":"assistant","content":[{"type":"text","text":"half')
    loaded = load_session(path)
    assert [m.text for m in loaded.messages] == ["keep me", "answer 1"]
    assert any("cut off mid-write" in n for n in loaded.notices)
    # Reopening for append drops the torn bytes, so the next record is a line of its own.
    w = SessionWriter(path, sync=False)
    assert w.torn_bytes > 0
    w.append({"t": "msg", "m": Message.user("after the crash").to_dict()})
    w.close()
    again = load_session(path)
    assert [m.text for m in again.messages][-1] == "after the crash"
    assert not again.notices


def test_a_damaged_line_in_the_middle_is_skipped_not_fatal(workspace):
    path = _write_session(workspace, "s3", ["one", "two"])
    lines = path.read_text().splitlines()
    lines[3] = lines[3][:10]  # damage the first answer
    path.write_text("\n".join(lines) + "\n")
    loaded = load_session(path)
    assert [m.text for m in loaded.messages] == ["one", "two", "answer 2"]
    assert any("damaged" in n for n in loaded.notices)


def test_repair_answers_unfinished_calls_and_never_reruns_them(workspace):
    path = project_dir(workspace) / "s4.jsonl"
    w = SessionWriter(path, sync=False)
    w.append({"t": "session", "id": "s4", "cwd": str(workspace)})
    w.append({"t": "prompt", "seq": 1, "text": "do two things"})
    w.append({"t": "msg", "m": Message.user("do two things").to_dict()})
    calls = Message("assistant", [ToolUseBlock("a", "Read", {"file_path": "/x"}),
                                  ToolUseBlock("b", "Bash", {"command": "sleep 100"})])
    w.append({"t": "msg", "m": calls.to_dict()})
    w.append({"t": "tool", "id": "a", "name": "Read"})
    w.append({"t": "tool_end", "id": "a", "err": False, "c": "file body"})
    w.append({"t": "tool", "id": "b", "name": "Bash"})
    w.close()
    loaded = load_session(path)
    assert loaded.turn_open
    added = loaded.repair()
    results = {b.tool_use_id: b for b in added[0].content if isinstance(b, ToolResultBlock)}
    assert results["a"].content == "file body" and not results["a"].is_error
    assert results["b"].is_error and "NOT run again" in results["b"].content
    assert added[-1].role == "user" and "stopped before this turn finished" in added[-1].text


SECRETS = [
    ("key sk-ant-api03-abcdefghijklmnopqrstuv", "sk-ant-api03-abcdefghijklmnopqrstuv"),
    ("OPENAI key sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX", "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abcdef", "eyJhbGciOiJIUzI1NiJ9abcdef"),
    ("export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ", "ghp_0123456789abcdefghijABCDEFGHIJ"),
    ("MY_SERVICE_KEY=hunter2hunter2", "hunter2hunter2"),
    ("     1\tDB_PASSWORD=tabbed-secret-1", "tabbed-secret-1"),  # `cat -n` output: a tab before the name
    ("x\tghp_0123456789abcdefghijABCDEFGHIJ", "ghp_0123456789abcdefghijABCDEFGHIJ"),
    ('DB_PASSWORD="p4ss w0rd"', "w0rd"),
    ("DB_PASSWORD='p4ss w0rd'", "w0rd"),
    ('{"STRIPE_API_KEY": "zz9plural-z-alpha"}', "zz9plural-z-alpha"),
    ("AWS AKIAABCDEFGHIJKLMNOP here", "AKIAABCDEFGHIJKLMNOP"),
    ("https://x.test/?api_key=abcdef123456&q=1", "abcdef123456"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----", "MIIEow"),
]


@pytest.mark.parametrize("text,secret", SECRETS)
def test_redaction_in_text_and_inside_json_lines(text, secret):
    assert secret not in redact(text) and REDACTED in redact(text)
    line = encode_record({"t": "msg", "m": Message.user(text).to_dict(), "nested": {"x": [text]}})
    assert secret.encode() not in line
    json.loads(line)  # still valid JSON after redaction


def test_redaction_leaves_ordinary_code_alone():
    code = "monkey = banana\ntoken = lexer.next()\nfor key in keys: print(key)\n"
    assert redact(code) == code


def test_environment_secret_values_are_redacted_whatever_their_shape(monkeypatch):
    monkeypatch.setenv("ACME_TOKEN", 'we!rd"value\\with/quotes')
    line = encode_record({"t": "msg", "text": 'see we!rd"value\\with/quotes there'})
    assert b"we!rd" not in line
    json.loads(line)


def test_blobs_keep_secret_content_in_memory_only(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    plain = store.put("x = 1\n")
    secret = store.put("API_KEY=sk-ant-api03-abcdefghijklmnopqrstuv\n")
    assert (tmp_path / "blobs" / plain["sha"]).read_text() == "x = 1\n"
    assert "mem" in secret and not (tmp_path / "blobs" / secret["sha"]).exists()
    assert store.get(secret).startswith("API_KEY=")
    with pytest.raises(LookupError, match="not saved to disk"):
        BlobStore(tmp_path / "blobs").get(secret)  # after a restart


def test_listing_uses_meta_and_falls_back_to_reading(workspace):
    a = _write_session(workspace, "aaaa1111", ["older work"], cost=0.1)
    time.sleep(0.01)
    b = _write_session(workspace, "bbbb2222", ["newer work", "more"], cost=0.2)
    os.utime(a, (time.time() - 100, time.time() - 100))
    write_meta(b, {"title": "from meta", "first_prompt": "newer work", "messages": 4, "prompts": 2, "cost": 0.4,
                   "size": b.stat().st_size, "cwd": str(workspace)})
    infos = list_sessions(workspace)
    assert [i.id for i in infos] == ["bbbb2222", "aaaa1111"]
    assert infos[0].title == "from meta" and infos[0].cost_usd == 0.4
    assert infos[1].title == "older work" and infos[1].messages == 2  # no meta: read from the file
    assert find_session(workspace, None) == b
    assert find_session(workspace, "aaaa") == a
    with pytest.raises(SessionNotFound, match="no session"):
        find_session(workspace, "cccc")
    with pytest.raises(SessionNotFound, match="not a session id"):
        find_session(workspace, "../../etc/passwd")


def test_a_session_of_another_directory_is_named_not_resumed_here(workspace, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    _write_session(other, "dddd4444", ["elsewhere"])
    with pytest.raises(SessionNotFound, match="belongs to"):
        find_session(workspace, "dddd4444")


def test_cleanup_removes_only_sessions_older_than_the_period(workspace):
    old = _write_session(workspace, "old1", ["old"])
    (old.with_name("old1") / "blobs").mkdir(parents=True)
    kept_old = _write_session(workspace, "old2", ["old but in use"])
    new = _write_session(workspace, "new1", ["new"])
    past = time.time() - 40 * 86400
    for p in (old, kept_old):
        os.utime(p, (past, past))
    from claw_tui.permissions.audit import audit_dir

    audit_dir().mkdir(parents=True, exist_ok=True)
    audits = {name: audit_dir() / f"{name}.jsonl" for name in ("old1", "old2", "new1")}
    for name, path in audits.items():
        path.write_text('{"tool": "Bash"}\n')
        if name != "new1":
            os.utime(path, (past, past))
    removed = cleanup_sessions(30, keep={"old2"})
    assert removed == ["old1"]
    assert not old.exists() and not old.with_name("old1").exists()
    assert kept_old.exists() and new.exists()
    # Audit logs go with them: the old one, not the one in use, not a recent one.
    assert not audits["old1"].exists() and audits["old2"].exists() and audits["new1"].exists()


def test_a_session_open_in_another_claw_is_not_appended_to(workspace):
    from claw_tui.engine.store import SessionBusy

    path = _write_session(workspace, "busy1", ["one"])
    first = SessionWriter(path, sync=False)
    with pytest.raises(SessionBusy, match="fork-session"):
        SessionWriter(path, sync=False)
    first.close()
    SessionWriter(path, sync=False).close()  # free again once the first one closed
