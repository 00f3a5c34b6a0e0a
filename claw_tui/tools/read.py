"""Read: a text file with numbered lines."""

from __future__ import annotations

import asyncio
from itertools import islice
from typing import Any

from pydantic import Field

from claw_tui.tools._text import BINARY_SNIFF, decode, looks_binary, numbered
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000
# Reading more than this at once needs offset/limit: it would flood the context.
MAX_WHOLE_FILE_BYTES = 256 * 1024
# Larger files can be read in windows but are not tracked for editing.
MAX_EDITABLE_BYTES = 16 * 1024 * 1024


class ReadInput(ToolInput):
    file_path: str = Field(description="The absolute path to the file to read")
    offset: int | None = Field(
        default=None, ge=1, description="The line number to start reading from (1-based). Use for large files"
    )
    limit: int | None = Field(default=None, ge=1, description="The number of lines to read. Use for large files")


class ReadTool(Tool):
    name = "Read"
    category = "read"
    read_only = True
    Input = ReadInput
    description = (
        "Reads a file from the local filesystem.\n"
        "- file_path should be an absolute path.\n"
        f"- By default reads up to {DEFAULT_LIMIT} lines from the start; use offset and limit for long files.\n"
        f"- Lines longer than {MAX_LINE_CHARS} characters are cut.\n"
        "- Output is in `cat -n` form: line number, a tab, then the line.\n"
        "- Binary files are refused; use Bash for them. Use LS for directories.\n"
        "- Read a file before you Edit or Write it."
    )

    async def run(self, params: ReadInput, ctx: ToolContext) -> ToolResult:
        # File system work runs in a thread: a big tree must not freeze the event loop.
        return await asyncio.to_thread(self._run, params, ctx)

    def _run(self, params: ReadInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(params.file_path)
        shown = ctx.display_path(path)
        if not path.exists():
            return ToolResult(f"File does not exist: {path}", is_error=True, summary="not found")
        if path.is_dir():
            return ToolResult(f"{path} is a directory. Use LS to list it.", is_error=True, summary="directory")
        try:
            size = path.stat().st_size
            with open(path, "rb") as fh:
                head = fh.read(BINARY_SNIFF)
        except OSError as exc:
            return ToolResult(f"Cannot read {path}: {exc.strerror}", is_error=True, summary="unreadable")
        if looks_binary(path, head):
            return ToolResult(
                f"{path} is a binary file ({size:,} bytes); Read shows text files only.",
                is_error=True,
                summary="binary",
            )
        partial = params.offset is not None or params.limit is not None
        if size > MAX_WHOLE_FILE_BYTES and not partial:
            return ToolResult(
                f"File content ({size // 1024} KB) exceeds the maximum that can be read at once "
                f"({MAX_WHOLE_FILE_BYTES // 1024} KB). Use offset and limit to read part of it, "
                "or Grep to search it.",
                is_error=True,
                summary="too large",
            )
        start = params.offset or 1
        limit = params.limit or DEFAULT_LIMIT
        if size <= MAX_WHOLE_FILE_BYTES:
            data = path.read_bytes()
            ctx.files.record(path, data)
            # Lines end at "\n" only (as in cat -n and Grep); str.splitlines would also break at
            # form feeds and other separators and the numbers would disagree with the file's.
            text = decode(data)
            all_lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
            if text.endswith("\n") or text == "":
                all_lines.pop()
            total = len(all_lines)
            lines = all_lines[start - 1 : start - 1 + limit]
        else:
            # Stream the wanted window out of a large file without loading it.
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = [ln.rstrip("\r\n") for ln in islice(fh, start - 1, start - 1 + limit)]
            total = None
            if size <= MAX_EDITABLE_BYTES:
                ctx.files.record(path, path.read_bytes())
        if total == 0:
            return ToolResult(f"(the file {shown} exists but is empty)", summary="empty")
        if not lines:
            return ToolResult(
                f"(no lines at offset {start}: the file has {total} lines)" if total is not None
                else f"(no lines at offset {start})",
                summary="0 lines",
            )
        cut = [ln if len(ln) <= MAX_LINE_CHARS else ln[:MAX_LINE_CHARS] + "… [line truncated]" for ln in lines]
        text = numbered(cut, start)
        end = start + len(lines) - 1
        if total is not None and end < total:
            text += f"\n\n(showing lines {start}-{end} of {total}; use offset to read more)"
        return ToolResult(text, summary=f"{len(lines)} lines")

    def summary(self, params: Any) -> str:
        return params.file_path
