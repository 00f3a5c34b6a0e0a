"""MultiEdit: several exact replacements in one file, applied in order, all or nothing."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import Field

from claw_tui.tools._text import atomic_write, decode_strict, diff_stats, numbered, unified_diff
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult
from claw_tui.tools.edit import SNIPPET_CONTEXT, EditError, apply_edit, check_empty_old

# The result shows the changed places; past this many lines the rest is only counted.
MAX_SNIPPET_LINES = 300


class EditOperation(ToolInput):
    old_string: str = Field(description="The text to replace")
    new_string: str = Field(description="The text to replace it with")
    replace_all: bool = Field(default=False, description="Replace all occurrences of old_string (default false).")


class MultiEditInput(ToolInput):
    file_path: str = Field(description="The absolute path to the file to modify")
    edits: list[EditOperation] = Field(
        min_length=1, description="Array of edit operations to perform sequentially on the file"
    )


class _Plan:
    """What the edits do to the file: its text before (None: it is created) and after."""

    __slots__ = ("path", "before", "after")

    def __init__(self, path: Path, before: str | None, after: str) -> None:
        self.path, self.before, self.after = path, before, after


def changed_snippets(before: str | None, after: str) -> tuple[str, int]:
    """The changed places of ``after`` in `cat -n` form with a few lines around each,
    and how many lines were left out past MAX_SNIPPET_LINES."""
    old = (before or "").splitlines()
    new = after.splitlines()
    ranges: list[list[int]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lo = max(0, j1 - SNIPPET_CONTEXT)
        hi = min(len(new), max(j2, j1 + 1) + SNIPPET_CONTEXT)
        if ranges and lo <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], hi)
        else:
            ranges.append([lo, hi])
    parts: list[str] = []
    shown = left_out = 0
    for lo, hi in ranges:
        room = MAX_SNIPPET_LINES - shown
        if room <= 0:
            left_out += hi - lo
            continue
        take = min(hi, lo + room)
        parts.append(numbered(new[lo:take], lo + 1))
        shown += take - lo
        left_out += hi - take
    return "\n     …\n".join(parts), left_out


class MultiEditTool(Tool):
    name = "MultiEdit"
    category = "edit"
    Input = MultiEditInput
    description = (
        "Makes several exact string replacements in one file in a single operation. Prefer it to "
        "several Edit calls on the same file.\n"
        "- Read the file in this session first; the edit is refused if the file changed on disk since.\n"
        "- Each edit has the rules of Edit: old_string must match exactly (indentation included) and "
        "be unique unless replace_all is true; old_string and new_string must differ.\n"
        "- Edits are applied in the order given, each to the result of the ones before it: make sure "
        "an earlier edit does not change the text a later one looks for.\n"
        "- All or nothing: if any edit fails, none is applied and the file is left untouched.\n"
        "- To create a file, give a new path and a first edit with an empty old_string holding the "
        "whole content; later edits then change that content.\n"
        "- For Jupyter notebooks (.ipynb) use NotebookEdit."
    )

    def _plan(self, params: MultiEditInput, ctx: ToolContext) -> _Plan:
        """Apply every edit to the text in memory. Raises EditError naming the edit that failed."""
        path = ctx.resolve(params.file_path)
        if path.suffix.lower() == ".ipynb":
            raise EditError(f"{path} is a Jupyter notebook; edit its cells with NotebookEdit instead.")
        edits = params.edits
        total = len(edits)
        if path.exists():
            try:
                before: str | None = decode_strict(path.read_bytes(), path)
            except ValueError as exc:
                raise EditError(str(exc)) from None
            text = before or ""
            rest = list(enumerate(edits, start=1))
        else:
            if edits[0].old_string != "":
                raise EditError(
                    f"File does not exist: {path}. To create it, make the first edit's old_string empty "
                    "and put the file's content in its new_string."
                )
            before, text = None, edits[0].new_string
            rest = list(enumerate(edits, start=1))[1:]
        for n, edit in rest:
            try:
                check_empty_old(edit.old_string, text)
                text, _ = apply_edit(text, edit.old_string, edit.new_string, edit.replace_all)
            except EditError as exc:
                earlier = "" if n == 1 else f" (looked for in the text as edits 1-{n - 1} left it)"
                raise EditError(
                    f"Edit {n} of {total} failed{earlier}: {exc} No edit was applied; the file is unchanged."
                ) from None
        return _Plan(path, before, text)

    def preview(self, params: MultiEditInput, ctx: ToolContext) -> dict[str, Any] | None:
        try:
            plan = self._plan(params, ctx)
        except (EditError, OSError):
            return None  # the edit will fail; the prompt shows its input instead
        return {"kind": "diff", "path": str(plan.path), "before": plan.before, "after": plan.after}

    def approval_description(self, params: MultiEditInput, ctx: ToolContext) -> str:
        path = ctx.resolve(params.file_path)
        try:
            plan = self._plan(params, ctx)
        except (EditError, OSError) as exc:
            return f"MultiEdit {path} (will fail: {exc})"
        return unified_diff(plan.before, plan.after, ctx.display_path(path)) or f"MultiEdit {path} (no change)"

    async def run(self, params: MultiEditInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(params.file_path)
        if path.is_dir():
            return ToolResult(f"{path} is a directory.", is_error=True, summary="directory")
        if path.exists():
            problem = ctx.files.staleness(path)
            if problem:
                return ToolResult(problem, is_error=True, summary="refused")
        try:
            plan = self._plan(params, ctx)
        except EditError as exc:
            return ToolResult(str(exc), is_error=True, summary="failed, nothing applied")
        except OSError as exc:
            return ToolResult(f"Cannot read {path}: {exc.strerror}", is_error=True, summary="unreadable")
        n = len(params.edits)
        if plan.before == plan.after:
            # Later edits undid earlier ones: nothing to write, nothing changed.
            return ToolResult(f"The {n} edits cancel out: {path} is unchanged.", summary="no change")
        data = plan.after.encode("utf-8")
        try:
            atomic_write(path, data)
        except OSError as exc:
            return ToolResult(f"Cannot write {path}: {exc.strerror}", is_error=True, summary="failed")
        ctx.files.record_agent_write(path, data)
        ctx.file_changed(path, plan.before, plan.after, self.name)
        added, removed = diff_stats(plan.before, plan.after)
        display = {"kind": "diff", "path": str(path), "before": plan.before, "after": plan.after}
        snippets, left_out = changed_snippets(plan.before, plan.after)
        more = f"\n     … ({left_out} more lines around the changes not shown)" if left_out else ""
        head = f"Created {path} and applied {n} edits" if plan.before is None else f"Applied {n} edits to {path}"
        return ToolResult(
            f"{head}. Here's the result of running `cat -n` on the changed parts of the file:\n{snippets}{more}",
            display=display,
            summary=f"{n} edits, +{added} -{removed}",
        )

    def summary(self, params: Any) -> str:
        return f"{params.file_path} ({len(params.edits)} edits)"
