"""The sandbox Bash commands run in: defence in depth behind the approval, not instead of it.

What a command may do inside it:

- read the whole filesystem, but write only to the workspace, the extra directories
  (``--add-dir``, ``permissions.additionalDirectories``), ``sandbox.filesystem.allowWrite``,
  a private temporary directory of the session and the harmless devices (``/dev/null`` …);
- never write the *protected paths*, even inside the workspace: ``.claw/`` and ``.claude/``
  (settings, hooks, agents, commands: what the next session would load and run) and
  ``.git/config`` and ``.git/hooks`` (a writable ``.git/config`` runs code on the next
  ``git`` command through ``core.fsmonitor``/``core.hooksPath``), plus
  ``sandbox.filesystem.denyWrite``. They are bind-mounted read-only, and ``.git`` itself is
  made a mount point so the directory cannot be renamed away and replaced;
- no network unless the settings allow it (``sandbox.network.allowedDomains: ["*"]``);
- no unix sockets (``socket(AF_UNIX)`` fails: the Docker socket or the user's D-Bus would run
  anything outside the sandbox) unless ``sandbox.network.allowAllUnixSockets``;
- no capabilities, even when claw runs as root.

Backends, the first that works here: bubblewrap (``bwrap``; user namespaces must work, which
one probe run finds out), else Landlock (Linux ≥ 5.13) through the small helper in
:mod:`claw_tui.permissions.landlock_exec`, else none, with a Notice once per session saying that
commands run unsandboxed and how to fix it.

Network filtering is all-or-nothing: ``allowedDomains`` containing ``"*"`` turns the network
on; any other list leaves it off and says so (/sandbox and a notice), because filtering by
domain needs a filtering proxy, which claw does not have. Failing closed is the honest choice.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from claw_tui.events import Notice
from claw_tui.permissions import landlock_exec
from claw_tui.settings import SandboxSettings, user_config_dir

if TYPE_CHECKING:
    from claw_tui.bus import EventBus

Backend = Literal["bwrap", "landlock"]

# Relative to each writable project root. Directories are protected as a whole.
PROTECTED_DIRS = (".claw", ".claude")
GIT_PROTECTED = ("hooks", "config")
# Relative to the home directory, protected when a writable root holds them.
HOME_PROTECTED = (".claude", ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc",
                  ".zshenv", ".zprofile", ".zlogin", ".gitconfig", ".config/git", ".ssh", ".pam_environment")
# Devices a command may write (Landlock; bubblewrap builds a minimal /dev of its own).
LANDLOCK_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
                    "/dev/ptmx", "/dev/pts", "/dev/shm")
# /proc entries root could write even without capabilities (a uid-0 check, not a capability one).
PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")
# What the helper exits with when it could not set the sandbox up (the command did not run).
SETUP_FAILED = 125

INSTALL_HINT = ("install bubblewrap (e.g. `apt install bubblewrap`) or use a Linux kernel with Landlock "
                "(5.13 or later)")


class SandboxUnavailable(Exception):
    """The settings demand a sandbox (``failIfUnavailable``) and there is none."""


# --- probes (once per process) -----------------------------------------------------------------

def _inside(path: Path, roots: tuple[Path, ...] | list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _trusted_executable(candidates: list[str | None], writable: tuple[Path, ...]) -> str | None:
    """The first candidate that exists and that no sandboxed command could have replaced."""
    for c in candidates:
        if not c:
            continue
        real = Path(os.path.realpath(c))
        if real.is_file() and os.access(real, os.X_OK) and not _inside(real, writable):
            return str(real)
    return None


def _overlaps(path: Path, roots: tuple[Path, ...]) -> bool:
    """Whether ``path`` is inside one of ``roots`` or holds one of them."""
    return _inside(path, roots) or any(_inside(r, (path,)) for r in roots)


def _bwrap_base_flags() -> list[str]:
    flags = ["--die-with-parent", "--unshare-pid", "--unshare-ipc"]
    if os.geteuid() == 0:
        # As root bwrap keeps every capability unless told otherwise (CAP_SYS_ADMIN could remount).
        flags += ["--cap-drop", "ALL"]
    return flags


@functools.cache
def probe_bwrap(path: str) -> tuple[bool, str]:
    """Whether bubblewrap at ``path`` can build the sandbox here, and if not why."""
    argv = [path, *_bwrap_base_flags(), "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev",
            "--proc", "/proc", "true"]
    seccomp_r = None
    pass_fds: tuple[int, ...] = ()
    if landlock_exec.seccomp_supported():
        seccomp_r = _program_fd(landlock_exec.seccomp_program(allowed_families=frozenset({landlock_exec.AF_NETLINK})))
        argv[1:1] = ["--seccomp", str(seccomp_r)]
        pass_fds = (seccomp_r,)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, pass_fds=pass_fds,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap could not run: {exc}"
    finally:
        if seccomp_r is not None:
            os.close(seccomp_r)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return False, f"bwrap is installed but cannot create a sandbox here ({why}; user namespaces may be disabled)"
    return True, ""


@functools.cache
def probe_landlock(python: str) -> tuple[int, str, str]:
    """(ABI, why Landlock is unusable or "", why protected paths cannot be enforced or "")."""
    abi = landlock_exec.landlock_abi()
    if abi < 1:
        return 0, "the kernel has no Landlock (Linux 5.13 or later with Landlock enabled)", ""
    with tempfile.TemporaryDirectory(prefix="claw-sandbox-probe-") as tmp:
        base = [python, "-I", "-S", "-c", _helper_source(), "--rw", tmp]
        try:
            plain = subprocess.run([*base, "--", "true"], capture_output=True, text=True, timeout=10,
                                   stdin=subprocess.DEVNULL)
            if plain.returncode != 0:
                return abi, f"the Landlock helper failed ({plain.stderr.strip() or plain.returncode})", ""
            holes = subprocess.run([*base, "--ro", tmp, "--", "true"], capture_output=True, text=True,
                                   timeout=10, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return abi, f"the Landlock helper could not run: {exc}", ""
    if holes.returncode != 0:
        return abi, "", ("no mount namespace for read-only holes (" + (holes.stderr.strip() or "failed")
                         + "): protected paths inside the workspace are NOT read-only")
    return abi, "", ""


@functools.cache
def _helper_source() -> str:
    return Path(landlock_exec.__file__).read_text(encoding="utf-8")


@functools.cache
def bwrap_version(path: str) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
        return out.replace("bubblewrap", "").strip()
    return ""


def _program_fd(program: bytes) -> int:
    """A pipe holding the seccomp program, its read end to hand to bwrap (``--seccomp FD``)."""
    r, w = os.pipe()
    try:
        os.write(w, program)  # a few hundred bytes: far below the pipe's buffer
    finally:
        os.close(w)
    return r


# --- the per-command plan ----------------------------------------------------------------------

@dataclass
class SandboxedCommand:
    """How to start one command inside the sandbox, and how to read its failure afterwards."""

    backend: Backend
    prefix: list[str]  # argv before ``bash -c SCRIPT``
    env_update: dict[str, str]
    tmp_dir: Path  # the session's private temporary directory on the host
    inside_tmp: str  # the same directory as the command sees it
    writable: tuple[Path, ...]
    protected: tuple[Path, ...]
    pass_fds: tuple[int, ...] = ()

    def argv(self, script: str) -> list[str]:
        return [*self.prefix, "bash", "-c", script]

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, **self.env_update}

    def inside(self, host_path: str | Path) -> str:
        """``host_path`` (in the private temporary directory) as the command sees it."""
        rel = os.path.relpath(host_path, self.tmp_dir)
        return os.path.join(self.inside_tmp, rel)

    def close(self) -> None:
        """Let go of what was handed to the process (call once it has started, or failed to)."""
        for fd in self.pass_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.pass_fds = ()

    def explain(self, output: str, cwd: str, exit_code: int | None) -> str | None:
        """A note for the model when a failed command ran into the sandbox's walls."""
        if not exit_code:
            return None
        setup_failed = (self.backend == "landlock" and exit_code == SETUP_FAILED and "claw sandbox:" in output) or (
            self.backend == "bwrap" and exit_code == 1 and output.startswith("bwrap: "))
        if setup_failed:
            return ("The sandbox could not be set up, so the command did not run (see the message above). "
                    "Tell the user; /sandbox shows the sandbox's state.")
        notes: list[str] = []
        seen: set[str] = set()
        for line in output.splitlines()[-400:]:
            denied = _DENIED.search(line)
            missing = "No such file or directory" in line
            if not denied and not missing:
                continue
            for candidate in _path_candidates(line):
                path = _absolute(candidate, cwd)
                if path is None or str(path) in seen:
                    continue
                note = self._classify(path, denied=bool(denied))
                if note:
                    seen.add(str(path))
                    notes.append(note)
                if len(notes) >= 3:
                    return "\n".join(notes)
        return "\n".join(notes) or None

    def _classify(self, path: Path, *, denied: bool) -> str | None:
        if _inside(path, self.protected):
            return (f"The sandbox blocked a write to {path}: it is a protected path (claw's settings in .claw and "
                    ".claude, .git/config, .git/hooks, shell startup files and sandbox.filesystem.denyWrite stay "
                    "read-only to commands, even inside the workspace). If the change is needed, ask the user to "
                    "make it.")
        if _inside(path, self.writable):
            return None
        in_tmp = _inside(path, (Path("/tmp"),))
        if self.backend == "bwrap" and in_tmp:
            if not denied and (os.path.lexists(path) or os.path.lexists(path.parent)):
                return (f"{path} is in the host's /tmp, which the sandbox replaces with a private /tmp of this "
                        f"session: the command cannot see or change it there. If it is needed, ask the user.")
            return None
        if not denied or _inside(path, (Path("/dev"), Path("/proc"))) or not _host_writable(path):
            return None  # outside the sandbox it would fail the same way: not the sandbox's doing
        hint = f" For temporary files use $TMPDIR ({self.inside_tmp})." if in_tmp else ""
        return (f"The sandbox blocked a write to {path} (outside the workspace).{hint} If it is needed, ask the "
                f"user to allow it (sandbox.filesystem.allowWrite in .claw/settings.json) or to run the command "
                f"outside the sandbox (sandbox.excludedCommands).")


