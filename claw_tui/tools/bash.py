"""Bash: run a shell command; the working directory persists between calls."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

from pydantic import Field

from claw_tui.permissions.sandbox import SandboxUnavailable
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000
MAX_OUTPUT_CHARS = 30_000
# After the shell exits, how long to wait for a background child to let go of the pipe.
PIPE_GRACE_S = 0.3

# The agent's own credentials are not handed to the commands it runs.
SCRUBBED_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY", "CLAW_API_KEY")


class BashInput(ToolInput):
    command: str = Field(description="The command to execute")
    timeout: int | None = Field(
        default=None, ge=1, description=f"Optional timeout in milliseconds (max {MAX_TIMEOUT_MS})"
    )
    description: str | None = Field(
        default=None, description="Clear, concise description of what this command does in 5-10 words"
    )
    run_in_background: bool = Field(
        default=False,
        description="Set to true to run this command in the background. Use BashOutput to read the output later.",
    )


class HeadTail:
    """Keeps the first and last ``limit/2`` characters of a stream of any length."""

    def __init__(self, limit: int = MAX_OUTPUT_CHARS) -> None:
        self.half = limit // 2
        self.head: list[str] = []
        self.head_len = 0
        self.tail = ""
        self.dropped = 0

    def add(self, text: str) -> None:
        if self.head_len < self.half:
            take = text[: self.half - self.head_len]
            self.head.append(take)
            self.head_len += len(take)
            text = text[len(take) :]
            if not text:
                return
        self.tail += text
        if len(self.tail) > self.half:
            cut = len(self.tail) - self.half
            self.dropped += cut
            self.tail = self.tail[cut:]

    def text(self) -> str:
        head = "".join(self.head)
        if self.dropped:
            return f"{head}\n\n... [{self.dropped:,} characters truncated] ...\n\n{self.tail}"
        return head + self.tail


async def kill_process_group(proc: asyncio.subprocess.Process, grace: float = 2.0) -> None:
    """SIGTERM the command's whole process group, then SIGKILL what is left after ``grace`` s."""
    if proc.returncode is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # orphans still in the group
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            await asyncio.wait_for(proc.wait(), wait)
            break
        except asyncio.TimeoutError:
            continue
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def command_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update({"CLAW": "1", "GIT_TERMINAL_PROMPT": "0", "PAGER": "cat", "GIT_PAGER": "cat"})
    return env


