"""Diagnostics after an edit: the engine calls :func:`with_edit_diagnostics` on the
result of every edit tool (Edit, Write, MultiEdit, …), and when the edited file has
a language server the errors and warnings it now reports are appended for the model.

It never fails an edit and never holds one up for long (see
LspManager.diagnostics_after_edit for the time limits).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path
from typing import Any

from claw_tui.tools.base import Tool, ToolContext, ToolResult

log = logging.getLogger(__name__)

HEADING = "Diagnostics after this edit:"
# An edit names one file (MultiEdit too); a tool that names more gets the first few checked.
MAX_FILES = 3


async def with_edit_diagnostics(tool: Tool, params: Any, ctx: ToolContext, result: ToolResult) -> ToolResult:
    """``result``, with the edited file's diagnostics appended when there are any."""
    manager = ctx.lsp
    if manager is None or result.is_error or tool.category != "edit":
        return result
    try:
        paths = [p for p in tool.paths(params, ctx)[:MAX_FILES] if manager.has_server_for(p)]
        sections: list[tuple[Path, list[str]]] = []
        for path in paths:
            if not path.is_file():
                continue
            lines = await manager.diagnostics_after_edit(path)  # the file as the edit left it
            if lines:
                sections.append((path, lines))
    except asyncio.CancelledError:
        raise
    except Exception:  # diagnostics are a bonus: a failure here must not fail the edit
        log.exception("diagnostics after %s failed", tool.name)
        return result
    if not sections:
        return result
    if len(sections) == 1:
        body = "\n".join(sections[0][1])
    else:
        body = "\n".join(f"{ctx.display_path(p)}:\n" + "\n".join(f"  {ln}" for ln in lines)
                         for p, lines in sections)
    return dataclasses.replace(result, content=f"{result.content}\n\n{HEADING}\n{body}")