_DENIED = re.compile(r"Read-only file system|Permission denied|Operation not permitted|\[Errno (?:13|30|1)\]")
_QUOTED = re.compile(r"'([^'\n]+)'|\"([^\"\n]+)\"|‘([^’\n]+)’|`([^'`\n]+)'")
# "bash: /x/y: Read-only file system", "touch: /x: Permission denied", "cp: x: Permission denied"
_COLON_PATH = re.compile(r"(?:^|[\s(])((?:~|\.{1,2})?/?[^\s:'\"`‘’()]+): (?:Read-only|Permission|Operation|No such)")
_BARE_ABS = re.compile(r"(?:^|[\s=(])(~?/[^\s:'\"`‘’()]+)")


def _path_candidates(line: str) -> list[str]:
    """Paths an error line names, most specific form first: quoted ones, then ``path: error``,
    and only when neither is there any absolute path (``/usr/bin/touch: cannot touch '/x'``
    must not blame the program)."""
    found = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(line)]
    if not found:
        found = _COLON_PATH.findall(line)
    if not found:
        found = _BARE_ABS.findall(line)
    out: list[str] = []
    for f in (f.strip() for f in found):
        # A bare name is relative to the cwd, which is writable: only paths can be walls.
        if f and f not in out and ("/" in f or f.startswith("~")):
            out.append(f)
    return out


