"""Paths the model names, turned into the real paths the kernel would touch.

The model is treated as an attacker (a prompt injection writes its tool calls), so a path is
never compared as written: ``.env``, ``./.env``, ``sub/../.env``, ``$WS/.env``, ``~/ws/.env``
and a symlink to it are one file. :func:`resolve` is the one function every rule and
workspace check goes through:

- ``~`` and ``~user`` are expanded; a relative path is taken relative to the agent's cwd;
- every existing component is resolved the way the kernel does (symlinks followed, ``..``
  applied to the resolved parent: ``link/..`` is the link target's parent, not the link's);
- a path that does not exist yet resolves through its nearest existing parent, so a new file
  under a symlinked directory that points outside the workspace is outside the workspace.

:func:`lexical` is the other form, the path as written (``~`` expanded, made absolute, ``..``
collapsed as text). It is only ever used to match *more* deny, ask and protected-path rules
(a deny rule written for a symlink's own path still matches), never to allow anything.

:class:`PathPattern` is one gitignore-style permission path (Claude Code's syntax: ``//abs``,
``~/home``, ``/from-the-project-root``, ``./here``, ``floating``). :class:`ProtectedPaths` lists
what no tool writes without a person saying yes, in every mode (see :mod:`.policy`).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

__all__ = [
    "PathPattern",
    "ProtectedPaths",
    "is_within",
    "lexical",
    "resolve",
    "walk_limited",
]


def _expanded(path: str | os.PathLike[str], cwd: str | os.PathLike[str]) -> str:
    text = os.fspath(path)
    if "\x00" in text:
        raise ValueError("a path may not contain a NUL byte")
    text = os.path.expanduser(text)
    if not os.path.isabs(text):
        text = os.path.join(os.fspath(cwd), text)
    return text


def resolve(path: str | os.PathLike[str], cwd: str | os.PathLike[str]) -> Path:
    """The real path ``path`` names when used from ``cwd`` (see the module docstring)."""
    # os.path.realpath (not strict) walks component by component: symlinks are followed,
    # '..' pops the already-resolved parent (as the kernel does), and once a component does
    # not exist the rest is appended as it is. Path.resolve() does the same; realpath is used
    # for its documented handling of dangling links and loops (returned as they are).
    return Path(os.path.realpath(_expanded(path, cwd)))


def lexical(path: str | os.PathLike[str], cwd: str | os.PathLike[str]) -> Path:
    """``path`` made absolute with ``~`` expanded and ``..`` collapsed as text; symlinks kept."""
    return Path(os.path.normpath(_expanded(path, cwd)))


def is_within(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path`` is one of ``roots`` or below one (compare real paths with real roots)."""
    return any(path == root or root in path.parents for root in roots)


def walk_limited(top: Path, limit: int) -> Iterator[Path] | None:
    """Every entry below ``top`` (symlinks not followed), or None when there are more than ``limit``.

    Used to decide whether a command that reads or removes a whole directory reaches a file a
    rule protects; past ``limit`` entries the caller asks instead of guessing.
    """
    found: list[Path] = []
    try:
        for root, dirs, files in os.walk(top, followlinks=False):
            for name in (*dirs, *files):
                found.append(Path(root, name))
                if len(found) > limit:
                    return None
    except OSError:
        return None
    return iter(found)


# -- path patterns ------------------------------------------------------------------------

_GLOB_CHARS = re.compile(r"[*?\[\]{}]")


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


