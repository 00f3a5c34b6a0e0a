"""LS: list a directory as a tree."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import Field
from wcmatch import glob as wc

from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult
from claw_tui.tools.walk import walk_files

MAX_ENTRIES = 1000


class LSInput(ToolInput):
    path: str = Field(description="The absolute path to the directory to list")
    ignore: list[str] | None = Field(default=None, description="List of glob patterns to ignore")


class LSTool(Tool):
    name = "LS"
    category = "read"
    read_only = True
    Input = LSInput
    description = (
        "Lists files and directories under a path as a tree (gitignored entries left out). "
        "Prefer Glob and Grep when you know what you are looking for."
    )

    def summary(self, params: Any) -> str:
        return params.path

    async def run(self, params: LSInput, ctx: ToolContext) -> ToolResult:
        # File system work runs in a thread: a big tree must not freeze the event loop.
        return await asyncio.to_thread(self._run, params, ctx)

    def _run(self, params: LSInput, ctx: ToolContext) -> ToolResult:
        root = ctx.resolve(params.path)
        if not root.exists():
            return ToolResult(f"Directory does not exist: {root}", is_error=True, summary="not found")
        if not root.is_dir():
            return ToolResult(f"{root} is a file, not a directory. Use Read.", is_error=True, summary="a file")
        ignore = params.ignore or []
        entries: list[tuple[Path, bool]] = []
        truncated = False
        skipped: list[Path] = []
        for p in walk_files(root, include_dirs=True):
            if skipped and any(d in p.parents for d in skipped):
                continue
            rel = p.relative_to(root).as_posix()
            if ignore and any(wc.globmatch(rel, pat, flags=wc.GLOBSTAR | wc.BRACE | wc.DOTGLOB) or
                              wc.globmatch(p.name, pat, flags=wc.BRACE | wc.DOTGLOB) for pat in ignore):
                if p.is_dir():
                    skipped.append(p)
                continue
            if ctx.read_denied is not None and ctx.read_denied(p):
                continue  # a file Read deny rules cover is not listed
            if len(entries) >= MAX_ENTRIES:
                truncated = True
                break
            entries.append((p, p.is_dir()))
        lines = [f"- {root}/"]
        for p, is_dir in entries:
            depth = len(p.relative_to(root).parts)
            lines.append("  " * depth + f"- {p.name}{'/' if is_dir else ''}")
        if truncated:
            lines.append(f"(More than {MAX_ENTRIES} entries: list a subdirectory or use Glob.)")
        files = sum(1 for _, d in entries if not d)
        return ToolResult("\n".join(lines), summary=f"{files} files")
