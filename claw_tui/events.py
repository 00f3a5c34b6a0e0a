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
    # MCP servers and their status when the session started: ((name, status), ...).
    mcp_servers: tuple[tuple[str, str], ...] = ()


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


@dataclass(frozen=True, kw_only=True, slots=True)
class McpServerStatusChanged(Event):
    """An MCP server's state changed (claw_tui/mcp/manager.py lists the states: connecting,
    connected, restarting, failed, awaiting approval, waiting for folder trust, …)."""

    server: str
    status: str
    scope: str  # cli | local | project | user | plugin
    transport: str  # stdio | sse | http | ws | sdk | claudeai-proxy
    error: str | None = None
    detail: str = ""
    tools: tuple[str, ...] = ()


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
class BackgroundShellStarted(Event):
    """``Bash(run_in_background=true)`` started a command that outlives the tool call."""

    shell_id: str
    command: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BackgroundShellFinished(Event):
    """A background shell ended. ``exit_code`` is negative when a signal ended it (-15: SIGTERM)."""

    shell_id: str
    status: Literal["completed", "failed", "killed"]
    exit_code: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class FileChanged(Event):
    """A file in the workspace changed. ``by`` says whether the agent did it."""

    path: str
    by: Literal["agent", "external"]
    before: str | None
    after: str | None
    call_id: str | None = None
    tool: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TodosUpdated(Event):
    """An agent's task list (TodoWrite) changed: the whole new list, in order.

    Each item is ``{"content", "status": "pending"|"in_progress"|"completed", "activeForm"}``
    and, when the model gave one, ``"id"``.
    """

    todos: tuple[dict[str, Any], ...]


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
    # Why the policy asks (a protected path, an ask rule, the mode), shown with the prompt.
    reason: str = ""


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


# -- questions to the person (AskUserQuestion) ---------------------------------


@dataclass(frozen=True, slots=True)
class QuestionOption:
    label: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """One multiple-choice question, in Claude Code's AskUserQuestion shape."""

    question: str
    header: str
    options: tuple[QuestionOption, ...]
    multi_select: bool = False


@dataclass(frozen=True, slots=True)
class QuestionAnswers:
    """The person's answers: question text → chosen label (several joined by ", "),
    or free text they typed instead. ``declined``: they would not answer."""

    answers: dict[str, str]
    declined: bool = False
    message: str | None = None
    answered_by: str = "user"


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class QuestionAsked(Event):
    """An agent asks the person questions. Whoever answers resolves ``future``
    (like :class:`ApprovalRequested`)."""

    request_id: str
    questions: tuple[Question, ...]
    future: asyncio.Future[QuestionAnswers]
    agent_name: str = "main"
    call_id: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class QuestionAnswered(Event):
    request_id: str
    declined: bool
    answered_by: str


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
    # The input decided on (a PreToolUse hook's rewrite, when there was one): the audit log's digest.
    input: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class HookRan(Event):
    """A hook command from the settings ran (claw_tui/permissions/hooks.py): what came of it.

    ``decision``: allow | deny | ask (PreToolUse), block (exit 2 or decision "block"),
    stop (continue: false), or None when it decided nothing.
    """

    hook_event: str  # PreToolUse, Stop, …
    command: str
    scope: str  # user | project | local
    outcome: Literal["ok", "blocked", "error", "timeout"]
    exit_code: int | None
    duration_s: float
    decision: str | None = None
    reason: str = ""
    call_id: str | None = None
    tool: str | None = None
    input_rewritten: bool = False


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
    # The parent's tool call that spawned it (Agent), and the sub-agent's type.
    call_id: str = ""
    agent_type: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentStateChanged(Event):
    state: Literal["running", "tool", "waiting_approval", "done", "failed", "cancelled"]
    detail: str = ""


# -- sessions, compaction and memory -------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionResumed(Event):
    """The session continues a stored one (claw -c, --resume, /resume) or a fork of one:
    the main agent's conversation, todos, mode and cost were restored from disk."""

    session_id: str
    messages: int
    forked_from: str | None = None
    # Tool calls that were running when claw stopped: answered as interrupted, not run again.
    interrupted_calls: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class CompactionStarted(Event):
    trigger: Literal["manual", "auto"]
    messages: int
    context_tokens: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ConversationCompacted(Event):
    """Older turns were folded into a summary; ``messages`` is the transcript now."""

    trigger: Literal["manual", "auto"]
    summary: str
    messages: tuple[Message, ...]
    summarised: int  # messages folded into the summary
    kept: int  # recent messages kept verbatim
    tokens_before: int
    tokens_after: int
    # The model could not summarise (``error`` says why): a deterministic summary was used.
    fallback: bool = False
    error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ConversationRewound(Event):
    """/rewind went back to the state before prompt ``seq``."""

    seq: int
    prompt: str
    at: int | None  # the transcript was cut to this many messages; None: conversation kept
    restored_files: tuple[str, ...] = ()
    failed_files: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ConversationCleared(Event):
    """/clear: the main agent's conversation starts fresh (files and costs stay)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MemoryProposed(Event):
    """Memory consolidation suggests a new version of a memory file, for the person to accept or reject."""

    path: str
    before: str | None
    after: str
    summary: str


@dataclass(frozen=True, kw_only=True, slots=True)
class MemoryUpdated(Event):
    """A memory file changed (``#`` note, /memory edit, accepted consolidation); the system prompt was rebuilt."""

    path: str
    how: Literal["added", "edited", "consolidated", "init"]
