"""A gitignore-aware walk of the workspace, shared by Glob, Grep, LS and completion.

.gitignore files apply from the repository root down (the deepest file with an
opinion wins, as in git), plus .git/info/exclude. ``.git`` itself is never
listed. Hidden files are listed: they are often what a person asks about.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pathspec

ALWAYS_SKIPPED = frozenset({".git"})


def find_git_root(start: Path) -> Path | None:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


@lru_cache(maxsize=4096)
def _spec_for(gitignore: str, mtime_ns: int) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(gitignore, encoding="utf-8", errors="replace") as fh:
            return pathspec.GitIgnoreSpec.from_lines(fh)
    except OSError:
        return None


def _load_spec(path: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return _spec_for(str(path), st.st_mtime_ns)


Specs = tuple[tuple[Path, pathspec.GitIgnoreSpec], ...]


def _dir_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    gi = directory / ".gitignore"
    return _load_spec(gi) if gi.is_file() else None


def initial_specs(start: Path) -> Specs:
    """The ignore rules in force at ``start``: .git/info/exclude and the .gitignore
    files of the directories from the repository root down to (not including) start."""
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    root = find_git_root(start) or start
    exclude = root / ".git" / "info" / "exclude"
    spec = _load_spec(exclude) if exclude.is_file() else None
    if spec is not None:
        specs.append((root, spec))
    d = root
    for part in start.relative_to(root).parts:
        spec = _dir_spec(d)
        if spec is not None:
            specs.append((d, spec))
        d = d / part
    return tuple(specs)


def is_ignored(specs: Specs, path: Path, is_dir: bool) -> bool:
    verdict: bool | None = None
    for base, spec in specs:
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if is_dir:
            rel += "/"
        result = spec.check_file(rel)
        if result.include is not None:
            verdict = result.include
    return bool(verdict)


def walk_files(start: Path, *, respect_gitignore: bool = True, include_dirs: bool = False) -> Iterator[Path]:
    """Every file below ``start`` (and directories if asked), gitignored ones left out,
    depth-first in name order."""
    stack: list[tuple[Path, Specs]] = [(start, initial_specs(start) if respect_gitignore else ())]
    while stack:
        directory, specs = stack.pop()
        if respect_gitignore:
            own = _dir_spec(directory)
            if own is not None:
                specs = (*specs, (directory, own))
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[Path] = []
        for entry in entries:
            if entry.name in ALWAYS_SKIPPED:
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            p = Path(entry.path)
            if specs and is_ignored(specs, p, is_dir):
                continue
            if is_dir:
                subdirs.append(p)
                if include_dirs:
                    yield p
            else:
                yield p
        for sub in reversed(subdirs):
            stack.append((sub, specs))
