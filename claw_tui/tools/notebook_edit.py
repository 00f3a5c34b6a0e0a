"""NotebookEdit: replace, insert or delete one cell of a Jupyter notebook."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from claw_tui.tools._notebook import (
    NotebookError,
    cell_label,
    check_notebook_path,
    dumps,
    find_cell,
    parse_notebook,
    read_notebook_bytes,
    validate,
)
from claw_tui.tools._text import atomic_write, decode_strict, diff_stats
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult


class NotebookEditInput(ToolInput):
    notebook_path: str = Field(
        description="The absolute path to the Jupyter notebook file to edit (must be absolute, not relative)"
    )
    cell_id: str | None = Field(
        default=None,
        description="The ID of the cell to edit. When inserting a new cell, the new cell will be inserted after "
        "the cell with this ID, or at the beginning if not specified.",
    )
    new_source: str = Field(description="The new source for the cell")
    cell_type: Literal["code", "markdown"] | None = Field(
        default=None,
        description="The type of the cell (code or markdown). If not specified, it defaults to the current cell "
        "type. If using edit_mode=insert, this is required.",
    )
    edit_mode: Literal["replace", "insert", "delete"] | None = Field(
        default=None, description="The type of edit to make (replace, insert, delete). Defaults to replace."
    )


@dataclass(slots=True)
class _Plan:
    path: Path
    before: str
    after: str
    message: str
    summary: str


def _new_cell(nb: Any, cell_type: str, source: str) -> Any:
    from nbformat import v4

    cell = v4.new_code_cell(source) if cell_type == "code" else v4.new_markdown_cell(source)
    if nb.get("nbformat_minor", 0) < 5:
        # Cell ids exist from format 4.5 on; an older notebook keeps its own format.
        cell.pop("id", None)
    else:
        taken = {c.get("id") for c in nb.cells}
        while cell.get("id") in taken:
            cell["id"] = v4.new_code_cell("")["id"]
    return cell


class NotebookEditTool(Tool):
    name = "NotebookEdit"
    category = "edit"
    Input = NotebookEditInput
    description = (
        "Replaces, inserts or deletes one cell of a Jupyter notebook (.ipynb file).\n"
        "- Read the notebook (NotebookRead or Read) in this session first; the edit is refused if the "
        "file changed on disk since.\n"
        "- edit_mode=replace (default) sets the source of the cell cell_id (and its type if cell_type is "
        "given); a replaced code cell loses its outputs and execution count.\n"
        "- edit_mode=insert adds a new cell of cell_type (required) AFTER the cell cell_id, or at the very "
        "beginning when cell_id is left out: to append, give the id of the last cell.\n"
        "- edit_mode=delete removes the cell cell_id (new_source is ignored; pass an empty string).\n"
        "- Cells without an id are named cell-N (N counts from 0). The notebook is validated before it "
        "is written; an edit that would break it writes nothing."
    )

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        return [ctx.resolve(params.notebook_path)]

    def summary(self, params: Any) -> str:
        mode = params.edit_mode or "replace"
        where = f" {params.cell_id}" if params.cell_id else (" at start" if mode == "insert" else "")
        return f"{params.notebook_path} ({mode}{where})"

    def _plan(self, params: NotebookEditInput, ctx: ToolContext) -> _Plan:
        """The notebook's JSON before and after the edit. Raises NotebookError."""
        path = ctx.resolve(params.notebook_path)
        check_notebook_path(path)
        try:
            before = decode_strict(read_notebook_bytes(path), path)
        except ValueError as exc:
            raise NotebookError(str(exc)) from None
        nb, converted = parse_notebook(before, path)
        mode = params.edit_mode or "replace"
        shown = ctx.display_path(path)
        if mode == "insert":
            if params.cell_type is None:
                raise NotebookError("cell_type is required when inserting a cell (edit_mode=insert): "
                                    "give code or markdown.")
            at = find_cell(nb, params.cell_id) + 1 if params.cell_id else 0
            cell = _new_cell(nb, params.cell_type, params.new_source)
            nb.cells.insert(at, cell)
            where = f"after cell {params.cell_id}" if params.cell_id else "at the beginning"
            message = f"Inserted a new {params.cell_type} cell {cell_label(nb, at)} (index {at}) {where} of {shown}."
            summary = f"inserted {params.cell_type} cell"
        else:
            if not params.cell_id:
                raise NotebookError(f"cell_id is required for edit_mode={mode}: give the id of the cell "
                                    "(NotebookRead shows them).")
            index = find_cell(nb, params.cell_id)
            label = cell_label(nb, index)
            if mode == "delete":
                kind = nb.cells[index].get("cell_type", "?")
                del nb.cells[index]
                message = f"Deleted {kind} cell {label} (it was index {index}) from {shown}."
                summary = f"deleted cell {label}"
            else:
                old = nb.cells[index]
                kind = params.cell_type or old.get("cell_type", "code")
                if kind != old.get("cell_type"):
                    # A new cell of the other type: code cells have outputs, markdown cells attachments.
                    cell = _new_cell(nb, kind, params.new_source)
                    if old.get("id"):
                        cell["id"] = old["id"]
                    cell["metadata"] = old.get("metadata") or {}
                    nb.cells[index] = cell
                else:
                    old["source"] = params.new_source
                    if kind == "code":
                        # The old outputs came from the old code: they would mislead.
                        old["outputs"] = []
                        old["execution_count"] = None
                message = f"Updated {kind} cell {label} (index {index}) of {shown}."
                summary = f"replaced cell {label}"
        problem = validate(nb)
        if problem:
            original, _ = parse_notebook(before, path)
            if validate(original):
                raise NotebookError(f"{path} is not a valid notebook even before this edit ({problem}); "
                                    "nothing was written. Fix it with Write, or repair it in Jupyter.")
            raise NotebookError(f"The edit would leave an invalid notebook ({problem}); nothing was written.")
        if converted is not None:
            message += f" (The notebook was converted from nbformat {converted} to 4.)"
        return _Plan(path, before, dumps(nb), message, summary)

    def preview(self, params: NotebookEditInput, ctx: ToolContext) -> dict[str, Any] | None:
        try:
            plan = self._plan(params, ctx)
        except (NotebookError, OSError):
            return None  # the edit will fail; the prompt shows its input instead
        # partial=False: single hunks of a notebook's JSON would not make a valid notebook.
        return {"kind": "diff", "path": str(plan.path), "before": plan.before, "after": plan.after, "partial": False}

    def approval_description(self, params: NotebookEditInput, ctx: ToolContext) -> str:
        # The person reads the cell, not the notebook's JSON (the preview carries that diff).
        path = ctx.display_path(ctx.resolve(params.notebook_path))
        mode = params.edit_mode or "replace"
        if mode == "delete":
            return f"Delete cell {params.cell_id} of {path}"
        if mode == "insert":
            where = f"after cell {params.cell_id}" if params.cell_id else "at the beginning"
            head = f"Insert a {params.cell_type or '?'} cell {where} of {path}:"
        else:
            as_type = f" (as {params.cell_type})" if params.cell_type else ""
            head = f"Replace cell {params.cell_id} of {path}{as_type} with:"
        return f"{head}\n{params.new_source}"

    async def run(self, params: NotebookEditInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(params.notebook_path)
        try:
            check_notebook_path(path)
        except NotebookError as exc:
            return ToolResult(str(exc), is_error=True, summary="failed")
        problem = ctx.files.staleness(path)
        if problem:
            return ToolResult(problem, is_error=True, summary="refused")
        try:
            plan = await asyncio.to_thread(self._plan, params, ctx)
        except NotebookError as exc:
            return ToolResult(str(exc), is_error=True, summary="failed, nothing written")
        if plan.after == plan.before:
            return ToolResult(f"{plan.message} The notebook was already so: nothing was written.",
                              summary="no change")
        data = plan.after.encode("utf-8")
        try:
            await asyncio.to_thread(atomic_write, path, data)
        except OSError as exc:
            return ToolResult(f"Cannot write {path}: {exc.strerror}", is_error=True, summary="failed")
        ctx.files.record_agent_write(path, data)
        ctx.file_changed(path, plan.before, plan.after, self.name)
        added, removed = diff_stats(plan.before, plan.after)
        return ToolResult(
            plan.message,
            display={"kind": "diff", "path": str(path), "before": plan.before, "after": plan.after},
            summary=f"{plan.summary}, +{added} -{removed}",
        )
