"""Glob: find files by name pattern, newest first."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from pydantic import Field
from wcmatch import glob as wc

from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult
from claw_tui.tools.walk import walk_files

MAX_RESULTS = 100
GLOB_FLAGS = wc.GLOBSTAR | wc.BRACE | wc.DOTGLOB | wc.NEGATE


class GlobInput(ToolInput):
    pattern: str = Field(description='The glob pattern to match files against, e.g. "**/*.py" or "src/**/*.{ts,tsx}"')
    path: str | None = Field(
        default=None,
        description="The directory to search in. Omit it to search the current working directory.",
    )


def split_absolute(pattern: str) -> tuple[str | None, str]:
    """'/repo/src/**/*.py' → ('/repo/src', '**/*.py'): the literal prefix becomes the base."""
    if not pattern.startswith("/"):
        return None, pattern
    parts = pattern.split("/")
    for i, part in enumerate(parts):
        if any(c in part for c in "*?[{"):
            return "/".join(parts[:i]) or "/", "/".join(parts[i:])
    return os.path.dirname(pattern) or "/", os.path.basename(pattern)


def mtime_key(p: Path) -> tuple[float, str]:
    try:
        return (-p.stat().st_mtime, str(p))
    except OSError:
        return (0.0, str(p))


class GlobTool(Tool):
    name = "Glob"
    category = "read"
    read_only = True
    Input = GlobInput
    description = (
        "Fast file pattern matching for any codebase size.\n"
        '- Supports glob patterns like "**/*.js" or "src/**/*.ts" (and braces: "*.{ts,tsx}").\n'
        "- Returns matching file paths sorted by modification time, newest first.\n"
        "- Files ignored by .gitignore are left out."
    )

    def summary(self, params: Any) -> str:
        return params.pattern + (f" in {params.path}" if params.path else "")

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        # An absolute pattern searches where it says ('/home/u/.ssh/*'), not the cwd: that is
        # the directory the permission check must see.
        base_from_pattern, _ = split_absolute(params.pattern)
        if base_from_pattern:
            return [ctx.resolve(base_from_pattern)]
        return super().paths(params, ctx)

    async def run(self, params: GlobInput, ctx: ToolContext) -> ToolResult:
        # File system work runs in a thread: a big tree must not freeze the event loop.
        return await asyncio.to_thread(self._run, params, ctx)

    def _run(self, params: GlobInput, ctx: ToolContext) -> ToolResult:
        base_from_pattern, pattern = split_absolute(params.pattern)
        base = ctx.resolve(params.path) if params.path else Path(ctx.cwd)
        if base_from_pattern:
            base = Path(base_from_pattern)
        if not base.is_dir():
            return ToolResult(f"Directory does not exist: {base}", is_error=True, summary="no such directory")
        matches = [p for p in walk_files(base) if wc.globmatch(p.relative_to(base).as_posix(), pattern, flags=GLOB_FLAGS)]
        if ctx.read_denied is not None:  # files Read deny rules cover are never listed
            matches = [p for p in matches if not ctx.read_denied(p)]
        matches.sort(key=mtime_key)
        if not matches:
            return ToolResult("No files found", summary="0 files")
        shown = matches[:MAX_RESULTS]
        lines = [ctx.display_path(p) for p in shown]
        if len(matches) > MAX_RESULTS:
            lines.append(
                f"(Results are truncated: showing {MAX_RESULTS} of {len(matches)}. "
                "Use a more specific path or pattern.)"
            )
        return ToolResult("\n".join(lines), summary=f"{len(matches)} files")
