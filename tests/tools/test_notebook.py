"""NotebookRead and NotebookEdit on real .ipynb files built with nbformat."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from claw_tui.events import Event, FileChanged
from claw_tui.tools.base import ToolContext
from claw_tui.tools.notebook_edit import NotebookEditTool
from claw_tui.tools.notebook_read import NotebookReadTool

from ._helpers import call

nb_read = NotebookReadTool()
nb_edit = NotebookEditTool()

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(1000)).decode()  # 1,008 bytes once decoded
TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m \x1b[38;5;241m1\x1b[39m\x1b[38;5;241m/\x1b[39m"
    "\x1b[38;5;241m0\x1b[39m",
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
]


def build_notebook(path: Path) -> list[str]:
    """A notebook with one output of each kind; returns its cell ids in order."""
    nb = v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nb.cells = [
        v4.new_markdown_cell("# Sales report\nNumbers for **Q3**."),
        v4.new_code_cell(
            "import sys\nprint('loading')\nprint('careful', file=sys.stderr)",
            execution_count=1,
            outputs=[
                v4.new_output("stream", name="stdout", text="loading\n"),
                v4.new_output("stream", name="stderr", text="careful\n"),
            ],
        ),
        v4.new_code_cell(
            "df.total.sum()",
            execution_count=2,
            outputs=[v4.new_output("execute_result", execution_count=2,
                                   data={"text/plain": "4200", "text/html": "<b>4200</b>"})],
        ),
        v4.new_code_cell(
            "plot(df)",
            execution_count=3,
            outputs=[v4.new_output("display_data", data={"image/png": PNG,
                                                          "text/plain": "<Figure size 640x480 with 1 Axes>"})],
        ),
        v4.new_code_cell(
            "1/0",
            execution_count=4,
            outputs=[v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                   traceback=TRACEBACK)],
        ),
    ]
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return [c.id for c in nb.cells]


async def _read(ctx: ToolContext, path: Path, **kw) -> str:
    res = await call(nb_read, ctx, notebook_path=str(path), **kw)
    assert not res.is_error, res.content
    return res.content


def _load(path: Path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)  # raises if the file is not a valid notebook
    return nb


async def test_read_shows_cells_and_every_kind_of_output(ws: Path, ctx: ToolContext) -> None:
    f = ws / "report.ipynb"
    ids = build_notebook(f)
    text = await _read(ctx, f)
    assert "5 cells" in text and "python3" in text
    assert f'<cell index="0" id="{ids[0]}" type="markdown">\n# Sales report\nNumbers for **Q3**.\n</cell>' in text
    assert f'<cell index="1" id="{ids[1]}" type="code" execution_count="1">' in text
    # Streams, with stderr marked.
    assert "<outputs>\nloading\n[stderr]\ncareful\n</outputs>" in text
    # A result as its plain text (the HTML version is not repeated).
    assert "Out[2]: 4200" in text and "<b>4200</b>" not in text
    # An image as a one-line placeholder with its type and size, never its bytes.
    assert "[image/png, 1,008 bytes]" in text
    assert PNG[:40] not in text
    assert "<Figure size 640x480 with 1 Axes>" in text
    # An error: its name, value and traceback, without terminal colour codes.
    assert "ZeroDivisionError: division by zero" in text
    assert "----> 1 1/0" in text
    assert "\x1b" not in text


async def test_read_one_cell_by_id_or_index(ws: Path, ctx: ToolContext) -> None:
    f = ws / "report.ipynb"
    ids = build_notebook(f)
    one = await _read(ctx, f, cell_id=ids[2])
    assert "Out[2]: 4200" in one and "Sales report" not in one and "loading" not in one
    by_index = await _read(ctx, f, cell_id="cell-2")
    assert by_index == one
    res = await call(nb_read, ctx, notebook_path=str(f), cell_id="nope")
    assert res.is_error and 'Cell "nope" not found' in res.content and ids[0] in res.content


async def test_read_refuses_what_is_not_a_notebook(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("hi")
    res = await call(nb_read, ctx, notebook_path=str(ws / "a.txt"))
    assert res.is_error and ".ipynb" in res.content
    (ws / "broken.ipynb").write_text("{not json")
    res = await call(nb_read, ctx, notebook_path=str(ws / "broken.ipynb"))
    assert res.is_error and "not JSON" in res.content
    res = await call(nb_read, ctx, notebook_path=str(ws / "missing.ipynb"))
    assert res.is_error and "does not exist" in res.content


async def test_round_trip_replace_insert_delete(ws: Path, ctx: ToolContext) -> None:
    seen: list[Event] = []
    ctx.bus.subscribe(seen.append)
    f = ws / "report.ipynb"
    ids = build_notebook(f)
    await _read(ctx, f)

    # Replace a code cell: new source, its stale outputs and execution count cleared.
    res = await call(nb_edit, ctx, notebook_path=str(f), cell_id=ids[2], new_source="df.total.mean()")
    assert not res.is_error, res.content
    nb = _load(f)
    assert nb.cells[2].source == "df.total.mean()"
    assert nb.cells[2].outputs == [] and nb.cells[2].execution_count is None
    assert nb.cells[2].id == ids[2]
    assert nb.cells[1].outputs and nb.cells[1].execution_count == 1  # other cells untouched

    # Insert a markdown cell after the first cell.
    res = await call(nb_edit, ctx, notebook_path=str(f), cell_id=ids[0], new_source="## Totals",
                     cell_type="markdown", edit_mode="insert")
    assert not res.is_error, res.content
    nb = _load(f)
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown", "code", "code", "code", "code"]
    assert nb.cells[1].source == "## Totals"
    new_id = nb.cells[1].id
    assert new_id not in ids and new_id in res.content  # the model learns the new cell's id

    # Insert a code cell without cell_id: at the very beginning.
    res = await call(nb_edit, ctx, notebook_path=str(f), new_source="import pandas as pd", cell_type="code",
                     edit_mode="insert")
    assert not res.is_error, res.content
    nb = _load(f)
    assert nb.cells[0].source == "import pandas as pd" and nb.cells[0].outputs == []

    # Delete the error cell.
    res = await call(nb_edit, ctx, notebook_path=str(f), cell_id=ids[4], new_source="", edit_mode="delete")
    assert not res.is_error, res.content
    nb = _load(f)
    assert len(nb.cells) == 6 and ids[4] not in [c.id for c in nb.cells]

    # Turn a markdown cell into a code cell.
    res = await call(nb_edit, ctx, notebook_path=str(f), cell_id=new_id, new_source="print('totals')",
                     cell_type="code")
    assert not res.is_error, res.content
    nb = _load(f)
    cell = next(c for c in nb.cells if c.id == new_id)
    assert cell.cell_type == "code" and cell.outputs == [] and cell.source == "print('totals')"

    # Reading it again shows what the edits made.
    text = await _read(ctx, f)
    assert "6 cells" in text and "import pandas as pd" in text and "df.total.mean()" in text
    assert "ZeroDivisionError" not in text and "Out[2]: 4200" not in text

    # Every write published a diff-able change, with the notebook's JSON before and after.
    await ctx.bus.drain()
    changes = [e for e in seen if isinstance(e, FileChanged)]
    assert len(changes) == 5 and all(c.tool == "NotebookEdit" and c.path == str(f) for c in changes)
    assert "df.total.sum()" in changes[0].before and "df.total.mean()" in changes[0].after
    assert all(changes[i].after == changes[i + 1].before for i in range(4))
    json.loads(changes[-1].after)
    assert changes[-1].after == f.read_text()


async def test_edit_requires_read_and_refuses_stale_notebook(ws: Path, ctx: ToolContext) -> None:
    f = ws / "report.ipynb"
    ids = build_notebook(f)
    original = f.read_bytes()
    res = await call(nb_edit, ctx, notebook_path=str(f), cell_id=ids[0], new_source="# New")
    assert res.is_error and "not been read" in res.content
    assert f.read_bytes() == original
    await _read(ctx, f)
    nb = _load(f)
    nb.cells[0].source = "# Changed by the user in Jupyter"
    nbformat.write(nb, str(f))
    changed = f.read_bytes()
    res = await call(nb_edit, ctx, notebook_path=str(f), cell_id=ids[0], new_source="# New")
    assert res.is_error and "modified since it was read" in res.content
    assert f.read_bytes() == changed


async def test_bad_requests_write_nothing(ws: Path, ctx: ToolContext) -> None:
    f = ws / "report.ipynb"
    ids = build_notebook(f)
    await _read(ctx, f)
    original = f.read_bytes()
    cases = [
        ({"cell_id": "nope", "new_source": "x"}, 'Cell "nope" not found'),
        ({"new_source": "x"}, "cell_id is required"),
        ({"cell_id": ids[0], "new_source": "x", "edit_mode": "insert"}, "cell_type is required"),
        ({"cell_id": "cell-9", "new_source": "x", "edit_mode": "delete"}, "has 5 cells"),
    ]
    for raw, message in cases:
        res = await call(nb_edit, ctx, notebook_path=str(f), **raw)
        assert res.is_error and message in res.content, (raw, res.content)
    assert f.read_bytes() == original


async def test_an_edit_that_would_leave_an_invalid_notebook_writes_nothing(ws: Path, ctx: ToolContext) -> None:
    f = ws / "bad.ipynb"
    nb = v4.new_notebook()
    nb.cells = [v4.new_code_cell("x = 1")]
    nb.cells[0]["bogus"] = True  # not allowed by the notebook schema
    f.write_text(json.dumps(nb))
    await _read(ctx, f)
    original = f.read_bytes()
    res = await call(nb_edit, ctx, notebook_path=str(f), cell_id="cell-0", new_source="x = 2")
    assert res.is_error and "not a valid notebook" in res.content and "nothing was written" in res.content
    assert f.read_bytes() == original


async def test_old_format_notebook_without_ids(ws: Path, ctx: ToolContext) -> None:
    """Before format 4.5 cells have no ids: they are named cell-N, and inserted cells get none."""
    f = ws / "old.ipynb"
    f.write_text(json.dumps({
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Old\n", "notebook"]},
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["hi\n"]}], "source": ["print('hi')"]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 2,
    }))
    text = await _read(ctx, f)
    assert '<cell index="1" id="cell-1" type="code" execution_count="1">\nprint(\'hi\')' in text
    res = await call(nb_edit, ctx, notebook_path=str(f), cell_id="cell-1", new_source="more = 1",
                     cell_type="code", edit_mode="insert")
    assert not res.is_error, res.content
    nb = _load(f)
    assert nb.nbformat_minor == 2 and [c.source for c in nb.cells] == ["# Old\nnotebook", "print('hi')", "more = 1"]
    assert "id" not in nb.cells[2]


async def test_preview_is_a_diff_of_the_notebook_and_description_shows_the_cell(ws: Path, ctx: ToolContext) -> None:
    f = ws / "report.ipynb"
    ids = build_notebook(f)
    await _read(ctx, f)
    original = f.read_text()
    params = nb_edit.parse({"notebook_path": str(f), "cell_id": ids[0], "new_source": "# Better title"})
    preview = nb_edit.preview(params, ctx)
    assert preview is not None and preview["kind"] == "diff" and preview["path"] == str(f)
    assert preview["before"] == original and "# Better title" in preview["after"]
    assert nbformat.reads(preview["after"], as_version=4).cells[0].source == "# Better title"
    assert nb_edit.approval_description(params, ctx) == f"Replace cell {ids[0]} of report.ipynb with:\n# Better title"
    assert f.read_text() == original
    assert nb_edit.preview(nb_edit.parse({"notebook_path": str(f), "cell_id": "zz", "new_source": ""}), ctx) is None


async def test_permission_paths_and_categories(ws: Path, ctx: ToolContext) -> None:
    f = ws / "report.ipynb"
    assert nb_read.read_only and nb_read.category == "read"
    assert not nb_edit.read_only and nb_edit.category == "edit"
    assert nb_read.paths(nb_read.parse({"notebook_path": "report.ipynb"}), ctx) == [f]
    assert nb_edit.paths(nb_edit.parse({"notebook_path": str(f), "new_source": ""}), ctx) == [f]


@pytest.mark.parametrize("field", ["cell_number", "source"])
async def test_unknown_fields_are_refused(field: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        nb_edit.parse({"notebook_path": "a.ipynb", "new_source": "", field: 1})
