"""The MCP client: servers from Claude Code's ``mcpServers`` configuration, every
transport (stdio, SSE, streamable HTTP, WebSocket, in-process), their tools as
``mcp__<server>__<tool>``, resources, prompts, OAuth and the servers' lifecycle.

Importing this package is cheap: the mcp SDK (~0.7 s) is imported only when a
server is actually started.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# What both providers accept as a tool name.
MAX_TOOL_NAME = 64


def normalize_name(name: str) -> str:
    """A server or tool name with every character outside ``[A-Za-z0-9_-]`` replaced by ``_``."""
    return _UNSAFE.sub("_", name)


def mcp_tool_name(server: str, tool: str) -> str:
    """``mcp__<server>__<tool>`` as the model sees it (and as permission rules name it).

    Longer than the providers allow, it is cut and ends in a short hash of the full
    name, so two long names stay distinct."""
    full = f"mcp__{normalize_name(server)}__{normalize_name(tool)}"
    if len(full) <= MAX_TOOL_NAME:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[: MAX_TOOL_NAME - 9]}_{digest}"
