"""An ignore-aware walk of the workspace, shared by Glob, Grep, LS, completion and the watcher.

The rules are ripgrep's (Grep runs rg when it is installed, and its Python fallback
walks with this module, so the two must leave out the same files):

- ``.gitignore`` files apply from the directory that holds ``.git`` down; outside a
  git repository (rg ``--no-require-git``) the ``.gitignore`` of every ancestor
  applies, so searching a subdirectory hides what searching its parent hides.
  ``.git/info/exclude`` applies below its repository.
- ``.ignore`` and ``.rgignore`` files apply from every ancestor, in or out of a repo.
- Precedence between kinds: ``.rgignore`` beats ``.ignore`` beats ``.gitignore``
  beats ``.git/info/exclude``; within a kind the deepest file with an opinion wins,
  and within a file the last matching pattern.
- A path is judged on its own name: an ignored directory is not entered, but a
  walk that *starts* inside one (a person asked for it by name) lists its contents.

``.git`` itself is never listed. Hidden files are listed: they are often what a
person asks about.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pathspec

ALWAYS_SKIPPED = frozenset({".git"})

# pathspec's (>= 1.0) regex group that marks where a pattern matched a *directory*
# of the path (e.g. "build/" matching "build/out.py"): such a match is about a parent.
# The ripgrep comparison in tests/tools/test_grep.py catches a change of that shape.
_DIR_MARK = "ps_d"

# Overrides decide before ignore files (rg --glob): True includes the path whatever
# the ignore files say, False leaves it out, None lets the ignore files decide.
Overrides = Callable[[str, bool], "bool | None"]


def find_git_root(start: Path) -> Path | None:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


@dataclass(frozen=True)
class _Pattern:
    ignores: bool  # False for a '!' line
    on_path_or_parents: re.Pattern[str]  # pathspec's regex: also matches below a matched directory
    on_path: re.Pattern[str]  # matches only when the pattern names the path itself


IgnoreFile = tuple[_Pattern, ...]


@lru_cache(maxsize=4096)
def _spec_for(ignore_file: str, mtime_ns: int, size: int) -> IgnoreFile | None:
    try:
        with open(ignore_file, encoding="utf-8", errors="replace") as fh:
            spec = pathspec.GitIgnoreSpec.from_lines(_dirs_below(line) for line in fh)
    except OSError:
        return None
    patterns = []
    for pattern in spec.patterns:
        if pattern.include is None or pattern.regex is None:
            continue
        regex = pattern.regex
        # pathspec's regexes match a path or anything below it ("build/" matches
        # "build/out.py"), marking the directory part with a group; a walk that prunes
        # ignored directories needs "this very path", so that group must end the path.
        # "a/**" becomes "^a/", which must not match the directory a/ itself (git and
        # rg enter it, so a deeper '!' line can bring files back): it needs a name after.
        if _DIR_MARK in regex.groupindex:
            on_path = re.compile(f"(?:{regex.pattern})\\Z", regex.flags)
        elif regex.pattern.endswith("/"):
            on_path = re.compile(f"(?:{regex.pattern}).", regex.flags)
        else:
            on_path = regex
        patterns.append(_Pattern(bool(pattern.include), regex, on_path))
    return tuple(patterns)


def _dirs_below(line: str) -> str:
    """'a/**/' means the directories below a/, not a/ itself; pathspec reads it as 'a/',
    so it is handed the equivalent 'a/**/*/'."""
    body = line.rstrip("\r\n")
    if not body.endswith("\\ "):
        body = body.rstrip(" ")
    return body + "*/" if body.endswith("/**/") else line


def _load_spec(path: Path) -> IgnoreFile | None:
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return _spec_for(str(path), st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class DirRules:
    """The ignore files one directory holds."""

    rgignore: IgnoreFile | None
    ignore: IgnoreFile | None
    gitignore: IgnoreFile | None
    exclude: IgnoreFile | None  # .git/info/exclude, in a repository's root
    has_git: bool


Specs = tuple[tuple[Path, DirRules], ...]


_RULE_NAMES = frozenset({".rgignore", ".ignore", ".gitignore", ".git"})


def _dir_spec(directory: Path, names: frozenset[str] | set[str] | None = None) -> DirRules | None:
    """The rules ``directory`` itself holds, or None when it holds none. ``names``: the
    directory's entries when the caller has listed it already (saves a stat per file)."""

    def load(name: str) -> IgnoreFile | None:
        return _load_spec(directory / name) if names is None or name in names else None

    has_git = (directory / ".git").exists() if names is None else ".git" in names
    rules = DirRules(
        rgignore=load(".rgignore"),
        ignore=load(".ignore"),
        gitignore=load(".gitignore"),
        exclude=_load_spec(directory / ".git" / "info" / "exclude") if has_git else None,
        has_git=has_git,
    )
    if not has_git and rules.rgignore is None and rules.ignore is None and rules.gitignore is None:
        return None
    return rules


