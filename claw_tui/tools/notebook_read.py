"""NotebookRead: a Jupyter notebook's cells, with their outputs as text."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import Field

from claw_tui.tools._notebook import (
    NotebookError,
    check_notebook_path,
    find_cell,
    parse_notebook,
    read_notebook_bytes,
    render_notebook,
)
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult


class NotebookReadInput(ToolInput):
    notebook_path: str = Field(
        description="The absolute path to the Jupyter notebook file to read (must be absolute, not relative)"
    )
    cell_id: str | None = Field(
        default=None, description="The ID of a specific cell to read. If not provided, all cells will be read."
    )


class NotebookReadTool(Tool):
    name = "NotebookRead"
    category = "read"
    read_only = True
    Input = NotebookReadInput
    description = (
        "Reads a Jupyter notebook (.ipynb file) and returns its cells with their outputs.\n"
        "- Each cell is shown with its index, id, type and source; code cells with their outputs as "
        "text (streams, results, errors with their tracebacks; images as a one-line placeholder).\n"
        "- Give cell_id to read one cell. Cells without an id are named cell-N (N counts from 0).\n"
        "- Read a notebook before you change it with NotebookEdit."
    )

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        return [ctx.resolve(params.notebook_path)]

    def summary(self, params: Any) -> str:
        return params.notebook_path + (f" [{params.cell_id}]" if params.cell_id else "")

    async def run(self, params: NotebookReadInput, ctx: ToolContext) -> ToolResult:
        # Parsing a notebook full of images takes a while: not on the event loop.
        return await asyncio.to_thread(self._run, params, ctx)

    def _run(self, params: NotebookReadInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(params.notebook_path)
        try:
            check_notebook_path(path)
            data = read_notebook_bytes(path)
            nb, _ = parse_notebook(data.decode("utf-8", errors="replace"), path)
            only = find_cell(nb, params.cell_id) if params.cell_id is not None else None
        except NotebookError as exc:
            return ToolResult(str(exc), is_error=True, summary="failed")
        # The agent has now seen this notebook: NotebookEdit may change it.
        ctx.files.record(path, data)
        text, cut = render_notebook(nb, ctx.display_path(path), only)
        count = len(nb.cells)
        summary = "1 cell" if only is not None else f"{count} cells" + (", cut short" if cut else "")
        return ToolResult(text, summary=summary)
