"""Kill -9 a real `claw -p` at different moments, then continue the session.

Whatever the moment, continuing must give the model a valid transcript holding
everything that was stored, and no tool call may run twice: a call that was
running when claw died is answered as interrupted; one that had finished keeps
its real result.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claw_tui.engine.store import INTERRUPTED_BY_STOP, TURN_CUT_SHORT, load_session, project_dir
from claw_tui.providers.base import ToolResultBlock
from claw_tui.testing import scenario as sc
from claw_tui.testing.server import ScriptedModelServer
from claw_tui.events import Notice
from tests.conftest import Recorder, make_session, transcript_is_valid

CLAW = [sys.executable, "-m", "claw_tui.cli"]


def _records(ws: Path) -> list[dict]:
    out = []
    for path in project_dir(ws).glob("*.jsonl"):
        for line in path.read_bytes().split(b"\n"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def _run_and_kill(env: dict, ws: Path, prompt: str, until, *, timeout: float = 30.0, args=()) -> None:
    """Start `claw -p`, wait until ``until(records)`` holds, then kill -9 it."""
    proc = subprocess.Popen([*CLAW, "-p", prompt, "--allowedTools", "Bash", *args], env=env, cwd=ws,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while not until(_records(ws)):
            if proc.poll() is not None:
                raise AssertionError(f"claw ended before the kill point: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"kill point not reached; records: {[r['t'] for r in _records(ws)]}")
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # claw and the shell it started
        proc.wait(10)


def _has(kind: str, **fields):
    return lambda recs: any(r.get("t") == kind and all(r.get(k) == v for k, v in fields.items()) for r in recs)


async def _resume(server: ScriptedModelServer, ws: Path, answer: str = "carried on"):
    server.discard_pending()  # what the killed run would have been answered
    server.add(sc.text(answer))
    session = make_session(server, ws, continue_session=True)
    result = await session.run("continue")
    await session.close()
    assert result.result == answer
    assert transcript_is_valid(session.agent.messages)
    return session


def _env(server: ScriptedModelServer) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env.update({"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": server.base_url,
                "CLAW_RETRY_BASE_DELAY": "0.01"})
    return env


async def test_killed_while_the_answer_streams(server, workspace):
    server.add({"blocks": [{"type": "text", "text": "word " * 400}], "chunk_chars": 5, "delay": 0.02})
    _run_and_kill(_env(server), workspace, "explain everything",
                  lambda recs: _has("prompt")(recs) and len(server.served) >= 1)
    session = await _resume(server, workspace)
    texts = [m.text for m in session.agent.messages]
    # The prompt is kept; the half-streamed answer is not; the cut is said.
    assert texts[:3] == ["explain everything", TURN_CUT_SHORT, "continue"]
    assert "word word" not in json.dumps(server.received[-1].body["messages"])


async def test_killed_during_a_tool_it_is_not_run_again(server, workspace):
    server.add(sc.tool("Bash", command="echo ran >> count.txt && sleep 30"), sc.text("never seen"))
    _run_and_kill(_env(server), workspace, "count once",
                  lambda recs: _has("tool", name="Bash")(recs) and (workspace / "count.txt").exists())
    session = await _resume(server, workspace)
    assert (workspace / "count.txt").read_text() == "ran\n"
    results = [b for m in session.agent.messages for b in m.content if isinstance(b, ToolResultBlock)]
    assert len(results) == 1 and results[0].is_error and results[0].content == INTERRUPTED_BY_STOP
    sent = json.dumps(server.received[-1].body["messages"])
    assert "NOT run again" in sent
    # Continuing twice more runs nothing again either.
    await _resume(server, workspace, "still fine")
    assert (workspace / "count.txt").read_text() == "ran\n"


async def test_killed_between_two_tools_the_finished_one_keeps_its_result(server, workspace):
    server.add(sc.tools(("Bash", {"command": "echo first >> log.txt && echo FIRST-DONE"}),
                        ("Bash", {"command": "echo second >> log.txt && sleep 30"})))
    _run_and_kill(_env(server), workspace, "two steps",
                  lambda recs: _has("tool_end")(recs) and len([r for r in recs if r.get("t") == "tool"]) == 2
                  and (workspace / "log.txt").read_text().count("\n") == 2)
    session = await _resume(server, workspace)
    (results,) = [m for m in session.agent.messages if any(isinstance(b, ToolResultBlock) for b in m.content)]
    first, second = results.content
    assert "FIRST-DONE" in first.content and not first.is_error
    assert second.is_error and second.content == INTERRUPTED_BY_STOP
    assert (workspace / "log.txt").read_text() == "first\nsecond\n"


@pytest.mark.parametrize("kill_after", [4, 11])
async def test_killed_at_a_spread_of_points_in_a_run_of_tool_calls(workspace, kill_after):
    """Five steps, each appending one line; killed after ``kill_after`` records hit the disk."""
    with ScriptedModelServer() as server:
        for n in range(1, 6):
            server.add(sc.tool("Bash", command=f"echo step{n} >> steps.txt && sleep 0.15"))
        server.add(sc.text("all steps done"))
        _run_and_kill(_env(server), workspace, "do five steps", lambda recs: len(recs) >= kill_after)
        session = await _resume(server, workspace)
    lines = (workspace / "steps.txt").read_text().splitlines() if (workspace / "steps.txt").exists() else []
    assert len(lines) == len(set(lines)), f"a step ran twice: {lines}"
    # Every step the model was told finished did run; none ran that the transcript does not show started.
    done = [b for m in session.agent.messages for b in m.content
            if isinstance(b, ToolResultBlock) and not b.is_error]
    started = [b for m in session.agent.messages if m.role == "assistant" for b in m.tool_uses]
    assert len(done) <= len(lines) <= len(started)
    loaded = load_session(session.persistence.path)
    assert not loaded.notices


async def test_a_torn_last_line_from_a_cut_write_is_dropped_on_continue(server, workspace):
    """A power cut can leave half a line; continuing drops it, says so, and the file stays valid JSONL."""
    server.add(sc.tool("Bash", command="echo once >> once.txt"), sc.text("done"))
    _run_and_kill(_env(server), workspace, "run once", _has("turn"))
    (path,) = project_dir(workspace).glob("*.jsonl")
    with open(path, "ab") as fh:
        fh.write(b'{"t":"msg","m":{"role":"user","content":[{"type":"text","text":"HALF-WRITTEN')
    server.add(sc.text("after the cut"))
    session = make_session(server, workspace, continue_session=True)
    rec = Recorder(session.bus)
    result = await session.run("and now")
    await session.close()
    assert result.result == "after the cut"
    assert any("cut off mid-write" in getattr(e, "text", "") for e in rec.of(Notice))
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])
    assert b"HALF-WRITTEN" not in path.read_bytes()
    assert (workspace / "once.txt").read_text() == "once\n"
    assert [m.text for m in session.agent.messages][-2:] == ["and now", "after the cut"]
