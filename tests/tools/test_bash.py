"""Bash: output, exit codes, a persistent cwd, timeouts and cancellation that kill
everything the command started, truncation, no credentials, no stdin."""

from __future__ import annotations

import asyncio
import shlex
import sys
import time
from pathlib import Path

import pytest

from claw_tui.tools.base import ToolContext
from claw_tui.tools.bash import BashTool

from ._helpers import call, kill_quietly, pid_alive, read_pid, wait_dead

bash = BashTool()


async def test_output_is_returned(ctx: ToolContext) -> None:
    res = await call(bash, ctx, command="echo hello; echo oops >&2")
    assert not res.is_error
    assert res.content == "hello\noops"


async def test_no_output(ctx: ToolContext) -> None:
    res = await call(bash, ctx, command="true")
    assert not res.is_error
    assert res.content == "(no output)"


async def test_nonzero_exit_is_an_error_with_the_code(ctx: ToolContext) -> None:
    res = await call(bash, ctx, command="echo partial; exit 3")
    assert res.is_error
    assert res.content == "partial\n[exit code 3]"


async def test_cwd_persists_between_calls(ws: Path, ctx: ToolContext) -> None:
    (ws / "sub").mkdir()
    res = await call(bash, ctx, command="cd sub")
    assert not res.is_error, res.content
    res = await call(bash, ctx, command="pwd")
    assert res.content == str(ws / "sub")
    assert ctx.shell.cwd == str(ws / "sub")


async def test_leaving_the_workspace_resets_cwd_with_a_note(ws: Path, ctx: ToolContext) -> None:
    res = await call(bash, ctx, command="cd /")
    assert "reset" in res.content
    assert str(ws) in res.content
    assert ctx.shell.cwd == str(ws)
    res = await call(bash, ctx, command="pwd")
    assert res.content == str(ws)


async def test_timeout_kills_the_whole_process_group(ws: Path, ctx: ToolContext) -> None:
    started = time.monotonic()
    res = await call(bash, ctx, command="sleep 30 & echo $! > child.pid; wait", timeout=500)
    elapsed = time.monotonic() - started
    pid = await read_pid(ws / "child.pid")
    try:
        assert res.is_error
        assert "timed out" in res.content
        assert elapsed < 5
        assert await wait_dead(pid, 2.0), "the command's background child survived the timeout"
    finally:
        kill_quietly(pid)


async def test_long_output_is_cut_in_the_middle(ctx: ToolContext) -> None:
    script = "import sys; sys.stdout.write('A' * 20000 + 'B' * 10000 + 'C' * 20000)"
    res = await call(bash, ctx, command=f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}")
    assert not res.is_error, res.content[:200]
    assert "characters truncated" in res.content
    assert res.content.startswith("A" * 15000)
    assert res.content.endswith("C" * 15000)
    assert "B" not in res.content
    assert len(res.content) < 30_200


async def test_background_child_holding_stdout_does_not_block(ws: Path, ctx: ToolContext) -> None:
    started = time.monotonic()
    task = asyncio.ensure_future(call(bash, ctx, command="sleep 20 & echo $! > bg.pid; echo done"))
    try:
        res = await asyncio.wait_for(task, 3.0)
    except asyncio.TimeoutError:
        pytest.fail("Bash waited for a background child that keeps stdout open (no result after 3 s)")
    finally:
        if (ws / "bg.pid").exists():
            kill_quietly(await read_pid(ws / "bg.pid"))
    assert time.monotonic() - started < 3
    assert res.content == "done"
    assert not res.is_error


async def test_api_keys_are_not_passed_to_commands(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-oai-secret")
    monkeypatch.setenv("CLAW_TEST_VISIBLE", "visible")
    res = await call(
        bash, ctx,
        command='echo "A=${ANTHROPIC_API_KEY-unset} O=${OPENAI_API_KEY-unset} V=${CLAW_TEST_VISIBLE-unset}"',
    )
    assert res.content == "A=unset O=unset V=visible"
    assert "secret" not in (await call(bash, ctx, command="env")).content


async def test_stdin_is_empty(ctx: ToolContext) -> None:
    started = time.monotonic()
    res = await call(bash, ctx, command="cat; echo after-cat", timeout=5000)
    assert time.monotonic() - started < 2
    assert not res.is_error, res.content
    assert res.content == "after-cat"


async def test_cancelling_the_call_kills_the_command(ws: Path, ctx: ToolContext) -> None:
    task = asyncio.create_task(call(bash, ctx, command="sleep 30 & echo $! > child.pid; wait"))
    pid = await read_pid(ws / "child.pid")
    try:
        assert pid_alive(pid)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, "cancelling did not end the call within 5 s"
        with pytest.raises(asyncio.CancelledError):
            task.result()
        assert await wait_dead(pid, 2.0), "the command's child survived cancelling the call"
        assert not ctx.processes, "the cancelled process is still tracked"
    finally:
        kill_quietly(pid)
        if not task.done():
            await asyncio.wait({task}, timeout=5)