def initial_specs(start: Path) -> Specs:
    """The rules in force at ``start`` from the directories above it (not ``start``'s own),
    outermost first."""
    specs: list[tuple[Path, DirRules]] = []
    for d in reversed(start.parents):
        rules = _dir_spec(d)
        if rules is not None:
            specs.append((d, rules))
    return tuple(specs)


def _verdict(rules: IgnoreFile | None, rel: str, parents_count: bool) -> bool | None:
    """True: ``rel`` is ignored; False: re-included by a '!' line; None: no opinion.
    ``parents_count``: a pattern that matches a directory ``rel`` is in counts for ``rel``."""
    if rules is None:
        return None
    verdict: bool | None = None
    for pattern in rules:
        regex = pattern.on_path_or_parents if parents_count else pattern.on_path
        if regex.search(rel) is not None:
            verdict = pattern.ignores  # the last matching line wins
    return verdict


def _judge(specs: Specs, path: Path, is_dir: bool, parents_count: bool) -> bool:
    custom = dot_ignore = git = exclude = None
    saw_git = False
    # Deepest first, as ripgrep's ignore crate: the first opinion per kind wins, and
    # .gitignore/exclude stop at the directory holding .git.
    for base, rules in reversed(specs):
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if is_dir:
            rel += "/"
        if custom is None:
            custom = _verdict(rules.rgignore, rel, parents_count)
        if dot_ignore is None:
            dot_ignore = _verdict(rules.ignore, rel, parents_count)
        if not saw_git:
            if git is None:
                git = _verdict(rules.gitignore, rel, parents_count)
            if exclude is None:
                exclude = _verdict(rules.exclude, rel, parents_count)
        saw_git = saw_git or rules.has_git
    for verdict in (custom, dot_ignore, git, exclude):
        if verdict is not None:
            return verdict
    return False


def is_ignored(specs: Specs, path: Path, is_dir: bool) -> bool:
    """Whether ``path`` or a directory it is in is ignored (for code that sees single paths,
    like the file watcher, rather than walking down to them)."""
    return _judge(specs, path, is_dir, parents_count=True)


def _is_ignored_itself(specs: Specs, path: Path, is_dir: bool) -> bool:
    return _judge(specs, path, is_dir, parents_count=False)


def walk_files(
    start: Path,
    *,
    respect_ignore_files: bool = True,
    include_dirs: bool = False,
    include_symlinks: bool = True,
    overrides: Overrides | None = None,
) -> Iterator[Path]:
    """Every file below ``start`` (and directories if asked), ignored ones left out,
    depth-first in name order: a directory's contents come right after it.

    ``include_symlinks=False`` leaves symlinks out (ripgrep does not follow them);
    otherwise a symlink is listed as a file and never followed. ``overrides`` gets each
    path relative to ``start`` (posix) and whether it is a directory.
    """

    def children(directory: Path, specs: Specs) -> Iterator[tuple[Path, bool, Specs]]:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        if respect_ignore_files:
            own = _dir_spec(directory, {e.name for e in entries if e.name in _RULE_NAMES})
            if own is not None:
                specs = (*specs, (directory, own))
        for entry in entries:
            if entry.name in ALWAYS_SKIPPED:
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_link = entry.is_symlink()
            except OSError:
                continue
            if is_link and not include_symlinks:
                continue
            p = Path(entry.path)
            decided = overrides(p.relative_to(start).as_posix(), is_dir) if overrides else None
            if decided is False:
                continue
            if decided is None and specs and _is_ignored_itself(specs, p, is_dir):
                continue
            yield p, is_dir, specs

    # A stack of open directory listings, so a directory's subtree is finished
    # before its next sibling is looked at.
    stack = [children(start, initial_specs(start) if respect_ignore_files else ())]
    while stack:
        try:
            p, is_dir, specs = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if is_dir:
            if include_dirs:
                yield p
            stack.append(children(p, specs))
        else:
            yield p
