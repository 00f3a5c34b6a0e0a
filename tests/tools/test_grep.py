"""Grep: every output mode and option, on the ripgrep backend and the Python
fallback, and the two backends giving the same answer."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest

from claw_tui.tools.base import ToolContext
from claw_tui.tools.grep import GrepTool, find_rg

from ._helpers import call
from .conftest import make_ctx

RG = find_rg()
NO_RG = "ripgrep (rg) not installed: find_rg() returned None"


@pytest.fixture(params=["rg", "python"])
def grep(request: pytest.FixtureRequest) -> GrepTool:
    tool = GrepTool()
    if request.param == "rg":
        if RG is None:
            pytest.skip(NO_RG)
    else:
        tool.use_ripgrep = False
    return tool


def write(path: Path, text: str | bytes, mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


APP_PY = """import os


def main():
    value = compute(1)
    print("Hello World")
    return value


def compute(x):
    # TODO: make it faster
    return x * 2
"""

UTIL_PY = """def helper():
    return "hello"


class Helper:
    pass
"""


def tree(ws: Path) -> None:
    t = 1_700_000_000
    write(ws / "src" / "app.py", APP_PY, t + 1)
    write(ws / "src" / "util.py", UTIL_PY, t + 2)
    write(ws / "src" / "web" / "index.ts", "export function hello() {\n  return 'HELLO';\n}\n", t + 3)
    write(ws / "src" / "web" / "view.tsx", "const v = <b>hello there</b>;\nexport default v;\n", t + 4)
    write(ws / "README.md", "# Hello\n\nSee the TODO list.\nfoo foo foo\n", t + 5)
    write(ws / "docs" / "notes.txt", "start of block\nmiddle\nend of block\nTODO later\n", t + 6)
    write(ws / ".gitignore", "build/\n*.log\n", t + 7)
    write(ws / "build" / "out.py", "def hello(): return 'hello'\n", t + 8)
    write(ws / "debug.log", "hello from the log\n", t + 9)
    write(ws / "blob.dat", b"hello\x00\x01\x02binary\n", t + 10)


# -- behaviour -----------------------------------------------------------------


async def test_files_with_matches_is_the_default(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="TODO")
    assert not res.is_error
    # newest first, relative to the cwd
    assert res.content == "Found 3 files\ndocs/notes.txt\nREADME.md\nsrc/app.py"


async def test_single_file_header(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="class Helper")
    assert res.content == "Found 1 file\nsrc/util.py"


async def test_no_match(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="no such text anywhere")
    assert not res.is_error
    assert res.content == "No files found"


async def test_content_mode_with_line_numbers(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern=r"def \w+\(", output_mode="content", path="src")
    assert res.content.splitlines() == [
        "src/app.py:4:def main():",
        "src/app.py:10:def compute(x):",
        "src/util.py:1:def helper():",
    ]


async def test_content_without_line_numbers(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="class", output_mode="content", **{"-n": False})
    assert res.content == "src/util.py:class Helper:"


async def test_context_lines_and_group_separators(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    write(ws / "f.txt", "".join(f"{'MATCH' if i in (2, 8) else f'l{i}'}\n" for i in range(1, 11)))
    res = await call(grep, ctx, pattern="MATCH", output_mode="content", **{"-C": 1})
    assert res.content.splitlines() == [
        "f.txt-1-l1",
        "f.txt:2:MATCH",
        "f.txt-3-l3",
        "--",
        "f.txt-7-l7",
        "f.txt:8:MATCH",
        "f.txt-9-l9",
    ]


async def test_after_and_before_context(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    write(ws / "f.txt", "a\nb\nMATCH\nc\nd\n")
    after = await call(grep, ctx, pattern="MATCH", output_mode="content", **{"-A": 2})
    assert after.content.splitlines() == ["f.txt:3:MATCH", "f.txt-4-c", "f.txt-5-d"]
    before = await call(grep, ctx, pattern="MATCH", output_mode="content", **{"-B": 1})
    assert before.content.splitlines() == ["f.txt-2-b", "f.txt:3:MATCH"]


async def test_overlapping_context_is_merged(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    write(ws / "f.txt", "a\nX1\nb\nX2\nc\n")
    res = await call(grep, ctx, pattern="X", output_mode="content", **{"-C": 1})
    assert res.content.splitlines() == ["f.txt-1-a", "f.txt:2:X1", "f.txt-3-b", "f.txt:4:X2", "f.txt-5-c"]


async def test_context_separates_files(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    write(ws / "a.txt", "x\nHIT\n")
    write(ws / "b.txt", "HIT\ny\n")
    res = await call(grep, ctx, pattern="HIT", output_mode="content", **{"-A": 1})
    assert res.content.splitlines() == ["a.txt:2:HIT", "--", "b.txt:1:HIT", "b.txt-2-y"]


async def test_case_insensitive(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    sensitive = await call(grep, ctx, pattern="HELLO", output_mode="content")
    assert sensitive.content == "src/web/index.ts:2:  return 'HELLO';"
    insensitive = await call(grep, ctx, pattern="HELLO", output_mode="files_with_matches", **{"-i": True})
    assert sorted(insensitive.content.splitlines()[1:]) == [
        "README.md", "src/app.py", "src/util.py", "src/web/index.ts", "src/web/view.tsx",
    ]
    assert insensitive.content.startswith("Found 5 files")


async def test_glob_filter(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="hello", glob="*.{ts,tsx}", **{"-i": True})
    assert res.content == "Found 2 files\nsrc/web/view.tsx\nsrc/web/index.ts"


@pytest.mark.parametrize(
    "backend",
    [pytest.param("rg", marks=pytest.mark.skipif(RG is None, reason=NO_RG)), "python"],
)
async def test_glob_filter_with_a_directory_part(ws: Path, ctx: ToolContext, backend: str) -> None:
    tree(ws)
    tool = GrepTool()
    tool.use_ripgrep = backend == "rg"
    res = await call(tool, ctx, pattern="hello", glob="src/*.py", **{"-i": True})
    assert res.content == "Found 2 files\nsrc/util.py\nsrc/app.py"
    res = await call(tool, ctx, pattern="hello", glob="src/**/*.ts", **{"-i": True})
    assert res.content == "Found 1 file\nsrc/web/index.ts"


async def test_type_filter(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="hello", type="py", **{"-i": True})
    assert res.content == "Found 2 files\nsrc/util.py\nsrc/app.py"


async def test_unknown_type_is_an_error(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="hello", type="cobol")
    assert res.is_error
    assert "Unknown file type 'cobol'" in res.content
    assert "py" in res.content


async def test_count_mode_totals(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="foo|TODO", output_mode="count")
    assert res.content == (
        "README.md:4\ndocs/notes.txt:1\nsrc/app.py:1\n\nFound 6 total occurrences across 3 files."
    )


async def test_head_limit(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    write(ws / "f.txt", "".join(f"hit {i}\n" for i in range(1, 11)))
    res = await call(grep, ctx, pattern="hit", output_mode="content", head_limit=3)
    assert res.content.splitlines() == ["f.txt:1:hit 1", "f.txt:2:hit 2", "f.txt:3:hit 3"]
    tree(ws)
    res = await call(grep, ctx, pattern="hello", head_limit=2, **{"-i": True})
    lines = res.content.splitlines()
    assert lines[0] == "Found 5 files"  # the total, though only 2 are listed
    assert len(lines) == 3


async def test_multiline_pattern(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern=r"start of block\nmiddle", output_mode="content", multiline=True)
    assert res.content.splitlines() == ["docs/notes.txt:1:start of block", "docs/notes.txt:2:middle"]
    res = await call(grep, ctx, pattern=r"start.*end of", multiline=True)
    assert res.content == "Found 1 file\ndocs/notes.txt"


async def test_gitignored_files_are_not_searched(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="hello", **{"-i": True})
    found = res.content.splitlines()[1:]
    assert "build/out.py" not in found
    assert "debug.log" not in found
    assert "src/app.py" in found


async def test_binary_files_are_skipped(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="binary")
    assert res.content == "No files found"


async def test_single_file_path(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    tree(ws)
    res = await call(grep, ctx, pattern="return", output_mode="content", path=str(ws / "src" / "app.py"))
    assert res.content.splitlines() == ["src/app.py:7:    return value", "src/app.py:12:    return x * 2"]


async def test_missing_path(ws: Path, ctx: ToolContext, grep: GrepTool) -> None:
    res = await call(grep, ctx, pattern="x", path="nowhere")
    assert res.is_error
    assert "does not exist" in res.content


# -- the two backends agree ----------------------------------------------------

SEARCHES = [
    pytest.param({"pattern": "hello", "-i": True}, id="files"),
    pytest.param({"pattern": "return", "path": "src"}, id="files-in-subdir"),
    pytest.param({"pattern": r"def \w+", "output_mode": "content"}, id="content"),
    pytest.param({"pattern": "TODO", "output_mode": "content", "-n": False}, id="content-no-numbers"),
    pytest.param({"pattern": "return", "output_mode": "content", "-C": 1}, id="context-C"),
    pytest.param({"pattern": "value", "output_mode": "content", "-A": 2, "-B": 1}, id="context-A-B"),
    pytest.param({"pattern": "hello world", "output_mode": "content", "-i": True}, id="ignore-case"),
    pytest.param({"pattern": "hello", "glob": "*.{ts,tsx}", "-i": True, "output_mode": "content"},
                 id="glob-braces"),
    pytest.param({"pattern": "def", "glob": "src/**/*.py", "output_mode": "content"}, id="glob-path"),
    pytest.param({"pattern": "return", "type": "py", "output_mode": "content"}, id="type"),
    pytest.param({"pattern": "o", "output_mode": "count"}, id="count"),
    pytest.param({"pattern": "hello", "output_mode": "count", "-i": True}, id="count-ignore-case"),
    pytest.param({"pattern": r"def main\(\):\n\s+value", "output_mode": "content", "multiline": True},
                 id="multiline-content"),
    pytest.param({"pattern": r"start.*end", "output_mode": "content", "multiline": True}, id="multiline-dotall"),
    pytest.param({"pattern": r":\n\s+\w", "output_mode": "count", "multiline": True}, id="multiline-count"),
    pytest.param({"pattern": "e", "output_mode": "content", "head_limit": 5}, id="head-limit"),
    pytest.param({"pattern": r"^\s+return \w+$", "output_mode": "content"}, id="anchors"),
]


async def _both(ctx: ToolContext, args: dict[str, Any]) -> tuple[str, str]:
    rg_tool = GrepTool()
    py_tool = GrepTool()
    py_tool.use_ripgrep = False
    rg_res = await call(rg_tool, ctx, **args)
    py_res = await call(py_tool, ctx, **args)
    assert not rg_res.is_error, rg_res.content
    assert not py_res.is_error, py_res.content
    return rg_res.content, py_res.content


@pytest.mark.skipif(RG is None, reason=NO_RG)
@pytest.mark.parametrize("args", SEARCHES)
async def test_ripgrep_and_python_fallback_agree(ws: Path, ctx: ToolContext, args: dict[str, Any]) -> None:
    tree(ws)
    rg_out, py_out = await _both(ctx, args)
    assert rg_out not in ("No files found", "No matches found")  # the search means something
    assert py_out == rg_out


# Each edge case: the files, the Grep input, and what both backends must answer
# (ripgrep's own behaviour, which Claude Code's ripgrep-based Grep shows).
Edge = tuple[dict[str, Any], str]


def _negated_glob(ws: Path) -> Edge:
    write(ws / "a.py", "needle\n")
    write(ws / "b.md", "needle\n")
    return {"pattern": "needle", "glob": "!*.md"}, "Found 1 file\na.py"


def _negated_directory_glob(ws: Path) -> Edge:
    # '!name' excludes a directory and everything in it, as in a .gitignore.
    write(ws / "keep" / "a.py", "needle\n")
    write(ws / "vendor" / "lib" / "b.py", "needle\n")
    return {"pattern": "needle", "glob": "!vendor"}, "Found 1 file\nkeep/a.py"


def _glob_beats_gitignore(ws: Path) -> Edge:
    # rg: a --glob "always overrides any other ignore logic" for the paths it matches.
    write(ws / ".gitignore", "*.log\nbuild/\n")
    write(ws / "app.log", "needle\n")
    write(ws / "build" / "x.log", "needle\n")  # build/ itself is not matched: not entered
    return {"pattern": "needle", "glob": "*.log"}, "Found 1 file\napp.log"


def _parent_gitignore(ws: Path) -> Edge:
    write(ws / ".gitignore", "*.log\n")
    write(ws / "sub" / "keep.py", "needle\n")
    write(ws / "sub" / "skip.log", "needle\n")
    return {"pattern": "needle", "path": "sub"}, "Found 1 file\nsub/keep.py"


def _gitignore_above_a_repo(ws: Path) -> Edge:
    # .gitignore files above the directory holding .git do not apply inside the repo.
    write(ws / ".gitignore", "*.log\n")
    (ws / "repo" / ".git").mkdir(parents=True)
    write(ws / "repo" / "app.log", "needle\n")
    return {"pattern": "needle", "path": "repo"}, "Found 1 file\nrepo/app.log"


def _inside_ignored_directory(ws: Path) -> Edge:
    # A gitignored directory named as the path is searched (its own ignore rules still apply).
    write(ws / ".gitignore", "build/\n*.tmp\n")
    write(ws / "build" / "out.py", "needle\n")
    write(ws / "build" / "scratch.tmp", "needle\n")
    return {"pattern": "needle", "path": "build"}, "Found 1 file\nbuild/out.py"


def _symlinks(ws: Path) -> Edge:
    write(ws / "real.py", "needle\n")
    (ws / "alias.py").symlink_to("real.py")
    write(ws / "outside" / "far.py", "needle\n")
    (ws / "inner").mkdir()
    (ws / "inner" / "linked").symlink_to(ws / "outside", target_is_directory=True)
    return {"pattern": "needle", "path": "inner"}, "No files found"


def _symlinked_file(ws: Path) -> Edge:
    write(ws / "real.py", "needle\n")
    (ws / "alias.py").symlink_to("real.py")
    return {"pattern": "needle"}, "Found 1 file\nreal.py"


def _symlink_named_as_path(ws: Path) -> Edge:
    write(ws / "real.py", "needle\n")
    (ws / "alias.py").symlink_to("real.py")
    return {"pattern": "needle", "path": "alias.py"}, "Found 1 file\nalias.py"


def _crlf_anchor(ws: Path) -> Edge:
    write(ws / "unix.txt", b"needle\n")
    write(ws / "dos.txt", b"needle\r\n")
    return {"pattern": "needle$", "output_mode": "content"}, "unix.txt:1:needle"


def _crlf_lines_shown_without_cr(ws: Path) -> Edge:
    write(ws / "dos.txt", b"one needle\r\ntwo\r\n")
    return {"pattern": "needle", "output_mode": "content", "-A": 1}, "dos.txt:1:one needle\ndos.txt-2-two"


def _explicit_binary(ws: Path) -> Edge:
    write(ws / "blob.bin", b"needle\x00\x01\n")
    return {"pattern": "needle", "path": "blob.bin"}, "Found 1 file\nblob.bin"


def _explicit_binary_count(ws: Path) -> Edge:
    write(ws / "blob.bin", b"needle one\nx\x00y\nneedle two\n")
    return ({"pattern": "needle", "path": "blob.bin", "output_mode": "count"},
            "blob.bin:2\n\nFound 2 total occurrences across 1 file.")


def _rgignore(ws: Path) -> Edge:
    write(ws / ".rgignore", "hidden.py\n")
    write(ws / "hidden.py", "needle\n")
    write(ws / "shown.py", "needle\n")
    return {"pattern": "needle"}, "Found 1 file\nshown.py"


def _dot_ignore(ws: Path) -> Edge:
    write(ws / ".ignore", "generated/\n")
    write(ws / "generated" / "api.py", "needle\n")
    write(ws / "src" / "main.py", "needle\n")
    return {"pattern": "needle"}, "Found 1 file\nsrc/main.py"


def _rgignore_beats_gitignore(ws: Path) -> Edge:
    # .rgignore outranks .gitignore: its '!' brings back what .gitignore hides.
    write(ws / ".gitignore", "*.gen.py\n")
    write(ws / ".rgignore", "!keep.gen.py\n")
    write(ws / "keep.gen.py", "needle\n")
    write(ws / "drop.gen.py", "needle\n")
    return {"pattern": "needle"}, "Found 1 file\nkeep.gen.py"


def _byte_order_marks(ws: Path) -> Edge:
    write(ws / "utf16.txt", "needle in utf-16\n".encode("utf-16"))
    write(ws / "utf8bom.txt", b"\xef\xbb\xbfneedle after a BOM\n")
    return ({"pattern": "^needle", "output_mode": "content"},
            "utf16.txt:1:needle in utf-16\nutf8bom.txt:1:needle after a BOM")


EDGE_CASES = [
    pytest.param(_negated_glob, id="negated-glob"),
    pytest.param(_negated_directory_glob, id="negated-directory-glob"),
    pytest.param(_glob_beats_gitignore, id="glob-beats-gitignore"),
    pytest.param(_parent_gitignore, id="parent-gitignore"),
    pytest.param(_gitignore_above_a_repo, id="gitignore-above-a-repo"),
    pytest.param(_inside_ignored_directory, id="inside-ignored-directory"),
    pytest.param(_symlinked_file, id="symlinked-file"),
    pytest.param(_symlinks, id="symlinked-directory"),
    pytest.param(_symlink_named_as_path, id="symlink-named-as-path"),
    pytest.param(_crlf_anchor, id="crlf-anchor"),
    pytest.param(_crlf_lines_shown_without_cr, id="crlf-display"),
    pytest.param(_explicit_binary, id="explicit-binary-path"),
    pytest.param(_explicit_binary_count, id="explicit-binary-count"),
    pytest.param(_rgignore, id="rgignore"),
    pytest.param(_dot_ignore, id="dot-ignore"),
    pytest.param(_rgignore_beats_gitignore, id="rgignore-beats-gitignore"),
    pytest.param(_byte_order_marks, id="byte-order-marks"),
]


@pytest.mark.parametrize("setup", EDGE_CASES)
async def test_edge_cases_answer_as_ripgrep_does(ws: Path, ctx: ToolContext, grep: GrepTool, setup: Any) -> None:
    args, expected = setup(ws)
    res = await call(grep, ctx, **args)
    assert not res.is_error, res.content
    assert res.content == expected


@pytest.mark.skipif(RG is None, reason=NO_RG)
@pytest.mark.parametrize("setup", EDGE_CASES)
async def test_backends_agree_on_edge_cases(ws: Path, ctx: ToolContext, setup: Any) -> None:
    args, _ = setup(ws)
    rg_out, py_out = await _both(ctx, args)
    assert py_out == rg_out


# Lines the generated ignore files are made of: negations, anchors, directory-only
# lines, '**' in every position, escapes.
IGNORE_LINES = ["*.py", "!*.py", "a/", "a", "/a", "b/*.txt", "**/c", "!keep.py", "*.txt", "!b/", "c/**", "/b/c",
                "d*", "!d1", "a/**/x.py", "\\!bang", "!*/", "x.py", "sub/", "!sub/x.py", "**/*.md", "c/**/", "*/",
                "**/sub/**", "[ab]", "?", "a/*", "!/b", "*.py/", "!c/**", "# comment", ""]


def _random_tree(root: Path, rng: random.Random) -> Path:
    dirs = [root]
    for _ in range(8):
        d = rng.choice(dirs) / rng.choice(["a", "b", "c", "d1", "d2", "sub"])
        d.mkdir(exist_ok=True)
        dirs.append(d)
    for d in dirs:
        for leaf in rng.sample(["x.py", "keep.py", "y.txt", "z.md", "!bang", "w"], 3):
            (d / leaf).write_text("needle\n")
        for kind in (".gitignore", ".ignore", ".rgignore"):
            if rng.random() < 0.3:
                (d / kind).write_text("\n".join(rng.sample(IGNORE_LINES, rng.randint(1, 3))) + "\n")
    if rng.random() < 0.3:
        (rng.choice(dirs) / ".git").mkdir(exist_ok=True)
    return rng.choice(dirs)


@pytest.mark.skipif(RG is None, reason=NO_RG)
async def test_fallback_walk_ignores_what_ripgrep_ignores(tmp_path: Path) -> None:
    # Generated trees of .gitignore/.ignore/.rgignore files (and sometimes a .git)
    # searched from a random directory: both backends must find the same files.
    rng = random.Random(20240611)
    for trial in range(30):
        root = tmp_path / f"t{trial}"
        root.mkdir()
        start = _random_tree(root, rng)
        ctx = make_ctx(start)
        try:
            rg_out, py_out = await _both(ctx, {"pattern": "needle"})
        finally:
            ctx.bus.close()
        assert py_out == rg_out, f"trial {trial}, searching {start}"


def test_rg_availability_is_reported() -> None:
    if RG is None:
        print(NO_RG + "; the ripgrep side of the equality tests is skipped")
    else:
        assert os.access(RG, os.X_OK)
