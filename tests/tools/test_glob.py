"""Glob: pattern matching over the gitignore-aware walk, newest first."""

from __future__ import annotations

import os
from pathlib import Path

from claw_tui.tools.base import ToolContext
from claw_tui.tools.glob import GlobTool

from ._helpers import call

glob = GlobTool()


def touch(path: Path, text: str = "", mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def tree(ws: Path) -> None:
    base = 1_700_000_000
    touch(ws / "setup.py", mtime=base + 1)
    touch(ws / "src" / "pkg" / "core.py", mtime=base + 2)
    touch(ws / "src" / "pkg" / "util.py", mtime=base + 3)
    touch(ws / "src" / "web" / "app.ts", mtime=base + 4)
    touch(ws / "src" / "web" / "view.tsx", mtime=base + 5)
    touch(ws / "src" / "web" / "style.css", mtime=base + 6)
    touch(ws / "README.md", mtime=base + 7)


async def test_recursive_globstar(ws: Path, ctx: ToolContext) -> None:
    tree(ws)
    res = await call(glob, ctx, pattern="**/*.py")
    assert res.content.splitlines() == ["src/pkg/util.py", "src/pkg/core.py", "setup.py"]


async def test_single_star_is_top_level_only(ws: Path, ctx: ToolContext) -> None:
    tree(ws)
    res = await call(glob, ctx, pattern="*.py")
    assert res.content.splitlines() == ["setup.py"]


async def test_brace_alternatives(ws: Path, ctx: ToolContext) -> None:
    tree(ws)
    res = await call(glob, ctx, pattern="src/**/*.{ts,tsx}")
    assert res.content.splitlines() == ["src/web/view.tsx", "src/web/app.ts"]
    res = await call(glob, ctx, pattern="*.{ts,tsx}", path=str(ws / "src" / "web"))
    assert sorted(res.content.splitlines()) == ["src/web/app.ts", "src/web/view.tsx"]


async def test_newest_first(ws: Path, ctx: ToolContext) -> None:
    base = 1_700_000_000
    touch(ws / "a.txt", mtime=base + 30)
    touch(ws / "b.txt", mtime=base + 10)
    touch(ws / "c.txt", mtime=base + 20)
    res = await call(glob, ctx, pattern="*.txt")
    assert res.content.splitlines() == ["a.txt", "c.txt", "b.txt"]
    os.utime(ws / "b.txt", (base + 99, base + 99))
    res = await call(glob, ctx, pattern="*.txt")
    assert res.content.splitlines() == ["b.txt", "a.txt", "c.txt"]


async def test_gitignored_files_are_left_out_without_git(ws: Path, ctx: ToolContext) -> None:
    tree(ws)
    (ws / ".gitignore").write_text("build/\n*.log\n")
    touch(ws / "build" / "gen.py")
    touch(ws / "src" / "debug.log")
    touch(ws / "src" / "pkg" / ".gitignore", "core.py\n")
    assert not (ws / ".git").exists()
    res = await call(glob, ctx, pattern="**/*.py")
    assert res.content.splitlines() == ["src/pkg/util.py", "setup.py"]
    res = await call(glob, ctx, pattern="**/*.log")
    assert res.content == "No files found"


async def test_subdirectory_search_keeps_the_parent_gitignore(ws: Path, ctx: ToolContext) -> None:
    tree(ws)
    (ws / ".gitignore").write_text("util.py\n")
    res = await call(glob, ctx, pattern="**/*.py", path=str(ws / "src" / "pkg"))
    assert res.content.splitlines() == ["src/pkg/core.py"]


async def test_gitignore_above_a_repository_does_not_apply_inside_it(ws: Path, ctx: ToolContext) -> None:
    (ws / ".gitignore").write_text("*.py\n")
    (ws / "repo" / ".git").mkdir(parents=True)
    touch(ws / "repo" / "main.py")
    res = await call(glob, ctx, pattern="*.py", path=str(ws / "repo"))
    assert res.content.splitlines() == ["repo/main.py"]


async def test_hidden_files_are_listed_but_not_dot_git(ws: Path, ctx: ToolContext) -> None:
    touch(ws / ".env.example")
    touch(ws / ".git" / "config")
    res = await call(glob, ctx, pattern="**/*")
    assert res.content.splitlines() == [".env.example"]


async def test_absolute_pattern(ws: Path, ctx: ToolContext) -> None:
    tree(ws)
    res = await call(glob, ctx, pattern=f"{ws}/src/**/*.py")
    assert res.content.splitlines() == ["src/pkg/util.py", "src/pkg/core.py"]
    # outside the cwd, paths are shown in full
    ctx.shell.cwd = str(ws / "src" / "web")
    res = await call(glob, ctx, pattern=f"{ws}/src/pkg/*.py")
    assert res.content.splitlines() == [str(ws / "src/pkg/util.py"), str(ws / "src/pkg/core.py")]


async def test_no_files_found(ws: Path, ctx: ToolContext) -> None:
    tree(ws)
    res = await call(glob, ctx, pattern="**/*.rs")
    assert not res.is_error
    assert res.content == "No files found"


async def test_missing_directory(ws: Path, ctx: ToolContext) -> None:
    res = await call(glob, ctx, pattern="*.py", path=str(ws / "nowhere"))
    assert res.is_error
    assert "does not exist" in res.content


async def test_more_than_100_matches_are_truncated(ws: Path, ctx: ToolContext) -> None:
    for i in range(105):
        touch(ws / "many" / f"f{i:03d}.txt", mtime=1_700_000_000 + i)
    res = await call(glob, ctx, pattern="many/*.txt")
    lines = res.content.splitlines()
    assert len(lines) == 101
    assert lines[0] == "many/f104.txt"  # newest first
    assert lines[99] == "many/f005.txt"
    assert "truncated" in lines[100]
    assert "100 of 105" in lines[100]
