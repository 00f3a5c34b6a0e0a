"""Background shells: commands started with ``Bash(run_in_background=true)``.

One registry per session. Each shell runs in its own process group, and two
tasks read its stdout and stderr continuously into capped buffers, so a chatty
command never blocks on a full pipe and never grows memory without bound.
BashOutput reads what is new since its last call (a read cursor per stream);
KillShell ends the whole process group; closing the session kills them all.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import itertools
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from claw_tui.events import BackgroundShellFinished, BackgroundShellStarted
from claw_tui.tools.bash import _shell_exited, kill_process_group

if TYPE_CHECKING:
    from claw_tui.bus import EventBus

ShellStatus = Literal["running", "completed", "killed", "failed"]

# Unread characters kept per stream; past this the oldest unread output is dropped.
BUFFER_CAP_CHARS = 30_000
# After the shell exits, how long to let its last output land before calling it done.
PIPE_GRACE_S = 0.3
# KillShell: SIGTERM, then SIGKILL for whatever is still alive after this long.
KILL_GRACE_S = 2.0


class OutputBuffer:
    """Output of one stream that nobody has read yet, capped at its latest ``cap`` characters.

    Reading consumes: BashOutput takes what is pending and the cursor moves past it.
    What a command writes beyond the cap between two reads is dropped from the front
    and counted, so the reader can say how much it missed.
    """

    def __init__(self, cap: int = BUFFER_CAP_CHARS) -> None:
        self.cap = cap
        self._chunks: deque[str] = deque()
        self._len = 0
        self.dropped = 0  # characters lost to the cap since the last read
        self.total = 0  # characters ever written

    def __len__(self) -> int:
        return self._len

    def add(self, text: str) -> None:
        if not text:
            return
        self.total += len(text)
        self._chunks.append(text)
        self._len += len(text)
        excess = self._len - self.cap
        while excess > 0:
            first = self._chunks[0]
            if len(first) <= excess:
                self._chunks.popleft()
                cut = len(first)
            else:
                self._chunks[0] = first[excess:]
                cut = excess
            self._len -= cut
            self.dropped += cut
            excess -= cut

    def peek(self, *, whole_lines: bool = False) -> str:
        """Everything unread; with ``whole_lines`` only up to the last newline."""
        text = "".join(self._chunks)
        if len(self._chunks) > 1:
            self._chunks = deque([text])  # joined once, not on every later peek
        if whole_lines:
            text = text[: text.rfind("\n") + 1]
        return text

    def consume(self, count: int) -> int:
        """Mark the first ``count`` unread characters as read. Returns how many were dropped
        (lost to the cap) before them since the last read."""
        rest = self.peek()[count:]
        self._chunks = deque([rest] if rest else [])
        self._len = len(rest)
        dropped, self.dropped = self.dropped, 0
        return dropped


@dataclass(eq=False)
class BackgroundShell:
    id: str
    command: str
    cwd: str
    agent_id: str
    process: asyncio.subprocess.Process
    stdout: OutputBuffer
    stderr: OutputBuffer
    started: float = field(default_factory=time.time)
    status: ShellStatus = "running"
    exit_code: int | None = None
    ended: float | None = None
    kill_requested: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)
    _watcher: asyncio.Task[None] | None = None
    _pumps: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def elapsed(self) -> float:
        return (self.ended or time.time()) - self.started

    @property
    def pipes_open(self) -> bool:
        """Whether something (the shell or a child it left behind) may still write output."""
        return any(not t.done() for t in self._pumps)

    def describe(self) -> str:
        """Its state in a few words: ``running``, ``completed (exit 0)``, ``killed (SIGTERM)``."""
        return self.status if self.running else f"{self.status} ({describe_exit(self.exit_code)})"


def describe_exit(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"


class BackgroundShells:
    """The background shells of one session, by id (``bash_1``, ``bash_2``, …)."""

    def __init__(
        self,
        bus: EventBus | None = None,
        *,
        buffer_cap: int = BUFFER_CAP_CHARS,
        kill_grace_s: float = KILL_GRACE_S,
    ) -> None:
        self.bus = bus
        self.buffer_cap = buffer_cap
        self.kill_grace_s = kill_grace_s
        self._shells: dict[str, BackgroundShell] = {}
        self._ids = itertools.count(1)
        self._closed = False

    def __iter__(self):
        return iter(list(self._shells.values()))

    def __len__(self) -> int:
        return len(self._shells)

    def get(self, shell_id: str) -> BackgroundShell | None:
        return self._shells.get(shell_id.strip())

    def running(self) -> list[BackgroundShell]:
        return [s for s in self._shells.values() if s.running]

    def lookup(self, shell_id: str) -> BackgroundShell | str:
        """The shell of this session with that id, or the error the model reads. Only ids of
        this session's registry are ever used: never a pid or a foreign id from the model."""
        shell = self.get(shell_id)
        return shell if shell is not None else f"No background shell with ID {shell_id!r}. {self.listing()}"

    def listing(self) -> str:
        """The known shells in one line, for error messages the model reads."""
        if not self._shells:
            return "There are no background shells in this session."
        running = [s.id for s in self.running()]
        others = [f"{s.id} ({s.status})" for s in self._shells.values() if not s.running]
        parts = [f"running: {', '.join(running) if running else 'none'}"]
        if others:
            parts.append(f"finished: {', '.join(others)}")
        return "Background shells — " + "; ".join(parts) + "."

    async def start(
        self, command: str, *, cwd: str, env: dict[str, str] | None = None, agent_id: str = "main",
        argv: list[str] | None = None, pass_fds: tuple[int, ...] = (),
    ) -> BackgroundShell:
        """Start ``command`` under bash in a process group of its own. Raises OSError if it can't.

        ``argv`` replaces ``bash -c command`` (the sandbox wraps it); ``command`` is what is shown."""
        if self._closed:
            raise RuntimeError("the session is closing: no new background shells")
        proc = await asyncio.create_subprocess_exec(
            *(argv or ("bash", "-c", command)),
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            env=env,
            pass_fds=pass_fds,
        )
        shell = BackgroundShell(
            id=f"bash_{next(self._ids)}",
            command=command,
            cwd=cwd,
            agent_id=agent_id,
            process=proc,
            stdout=OutputBuffer(self.buffer_cap),
            stderr=OutputBuffer(self.buffer_cap),
        )
        self._shells[shell.id] = shell
        assert proc.stdout is not None and proc.stderr is not None
        shell._pumps = [
            asyncio.create_task(_pump(proc.stdout, shell.stdout), name=f"{shell.id} stdout"),
            asyncio.create_task(_pump(proc.stderr, shell.stderr), name=f"{shell.id} stderr"),
        ]
        shell._watcher = asyncio.create_task(self._watch(shell), name=f"{shell.id} watcher")
        self._publish(BackgroundShellStarted(agent_id=agent_id, shell_id=shell.id, command=command))
        return shell

    async def _watch(self, shell: BackgroundShell) -> None:
        proc = shell.process
        await _shell_exited(proc)
        # Let the last output land before the status says "done". A child the command left
        # running may hold the pipes open: its output is still read, but nobody waits for it.
        await asyncio.wait(shell._pumps, timeout=PIPE_GRACE_S)
        code = await _returncode(proc)
        shell.exit_code = code
        shell.ended = time.time()
        if shell.kill_requested:
            shell.status = "killed"
        else:
            shell.status = "completed" if code == 0 else "failed"
        shell.done.set()
        self._publish(
            BackgroundShellFinished(
                agent_id=shell.agent_id, shell_id=shell.id, status=shell.status, exit_code=code
            )
        )

    async def kill(self, shell: BackgroundShell) -> None:
        """End the shell's whole process group: SIGTERM, then SIGKILL after the grace."""
        if shell.running and _has_exited(shell.process):
            # It ended on its own a moment ago; the watcher is collecting its last output.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(shell.done.wait(), PIPE_GRACE_S + 5.0)
        if shell.running:
            shell.kill_requested = True
            await kill_process_group(shell.process, grace=self.kill_grace_s)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(shell.done.wait(), self.kill_grace_s + 5.0)
        elif shell.pipes_open:
            # The shell is gone but something it started still holds its output pipes.
            _killpg(shell.pid, signal.SIGKILL)
            await asyncio.wait(shell._pumps, timeout=1.0)

    async def close(self) -> None:
        """Kill every shell still running, and what finished shells left behind (session exit)."""
        self._closed = True
        shells = list(self._shells.values())
        await asyncio.gather(*(self.kill(s) for s in shells if s.running or s.pipes_open))
        for shell in shells:
            for task in (*shell._pumps, shell._watcher):
                if task is not None and not task.done():
                    task.cancel()
            for task in (*shell._pumps, shell._watcher):
                if task is not None:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            transport = getattr(shell.process, "_transport", None)
            if transport is not None:
                transport.close()

    def _publish(self, event: BackgroundShellStarted | BackgroundShellFinished) -> None:
        if self.bus is not None:
            self.bus.publish(event)


async def _pump(stream: asyncio.StreamReader, buffer: OutputBuffer) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while chunk := await stream.read(65536):
        buffer.add(decoder.decode(chunk))
    buffer.add(decoder.decode(b"", final=True))


async def _returncode(proc: asyncio.subprocess.Process, timeout: float = 2.0) -> int | None:
    """The exit status of a shell known to have exited.

    Not ``proc.wait()``: on Python 3.11 that also waits for the pipes, which a child left
    running may hold for ever. asyncio's child watcher reaps the shell a moment after it
    exits; poll for that.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while proc.returncode is None and loop.time() < deadline:
        await asyncio.sleep(0.01)
    return proc.returncode


def _has_exited(proc: asyncio.subprocess.Process) -> bool:
    if proc.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None
    except ChildProcessError:
        return True  # already reaped


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
