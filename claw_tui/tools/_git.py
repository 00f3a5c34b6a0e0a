"""What the Git tools share: finding the repository, running git safely, capping output.

Model input is attacker-controlled and so is a repository's own configuration (the
agent itself may have written ``.git/config`` a moment ago). Plain ``git status``
runs programs named there: ``core.fsmonitor``, clean filters, the
``post-index-change`` hook; ``git diff``/``log``/``show``/``blame`` run textconv and
external diff drivers, and ``log.showSignature`` runs ``gpg.program``. The read
tools are allowed without asking, so they must run none of these: every read runs
with :func:`read_env`'s settings on top (``GIT_CONFIG_COUNT`` beats every config
file and is passed down to submodule processes; hooks point at /dev/null; every
filter and diff driver the config defines is blanked), with ``--no-ext-diff
--no-textconv --no-show-signature``, without writing the index
(``GIT_OPTIONAL_LOCKS=0``), and with every transport refused (a partial clone would
otherwise fetch missing objects over a transport the config chooses).

Commands run through our own asyncio subprocess rather than GitPython's
``Git.execute``: that copies the whole of ``os.environ`` into git (so commit hooks
would get the agent's API keys) and blocks a thread with no way to kill a hook's
process group when the person interrupts. GitPython finds the repository.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator

from claw_tui.tools.base import Tool, ToolError, ToolResult
from claw_tui.tools.bash import command_env, kill_process_group

if TYPE_CHECKING:
    from claw_tui.tools.base import ToolContext

MAX_OUTPUT_CHARS = 30_000
READ_TIMEOUT_S = 60.0
# Commit hooks (pre-commit running a test suite) can take a while.
COMMIT_TIMEOUT_S = 600.0
# before/after texts for a diff display: larger files are shown as text only.
MAX_DISPLAY_BYTES = 256 * 1024

# Settings that make read commands run no program named by the repository.
READ_SAFE_CONFIG: dict[str, str] = {
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",
    "log.showSignature": "false",
    "gpg.program": "false",
    "gpg.ssh.program": "false",
    "gpg.x509.program": "false",
    "status.submoduleSummary": "false",
    "diff.submodule": "short",
    "protocol.allow": "never",
}
# Settings every command gets, so output reads the same whatever the config says.
PLAIN_OUTPUT_CONFIG: dict[str, str] = {"color.ui": "never", "core.quotePath": "false"}
# Per-driver settings (filter.<name>.clean, diff.<name>.textconv, ...) that name programs.
_DRIVER_KEY = re.compile(r"^(filter|diff|protocol)\.(.+)\.(clean|smudge|process|required|textconv|command|allow)$",
                         re.IGNORECASE)

# Where the repository is comes from GitPython's discovery alone: these would point git elsewhere.
_LOCATION_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
                 "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_PREFIX")
_CONFIG_ENV = re.compile(r"^GIT_CONFIG_(PARAMETERS|COUNT|KEY_\d+|VALUE_\d+)$")


def _check_ref(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if value.startswith("-"):
        raise ValueError("a revision cannot start with '-' (it would be read as an option)")
    if any(c in value for c in "\0\n\r"):
        raise ValueError("a revision cannot contain NUL or line breaks")
    return value


def _check_text(value: str) -> str:
    if "\0" in value:
        raise ValueError("must not contain NUL characters")
    return value


# A revision, branch, tag or range from the model; never an option.
Ref = Annotated[str, AfterValidator(_check_ref)]
# Free text passed as the value of an option (--author=..., --message=...).
SafeText = Annotated[str, AfterValidator(_check_text)]


@dataclass(frozen=True, slots=True)
class Repo:
    root: Path  # the working tree
    git_dir: Path

    def rel(self, path: Path) -> str:
        """``path`` relative to the working tree, as git wants it; ToolError outside it."""
        real = Path(os.path.realpath(path))
        root = Path(os.path.realpath(self.root))
        if real != root and root not in real.parents:
            raise ToolError(f"{path} is outside the repository at {self.root}.")
        return real.relative_to(root).as_posix() or "."


@dataclass(frozen=True, slots=True)
class GitRun:
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    def error(self) -> str:
        return self.stderr.strip() or self.stdout.strip() or f"git exited with code {self.code}"


def start_dir(ctx: ToolContext, path: str | None) -> Path:
    """The directory to look for a repository from: ``path`` (or its nearest existing
    parent, for a file that is gone) or the shell's cwd."""
    start = ctx.resolve(path) if path else Path(ctx.cwd)
    while not start.is_dir() and start != start.parent:
        start = start.parent
    return start


