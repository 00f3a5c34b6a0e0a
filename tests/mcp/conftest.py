"""Helpers for the MCP client's tests: the test servers (tests/mcp/servers/testserver.py),
the real servers from PyPI (mcp-server-time, mcp-server-git, installed with the test
extras), free ports and `claw -p` runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
TEST_SERVER = str(HERE / "servers" / "testserver.py")
PY = sys.executable
BIN = Path(sys.executable).parent
CLAW = [sys.executable, "-m", "claw_tui.cli"]


def real_server(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed: `pip install -e '.[test]'` installs it (it is in the test extras)")
    return str(path)


def stdio(*args: str, **extra: Any) -> dict[str, Any]:
    """A definition running the test server with ``args``."""
    return {"command": PY, "args": [TEST_SERVER, *args], **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def mcp_json(servers: dict[str, Any]) -> str:
    return json.dumps({"mcpServers": servers})


def run_claw(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLAW, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def net_servers() -> Iterator[dict[str, str]]:
    """The test server over SSE, streamable HTTP and WebSocket (one process serving all three)."""
    ports = {"sse": free_port(), "http": free_port(), "ws": free_port()}
    proc = subprocess.Popen([PY, TEST_SERVER, "net", "--sse-port", str(ports["sse"]), "--http-port",
                             str(ports["http"]), "--ws-port", str(ports["ws"])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for port in ports.values():
            wait_port(port)
        yield {"sse": f"http://127.0.0.1:{ports['sse']}/sse", "http": f"http://127.0.0.1:{ports['http']}/mcp",
               "ws": f"ws://127.0.0.1:{ports['ws']}/"}
    finally:
        proc.kill()
        proc.wait(5)


@pytest.fixture
def user_dir() -> Path:
    return Path(os.environ["CLAW_CONFIG_DIR"])
