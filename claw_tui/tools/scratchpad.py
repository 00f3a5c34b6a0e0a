"""Scratchpad: notes shared by the agents of one swarm (the main agent and its sub-agents).

Sub-agents cannot see each other's conversations; the scratchpad is where they leave
findings for their siblings and their parent. It lives in memory for the session and
touches nothing on disk, so it is never asked about and its calls run concurrently.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import Field

from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

LIST_PREVIEW_CHARS = 80


class ScratchpadInput(ToolInput):
    operation: Literal["write", "read", "list"] = Field(
        description="write: store content under key (replacing what was there); read: get one note; "
                    "list: every key with its author and size")
    key: str | None = Field(default=None, description="The note's key (for write and read), e.g. 'api-endpoints'")
    content: str | None = Field(default=None, description="The text to store (for write)")


class ScratchpadTool(Tool):
    name = "Scratchpad"
    description = (
        "A scratchpad shared by every agent of this swarm: you, the agent that started you and the other "
        "sub-agents. Use it to hand findings between agents working in parallel (write), to pick up what "
        "others found (read, list). Notes last for the session; write replaces a key's content."
    )
    Input = ScratchpadInput
    category = "other"
    # Synchronous in-memory operations: safe side by side with other calls.
    parallel = True

    def summary(self, params: Any) -> str:
        return f"{params.operation} {params.key or ''}".strip()

    def default_permission(self, params: Any, mode: str) -> Literal["allow", "ask"] | None:
        return "allow"

    async def run(self, params: ScratchpadInput, ctx: ToolContext) -> ToolResult:
        pad = ctx.scratchpad
        if pad is None:
            return ToolResult("There is no scratchpad here (no session).", is_error=True, summary="unavailable")
        if params.operation == "list":
            notes = pad.notes()
            if not notes:
                return ToolResult("The scratchpad is empty.", summary="empty")
            lines = [f"{len(notes)} note(s):"]
            for n in notes:
                first = n.content.strip().splitlines()[0] if n.content.strip() else ""
                if len(first) > LIST_PREVIEW_CHARS:
                    first = first[: LIST_PREVIEW_CHARS - 1] + "…"
                lines.append(f"- {n.key} (by {n.author}, {len(n.content)} chars, {_age(n.updated)}): {first}")
            return ToolResult("\n".join(lines), summary=f"{len(notes)} note(s)")
        if not params.key or not params.key.strip():
            return ToolResult(f"Scratchpad {params.operation} needs a key.", is_error=True, summary="no key")
        if params.operation == "read":
            note = pad.read(params.key)
            if note is None:
                keys = ", ".join(n.key for n in pad.notes()) or "none yet"
                return ToolResult(f"No note under {params.key!r}. Keys: {keys}.", is_error=True, summary="not found")
            return ToolResult(f"[{note.key}, written by {note.author} {_age(note.updated)}]\n{note.content}",
                              summary=f"read {note.key}")
        if params.content is None:
            return ToolResult("Scratchpad write needs content.", is_error=True, summary="no content")
        try:
            note = pad.write(params.key, params.content, ctx.agent_name)
        except ValueError as exc:
            return ToolResult(f"Not written: {exc}.", is_error=True, summary="refused")
        return ToolResult(f"Wrote {len(note.content)} chars under {note.key!r}; the other agents can read it now.",
                          summary=f"wrote {note.key}")


def _age(ts: float) -> str:
    seconds = max(0, int(time.time() - ts))
    if seconds < 60:
        return f"{seconds}s ago"
    return f"{seconds // 60}m ago"