class BashTool(Tool):
    name = "Bash"
    category = "execute"
    Input = BashInput
    description = (
        "Executes a bash command and returns its combined stdout and stderr.\n"
        "- The working directory persists between calls (`cd` sticks); environment changes do not.\n"
        f"- Timeout defaults to {DEFAULT_TIMEOUT_MS // 1000} s, at most {MAX_TIMEOUT_MS // 1000} s "
        "(the timeout field is in milliseconds).\n"
        f"- Output beyond {MAX_OUTPUT_CHARS:,} characters is cut in the middle.\n"
        "- Commands get no stdin: never run interactive programs.\n"
        "- run_in_background: true starts the command and returns at once with a shell ID (no timeout; "
        "the cwd does not change). Read its new output with BashOutput, stop it with KillShell; "
        "background shells are killed when the session ends. Do not add '&' yourself, and do not "
        "background `sleep`.\n"
        "- Prefer Read, Edit, Glob and Grep over cat, sed, find and grep."
    )

    def summary(self, params: Any) -> str:
        return params.command

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        # The directory the command runs in: the policy resolves the files the line reads and
        # writes (redirects, cat/cp/rm arguments…) against it (permissions/policy.py).
        return [Path(ctx.cwd)]

    def preview(self, params: BashInput, ctx: ToolContext) -> dict[str, Any] | None:
        preview: dict[str, Any] = {"kind": "command", "command": params.command, "cwd": ctx.cwd}
        if params.description:
            preview["note"] = params.description
        if params.run_in_background:
            preview["background"] = True
            preview["note"] = " — ".join(filter(None, ("runs in the background", params.description)))
        return preview

    def approval_description(self, params: BashInput, ctx: ToolContext) -> str:
        where = f"  (in {ctx.cwd}{', in the background' if params.run_in_background else ''})"
        return f"$ {params.command}{where}"

    async def run(self, params: BashInput, ctx: ToolContext) -> ToolResult:
        if params.run_in_background:
            return await self._run_in_background(params, ctx)
        timeout_ms = min(params.timeout or DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS)
        cwd = ctx.cwd if os.path.isdir(ctx.cwd) else str(ctx.workspace)
        try:
            box = ctx.sandbox.prepare(params.command, cwd) if ctx.sandbox is not None else None
        except SandboxUnavailable as exc:
            return ToolResult(str(exc), is_error=True, summary="no sandbox")
        # Inside the sandbox the cwd file must be somewhere the command may write: its private tmp.
        fd, cwd_file = tempfile.mkstemp(prefix="claw-cwd-", dir=box.tmp_dir if box else None)
        os.close(fd)
        # The EXIT trap records where the command left the shell, even if it calls `exit`.
        script = f"trap 'pwd -P > {_quote(box.inside(cwd_file) if box else cwd_file)}' EXIT\n{params.command}"
        out = HeadTail()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            proc = await asyncio.create_subprocess_exec(
                *(box.argv(script) if box else ("bash", "-c", script)),
                cwd=cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                env=box.env(command_env()) if box else command_env(),
                pass_fds=box.pass_fds if box else (),
            )
        except OSError as exc:
            os.unlink(cwd_file)
            return ToolResult(f"Could not start bash: {exc}", is_error=True, summary="failed to start")
        finally:
            if box is not None:
                box.close()
        ctx.processes.add(proc)

        async def pump() -> None:
            assert proc.stdout is not None
            while chunk := await proc.stdout.read(65536):
                text = decoder.decode(chunk)
                if text:
                    out.add(text)
                    ctx.output(text)

        reader = asyncio.create_task(pump())
        timed_out = False
        try:
            try:
                await asyncio.wait_for(_shell_exited(proc), timeout_ms / 1000)
            except asyncio.TimeoutError:
                timed_out = True
                await kill_process_group(proc)
            # A child left running in the background may hold the pipe open: don't wait for it.
            try:
                await asyncio.wait_for(asyncio.shield(reader), PIPE_GRACE_S)
            except asyncio.TimeoutError:
                reader.cancel()
        except BaseException:
            # Interrupted: the command and everything it started die with the turn.
            reader.cancel()
            await kill_process_group(proc)
            raise
        finally:
            ctx.processes.discard(proc)
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            tail = decoder.decode(b"", final=True)
            if tail:
                out.add(tail)
            note = self._update_cwd(cwd_file, ctx)
        text = out.text().rstrip("\n")
        code = proc.returncode
        if code is None:
            # The shell has exited; asyncio learns its status a moment later.
            with contextlib.suppress(asyncio.TimeoutError):
                code = await asyncio.wait_for(proc.wait(), 1.0)
        if proc.stdout is not None and not timed_out and reader.cancelled():
            # A background child still holds the pipe: let go of our end so nothing leaks.
            transport = getattr(proc, "_transport", None)
            if transport is not None and proc.returncode is not None:
                transport.close()
        parts = [text] if text else []
        if timed_out:
            parts.append(f"Command timed out after {timeout_ms / 1000:g} s and was killed.")
        elif code:
            parts.append(f"[exit code {code}]")
            blocked = box.explain(text, cwd, code) if box is not None else None
            if blocked:
                parts.append(blocked)
        if note:
            parts.append(note)
        content = "\n".join(parts) if parts else "(no output)"
        summary = "timed out" if timed_out else (f"exit {code}" if code else "ok")
        return ToolResult(
            content,
            is_error=bool(code) or timed_out,
            summary=summary,
            display={"kind": "command", "command": params.command, "exit_code": code, "cwd": cwd},
        )

    async def _run_in_background(self, params: BashInput, ctx: ToolContext) -> ToolResult:
        shells = ctx.background
        if shells is None:
            return ToolResult(
                "Background shells are not available here (this context has no background shell registry); "
                "run the command without run_in_background.",
                is_error=True,
                summary="no background shells",
            )
        cwd = ctx.cwd if os.path.isdir(ctx.cwd) else str(ctx.workspace)
        try:
            box = ctx.sandbox.prepare(params.command, cwd) if ctx.sandbox is not None else None
        except SandboxUnavailable as exc:
            return ToolResult(str(exc), is_error=True, summary="no sandbox")
        try:
            shell = await shells.start(
                params.command, cwd=cwd, env=box.env(command_env()) if box else command_env(),
                agent_id=ctx.agent_id, argv=box.argv(params.command) if box else None,
                pass_fds=box.pass_fds if box else (),
            )
        except (OSError, RuntimeError) as exc:
            return ToolResult(f"Could not start bash: {exc}", is_error=True, summary="failed to start")
        finally:
            if box is not None:
                box.close()
        return ToolResult(
            f"Command running in background with ID: {shell.id}",
            summary=f"background {shell.id}",
            display={"kind": "command", "command": params.command, "exit_code": None, "cwd": cwd,
                     "background": shell.id},
        )

    @staticmethod
    def _update_cwd(cwd_file: str, ctx: ToolContext) -> str | None:
        try:
            new = Path(cwd_file).read_text().strip()
        except OSError:
            new = ""
        finally:
            with contextlib.suppress(OSError):
                os.unlink(cwd_file)
        if not new or not os.path.isdir(new):
            return None
        allowed = (ctx.workspace, *ctx.extra_dirs)
        real = Path(new)
        if any(real == d or d in real.parents for d in (Path(os.path.realpath(a)) for a in allowed)):
            ctx.shell.cwd = new
            return None
        ctx.shell.cwd = str(ctx.workspace)
        return f"Shell cwd was reset to {ctx.workspace} (the command left the workspace)."


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


async def _shell_exited(proc: asyncio.subprocess.Process) -> None:
    """Return once the shell process itself has exited.

    ``Process.wait()`` on Python 3.11 also waits for every pipe to close, so a
    background child that inherited stdout (``server &``) would hold the call
    until it dies. ``waitid`` with WNOWAIT sees the exit without reaping the
    child, leaving asyncio's watcher to collect the status as usual.
    """
    wait_task = asyncio.ensure_future(proc.wait())
    try:
        while not wait_task.done():
            try:
                info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            except ChildProcessError:
                info = True  # already reaped by asyncio's watcher: it has exited
            if info is not None:
                return
            await asyncio.wait({wait_task}, timeout=0.05)
    finally:
        wait_task.cancel()