@dataclass(frozen=True, slots=True)
class PathPattern:
    """One path specifier of a Read/Edit rule, in Claude Code's syntax (gitignore patterns):

    - ``//abs/path``: absolute;  ``~/path``: under the home directory;
    - ``./path``: anchored at ``base``, the workspace (the directory claw works in);
    - ``/path``: anchored at ``root``, the directory of the settings file's project (the
      workspace for a project's files and the command line; the home directory for the
      user's own settings);
    - ``path`` without a leading slash: gitignore's own meaning under ``base`` (a bare name such
      as ``.env`` or ``*.pem`` matches at any depth; one with a ``/`` inside is anchored).
    """

    spec: str
    base: Path
    root: Path | None = None

    def anchored(self) -> tuple[Path, str]:
        """The directory the pattern is relative to, and the gitignore pattern."""
        spec = self.spec
        if spec.startswith("//"):
            return Path("/"), "/" + spec[2:].lstrip("/")
        if spec == "~" or spec.startswith("~/"):
            return Path(os.path.expanduser("~")), "/" + spec[2:].lstrip("/") if len(spec) > 2 else "/**"
        if spec.startswith("./"):
            rest = spec[2:]
            while rest.startswith("./"):
                rest = rest[2:]
            return self.base, "/" + rest.lstrip("/")
        if spec in (".", "./"):
            return self.base, "/**"
        if spec.startswith("/"):
            return (self.root or self.base), spec
        return self.base, spec

    def alternatives(self) -> list[tuple[Path, str]]:
        """(real anchor, pattern) pairs this pattern matches under.

        The anchor is resolved; and when the literal directories the pattern starts with
        resolve elsewhere (``Read(./secrets/**)`` where ``secrets`` is a symlink), the pattern
        also matches under that real target, so reading the target directly is covered too.
        """
        anchor, pattern = self.anchored()
        real_anchor = Path(os.path.realpath(anchor))
        out = [(real_anchor, pattern)]
        if pattern.startswith("/"):
            parts = pattern.strip("/").split("/")
            literal: list[str] = []
            for part in parts:
                if _GLOB_CHARS.search(part) or part in ("", "**"):
                    break
                literal.append(part)
            if literal:
                rest = parts[len(literal):]
                lexical_prefix = real_anchor.joinpath(*literal)
                real_prefix = Path(os.path.realpath(lexical_prefix))
                if real_prefix != lexical_prefix:
                    out.append((real_prefix, "/" + "/".join(rest) if rest else ""))
        return out

    def literal_path(self) -> Path | None:
        """The one path the pattern names when it has no wildcard (``./.env``), else None."""
        anchor, pattern = self.anchored()
        if not pattern.startswith("/") or _GLOB_CHARS.search(pattern) or pattern.endswith("/"):
            return None
        return Path(os.path.realpath(anchor)) / pattern.strip("/")

    def matches(self, path: Path, *, is_dir: bool | None = None, through_links: bool = True) -> bool:
        """Whether the absolute ``path`` (as given: real or lexical) matches.

        ``through_links``: also match under the real targets of symlinks the pattern itself
        names (deny and ask rules); allow rules pass False, so ``Write(./link)`` never allows
        writing wherever ``link`` points."""
        alternatives = self.alternatives() if through_links else self.alternatives()[:1]
        for anchor, pattern in alternatives:
            if pattern == "":
                # The rule names exactly this (symlinked) path: it and everything below it.
                if path == anchor or anchor in path.parents:
                    return True
                continue
            if path == anchor:
                continue
            try:
                rel = path.relative_to(anchor).as_posix()
            except ValueError:
                continue
            spec = _compiled(pattern)
            if spec.match_file(rel):
                return True
            directory = path.is_dir() if is_dir is None else is_dir
            if directory and spec.match_file(rel + "/"):
                return True
        return False

    def may_match_inside(self, directory: Path) -> bool:
        """Whether some path below ``directory`` could match (a cheap over-approximation)."""
        for anchor, pattern in self.alternatives():
            if anchor == directory or directory in anchor.parents:
                return True  # the pattern's whole domain lies inside the directory
            if anchor in directory.parents:
                anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
                if not anchored:
                    return True  # floats: may match at any depth
                rel = directory.relative_to(anchor).as_posix()
                literal = []
                for part in pattern.strip("/").split("/"):
                    if _GLOB_CHARS.search(part) or part == "**":
                        return True
                    literal.append(part)
                prefix = "/".join(literal)
                if prefix == rel or prefix.startswith(rel + "/") or rel.startswith(prefix + "/"):
                    return True
        return False


# -- protected paths ----------------------------------------------------------------------

# Relative to the workspace and every additional directory. What a write here can do: change
# claw's own permissions and hooks (.claw, .claude), start servers (.mcp.json), run code on the
# next git command (.git/hooks, .git/config: core.hooksPath, core.fsmonitor, aliases, filters)
# or in the person's editor (.vscode tasks and settings, .idea run configurations).
PROTECTED_NAMES = (".claw", ".claude", ".mcp.json", ".git", ".vscode", ".idea")

