"""A stored conversation drawn again: provider-neutral messages → conversation entries.

The entries are the same data the conversation pane keeps for the widgets it has
unmounted (see ``ConversationView``), so a resumed 2,000-message session mounts
only its most recent entries and keeps the rest as data until asked for.
"""

from __future__ import annotations

import time
from typing import Any

from claw_tui.engine.compaction import SUMMARY_INTRO, is_summary_message
from claw_tui.engine.store import INTERRUPTED_BY_STOP, TURN_CUT_SHORT
from claw_tui.providers.base import Message, TextBlock, ToolResultBlock, ToolUseBlock
from claw_tui.ui.widgets.conversation import ToolCallData

Entry = tuple[str, Any]


def _summary(tools: Any, name: str, raw: dict[str, Any]) -> str:
    tool = tools.get(name) if tools is not None else None
    if tool is not None:
        try:
            return tool.summary(tool.parse(raw))
        except Exception:  # an input the tool no longer accepts: fall back to the key argument
            pass
    for key in ("file_path", "command", "pattern", "path", "url", "query", "description"):
        value = raw.get(key)
        if value:
            return str(value)
    return ""


def history_entries(messages: list[Message], tools: Any = None) -> list[Entry]:
    from claw_tui.engine.agent import INTERRUPTED_PROMPT

    entries: list[Entry] = []
    calls: dict[str, ToolCallData] = {}
    now = time.monotonic()
    for msg in messages:
        if is_summary_message(msg):
            summary = msg.text[len(SUMMARY_INTRO):].strip()
            entries.append(("compaction", summary))
            continue
        for block in msg.content:
            if isinstance(block, TextBlock):
                text = block.text
                if not text.strip():
                    continue
                if msg.role == "user":
                    if text in (INTERRUPTED_PROMPT, TURN_CUT_SHORT):
                        entries.append(("notice", ("Interrupted.", "warning")))
                    else:
                        entries.append(("user", text))
                else:
                    entries.append(("assistant", text))
            elif isinstance(block, ToolUseBlock):
                data = ToolCallData(block.id, block.name, _summary(tools, block.name, block.input), block.input, now)
                calls[block.id] = data
                entries.append(("tool", data))
            elif isinstance(block, ToolResultBlock):
                data = calls.get(block.tool_use_id)
                if data is None:
                    continue
                data.content = block.content
                data.is_error = block.is_error
                if block.content == INTERRUPTED_BY_STOP:
                    data.result_summary = "interrupted when claw stopped; not run again"
    # A call with no result (should not happen after repair) must not spin forever.
    for data in calls.values():
        if data.content is None:
            data.content = ""
            data.result_summary = "no result"
    return entries
