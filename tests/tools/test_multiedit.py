"""MultiEdit: several Edit-rule replacements in one file, in order, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from claw_tui.events import Event, FileChanged
from claw_tui.tools.base import ToolContext
from claw_tui.tools.multiedit import MultiEditTool
from claw_tui.tools.read import ReadTool

from ._helpers import call

multi = MultiEditTool()
read = ReadTool()

SOURCE = "def area(w, h):\n    return w * h\n\n\ndef main():\n    print(area(2, 3))\n"


def edit(old: str, new: str, replace_all: bool = False) -> dict:
    return {"old_string": old, "new_string": new, "replace_all": replace_all}


async def _read(ctx: ToolContext, path: Path) -> None:
    res = await call(read, ctx, file_path=str(path))
    assert not res.is_error, res.content


def _record(ctx: ToolContext) -> list[Event]:
    seen: list[Event] = []
    ctx.bus.subscribe(seen.append)
    return seen


async def test_edits_apply_in_order_each_to_the_result_of_the_last(ws: Path, ctx: ToolContext) -> None:
    f = ws / "geo.py"
    f.write_text(SOURCE)
    await _read(ctx, f)
    res = await call(multi, ctx, file_path=str(f), edits=[
        edit("def area(w, h):", "def area(width, height):"),
        edit("return w * h", "return width * height"),
        # Sees the text edit 1 made: "area(" now appears twice (definition and call).
        edit("area(", "rect_area(", replace_all=True),
    ])
    assert not res.is_error, res.content
    assert f.read_text() == (
        "def rect_area(width, height):\n    return width * height\n\n\ndef main():\n    print(rect_area(2, 3))\n"
    )
    assert "Applied 3 edits" in res.content
    # The result shows the changed lines, numbered as in the file.
    assert "     1\tdef rect_area(width, height):" in res.content
    assert "     6\t    print(rect_area(2, 3))" in res.content
    assert res.summary.startswith("3 edits")


async def test_third_of_three_failing_changes_nothing(ws: Path, ctx: ToolContext) -> None:
    seen = _record(ctx)
    f = ws / "geo.py"
    f.write_bytes(SOURCE.encode())
    original = f.read_bytes()
    mtime = f.stat().st_mtime_ns
    await _read(ctx, f)
    res = await call(multi, ctx, file_path=str(f), edits=[
        edit("def area(w, h):", "def area(width, height):"),
        edit("return w * h", "return width * height"),
        edit("print(area(2, 4))", "print(area(5, 5))"),  # not in the file
    ])
    await ctx.bus.drain()
    assert res.is_error
    assert "Edit 3 of 3 failed" in res.content
    assert "not found" in res.content
    assert "No edit was applied" in res.content
    assert f.read_bytes() == original
    assert f.stat().st_mtime_ns == mtime
    assert [e for e in seen if isinstance(e, FileChanged)] == []
    assert sorted(p.name for p in ws.iterdir()) == ["geo.py"]  # no temp file left behind


async def test_a_later_edit_that_is_ambiguous_names_itself(ws: Path, ctx: ToolContext) -> None:
    f = ws / "cfg.ini"
    f.write_text("a = 1\nb = 2\n")
    await _read(ctx, f)
    # Edit 1 creates a second "= 2": edit 2 is then ambiguous.
    res = await call(multi, ctx, file_path=str(f), edits=[edit("a = 1", "a = 2"), edit("= 2", "= 3")])
    assert res.is_error
    assert "Edit 2 of 2 failed" in res.content
    assert "Found 2 matches" in res.content
    assert "edits 1-1" in res.content  # it says the text it searched already had edit 1 applied
    assert f.read_text() == "a = 1\nb = 2\n"


async def test_identical_old_and_new_is_refused(ws: Path, ctx: ToolContext) -> None:
    f = ws / "x.txt"
    f.write_text("x\n")
    await _read(ctx, f)
    res = await call(multi, ctx, file_path=str(f), edits=[edit("x", "y"), edit("y", "y")])
    assert res.is_error
    assert "Edit 2 of 2 failed" in res.content and "exactly the same" in res.content
    assert f.read_text() == "x\n"


async def test_must_read_first_and_stale_file_refused(ws: Path, ctx: ToolContext) -> None:
    f = ws / "s.py"
    f.write_text("a = 1\n")
    res = await call(multi, ctx, file_path=str(f), edits=[edit("a = 1", "a = 2")])
    assert res.is_error and "not been read" in res.content
    await _read(ctx, f)
    f.write_text("a = 1\nb = 2  # someone else\n")
    res = await call(multi, ctx, file_path=str(f), edits=[edit("a = 1", "a = 2")])
    assert res.is_error and "modified since it was read" in res.content
    assert f.read_text() == "a = 1\nb = 2  # someone else\n"


async def test_creates_a_new_file_from_an_empty_first_old_string(ws: Path, ctx: ToolContext) -> None:
    seen = _record(ctx)
    f = ws / "pkg" / "mod.py"
    res = await call(multi, ctx, file_path=str(f), edits=[
        edit("", "NAME = 'x'\nVALUE = 1\n"),
        edit("VALUE = 1", "VALUE = 2"),
    ])
    await ctx.bus.drain()
    assert not res.is_error, res.content
    assert f.read_text() == "NAME = 'x'\nVALUE = 2\n"
    changes = [e for e in seen if isinstance(e, FileChanged)]
    assert [(c.before, c.after, c.tool) for c in changes] == [(None, "NAME = 'x'\nVALUE = 2\n", "MultiEdit")]
    # A missing file with a non-empty first old_string is an error that says how to create it.
    res = await call(multi, ctx, file_path=str(ws / "ghost.py"), edits=[edit("a", "b")])
    assert res.is_error and "does not exist" in res.content and "empty" in res.content
    assert not (ws / "ghost.py").exists()


async def test_publishes_one_file_changed_with_the_whole_change(ws: Path, ctx: ToolContext) -> None:
    seen = _record(ctx)
    f = ws / "e.txt"
    f.write_text("alpha\nbeta\n")
    await _read(ctx, f)
    res = await call(multi, ctx, file_path=str(f), edits=[edit("alpha", "ALPHA"), edit("beta", "BETA")])
    await ctx.bus.drain()
    assert not res.is_error
    changes = [e for e in seen if isinstance(e, FileChanged)]
    assert [(c.path, c.before, c.after, c.tool) for c in changes] == [
        (str(f), "alpha\nbeta\n", "ALPHA\nBETA\n", "MultiEdit")
    ]
    assert res.display == {"kind": "diff", "path": str(f), "before": "alpha\nbeta\n", "after": "ALPHA\nBETA\n"}
    # And the agent may keep editing what it wrote without reading again.
    res = await call(multi, ctx, file_path=str(f), edits=[edit("ALPHA", "A")])
    assert not res.is_error, res.content


async def test_preview_is_the_diff_of_all_edits_and_nothing_is_written(ws: Path, ctx: ToolContext) -> None:
    f = ws / "p.txt"
    f.write_text("one\ntwo\nthree\n")
    await _read(ctx, f)
    params = multi.parse({"file_path": str(f), "edits": [edit("one", "1"), edit("three", "3")]})
    assert multi.preview(params, ctx) == {"kind": "diff", "path": str(f), "before": "one\ntwo\nthree\n",
                                          "after": "1\ntwo\n3\n"}
    text = multi.approval_description(params, ctx)
    assert "-one" in text and "+1" in text and "-three" in text and "+3" in text
    assert f.read_text() == "one\ntwo\nthree\n"
    bad = multi.parse({"file_path": str(f), "edits": [edit("one", "1"), edit("nine", "9")]})
    assert multi.preview(bad, ctx) is None
    assert "will fail" in multi.approval_description(bad, ctx) and "Edit 2 of 2" in multi.approval_description(bad, ctx)


async def test_crlf_file_keeps_crlf(ws: Path, ctx: ToolContext) -> None:
    f = ws / "win.txt"
    f.write_bytes(b"first\r\nsecond\r\nthird\r\n")
    await _read(ctx, f)
    res = await call(multi, ctx, file_path=str(f), edits=[edit("first\nsecond", "1st\n2nd"), edit("third", "3rd")])
    assert not res.is_error, res.content
    assert f.read_bytes() == b"1st\r\n2nd\r\n3rd\r\n"


async def test_notebooks_are_pointed_to_notebook_edit(ws: Path, ctx: ToolContext) -> None:
    f = ws / "nb.ipynb"
    f.write_text('{"cells": []}')
    await _read(ctx, f)
    res = await call(multi, ctx, file_path=str(f), edits=[edit("cells", "x")])
    assert res.is_error and "NotebookEdit" in res.content
    assert f.read_text() == '{"cells": []}'


async def test_schema_matches_the_one_models_know(ctx: ToolContext) -> None:
    spec = multi.spec()
    assert spec.name == "MultiEdit"
    schema = spec.input_schema
    assert schema["required"] == ["file_path", "edits"]
    assert schema["additionalProperties"] is False
    items = schema["properties"]["edits"]["items"]
    assert "$ref" not in str(schema)  # written out in full
    assert set(items["properties"]) == {"old_string", "new_string", "replace_all"}
    assert items["required"] == ["old_string", "new_string"]
    assert schema["properties"]["edits"]["minItems"] == 1
    with pytest.raises(ValidationError):
        multi.parse({"file_path": "x", "edits": []})
    with pytest.raises(ValidationError):
        multi.parse({"file_path": "x", "edits": [{"old_string": "a", "new_string": "b", "extra": 1}]})
