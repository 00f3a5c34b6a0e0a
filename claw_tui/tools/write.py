"""Write: create a file or replace its whole content."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from claw_tui.tools._text import atomic_write, decode, unified_diff
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult


class WriteInput(ToolInput):
    file_path: str = Field(description="The absolute path to the file to write (must be absolute, not relative)")
    content: str = Field(description="The content to write to the file")


class WriteTool(Tool):
    name = "Write"
    category = "edit"
    Input = WriteInput
    description = (
        "Writes a file to the local filesystem, replacing it if it exists.\n"
        "- An existing file must have been Read in this session first; the write is refused "
        "if the file changed on disk since.\n"
        "- Prefer Edit for changing part of an existing file.\n"
        "- Parent directories are created as needed."
    )

    def preview(self, params: WriteInput, ctx: ToolContext) -> dict[str, Any] | None:
        path = ctx.resolve(params.file_path)
        before = decode(path.read_bytes()) if path.is_file() else None
        return {"kind": "diff", "path": str(path), "before": before, "after": params.content}

    def approval_description(self, params: WriteInput, ctx: ToolContext) -> str:
        path = ctx.resolve(params.file_path)
        before = path.read_text(errors="replace") if path.is_file() else None
        return unified_diff(before, params.content, ctx.display_path(path)) or f"Write {path} (no change)"

    async def run(self, params: WriteInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(params.file_path)
        if path.is_dir():
            return ToolResult(f"{path} is a directory.", is_error=True, summary="directory")
        before: str | None = None
        if path.exists():
            problem = ctx.files.staleness(path)
            if problem:
                return ToolResult(problem, is_error=True, summary="refused")
            before = decode(path.read_bytes())
        data = params.content.encode("utf-8")
        try:
            atomic_write(path, data)
        except OSError as exc:
            return ToolResult(f"Cannot write {path}: {exc.strerror}", is_error=True, summary="failed")
        ctx.files.record_agent_write(path, data)
        ctx.file_changed(path, before, params.content, self.name)
        n = params.content.count("\n") + (0 if params.content.endswith("\n") or not params.content else 1)
        display = {"kind": "diff", "path": str(path), "before": before, "after": params.content}
        if before is None:
            return ToolResult(f"File created successfully at: {path}", display=display, summary=f"created, {n} lines")
        return ToolResult(f"The file {path} has been overwritten.", display=display, summary=f"wrote {n} lines")

    def summary(self, params: Any) -> str:
        return params.file_path
