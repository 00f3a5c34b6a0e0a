"""Edit: exact, unique replacements in files the agent has read, written atomically."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from claw_tui.events import Event, FileChanged
from claw_tui.tools.base import ToolContext
from claw_tui.tools.edit import EditTool
from claw_tui.tools.read import ReadTool

from ._helpers import call

edit = EditTool()
read = ReadTool()


async def _read(ctx: ToolContext, path: Path) -> None:
    res = await call(read, ctx, file_path=str(path))
    assert not res.is_error, res.content


async def test_unique_replacement(ws: Path, ctx: ToolContext) -> None:
    f = ws / "app.py"
    f.write_text("def main():\n    return 1\n\nprint(main())\n")
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="return 1", new_string="return 42")
    assert not res.is_error, res.content
    assert "has been updated" in res.content
    assert f.read_text() == "def main():\n    return 42\n\nprint(main())\n"


async def test_ambiguous_match_refused_unless_replace_all(ws: Path, ctx: ToolContext) -> None:
    f = ws / "dup.py"
    f.write_text("x = 1\ny = 1\nx = 1\n")
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="x = 1", new_string="x = 2")
    assert res.is_error
    assert "Found 2 matches" in res.content
    assert "replace_all" in res.content
    assert f.read_text() == "x = 1\ny = 1\nx = 1\n"

    res = await call(edit, ctx, file_path=str(f), old_string="x = 1", new_string="x = 2", replace_all=True)
    assert not res.is_error, res.content
    assert f.read_text() == "x = 2\ny = 1\nx = 2\n"


async def test_not_found(ws: Path, ctx: ToolContext) -> None:
    f = ws / "a.txt"
    f.write_text("hello world\n")
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="Hello world", new_string="bye")
    assert res.is_error
    assert "not found" in res.content
    assert f.read_text() == "hello world\n"


async def test_identical_strings_refused(ws: Path, ctx: ToolContext) -> None:
    f = ws / "a.txt"
    f.write_text("same\n")
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="same", new_string="same")
    assert res.is_error
    assert "exactly the same" in res.content


async def test_must_read_first(ws: Path, ctx: ToolContext) -> None:
    f = ws / "unread.py"
    f.write_text("a = 1\n")
    res = await call(edit, ctx, file_path=str(f), old_string="a = 1", new_string="a = 2")
    assert res.is_error
    assert "not been read" in res.content
    assert f.read_text() == "a = 1\n"


async def test_missing_file_with_old_string(ws: Path, ctx: ToolContext) -> None:
    res = await call(edit, ctx, file_path=str(ws / "ghost.py"), old_string="a", new_string="b")
    assert res.is_error
    assert "does not exist" in res.content
    assert not (ws / "ghost.py").exists()


async def test_stale_file_refused(ws: Path, ctx: ToolContext) -> None:
    f = ws / "s.py"
    f.write_text("a = 1\n")
    await _read(ctx, f)
    f.write_text("a = 1\nb = 2  # someone else\n")
    res = await call(edit, ctx, file_path=str(f), old_string="a = 1", new_string="a = 3")
    assert res.is_error
    assert "modified since it was read" in res.content
    assert f.read_text() == "a = 1\nb = 2  # someone else\n"

    await _read(ctx, f)  # reading again makes it editable
    res = await call(edit, ctx, file_path=str(f), old_string="a = 1", new_string="a = 3")
    assert not res.is_error, res.content
    assert f.read_text() == "a = 3\nb = 2  # someone else\n"


async def test_consecutive_edits_without_rereading(ws: Path, ctx: ToolContext) -> None:
    f = ws / "c.py"
    f.write_text("a = 1\nb = 2\n")
    await _read(ctx, f)
    assert not (await call(edit, ctx, file_path=str(f), old_string="a = 1", new_string="a = 10")).is_error
    res = await call(edit, ctx, file_path=str(f), old_string="b = 2", new_string="b = 20")
    assert not res.is_error, res.content
    assert f.read_text() == "a = 10\nb = 20\n"


async def test_crlf_file_keeps_crlf(ws: Path, ctx: ToolContext) -> None:
    f = ws / "win.txt"
    f.write_bytes(b"first\r\nsecond\r\nthird\r\n")
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="first\nsecond", new_string="1st\n2nd\nextra")
    assert not res.is_error, res.content
    assert f.read_bytes() == b"1st\r\n2nd\r\nextra\r\nthird\r\n"


async def test_empty_old_string_creates_missing_file(ws: Path, ctx: ToolContext) -> None:
    f = ws / "new" / "mod.py"
    res = await call(edit, ctx, file_path=str(f), old_string="", new_string="VALUE = 1\n")
    assert not res.is_error, res.content
    assert "created" in res.content
    assert f.read_text() == "VALUE = 1\n"
    # and the agent may go on editing what it created
    res = await call(edit, ctx, file_path=str(f), old_string="1", new_string="2")
    assert not res.is_error, res.content
    assert f.read_text() == "VALUE = 2\n"


async def test_result_has_numbered_snippet_around_the_change(ws: Path, ctx: ToolContext) -> None:
    f = ws / "twenty.txt"
    f.write_text("".join(f"line {i}\n" for i in range(1, 21)))
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="line 10\n", new_string="changed ten\n")
    assert not res.is_error, res.content
    assert "    10\tchanged ten" in res.content
    assert "     6\tline 6" in res.content
    assert "    14\tline 14" in res.content
    assert "\tline 1\n" not in res.content
    assert "\tline 20" not in res.content


async def test_write_is_atomic_and_keeps_mode(ws: Path, ctx: ToolContext) -> None:
    f = ws / "run.sh"
    f.write_text("#!/bin/sh\necho old\n")
    os.chmod(f, 0o755)
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="echo old", new_string="echo new")
    assert not res.is_error, res.content
    assert f.read_text() == "#!/bin/sh\necho new\n"
    assert stat.S_IMODE(f.stat().st_mode) == 0o755
    assert [p.name for p in ws.iterdir() if "claw-tmp" in p.name] == []
    assert sorted(p.name for p in ws.iterdir()) == ["run.sh"]


async def test_publishes_file_changed(ws: Path, ctx: ToolContext) -> None:
    seen: list[Event] = []
    ctx.bus.subscribe(seen.append)
    f = ws / "e.txt"
    f.write_text("alpha\n")
    await _read(ctx, f)
    await call(edit, ctx, file_path=str(f), old_string="alpha", new_string="beta")
    await ctx.bus.drain()
    changes = [e for e in seen if isinstance(e, FileChanged)]
    assert [(c.path, c.before, c.after, c.tool) for c in changes] == [(str(f), "alpha\n", "beta\n", "Edit")]


async def test_empty_old_string_on_existing_file_does_not_corrupt_it(ws: Path, ctx: ToolContext) -> None:
    f = ws / "e.txt"
    f.write_text("abc")
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="", new_string="X", replace_all=True)
    assert res.is_error
    assert f.read_text() == "abc"


async def test_non_utf8_bytes_outside_the_edit_are_kept(ws: Path, ctx: ToolContext) -> None:
    f = ws / "legacy.py"
    f.write_bytes("name = 'caf\xe9'\nx = 2\n".encode("latin-1"))
    await _read(ctx, f)
    res = await call(edit, ctx, file_path=str(f), old_string="x = 2", new_string="x = 3")
    # Either refuse the edit or leave the rest of the file byte-for-byte as it was.
    assert res.is_error or f.read_bytes() == "name = 'caf\xe9'\nx = 3\n".encode("latin-1")
    if res.is_error:
        assert f.read_bytes() == "name = 'caf\xe9'\nx = 2\n".encode("latin-1")


async def test_edit_through_symlink_updates_the_target(ws: Path, ctx: ToolContext) -> None:
    real = ws / "real.cfg"
    real.write_text("debug = false\n")
    link = ws / "link.cfg"
    link.symlink_to("real.cfg")
    await _read(ctx, link)
    res = await call(edit, ctx, file_path=str(link), old_string="false", new_string="true")
    assert not res.is_error, res.content
    assert link.is_symlink()
    assert real.read_text() == "debug = true\n"
