"""Writing a conversation out as Markdown (to read) or JSON (to process)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from claw_tui.providers.base import Message, TextBlock, ThinkingBlock, ToolResultBlock, ToolUseBlock


def conversation_markdown(messages: list[Message], *, title: str = "claw conversation") -> str:
    out = [f"# {title}", ""]
    for msg in messages:
        for block in msg.content:
            if isinstance(block, TextBlock) and block.text.strip():
                who = "User" if msg.role == "user" else "Assistant"
                out += [f"## {who}", "", block.text.rstrip(), ""]
            elif isinstance(block, ThinkingBlock) and block.thinking:
                quoted = "\n".join("> " + line for line in block.thinking.splitlines())
                out += ["<details><summary>Thinking</summary>", "", quoted, "", "</details>", ""]
            elif isinstance(block, ToolUseBlock):
                args = json.dumps(block.input, indent=2, ensure_ascii=False)
                out += [f"### Tool call: {block.name}", "", "```json", args, "```", ""]
            elif isinstance(block, ToolResultBlock):
                label = "Tool error" if block.is_error else "Tool result"
                body = block.content if isinstance(block.content, str) else json.dumps(block.content)
                fence = "````" if "```" in body else "```"
                out += [f"### {label}", "", fence, body.rstrip(), fence, ""]
    return "\n".join(out).rstrip() + "\n"


def conversation_json(messages: list[Message], meta: dict[str, Any]) -> str:
    return json.dumps({**meta, "messages": [m.to_dict() for m in messages]}, indent=2, ensure_ascii=False)


def export_conversation(session: Any, target: str = "") -> Path:
    """Write the session's conversation; ``target`` ending in .json gives JSON, else Markdown."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(target).expanduser() if target else Path(f"claw-conversation-{stamp}.md")
    if not path.is_absolute():
        path = Path(session.workspace) / path
    messages = session.agent.messages
    if path.suffix.lower() == ".json":
        meta = {"session_id": session.id, "model": session.model, "exported_at": dt.datetime.now().isoformat(),
                "total_cost_usd": session.ledger.total_cost}
        text = conversation_json(messages, meta)
    else:
        text = conversation_markdown(messages, title=f"claw conversation {session.id}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Secrets never leave the process in a file claw writes (claw_tui/redact.py).
    from claw_tui.redact import redact

    path.write_text(redact(text), encoding="utf-8")
    return path