_HOOKS_PATH = re.compile(r"^\s*hookspath\s*=\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass
class ProtectedPaths:
    """Paths no tool writes without asking, in every mode (bypassPermissions included).

    ``roots``: the workspace and the additional directories; ``user_dir``: claw's user config
    directory (settings, trust store, credentials); ``files``: more files to protect (hook
    scripts and server programs named in settings). ``secret_files`` are also never *read*
    without asking (the stored credentials).
    """

    roots: tuple[Path, ...]
    user_dir: Path | None = None
    files: tuple[Path, ...] = ()
    secret_files: tuple[Path, ...] = ()
    _entries: list[tuple[Path, str]] = field(default_factory=list, init=False, repr=False)
    _seen: tuple[int, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        self.refresh()

    def _stamp(self) -> tuple[int, ...]:
        """What the list depends on that can change during a session (git's config and .git files)."""
        out = []
        for root in self.roots:
            for name in (".git/config", ".git"):
                try:
                    out.append(os.stat(root / name).st_mtime_ns)
                except OSError:
                    out.append(-1)
        return tuple(out)

    def refresh(self) -> None:
        """Work the list out again (a command may have created ``.git`` or a symlink since)."""
        self._seen = self._stamp()
        entries: list[tuple[Path, str]] = []

        def add(path: Path, why: str) -> None:
            entries.append((Path(os.path.normpath(path)), why))
            real = Path(os.path.realpath(path))
            if real != path:
                entries.append((real, why))

        for root in self.roots:
            for name in PROTECTED_NAMES:
                add(root / name, _WHY.get(name, "claw protects it"))
            git = root / ".git"
            config = git / "config"
            if git.is_file():  # a worktree or submodule: "gitdir: <where the repository is>"
                target = _gitdir(git)
                if target is not None:
                    add(target / "hooks", _WHY[".git"])
                    add(target / "config", _WHY[".git"])
                    common = _commondir(target)
                    if common is not None:
                        add(common / "hooks", _WHY[".git"])
                        add(common / "config", _WHY[".git"])
                        config = common / "config"
                    else:
                        config = target / "config"
            hooks_path = _hooks_path(config)
            if hooks_path is not None:
                add(hooks_path if os.path.isabs(hooks_path) else root / hooks_path,
                    "it is the repository's git hooks directory (core.hooksPath): its scripts run on git commands")
        if self.user_dir is not None:
            add(self.user_dir, "it is claw's user configuration (settings, trusted folders, credentials)")
        for f in self.files:
            add(f, "settings name it as a hook or server command that claw runs")
        self._entries = entries

    def _current(self) -> list[tuple[Path, str]]:
        if self._stamp() != self._seen:  # e.g. core.hooksPath was set since
            self.refresh()
        return self._entries

    def why(self, path: Path) -> str | None:
        """Why writing ``path`` (a real or lexical absolute path) needs a person, or None."""
        for entry, why in self._current():
            if path == entry or entry in path.parents:
                return f"{entry} is protected: {why}"
        return None

    def inside(self, directory: Path) -> str | None:
        """A protected path at or below ``directory`` (a recursive write would reach it)."""
        for entry, why in self._current():
            if entry == directory or directory in entry.parents:
                if entry.exists() or entry.is_symlink():
                    return f"it holds {entry}, which is protected: {why}"
        return self.why(directory)

    def secret(self, path: Path) -> str | None:
        for f in self.secret_files:
            for form in (f, Path(os.path.realpath(f))):
                if path == form:
                    return f"{f} holds claw's stored provider keys"
        return None

    def listing(self) -> list[tuple[str, str]]:
        """(path, why) for /permissions, without duplicates."""
        seen: dict[str, str] = {}
        for entry, why in self._entries:
            seen.setdefault(str(entry), why)
        return list(seen.items())


_WHY = {
    ".claw": "claw's project settings, hooks and agents live here",
    ".claude": "project settings and hooks live here (Claude Code's folder, which claw reads)",
    ".mcp.json": "it defines the MCP servers claw starts",
    ".git": "git runs hooks and config-defined commands from here",
    ".vscode": "the editor runs tasks and tools configured here",
    ".idea": "the IDE runs configurations defined here",
}


def _gitdir(git_file: Path) -> Path | None:
    try:
        text = git_file.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
    m = re.match(r"gitdir:\s*(.+?)\s*$", text, re.MULTILINE)
    if not m:
        return None
    target = Path(m.group(1))
    return target if target.is_absolute() else (git_file.parent / target)


def _commondir(gitdir: Path) -> Path | None:
    try:
        text = (gitdir / "commondir").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text:
        return None
    p = Path(text)
    return p if p.is_absolute() else gitdir / p


def _hooks_path(config: Path) -> str | None:
    try:
        text = config.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return None
    m = None
    for m in _HOOKS_PATH.finditer(text):
        pass  # the last one wins, as in git
    if m is None:
        return None
    value = m.group(1).strip().strip('"')
    return os.path.expanduser(value) if value else None
