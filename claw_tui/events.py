"""The vocabulary of the bus: small frozen events.

Every event carries ``agent_id``: the main agent and its sub-agents share one
stream and each subscriber filters what it shows. Events are keyword-only so
subclasses can add required fields freely.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from claw_tui.providers.base import Message, Usage

MAIN_AGENT = "main"


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    agent_id: str = MAIN_AGENT
    ts: float = field(default_factory=time.time)


# -- session and turns ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionStarted(Event):
    session_id: str
    cwd: str
    model: str
    provider: str
    tools: tuple[str, ...]
    permission_mode: str


@dataclass(frozen=True, kw_only=True, slots=True)
class UserPromptSubmitted(Event):
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelRequestStarted(Event):
    """A request to the model is about to go out (attempt counts retries)."""

    model: str
    turn: int
    attempt: int = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class TextDelta(Event):
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ThinkingDelta(Event):
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamDiscarded(Event):
    """The partial answer streamed so far is void (the stream failed and will be retried)."""

    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AssistantMessageCompleted(Event):
    message: Message
    stop_reason: str | None
    model: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolResultsSent(Event):
    """The user-role message that answers every tool_use of the last assistant message."""

    message: Message


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryScheduled(Event):
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TurnFinished(Event):
    """A user turn ended: the model stopped, a limit was hit, it failed or was interrupted."""

    outcome: Literal["success", "max_turns", "max_budget", "error", "interrupted"]
    result: str
    num_turns: int
    error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Notice(Event):
    """Something a person should know that is not part of the conversation."""

    level: Literal["info", "warning", "error"]
    text: str


# -- tools ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolCallStarted(Event):
    call_id: str
    tool: str
    input: dict[str, Any]
    summary: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolOutputDelta(Event):
    """Live output of a running tool (a shell command's lines)."""

    call_id: str
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolCallFinished(Event):
    call_id: str
    tool: str
    content: str
    is_error: bool
    duration_s: float
    summary: str
    display: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FileChanged(Event):
    """A file in the workspace changed. ``by`` says whether the agent did it."""

    path: str
    by: Literal["agent", "external"]
    before: str | None
    after: str | None
    call_id: str | None = None
    tool: str | None = None


# -- permissions ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class ApprovalRequested(Event):
    """A tool call waits for a decision. Whoever answers resolves ``future``.

    The engine awaits the future and never learns who answered: the UI, the
    headless policy or a test.
    """

    request_id: str
    call_id: str
    tool: str
    input: dict[str, Any]
    description: str
    agent_name: str
    future: asyncio.Future[ApprovalDecision]
    # What will happen, for the prompt to draw: {"kind": "diff", "path", "before", "after"},
    # {"kind": "command", "command", "cwd"}, {"kind": "url", "url"}; None: show the input.
    preview: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ApprovalDecision:
    allow: bool
    scope: Literal["once", "session", "always"] = "once"
    message: str | None = None
    decided_by: str = "user"
    # Deny and end the turn: the person wants to tell the model what to do instead.
    stop_turn: bool = False
    # Hunk-by-hunk approval of a file change: the file content to write instead of the
    # proposed one (only the approved hunks applied), and the refused hunks as diff text.
    content: str | None = None
    refused_hunks: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalResolved(Event):
    request_id: str
    allow: bool
    scope: str
    decided_by: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PermissionDecided(Event):
    """The policy's verdict on one tool call (what the audit log records)."""

    call_id: str
    tool: str
    behavior: Literal["allow", "deny"]
    reason: str
    rule: str | None
    decided_by: str
    mode: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PermissionModeChanged(Event):
    mode: str
    previous: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelChanged(Event):
    model: str
    provider: str
    previous: str


# -- cost ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class UsageUpdated(Event):
    """One model response's usage, and the running totals it led to."""

    model: str
    usage: Usage
    cost_usd: float
    agent_cost_usd: float
    session_cost_usd: float
    context_tokens: int
    context_window: int | None


# -- agents (the swarm) --------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentSpawned(Event):
    parent_id: str | None
    name: str
    task: str
    model: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentStateChanged(Event):
    state: Literal["running", "tool", "waiting_approval", "done", "failed", "cancelled"]
    detail: str = ""
