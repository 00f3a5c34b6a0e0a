"""Background shells: Bash(run_in_background) + BashOutput + KillShell, and the session owning them."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from claw_tui.events import BackgroundShellFinished, BackgroundShellStarted, ToolCallFinished
from claw_tui.testing import scenario as sc
from claw_tui.tools import bash_output
from claw_tui.tools.background import BackgroundShells
from claw_tui.tools.base import ToolContext
from claw_tui.tools.bash import BashTool
from claw_tui.tools.bash_output import BashOutputTool
from claw_tui.tools.kill_shell import KillShellTool
from tests.conftest import Recorder, make_session
from tests.tools._helpers import call, kill_quietly, pid_alive, read_pid, wait_dead
from tests.tools.conftest import make_ctx

bash, output, kill = BashTool(), BashOutputTool(), KillShellTool()


@pytest.fixture
async def bg(ws: Path) -> AsyncIterator[ToolContext]:
    """A tool context with a background-shell registry, closed (shells killed) afterwards."""
    ctx = make_ctx(ws)
    ctx.background = BackgroundShells(ctx.bus, kill_grace_s=0.3)
    try:
        yield ctx
    finally:
        await ctx.background.close()
        ctx.bus.close()


async def start(ctx: ToolContext, command: str) -> str:
    result = await call(bash, ctx, command=command, run_in_background=True)
    assert not result.is_error, result.content
    prefix = "Command running in background with ID: "
    assert result.content.startswith(prefix), result.content
    return result.content[len(prefix):]


async def read(ctx: ToolContext, shell_id: str, **raw) -> str:
    result = await call(output, ctx, bash_id=shell_id, **raw)
    assert not result.is_error, result.content
    return result.content


async def finished(ctx: ToolContext, shell_id: str, timeout: float = 5.0) -> None:
    shell = ctx.background.get(shell_id)
    await asyncio.wait_for(shell.done.wait(), timeout)


async def test_lifecycle_incremental_output_then_exit_code(bg):
    rec = Recorder(bg.bus)
    shell_id = await start(bg, "for i in 1 2 3 4; do echo tick $i; sleep 0.15; done; echo bye >&2; exit 3")
    # It returned at once, while the command (0.6 s) still runs.
    assert shell_id == "bash_1" and bg.background.get(shell_id).running

    seen = ""
    first = ""
    deadline = time.monotonic() + 3
    while "tick 1" not in first and time.monotonic() < deadline:
        first = await read(bg, shell_id)
        seen += first
        await asyncio.sleep(0.03)
    assert "<status>running</status>" in first
    assert "<exit_code>" not in first
    await finished(bg, shell_id)
    last = await read(bg, shell_id)
    seen += last
    assert "<status>failed</status>" in last and "<exit_code>3</exit_code>" in last
    assert "<stderr>\nbye\n</stderr>" in last
    # Every line arrived exactly once across the reads: each read returns only what is new.
    assert [seen.count(f"tick {i}") for i in (1, 2, 3, 4)] == [1, 1, 1, 1]
    assert "tick 1" not in last
    again = await read(bg, shell_id)
    assert "(no new output since the last check)" in again and "tick" not in again

    await bg.bus.drain()
    assert [(e.shell_id, e.command) for e in rec.of(BackgroundShellStarted)] == [(shell_id, bg.background.get(shell_id).command)]
    done = rec.of(BackgroundShellFinished)
    assert [(e.shell_id, e.status, e.exit_code) for e in done] == [(shell_id, "failed", 3)]


async def test_successful_command_completes_with_exit_zero(bg):
    shell_id = await start(bg, "echo hello")
    await finished(bg, shell_id)
    text = await read(bg, shell_id)
    assert "<status>completed</status>" in text and "<exit_code>0</exit_code>" in text
    assert "<stdout>\nhello\n</stdout>" in text


async def test_runs_in_the_shell_cwd_and_does_not_move_it(bg, ws):
    (ws / "sub").mkdir()
    bg.shell.cwd = str(ws / "sub")
    shell_id = await start(bg, "pwd; cd /")
    await finished(bg, shell_id)
    assert f"<stdout>\n{ws / 'sub'}\n</stdout>" in await read(bg, shell_id)
    assert bg.cwd == str(ws / "sub")


async def test_kill_shell_ends_a_sleeper_and_its_children(bg, ws):
    pidfile = ws / "child.pid"
    shell_id = await start(bg, f"sleep 300 & echo $! > {pidfile}; sleep 300")
    child = await read_pid(pidfile)
    leader = bg.background.get(shell_id).pid
    try:
        result = await call(kill, bg, shell_id=shell_id)
        assert not result.is_error, result.content
        assert result.content.startswith(f"Killed shell {shell_id}")
        assert await wait_dead(child) and await wait_dead(leader)
        text = await read(bg, shell_id)
        assert "<status>killed</status>" in text and "<signal>SIGTERM</signal>" in text
        # A second kill says there is nothing left to kill.
        again = await call(kill, bg, shell_id=shell_id)
        assert again.is_error and "is not running" in again.content and "was killed" in again.content
    finally:
        kill_quietly(child)


async def test_kill_shell_escalates_to_sigkill_when_sigterm_is_ignored(bg, ws):
    pidfile = ws / "child.pid"
    # Ignored signals stay ignored across exec: the child sleep ignores SIGTERM too.
    shell_id = await start(bg, f"trap '' TERM; sleep 300 & echo $! > {pidfile}; wait")
    child = await read_pid(pidfile)
    try:
        t0 = time.monotonic()
        result = await call(kill, bg, shell_id=shell_id)
        assert not result.is_error, result.content
        assert await wait_dead(child, timeout=1.0)
        assert 0.25 < time.monotonic() - t0 < 3  # the 0.3 s grace, then SIGKILL
        assert bg.background.get(shell_id).describe() == "killed (SIGKILL)"
    finally:
        kill_quietly(child)


async def test_kill_shell_accepts_only_this_sessions_ids(bg):
    outsider = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        running = await start(bg, "sleep 300")
        for bad in ("bash_99", str(outsider.pid)):
            result = await call(kill, bg, shell_id=bad)
            assert result.is_error
            assert f"No background shell with ID {bad!r}" in result.content
            assert f"running: {running}" in result.content
        # A pid from the model is never used: the process it names is untouched.
        assert pid_alive(outsider.pid)
        unknown = await call(output, bg, bash_id="bash_7")
        assert unknown.is_error and running in unknown.content
    finally:
        outsider.kill()
        outsider.wait()


async def test_chatty_command_does_not_block_and_buffer_is_capped(bg):
    # 5 MB on stdout: far more than a pipe holds. Read continuously, it finishes at once.
    shell_id = await start(bg, "head -c 5000000 /dev/zero | tr '\\0' x; echo; echo the-end")
    await finished(bg, shell_id, timeout=10)
    shell = bg.background.get(shell_id)
    assert shell.status == "completed"
    assert shell.stdout.total == 5_000_000 + len("\nthe-end\n")
    assert len(shell.stdout) <= bg.background.buffer_cap
    text = await read(bg, shell_id)
    assert text.rstrip().endswith("the-end\n</stdout>")
    assert "earlier characters of stdout were dropped unread" in text
    assert "4,970,009" in text  # exactly what was not kept: 5,000,009 - 30,000
    assert len(text) < bg.background.buffer_cap + 1000


async def test_filter_keeps_matching_lines_and_consumes_the_rest(bg):
    shell_id = await start(bg, "printf 'ok 1\\nerror: a\\nok 2\\nerror: b\\n'; echo 'error: c' >&2")
    await finished(bg, shell_id)
    text = await read(bg, shell_id, filter=r"^error")
    assert "<stdout>\nerror: a\nerror: b\n</stdout>" in text
    assert "<stderr>\nerror: c\n</stderr>" in text
    assert "ok 1" not in text and "(filter kept 3 of 5 new lines)" in text
    # Lines that did not match are gone too: the cursor moved past all of it.
    assert "ok" not in await read(bg, shell_id)


async def test_invalid_or_runaway_filter_is_an_error_and_consumes_nothing(bg, monkeypatch):
    monkeypatch.setattr(bash_output, "FILTER_BUDGET_S", 0.2)
    shell_id = await start(bg, "echo keep-me; printf 'a%.0s' $(seq 60); echo b")
    await finished(bg, shell_id)
    bad = await call(output, bg, bash_id=shell_id, filter="(unclosed")
    assert bad.is_error and "Invalid filter regex '(unclosed'" in bad.content
    t0 = time.monotonic()
    slow = await call(output, bg, bash_id=shell_id, filter=r"^(a|aa)+$")
    assert slow.is_error and "took longer than" in slow.content
    assert time.monotonic() - t0 < 1.5
    assert "keep-me" in await read(bg, shell_id)


async def test_filter_waits_for_a_line_to_be_complete(bg):
    shell_id = await start(bg, "printf 'err'; sleep 0.4; printf 'or: late\\n'")
    await asyncio.sleep(0.2)
    early = await read(bg, shell_id, filter="error")
    assert "<status>running</status>" in early and "(filter kept 0 of 0 new lines)" in early
    await finished(bg, shell_id)
    assert "error: late" in await read(bg, shell_id, filter="error")


async def test_session_close_kills_running_background_shells(server, workspace):
    pidfile = workspace / "child.pid"
    # The test reads the child's pid from the host, which the Bash sandbox's pid namespace hides
    # (tests/security/test_sandbox.py checks that sandboxed background shells are killed).
    (workspace / ".claw").mkdir(exist_ok=True)
    (workspace / ".claw" / "settings.json").write_text('{"sandbox": {"enabled": false}}')
    server.add(
        sc.tool("Bash", command=f"sleep 300 & echo $! > {pidfile}; sleep 300", run_in_background=True),
        sc.tool("BashOutput", bash_id="bash_1"),
        sc.text("started"),
    )
    session = make_session(server, workspace, allowed_tools=["Bash"])
    rec = Recorder(session.bus)
    result = await session.run("start a server")
    assert result.outcome == "success", result
    child = await read_pid(pidfile)
    try:
        calls = {e.tool: e for e in rec.of(ToolCallFinished)}
        assert calls["Bash"].content == "Command running in background with ID: bash_1"
        assert "<status>running</status>" in calls["BashOutput"].content
        assert pid_alive(child)
        await session.close()
        assert await wait_dead(child)
        assert [(e.shell_id, e.status) for e in rec.of(BackgroundShellFinished)] == [("bash_1", "killed")]
    finally:
        kill_quietly(child)


async def test_background_command_still_needs_permission(server, workspace):
    marker = workspace / "ran"
    server.add(
        sc.tool("Bash", command=f"touch {marker}", run_in_background=True),
        sc.text("done"),
    )
    # Headless with no approver: a Bash command that is not allowed is refused, backgrounded or not.
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    await session.run("touch it")
    await session.close()
    (bash_call,) = rec.of(ToolCallFinished)
    assert bash_call.is_error and "Permission to use Bash was denied" in bash_call.content
    assert not marker.exists()
    assert len(session.ctx.background) == 0