def _host_writable(path: Path) -> bool:
    """Whether claw's own user could write ``path`` (or create it) outside the sandbox."""
    p = path
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return os.access(p, os.W_OK)


def _absolute(candidate: str, cwd: str) -> Path | None:
    text = os.path.expanduser(candidate)
    if not text or "\x00" in text:
        return None
    p = Path(text) if os.path.isabs(text) else Path(cwd) / text
    p = Path(os.path.normpath(p))
    # The directory part through symlinks (the file itself may not exist).
    with contextlib.suppress(OSError, RuntimeError):
        p = Path(os.path.realpath(p.parent)) / p.name
    return p


# --- the session's sandbox ---------------------------------------------------------------------

@dataclass
class _Protection:
    read_only: list[Path] = field(default_factory=list)
    mount_points: list[Path] = field(default_factory=list)  # rw binds that only pin a directory
    gaps: list[str] = field(default_factory=list)


class Sandbox:
    """The Bash sandbox of one session: settings, the backend that works here, its private /tmp."""

    def __init__(
        self,
        workspace: Path,
        *,
        extra_dirs: tuple[Path, ...] | list[Path] = (),
        settings: SandboxSettings | None = None,
        bus: EventBus | None = None,
        backend: Literal["auto", "bwrap", "landlock", "none"] = "auto",
    ) -> None:
        self.bus = bus
        self.workspace = Path(os.path.realpath(workspace))
        self.roots = tuple(dict.fromkeys(
            Path(os.path.realpath(d)) for d in (workspace, *extra_dirs) if os.path.isdir(d)))
        self._tmp: Path | None = None
        self._notified = False
        self._wanted = backend
        self.configure(settings or SandboxSettings())

    def configure(self, settings: SandboxSettings) -> None:
        """(Re)apply the ``sandbox`` settings, e.g. once the person trusts the folder and its
        project settings count. The next command runs under the new configuration."""
        self.settings = settings
        self.allow_write = tuple(self._resolve_setting_paths(settings.filesystem.allow_write, must_exist=True))
        self.deny_write = tuple(self._resolve_setting_paths(settings.filesystem.deny_write, must_exist=False))
        self.excluded_commands = tuple(settings.excluded_commands)
        self.allow_unix_sockets = bool(settings.network.allow_all_unix_sockets)
        self.allowed_domains = tuple(settings.network.allowed_domains)
        self.network_on = "*" in self.allowed_domains
        self.network_note = ""
        if self.allowed_domains and not self.network_on:
            self.network_note = (
                "sandbox.network.allowedDomains lists single domains, but claw cannot filter by domain (that "
                "needs a filtering proxy): the network stays OFF for Bash. Use [\"*\"] to allow all network "
                "access, or run the command with sandbox.excludedCommands.")
        self.fail_if_unavailable = bool(settings.fail_if_unavailable)
        self.backend: Backend | None = None
        self.reason = ""  # why there is no backend
        self.landlock_abi = 0
        self.landlock_gap = ""  # why Landlock cannot make protected paths read-only here
        self.bwrap_path: str | None = None
        self.python: str | None = None
        self._select(self._wanted)

    # -- set-up ------------------------------------------------------------------------------

    def _resolve_setting_paths(self, entries: list[str], *, must_exist: bool) -> list[Path]:
        out: list[Path] = []
        for entry in entries:
            text = entry.strip()
            if not text:
                continue
            if text.startswith("//"):
                text = text[1:]
            text = os.path.expanduser(text)
            p = Path(text) if os.path.isabs(text) else self.workspace / text
            p = Path(os.path.realpath(p))
            if must_exist and not p.exists():
                continue
            out.append(p)
        return out

    @property
    def writable_roots(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys((*self.roots, *self.allow_write)))

    def _select(self, wanted: str) -> None:
        if wanted == "none":
            self.reason = "turned off for this session"
            return
        if self.settings.enabled is False:
            self.reason = "sandbox.enabled is false in the settings"
            return
        writable = self.writable_roots
        reasons: list[str] = []
        if wanted in ("auto", "bwrap"):
            self.bwrap_path = _trusted_executable(["/usr/bin/bwrap", shutil.which("bwrap")], writable)
            if self.bwrap_path is None:
                reasons.append("bubblewrap (bwrap) is not installed")
            else:
                ok, why = probe_bwrap(self.bwrap_path)
                if ok:
                    self.backend = "bwrap"
                    return
                reasons.append(why)
        if wanted in ("auto", "landlock"):
            # The helper runs before any restriction: neither the interpreter nor its standard
            # library may be somewhere a sandboxed command could have changed them.
            self.python = next(
                (py for py in (_trusted_executable([c], writable) for c in (
                    getattr(sys, "_base_executable", None), sys.executable, "/usr/bin/python3",
                    shutil.which("python3")))
                 if py and not _overlaps(Path(py).parent.parent / "lib", writable)), None)
            if self.python is None:
                reasons.append("no Python interpreter outside the writable directories to run the Landlock helper")
            else:
                abi, why, gap = probe_landlock(self.python)
                if not why:
                    self.backend = "landlock"
                    self.landlock_abi = abi
                    self.landlock_gap = gap
                    return
                reasons.append(why)
        self.reason = "; ".join(reasons)

    def startup_notices(self) -> list[Notice]:
        """What the person should know about the sandbox when the session starts."""
        out = []
        if self.network_note:
            out.append(Notice(level="warning", text=f"Sandbox: {self.network_note}"))
        if self.backend == "landlock" and self.landlock_gap:
            out.append(Notice(level="warning", text=f"Sandbox (Landlock): {self.landlock_gap}."))
        home = Path(os.path.realpath(Path.home()))
        if self.backend is not None and any(_inside(home, (r,)) for r in self.writable_roots):
            out.append(Notice(level="warning", text=(
                f"Sandbox: {home} is writable to Bash commands (it is the workspace or inside a writable "
                "directory): apart from claw's settings and shell startup files they can change the programs "
                "and settings you run there yourself. Start claw in a project directory instead.")))
        return out

    @property
    def tmp_dir(self) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="claw-sandbox-"))
            # Removed by close(), or when this object goes away or claw exits without closing it.
            self._tmp_cleanup = weakref.finalize(self, shutil.rmtree, str(self._tmp), ignore_errors=True)
        return self._tmp

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp_cleanup()
            self._tmp = None

    # -- per command -------------------------------------------------------------------------

    def prepare(self, command: str, cwd: str) -> SandboxedCommand | None:
        """How to run ``command``: a plan, or None to run it unsandboxed (no backend, or an
        excluded command). Raises SandboxUnavailable when the settings forbid that."""
        if self.backend is None:
            if self.fail_if_unavailable:
                raise SandboxUnavailable(
                    f"Bash is unavailable: the settings require a sandbox (sandbox.failIfUnavailable) and there "
                    f"is none here ({self.reason}). Ask the user to {INSTALL_HINT}.")
            self._notify_unsandboxed()
            return None
        if self.is_excluded(command, cwd):
            return None
        protection = self.protection()
        if self.backend == "bwrap":
            return self._bwrap(protection)
        return self._landlock(protection)

    def _notify_unsandboxed(self) -> None:
        if self._notified or self.bus is None:
            return
        self._notified = True
        if self.settings.enabled is False:
            text = ("Bash commands run without a sandbox: sandbox.enabled is false in the settings. Commands can "
                    "write anywhere you can and use the network.")
        else:
            text = f"Bash commands run without a sandbox: {INSTALL_HINT}. ({self.reason}.)"
        self.bus.publish(Notice(level="warning", text=text))

    def protection(self) -> _Protection:
        """The protected paths as they are right now (a command may have created ``.git``)."""
        prot = _Protection()
        writable = self.writable_roots
        for root in writable:
            project = root in self.roots  # the workspace or an --add-dir: claw loads its settings
            for name in PROTECTED_DIRS:
                p = root / name
                if not p.exists() and not p.is_symlink():
                    if not project:
                        continue
                    # A read-only mount needs something to mount on; an empty directory pins the name
                    # so a command cannot create settings the next session would load.
                    try:
                        p.mkdir()
                    except OSError as exc:
                        prot.gaps.append(f"{p} does not exist and could not be created to protect it ({exc.strerror})")
                        continue
                self._protect(p, prot)
            git = root / ".git"
            if git.is_symlink():
                self._protect(git, prot)
            elif git.is_file():
                prot.read_only.append(git)  # "gitdir: …": rewriting it would point git at any config
            elif git.is_dir():
                prot.mount_points.append(git)
                hooks = git / "hooks"
                if not hooks.exists() and not hooks.is_symlink():
                    with contextlib.suppress(OSError):
                        hooks.mkdir()
                self._protect_git_dir(git, prot, depth=0)
        # Files that make programs outside the sandbox run code, when a writable root holds them
        # (claw run in $HOME, or allowWrite: ["~"]). Only existing ones: nothing is created here.
        home = Path.home()
        for p in (user_config_dir(), *(home / name for name in HOME_PROTECTED)):
            real = Path(os.path.realpath(p))
            if real.exists() and _inside(real, writable):
                prot.read_only.append(real)
        for p in self.deny_write:
            if p.exists():
                prot.read_only.append(p)
        prot.read_only = list(dict.fromkeys(prot.read_only))
        return prot

    def _protect(self, p: Path, prot: _Protection) -> None:
        if p.is_symlink():
            target = Path(os.path.realpath(p))
            prot.gaps.append(f"{p} is a symbolic link: its target is read-only, the link itself is not")
            if target.exists():
                prot.read_only.append(target)
        elif p.exists():
            prot.read_only.append(p)

    def _protect_git_dir(self, git: Path, prot: _Protection, depth: int) -> None:
        """``config`` and ``hooks`` of a git directory and of its submodules' (``modules/*``):
        ``git status`` in the workspace reads every submodule's config too."""
        for name in GIT_PROTECTED:
            self._protect(git / name, prot)
        modules = git / "modules"
        if depth >= 3 or not modules.is_dir() or modules.is_symlink():
            return
        with contextlib.suppress(OSError):
            for sub in sorted(modules.iterdir())[:64]:
                if sub.is_dir() and not sub.is_symlink():
                    self._protect_git_dir(sub, prot, depth + 1)

    def _env(self, inside_tmp: str) -> dict[str, str]:
        return {"TMPDIR": inside_tmp, "TMP": inside_tmp, "TEMP": inside_tmp, "CLAW_SANDBOX": self.backend or ""}

    def _bwrap(self, prot: _Protection) -> SandboxedCommand:
        assert self.bwrap_path is not None
        tmp = self.tmp_dir
        args = [self.bwrap_path, *_bwrap_base_flags()]
        if not self.network_on:
            args.append("--unshare-net")
        args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        for p in PROC_READ_ONLY:
            args += ["--ro-bind-try", p, p]
        args += ["--bind", str(tmp), "/tmp"]
        # Shallow before deep: a later mount covers an earlier one.
        for root in sorted(self.writable_roots, key=lambda p: len(p.parts)):
            args += ["--bind", str(root), str(root)]
        for p in sorted(prot.mount_points, key=lambda p: len(p.parts)):
            args += ["--bind", str(p), str(p)]
        for p in sorted(prot.read_only, key=lambda p: len(p.parts)):
            args += ["--ro-bind", str(p), str(p)]
        pass_fds: tuple[int, ...] = ()
        if landlock_exec.seccomp_supported():
            fd = _program_fd(self._seccomp_program(netns=not self.network_on))
            args += ["--seccomp", str(fd)]
            pass_fds = (fd,)
        args.append("--")
        return SandboxedCommand("bwrap", args, self._env("/tmp"), tmp, "/tmp", self.writable_roots,
                                tuple(prot.read_only), pass_fds)

    def _seccomp_program(self, *, netns: bool) -> bytes:
        if self.network_on:
            denied = frozenset() if self.allow_unix_sockets else frozenset({landlock_exec.AF_UNIX})
            return landlock_exec.seccomp_program(allowed_families=None, denied_families=denied)
        allowed = {landlock_exec.AF_NETLINK}
        if netns:  # the sandbox's own loopback only: local servers inside it still work
            allowed |= {landlock_exec.AF_INET, landlock_exec.AF_INET6}
        if self.allow_unix_sockets:
            allowed.add(landlock_exec.AF_UNIX)
        return landlock_exec.seccomp_program(allowed_families=frozenset(allowed))

    def _landlock(self, prot: _Protection) -> SandboxedCommand:
        assert self.python is not None
        tmp = self.tmp_dir
        args = [self.python, "-I", "-S", "-c", _helper_source()]
        for p in (*self.writable_roots, tmp):
            args += ["--rw", str(p)]
        for dev in LANDLOCK_DEVICES:
            if os.path.exists(dev):
                args += ["--rw", dev]
        read_only: tuple[Path, ...] = ()
        if not self.landlock_gap:
            for p in prot.mount_points:
                args += ["--bind", str(p)]
            for p in prot.read_only:
                args += ["--ro", str(p)]
            read_only = tuple(prot.read_only)
        args += ["--net", "on" if self.network_on else "off", "--unix", "on" if self.allow_unix_sockets else "off",
                 "--"]
        return SandboxedCommand("landlock", args, self._env(str(tmp)), tmp, str(tmp),
                                (*self.writable_roots, tmp), read_only)

    # -- excluded commands -------------------------------------------------------------------

    def is_excluded(self, command: str, cwd: str) -> bool:
        """Whether ``command`` runs outside the sandbox (``sandbox.excludedCommands``).

        Only when every command the line runs matches an entry, nothing sets a variable that
        changes what programs do, and every file it writes is inside the writable directories:
        ``docker ps; rm -rf ~`` or ``docker ps > ~/.bashrc`` stay sandboxed."""
        if not self.excluded_commands:
            return False
        from claw_tui.permissions.shell import analyze

        try:
            a = analyze(command)
        except Exception:  # the analyser is the permission engine's; any doubt keeps the sandbox
            return False
        if not a.ok or not a.commands or a.sets_dangerous_env or a.defines_functions:
            return False
        patterns = [_pattern_words(p) for p in self.excluded_commands]
        patterns = [p for p in patterns if p]
        for sc in a.commands:
            if sc.opaque or sc.dangerous_env:
                return False
            if sc.transparent:
                continue
            if not any(_prefix_match(p, sc.words) for p in patterns):
                return False
        # What the excluded program itself writes is what the user excluded it for; a redirect
        # around it is not part of that program.
        prot = self.protection()
        for access in a.writes:
            if access.origin != "redirect":
                continue
            if access.dynamic:
                return False
            if access.path in ("/dev/null", "/dev/stdout", "/dev/stderr"):
                continue
            path = _absolute(access.path, cwd)
            if path is None or not _inside(path, self.writable_roots) or _inside(path, tuple(prot.read_only)):
                return False
        return True

    # -- state for /sandbox ------------------------------------------------------------------

    def describe(self) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        if self.backend == "bwrap":
            version = bwrap_version(self.bwrap_path or "bwrap")
            rows.append(("backend", f"bubblewrap {version} ({self.bwrap_path})".replace("  ", " ")))
            rows.append(("temporary files", f"/tmp is private to this session (on the host: {self.tmp_dir})"))
        elif self.backend == "landlock":
            holes = "read-only holes by mount namespace" if not self.landlock_gap else "no read-only holes"
            rows.append(("backend", f"Landlock ABI {self.landlock_abi} via {self.python} ({holes})"))
            rows.append(("temporary files", f"TMPDIR={self.tmp_dir}; /tmp itself is read-only"))
        else:
            rows.append(("backend", f"none: commands run UNSANDBOXED ({self.reason})"))
        if self.backend is None:
            if self.fail_if_unavailable:
                rows.append(("Bash", "refused: sandbox.failIfUnavailable is set"))
            elif self.settings.enabled is not False:
                rows.append(("to fix", INSTALL_HINT))
            return rows
        rows.append(("writable", ", ".join(str(p) for p in self.writable_roots)))
        prot = self.protection()
        if self.backend == "landlock" and self.landlock_gap:
            rows.append(("protected paths", f"NOT enforced: {self.landlock_gap}"))
        else:
            rows.append(("protected paths (read-only)", ", ".join(str(p) for p in prot.read_only) or "none"))
        for gap in prot.gaps:
            rows.append(("gap", gap))
        rows.append(("network", "on (all domains)" if self.network_on else "off"))
        rows.append(("allowed domains", ", ".join(self.allowed_domains) or "none"))
        if self.network_note:
            rows.append(("note", self.network_note))
        if self.backend == "landlock" and not self.network_on and self.landlock_abi < 4:
            rows.append(("network (Landlock)", f"ABI {self.landlock_abi} < 4: blocked by the seccomp filter alone"))
        rows.append(("unix sockets", "allowed" if self.allow_unix_sockets else "blocked (socket(AF_UNIX) fails)"))
        if self.excluded_commands:
            rows.append(("run outside the sandbox", ", ".join(self.excluded_commands)))
        if self.settings.allow_unsandboxed_commands is not None:
            rows.append(("allowUnsandboxedCommands", "ignored: claw has no way for the model to ask for an "
                                                     "unsandboxed run"))
        return rows


def _pattern_words(pattern: str) -> list[str]:
    text = pattern.strip()
    for suffix in (":*", " *", "*"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    try:
        return shlex.split(text)
    except ValueError:
        return []


def _prefix_match(pattern: list[str], words: tuple) -> bool:  # noqa: ANN001 (shell.Word)
    if len(words) < len(pattern):
        return False
    return all(not w.dynamic and w.text == p for p, w in zip(pattern, words))