def find_repo(ctx: ToolContext, path: str | None = None) -> Repo:
    """The repository holding ``path`` (or the cwd), searching parent directories."""
    import git  # GitPython costs ~80 ms to import: only when a Git tool is used

    start = start_dir(ctx, path)
    try:
        repo = git.Repo(start, search_parent_directories=True, expand_vars=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ToolError(f"Not a git repository: {start} (nor any of its parent directories).") from None
    except OSError as exc:
        raise ToolError(f"Cannot open the git repository at {start}: {exc}") from None
    try:
        if repo.bare or not repo.working_tree_dir:
            raise ToolError(f"{repo.git_dir} is a bare repository; the Git tools need a working tree.")
        return Repo(Path(os.path.normpath(repo.working_tree_dir)), Path(os.path.normpath(repo.git_dir)))
    finally:
        repo.close()


def repo_paths(ctx: ToolContext, path: str | None) -> list[Path]:
    """What a read tool looks at, for permission checks: ``path`` when given, else the
    whole working tree. Without a repository, where it would have looked."""
    if path:
        return [ctx.resolve(path)]
    try:
        return [find_repo(ctx).root]
    except ToolError:
        return [Path(ctx.cwd)]


def _env(config: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in command_env().items() if k not in _LOCATION_ENV and not _CONFIG_ENV.match(k)}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_EDITOR": ":", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"})
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for i, (key, value) in enumerate(config.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def read_env(driver_keys: list[str]) -> dict[str, str]:
    """The environment of a read command, with every program-naming key switched off."""
    config = {**PLAIN_OUTPUT_CONFIG, **READ_SAFE_CONFIG}
    for name in driver_keys:
        m = _DRIVER_KEY.match(name)
        if not m:
            continue
        section, sub, key = m.group(1).lower(), m.group(2), m.group(3).lower()
        if section == "filter" and key in ("clean", "smudge", "process"):
            config[f"filter.{sub}.{key}"] = ""
            config[f"filter.{sub}.required"] = "false"
        elif section == "diff" and key in ("textconv", "command"):
            config[f"diff.{sub}.{key}"] = ""
        elif section == "protocol" and key == "allow":
            config[f"protocol.{sub}.allow"] = "never"
    env = _env(config)
    # Overrides protocol.<name>.allow from any config: no transport at all.
    env["GIT_ALLOW_PROTOCOL"] = "none"
    env["GIT_NO_LAZY_FETCH"] = "1"
    return env


def write_env() -> dict[str, str]:
    """The environment of GitCommit: the repository's own config and hooks apply (the
    person approved the commit and was told hooks run); fsmonitor stays off."""
    return _env({"color.ui": "never", "core.fsmonitor": "false"})


def _argv(repo: Repo, args: list[str]) -> list[str]:
    # Discovery happened once (GitPython); git works on exactly that repository.
    return ["git", "--no-pager", "--literal-pathspecs", f"--git-dir={repo.git_dir}", f"--work-tree={repo.root}",
            *args]


_LIST_CONFIG = ["config", "--null", "--name-only", "--list"]


def _driver_keys(listed: GitRun) -> list[str]:
    # Without the list, the drivers to switch off are unknown: refuse rather than guess.
    if not listed.ok:
        raise ToolError(f"Could not read the repository's git config: {listed.error()}")
    return [k for k in listed.stdout.split("\0") if k and _DRIVER_KEY.match(k)]


def _decode(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def run_git_sync(repo: Repo, args: list[str], *, timeout: float = READ_TIMEOUT_S) -> GitRun:
    """A read command, synchronously (for previews built before an approval)."""
    try:
        listed = subprocess.run(_argv(repo, _LIST_CONFIG), cwd=repo.root, env=read_env([]), capture_output=True,
                                stdin=subprocess.DEVNULL, timeout=timeout)
        env = read_env(_driver_keys(GitRun(listed.returncode, _decode(listed.stdout), _decode(listed.stderr))))
        done = subprocess.run(_argv(repo, args), cwd=repo.root, env=env, capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return GitRun(124, "", f"git {args[0]} timed out after {timeout:g} s")
    except OSError as exc:
        raise ToolError(f"Could not run git: {exc}") from None
    return GitRun(done.returncode, _decode(done.stdout), _decode(done.stderr))


async def _exec(repo: Repo, args: list[str], env: dict[str, str], ctx: ToolContext, timeout: float) -> GitRun:
    try:
        proc = await asyncio.create_subprocess_exec(
            *_argv(repo, args), cwd=repo.root, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise ToolError(f"Could not run git: {exc}") from None
    ctx.processes.add(proc)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        await kill_process_group(proc)
        return GitRun(124, "", f"git {args[0]} timed out after {timeout:g} s and was stopped")
    except BaseException:
        # Interrupted: git and whatever it started (a hook) die with the turn.
        await kill_process_group(proc)
        raise
    finally:
        ctx.processes.discard(proc)
    return GitRun(proc.returncode or 0, _decode(out), _decode(err))


async def run_git(repo: Repo, args: list[str], ctx: ToolContext, *, timeout: float = READ_TIMEOUT_S) -> GitRun:
    """A read command: runs no program the repository's config or hooks name."""
    listed = await _exec(repo, _LIST_CONFIG, read_env([]), ctx, timeout)
    return await _exec(repo, args, read_env(_driver_keys(listed)), ctx, timeout)


async def run_git_write(repo: Repo, args: list[str], ctx: ToolContext, *, timeout: float = COMMIT_TIMEOUT_S) -> GitRun:
    """A command that changes the repository, with its hooks (approved by a person)."""
    return await _exec(repo, args, write_env(), ctx, timeout)


_DIFF_HEAD = re.compile(r'^diff --git (?:"?a/(?P<a>.+?)"? "?b/(?P<b>.+?)"?)$')
_STAT_LINE = re.compile(r"^ (?P<path>\S.*?)\s+\|\s+(?:\d+|Bin)")


def drop_denied(text: str, root: Path, ctx: Any) -> tuple[str, list[str]]:
    """``text`` (git diff / show output) without the sections and diffstat lines of files a
    Read deny rule covers, and the paths left out. A diff over the whole repository must not
    show what ``Read(./.env)`` keeps from Read, cat and Grep."""
    denied = getattr(ctx, "read_denied", None)
    if denied is None:
        return text, []
    dropped: list[str] = []
    out: list[str] = []
    skipping = False
    for line in text.split("\n"):
        head = _DIFF_HEAD.match(line)
        if head:
            paths = {head.group("a"), head.group("b")}
            skipping = any(denied(root / p) for p in paths)
            if skipping:
                dropped.append(head.group("b"))
        elif not skipping:
            stat = _STAT_LINE.match(line)
            if stat and denied(root / stat.group("path").strip()):
                continue
        if not skipping:
            out.append(line)
    return "\n".join(out), dropped


def denied_note(dropped: list[str]) -> str:
    if not dropped:
        return ""
    return (f"\n[{len(dropped)} file(s) left out: a Read deny rule covers them ({', '.join(dropped[:5])}"
            f"{', …' if len(dropped) > 5 else ''})]")


def cap(text: str, hint: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """``text`` cut to ``limit`` characters at a line break, saying so and how to see less."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if "\n" in head:
        head = head[: head.rindex("\n")]
    return f"{head}\n\n... [{len(text) - len(head):,} more characters cut; {hint}]"


def failure(run: GitRun, what: str) -> ToolError:
    return ToolError(f"{what} failed: {run.error()}")


class GitTool(Tool):
    """A Git tool: ``git_run`` may raise ToolError, which the model reads as an error result."""

    async def run(self, params: Any, ctx: ToolContext) -> ToolResult:
        try:
            return await self.git_run(params, ctx)
        except ToolError as exc:
            return ToolResult(str(exc), is_error=True, summary="error")

    @abstractmethod
    async def git_run(self, params: Any, ctx: ToolContext) -> ToolResult: ...
