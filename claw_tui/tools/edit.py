"""Edit: replace an exact string in a file."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from claw_tui.tools._text import atomic_write, decode_strict, diff_stats, numbered, unified_diff
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

SNIPPET_CONTEXT = 4


class EditInput(ToolInput):
    file_path: str = Field(description="The absolute path to the file to modify")
    old_string: str = Field(description="The text to replace")
    new_string: str = Field(description="The text to replace it with (must be different from old_string)")
    replace_all: bool = Field(default=False, description="Replace all occurrences of old_string (default false)")


class EditError(Exception):
    pass


def apply_edit(text: str, old: str, new: str, replace_all: bool) -> tuple[str, int]:
    """Return the new text and the offset of the first change. Raises EditError."""
    if old == new:
        raise EditError("No changes to make: old_string and new_string are exactly the same.")
    count = text.count(old)
    if count == 0 and "\r\n" in text and "\r\n" not in old:
        # The model writes \n; the file uses \r\n. Match in the file's own convention.
        old, new = old.replace("\n", "\r\n"), new.replace("\n", "\r\n")
        count = text.count(old)
    if count == 0:
        raise EditError("String to replace not found in file. old_string must match the file exactly, "
                        "including whitespace and indentation.")
    if count > 1 and not replace_all:
        raise EditError(
            f"Found {count} matches of the string to replace, but replace_all is false. To replace all "
            "occurrences, set replace_all to true. To replace only one, give more surrounding context "
            "so old_string is unique."
        )
    first = text.index(old)
    result = text.replace(old, new) if replace_all else text.replace(old, new, 1)
    return result, first


def check_empty_old(old_string: str, before: str) -> None:
    # An empty old_string "matches" between every character: only an empty file may be filled so.
    if old_string == "" and before != "":
        raise EditError("old_string is empty but the file already has content. To create a file use an "
                        "empty old_string on a path that does not exist; to change this one, give the text "
                        "to replace.")


def snippet(text: str, offset: int, new_len: int) -> str:
    lines = text.splitlines()
    first_line = text.count("\n", 0, offset)
    last_line = text.count("\n", 0, offset + new_len)
    lo = max(0, first_line - SNIPPET_CONTEXT)
    hi = min(len(lines), last_line + SNIPPET_CONTEXT + 1)
    return numbered(lines[lo:hi], lo + 1)


class EditTool(Tool):
    name = "Edit"
    category = "edit"
    Input = EditInput
    description = (
        "Performs an exact string replacement in a file.\n"
        "- Read the file in this session before editing it; an edit is refused if the file changed "
        "on disk since that read.\n"
        "- old_string must match the file exactly (indentation included; leave out the line-number "
        "prefix Read shows) and must be unique unless replace_all is true.\n"
        "- An empty old_string on a file that does not exist creates it with new_string."
    )

    def _plan(self, params: EditInput, ctx: ToolContext) -> tuple[str | None, str]:
        path = ctx.resolve(params.file_path)
        if params.old_string == "" and not path.exists():
            return None, params.new_string
        try:
            before = decode_strict(path.read_bytes(), path)
        except ValueError as exc:
            raise EditError(str(exc)) from None
        check_empty_old(params.old_string, before)
        after, _ = apply_edit(before, params.old_string, params.new_string, params.replace_all)
        return before, after

    def preview(self, params: EditInput, ctx: ToolContext) -> dict[str, Any] | None:
        path = ctx.resolve(params.file_path)
        try:
            before, after = self._plan(params, ctx)
        except (EditError, OSError):
            return None  # the edit will fail; the prompt shows its input instead
        return {"kind": "diff", "path": str(path), "before": before, "after": after}

    def approval_description(self, params: EditInput, ctx: ToolContext) -> str:
        path = ctx.resolve(params.file_path)
        try:
            before, after = self._plan(params, ctx)
        except (EditError, OSError) as exc:
            return f"Edit {path} (will fail: {exc})"
        return unified_diff(before, after, ctx.display_path(path))

    async def run(self, params: EditInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(params.file_path)
        if path.is_dir():
            return ToolResult(f"{path} is a directory.", is_error=True, summary="directory")
        if not path.exists():
            if params.old_string != "":
                return ToolResult(f"File does not exist: {path}", is_error=True, summary="not found")
            data = params.new_string.encode("utf-8")
            atomic_write(path, data)
            ctx.files.record_agent_write(path, data)
            ctx.file_changed(path, None, params.new_string, self.name)
            return ToolResult(
                f"File created successfully at: {path}",
                display={"kind": "diff", "path": str(path), "before": None, "after": params.new_string},
                summary="created",
            )
        problem = ctx.files.staleness(path)
        if problem:
            return ToolResult(problem, is_error=True, summary="refused")
        try:
            before = decode_strict(path.read_bytes(), path)
            check_empty_old(params.old_string, before)
            after, offset = apply_edit(before, params.old_string, params.new_string, params.replace_all)
        except ValueError as exc:
            return ToolResult(str(exc), is_error=True, summary="not UTF-8")
        except EditError as exc:
            return ToolResult(str(exc), is_error=True, summary="no match")
        except OSError as exc:
            return ToolResult(f"Cannot read {path}: {exc.strerror}", is_error=True, summary="unreadable")
        data = after.encode("utf-8")
        try:
            atomic_write(path, data)
        except OSError as exc:
            return ToolResult(f"Cannot write {path}: {exc.strerror}", is_error=True, summary="failed")
        ctx.files.record_agent_write(path, data)
        ctx.file_changed(path, before, after, self.name)
        added, removed = diff_stats(before, after)
        return ToolResult(
            f"The file {path} has been updated. Here's the result of running `cat -n` on a snippet "
            f"of the edited file:\n{snippet(after, offset, len(params.new_string))}",
            display={"kind": "diff", "path": str(path), "before": before, "after": after},
            summary=f"+{added} -{removed}",
        )

    def summary(self, params: Any) -> str:
        return params.file_path
