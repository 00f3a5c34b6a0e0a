"""claw in a real pseudo-terminal, for the benchmarks that time what a person sees."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time
from pathlib import Path

# The prompt's placeholder, after its first letter: that letter is drawn under the cursor,
# apart from the rest, so "Ask claw" itself may not appear until the cursor blinks.
PROMPT_MARKER = b"for commands"


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's claw: bytecode caches on (they are, in a user's installation)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "TERM": "xterm-256color", **extra}


class ClawInPty:
    """``with ClawInPty(args, cwd, env) as claw: claw.until({...})`` — killed on leaving."""

    def __init__(self, args: list[str], cwd: Path | str, env: dict[str, str], rows: int = 40, cols: int = 120):
        self.argv = [str(Path(sys.executable).with_name("claw")), *args]
        self.cwd, self.rows, self.cols = str(cwd), rows, cols
        self.env = {**env, "COLUMNS": str(cols), "LINES": str(rows)}
        self.seen = b""

    def __enter__(self) -> ClawInPty:
        self.start = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: claw in the pseudo-terminal
            os.chdir(self.cwd)
            os.execvpe(self.argv[0], self.argv, self.env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))
        return self

    def until(self, markers: dict[str, bytes], timeout: float = 30.0) -> dict[str, float]:
        """Seconds from the start until each marker was first in the output; raises if one never is."""
        at: dict[str, float] = {}
        while time.perf_counter() - self.start < timeout:
            ready, _, _ = select.select([self.fd], [], [], 0.02)
            if not ready:
                continue
            try:
                self.seen += os.read(self.fd, 1 << 20)
            except OSError:
                break
            now = time.perf_counter() - self.start
            for name, marker in markers.items():
                if name not in at and marker in self.seen:
                    at[name] = now
            if len(at) == len(markers):
                return at
        missing = ", ".join(sorted(set(markers) - set(at)))
        raise RuntimeError(f"never appeared in claw's output: {missing}")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def __exit__(self, *exc: object) -> None:
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
