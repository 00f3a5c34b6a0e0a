"""Write: create freely, overwrite only what was read and has not changed since."""

from __future__ import annotations

import os
from pathlib import Path

from claw_tui.events import Event, FileChanged
from claw_tui.tools.base import ToolContext
from claw_tui.tools.read import ReadTool
from claw_tui.tools.write import WriteTool

from ._helpers import call

write = WriteTool()
read = ReadTool()


async def test_creates_new_file_and_parents_without_reading(ws: Path, ctx: ToolContext) -> None:
    target = ws / "a" / "b" / "new.py"
    res = await call(write, ctx, file_path=str(target), content="print('hi')\n")
    assert not res.is_error, res.content
    assert "created" in res.content
    assert target.read_text() == "print('hi')\n"


async def test_overwrite_refused_unless_read_first(ws: Path, ctx: ToolContext) -> None:
    f = ws / "keep.txt"
    f.write_text("precious\n")
    res = await call(write, ctx, file_path=str(f), content="clobbered\n")
    assert res.is_error
    assert "has not been read" in res.content
    assert f.read_text() == "precious\n"

    await call(read, ctx, file_path=str(f))
    res = await call(write, ctx, file_path=str(f), content="replaced\n")
    assert not res.is_error, res.content
    assert "overwritten" in res.content
    assert f.read_text() == "replaced\n"


async def test_refused_when_file_changed_size_after_read(ws: Path, ctx: ToolContext) -> None:
    f = ws / "conf.ini"
    f.write_text("a=1\n")
    await call(read, ctx, file_path=str(f))
    f.write_text("a=1\nb=2  # the user's edit\n")
    res = await call(write, ctx, file_path=str(f), content="a=3\n")
    assert res.is_error
    assert "modified since it was read" in res.content
    assert f.read_text() == "a=1\nb=2  # the user's edit\n"


async def test_refused_when_same_size_content_changed_with_new_mtime(ws: Path, ctx: ToolContext) -> None:
    f = ws / "conf.ini"
    f.write_text("value=1\n")
    await call(read, ctx, file_path=str(f))
    st = f.stat()
    f.write_text("value=9\n")  # same size, different content
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    res = await call(write, ctx, file_path=str(f), content="value=2\n")
    assert res.is_error
    assert "modified since it was read" in res.content
    assert f.read_text() == "value=9\n"


async def test_allowed_when_only_mtime_changed(ws: Path, ctx: ToolContext) -> None:
    f = ws / "touched.txt"
    f.write_text("same\n")
    await call(read, ctx, file_path=str(f))
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # `touch`, no change
    res = await call(write, ctx, file_path=str(f), content="new\n")
    assert not res.is_error, res.content
    assert f.read_text() == "new\n"


async def test_second_write_needs_no_new_read(ws: Path, ctx: ToolContext) -> None:
    f = ws / "twice.txt"
    await call(write, ctx, file_path=str(f), content="one\n")
    res = await call(write, ctx, file_path=str(f), content="two\n")
    assert not res.is_error, res.content
    assert f.read_text() == "two\n"


async def test_refused_on_directory(ws: Path, ctx: ToolContext) -> None:
    (ws / "d").mkdir()
    res = await call(write, ctx, file_path=str(ws / "d"), content="x")
    assert res.is_error
    assert "directory" in res.content


async def test_publishes_file_changed_with_before_and_after(ws: Path, ctx: ToolContext) -> None:
    seen: list[Event] = []
    ctx.bus.subscribe(seen.append)
    f = ws / "notes.md"
    f.write_text("old text\n")
    await call(read, ctx, file_path=str(f))
    await call(write, ctx, file_path=str(f), content="new text\n")
    await call(write, ctx, file_path=str(ws / "fresh.md"), content="hello\n")
    await ctx.bus.drain()
    changes = [e for e in seen if isinstance(e, FileChanged)]
    assert [(c.path, c.before, c.after, c.by, c.tool) for c in changes] == [
        (str(f), "old text\n", "new text\n", "agent", "Write"),
        (str(ws / "fresh.md"), None, "hello\n", "agent", "Write"),
    ]


async def test_refused_write_publishes_nothing(ws: Path, ctx: ToolContext) -> None:
    seen: list[Event] = []
    ctx.bus.subscribe(seen.append)
    f = ws / "unread.txt"
    f.write_text("x\n")
    res = await call(write, ctx, file_path=str(f), content="y\n")
    await ctx.bus.drain()
    assert res.is_error
    assert not [e for e in seen if isinstance(e, FileChanged)]
