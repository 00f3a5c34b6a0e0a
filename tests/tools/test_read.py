"""Read: numbered lines, windows, limits, refusals, and the read state it records."""

from __future__ import annotations

from pathlib import Path

import pytest

from claw_tui.tools.edit import EditTool
from claw_tui.tools.read import MAX_LINE_CHARS, ReadTool
from claw_tui.tools.base import ToolContext

from ._helpers import call

read = ReadTool()


async def test_lines_are_numbered_like_cat_n(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("alpha\n  beta\n\ngamma\n")
    res = await call(read, ctx, file_path=str(ws / "a.txt"))
    assert not res.is_error
    assert res.content == "     1\talpha\n     2\t  beta\n     3\t\n     4\tgamma"


async def test_relative_path_is_resolved_against_the_shell_cwd(ws: Path, ctx: ToolContext) -> None:
    (ws / "sub").mkdir()
    (ws / "sub" / "f.txt").write_text("inside\n")
    ctx.shell.cwd = str(ws / "sub")
    res = await call(read, ctx, file_path="f.txt")
    assert res.content == "     1\tinside"


async def test_offset_and_limit_window_with_note(ws: Path, ctx: ToolContext) -> None:
    (ws / "ten.txt").write_text("".join(f"line{i}\n" for i in range(1, 11)))
    res = await call(read, ctx, file_path=str(ws / "ten.txt"), offset=3, limit=4)
    body, _, note = res.content.partition("\n\n")
    assert body.splitlines() == ["     3\tline3", "     4\tline4", "     5\tline5", "     6\tline6"]
    assert note == "(showing lines 3-6 of 10; use offset to read more)"


async def test_window_reaching_the_end_has_no_note(ws: Path, ctx: ToolContext) -> None:
    (ws / "ten.txt").write_text("".join(f"line{i}\n" for i in range(1, 11)))
    res = await call(read, ctx, file_path=str(ws / "ten.txt"), offset=8)
    assert res.content == "     8\tline8\n     9\tline9\n    10\tline10"


async def test_offset_past_the_end(ws: Path, ctx: ToolContext) -> None:
    (ws / "ten.txt").write_text("".join(f"line{i}\n" for i in range(1, 11)))
    res = await call(read, ctx, file_path=str(ws / "ten.txt"), offset=50)
    assert not res.is_error
    assert res.content == "(no lines at offset 50: the file has 10 lines)"


async def test_default_limit_is_2000_lines(ws: Path, ctx: ToolContext) -> None:
    (ws / "long.txt").write_text("".join(f"{i}\n" for i in range(1, 2501)))
    res = await call(read, ctx, file_path=str(ws / "long.txt"))
    body, _, note = res.content.partition("\n\n")
    lines = body.splitlines()
    assert len(lines) == 2000
    assert lines[-1] == "  2000\t2000"
    assert note == "(showing lines 1-2000 of 2500; use offset to read more)"


async def test_long_lines_are_cut(ws: Path, ctx: ToolContext) -> None:
    (ws / "wide.txt").write_text("a" * MAX_LINE_CHARS + "b" * 500 + "\nshort\n")
    res = await call(read, ctx, file_path=str(ws / "wide.txt"))
    first, second = res.content.splitlines()
    assert first.startswith("     1\t" + "a" * MAX_LINE_CHARS)
    assert "b" not in first
    assert "line truncated" in first
    assert len(first) < MAX_LINE_CHARS + 50
    assert second == "     2\tshort"


async def test_binary_file_is_refused(ws: Path, ctx: ToolContext) -> None:
    (ws / "data.txt").write_bytes(b"header\x00\x01\x02binary payload")
    res = await call(read, ctx, file_path=str(ws / "data.txt"))
    assert res.is_error
    assert "binary file" in res.content
    assert "payload" not in res.content
    assert not ctx.files.has_read(ws / "data.txt")


async def test_large_file_needs_offset_or_limit(ws: Path, ctx: ToolContext) -> None:
    big = ws / "big.log"
    # ~300 KB: over the 256 KB whole-file limit.
    big.write_text("".join(f"entry {i:06d} " + "x" * 40 + "\n" for i in range(1, 6001)))
    assert big.stat().st_size > 256 * 1024
    whole = await call(read, ctx, file_path=str(big))
    assert whole.is_error
    assert "offset and limit" in whole.content
    assert "entry 000001" not in whole.content

    window = await call(read, ctx, file_path=str(big), offset=5000, limit=3)
    assert not window.is_error
    lines = window.content.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("  5000\tentry 005000 ")
    assert lines[2].startswith("  5002\tentry 005002 ")


async def test_directory_is_refused_pointing_to_ls(ws: Path, ctx: ToolContext) -> None:
    (ws / "pkg").mkdir()
    res = await call(read, ctx, file_path=str(ws / "pkg"))
    assert res.is_error
    assert "is a directory" in res.content
    assert "LS" in res.content


async def test_missing_file(ws: Path, ctx: ToolContext) -> None:
    res = await call(read, ctx, file_path=str(ws / "nope.py"))
    assert res.is_error
    assert "does not exist" in res.content
    assert str(ws / "nope.py") in res.content


async def test_empty_file(ws: Path, ctx: ToolContext) -> None:
    (ws / "empty.txt").write_text("")
    res = await call(read, ctx, file_path=str(ws / "empty.txt"))
    assert not res.is_error
    assert "empty" in res.content
    assert "\t" not in res.content


async def test_crlf_lines_are_shown_without_carriage_returns(ws: Path, ctx: ToolContext) -> None:
    (ws / "dos.txt").write_bytes(b"one\r\ntwo\r\n")
    res = await call(read, ctx, file_path=str(ws / "dos.txt"))
    assert res.content == "     1\tone\n     2\ttwo"


async def test_read_records_state_so_edit_is_allowed(ws: Path, ctx: ToolContext) -> None:
    f = ws / "m.py"
    f.write_text("x = 1\n")
    edit = EditTool()
    before = await call(edit, ctx, file_path=str(f), old_string="x = 1", new_string="x = 2")
    assert before.is_error and "not been read" in before.content
    assert f.read_text() == "x = 1\n"

    await call(read, ctx, file_path=str(f))
    after = await call(edit, ctx, file_path=str(f), old_string="x = 1", new_string="x = 2")
    assert not after.is_error, after.content
    assert f.read_text() == "x = 2\n"


async def test_form_feed_does_not_start_a_new_line(ws: Path, ctx: ToolContext) -> None:
    (ws / "ff.py").write_text("a = 1\n\x0c\ndef f(): pass  # page\x0cbreak\nlast = 2\n")
    res = await call(read, ctx, file_path=str(ws / "ff.py"))
    lines = res.content.split("\n")
    # 4 lines in the file (as `cat -n`, `wc -l` and Grep count them)
    assert res.content.count("\t") == 4
    assert "     4\tlast = 2" in lines
