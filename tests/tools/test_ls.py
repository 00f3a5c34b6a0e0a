"""LS: the directory as an indented tree, gitignored and ignored entries left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from claw_tui.tools.base import ToolContext
from claw_tui.tools.ls import LSTool

from ._helpers import call

ls = LSTool()


def make(ws: Path, *paths: str) -> None:
    for rel in paths:
        p = ws / rel
        if rel.endswith("/"):
            p.mkdir(parents=True, exist_ok=True)
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("x\n")


async def test_nested_tree_with_slashes_on_directories(ws: Path, ctx: ToolContext) -> None:
    # One directory per level, so the expected order does not depend on sibling ordering.
    make(ws, "file.txt", "pkg/mod.py", "pkg/sub/deep.txt", "pkg/sub/empty/")
    res = await call(ls, ctx, path=str(ws))
    assert not res.is_error
    assert res.content.splitlines() == [
        f"- {ws}/",
        "  - file.txt",
        "  - pkg/",
        "    - mod.py",
        "    - sub/",
        "      - deep.txt",
        "      - empty/",
    ]


async def test_children_follow_their_own_directory(ws: Path, ctx: ToolContext) -> None:
    make(ws, "a/x.txt", "b.txt", "c/y.txt")
    res = await call(ls, ctx, path=str(ws))
    assert res.content.splitlines() == [
        f"- {ws}/",
        "  - a/",
        "    - x.txt",
        "  - b.txt",
        "  - c/",
        "    - y.txt",
    ]


async def test_deep_tree_is_in_depth_first_order(ws: Path, ctx: ToolContext) -> None:
    make(ws, "a/b/c.txt", "a/b/d/e.txt", "a/f.txt", "a/g/h.txt", "i.txt", "j/k.txt")
    res = await call(ls, ctx, path=str(ws))
    assert res.content.splitlines() == [
        f"- {ws}/",
        "  - a/",
        "    - b/",
        "      - c.txt",
        "      - d/",
        "        - e.txt",
        "    - f.txt",
        "    - g/",
        "      - h.txt",
        "  - i.txt",
        "  - j/",
        "    - k.txt",
    ]


async def test_ignore_globs_hide_entries_and_children(ws: Path, ctx: ToolContext) -> None:
    make(ws, "main.py", "debug.log", "node_modules/lib/index.js", "src/app.py", "src/trace.log")
    res = await call(ls, ctx, path=str(ws), ignore=["node_modules", "*.log"])
    listed = res.content
    assert "node_modules" not in listed
    assert "index.js" not in listed and "lib" not in listed
    assert ".log" not in listed
    assert "  - main.py" in listed.splitlines()
    assert "    - app.py" in listed.splitlines()


async def test_gitignored_entries_are_left_out(ws: Path, ctx: ToolContext) -> None:
    make(ws, "keep.py", "dist/bundle.js", "notes.tmp")
    (ws / ".gitignore").write_text("dist/\n*.tmp\n")
    res = await call(ls, ctx, path=str(ws))
    assert res.content.splitlines() == [f"- {ws}/", "  - .gitignore", "  - keep.py"]


async def test_subdirectory_keeps_the_workspace_gitignore(ws: Path, ctx: ToolContext) -> None:
    # No git repository: the workspace's .gitignore still hides sub/out.log when
    # only sub/ is listed, as it does when the whole workspace is.
    make(ws, "sub/keep.py", "sub/out.log")
    (ws / ".gitignore").write_text("*.log\n")
    res = await call(ls, ctx, path=str(ws / "sub"))
    assert res.content.splitlines() == [f"- {ws}/sub/", "  - keep.py"]


async def test_a_gitignored_directory_named_as_path_is_listed(ws: Path, ctx: ToolContext) -> None:
    make(ws, "node_modules/react/index.js", "node_modules/react/debug.log")
    (ws / ".gitignore").write_text("node_modules/\n*.log\n")
    res = await call(ls, ctx, path=str(ws / "node_modules"))
    assert res.content.splitlines() == [f"- {ws}/node_modules/", "  - react/", "    - index.js"]


async def test_dot_ignore_and_rgignore_hide_entries(ws: Path, ctx: ToolContext) -> None:
    make(ws, "main.py", "generated/api.py", "snapshot.bin")
    (ws / ".ignore").write_text("generated/\n")
    (ws / ".rgignore").write_text("*.bin\n")
    res = await call(ls, ctx, path=str(ws))
    assert res.content.splitlines() == [f"- {ws}/", "  - .ignore", "  - .rgignore", "  - main.py"]


async def test_relative_path(ws: Path, ctx: ToolContext) -> None:
    make(ws, "src/a.py")
    res = await call(ls, ctx, path="src")
    assert res.content.splitlines() == [f"- {ws}/src/", "  - a.py"]


async def test_file_path_refused(ws: Path, ctx: ToolContext) -> None:
    make(ws, "f.txt")
    res = await call(ls, ctx, path=str(ws / "f.txt"))
    assert res.is_error
    assert "not a directory" in res.content
    assert "Read" in res.content


async def test_missing_directory(ws: Path, ctx: ToolContext) -> None:
    res = await call(ls, ctx, path=str(ws / "nope"))
    assert res.is_error
    assert "does not exist" in res.content
