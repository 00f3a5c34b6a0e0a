"""What every tool is: a name, a pydantic input model (its JSON schema), a
permission category, and a run method that returns what the model and the UI see.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from claw_tui.events import Event, FileChanged, ToolOutputDelta
from claw_tui.providers.base import ToolSpec

if TYPE_CHECKING:
    from claw_tui.bus import EventBus
    from claw_tui.lsp.manager import LspManager
    from claw_tui.permissions.sandbox import Sandbox
    from claw_tui.tools.background import BackgroundShells
    from claw_tui.tools.filestate import FileStateRegistry

Category = Literal["read", "edit", "execute", "network", "mcp", "agent", "other"]


class ToolInput(BaseModel):
    """Base of every tool's input model: unknown fields are an error the model sees."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


@dataclass(slots=True)
class ToolResult:
    content: str
    is_error: bool = False
    # What the UI should draw besides the text: {"kind": "diff", "path", "before", "after"},
    # {"kind": "table", ...}. None means plain text.
    display: dict[str, Any] | None = None
    summary: str = ""


class ToolError(Exception):
    """A tool refused or failed in a way the model should read and can fix."""


@dataclass
class ShellState:
    """State that persists between Bash calls of one agent."""

    cwd: str


class ModelClient(Protocol):
    """The session's model, for tools that need one of their own (WebFetch, WebSearch).

    Session provides it (engine/model_client.py); it follows /model switches.
    """

    @property
    def provider_name(self) -> str: ...

    @property
    def model(self) -> str: ...

    def connection(self) -> tuple[str | None, str | None]:
        """(api_key, base_url) of the session's provider, for a one-shot SDK request."""
        ...

    async def complete(self, prompt: str, *, small: bool = True, system: str = "", agent_id: str = "main",
                       max_tokens: int = 4096) -> str:
        """One answer to ``prompt``; ``small`` picks the provider's small, fast model.

        Raises ProviderError when the call fails."""
        ...

    def record_usage(self, agent_id: str, model: str, usage: Any) -> None:
        """Count a tool's own model request in the session's cost."""
        ...


@dataclass
class PermissionModes:
    """The session's permission mode, for the tools that switch it (EnterPlanMode, ExitPlanMode).

    Callbacks into the Session, so a switch publishes PermissionModeChanged like any other.
    """

    get: Callable[[], str]
    set: Callable[[str], None]
    # The mode to go back to when plan mode ends (the one before it, or "default").
    before_plan: Callable[[], str]


class SubAgentSpawner(Protocol):
    """What the Agent tool needs from the session's sub-agent machinery (engine/subagents.py)."""

    max_depth: int

    def type_names(self) -> list[str]: ...

    async def run_subagent(self, *, parent: ToolContext, description: str, prompt: str, subagent_type: str,
                           model: str | None) -> ToolResult: ...


@dataclass
class ToolContext:
    workspace: Path
    bus: EventBus
    files: FileStateRegistry
    shell: ShellState
    agent_id: str = "main"
    agent_name: str = "main"
    call_id: str = ""
    extra_dirs: tuple[Path, ...] = ()
    # Processes started by tools of this agent, so interrupting can kill them.
    processes: set[Any] = field(default_factory=set)
    # The session's background shells (Bash run_in_background, BashOutput, KillShell);
    # shared by every agent of the session, killed when it closes. None: not available.
    background: BackgroundShells | None = None
    # The session's model for tools that ask one themselves; None outside a session.
    model_client: ModelClient | None = None
    # This agent's task list (TodoWrite), a list of {content, status, activeForm[, id]}.
    # Shared by reference with every per-call clone, so it is replaced in place.
    todos: list[dict[str, Any]] = field(default_factory=list)
    # Sub-agents (engine/subagents.py): how deep this agent is (the main agent is 0), the
    # session's spawner the Agent tool asks, and the swarm's shared Scratchpad store.
    depth: int = 0
    subagents: SubAgentSpawner | None = None
    scratchpad: Any = None
    # The session's permission mode as EnterPlanMode / ExitPlanMode see and switch it.
    modes: PermissionModes | None = None
    # The session's language servers (claw_tui.lsp.LspManager): the LSP tool, and
    # diagnostics after edits. None: no language servers here.
    lsp: LspManager | None = None
    # The session's Bash sandbox (claw_tui.permissions.sandbox.Sandbox), built from the merged
    # ``sandbox`` settings. None: commands run unsandboxed (contexts outside a session).
    sandbox: Sandbox | None = None
    # The permission policy's read-deny filter (PermissionPolicy.read_denied): tools that list
    # or search many files (Grep, Glob, LS) leave out every file for which it says True, so a
    # file Read deny rules cover never shows up in their output. None: no filter.
    read_denied: Callable[[Path], bool] | None = None

    @property
    def cwd(self) -> str:
        return self.shell.cwd

    def resolve(self, path: str) -> Path:
        """An absolute, normalised path: ``~`` expanded, relative to the shell's cwd."""
        p = Path(os.path.expanduser(path))
        if not p.is_absolute():
            p = Path(self.shell.cwd) / p
        return Path(os.path.normpath(p))

    def display_path(self, path: Path | str) -> str:
        """A path as the model should see it: relative to cwd when inside it."""
        p = str(path)
        cwd = self.shell.cwd.rstrip(os.sep) + os.sep
        return p[len(cwd) :] if p.startswith(cwd) else p

    def publish(self, event: Event) -> None:
        self.bus.publish(event)

    def output(self, text: str) -> None:
        self.bus.publish(ToolOutputDelta(agent_id=self.agent_id, call_id=self.call_id, text=text))

    def file_changed(self, path: Path, before: str | None, after: str | None, tool: str) -> None:
        self.bus.publish(
            FileChanged(
                agent_id=self.agent_id,
                path=str(path),
                by="agent",
                before=before,
                after=after,
                call_id=self.call_id,
                tool=tool,
            )
        )

    def for_call(self, call_id: str) -> ToolContext:
        """The same context, naming one tool call (tools run concurrently)."""
        # Every other field is shared by reference (shell, processes, todos, …).
        return dataclasses.replace(self, call_id=call_id)


def _clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's titles: they cost tokens and tell the model nothing."""
    if isinstance(schema, dict):
        return {k: _clean_schema(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_clean_schema(v) for v in schema]  # type: ignore[return-value]
    return schema


_SCHEMAS: dict[type, dict[str, Any]] = {}


def input_schema(model: type[ToolInput]) -> dict[str, Any]:
    """The JSON schema the model sees for an input model, built once per model class
    (pydantic takes ~0.5 ms a tool to build it, and every session and sub-agent asks)."""
    schema = _SCHEMAS.get(model)
    if schema is None:
        schema = _clean_schema(_inline_refs(model.model_json_schema(by_alias=True)))
        schema.pop("description", None)
        _SCHEMAS[model] = schema
    return copy.deepcopy(schema)


class _RecursiveSchema(Exception):
    pass


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Put nested models (pydantic's ``$defs``) in place: models are trained on tool schemas
    written out in full (MultiEdit's edits, TodoWrite's todos), and some endpoints reject $ref.
    A recursive model cannot be written out and keeps its $defs."""
    defs = schema.get("$defs")
    if not defs:
        return schema

    def inline(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(v, seen) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name in seen or name not in defs:
                raise _RecursiveSchema(name)
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**inline(defs[name], (*seen, name)), **inline(rest, seen)}
        return {k: inline(v, seen) for k, v in node.items() if k != "$defs"}

    try:
        return inline(schema, ())
    except _RecursiveSchema:
        return schema


class Tool(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    Input: ClassVar[type[ToolInput]]
    category: ClassVar[Category]
    # Read-only tools may run concurrently and are allowed without asking by default.
    read_only: ClassVar[bool] = False
    # Calls of a parallel tool run concurrently with the read-only and parallel calls next
    # to them in one answer, though the tool is not read-only (Agent: sub-agents side by side).
    parallel: ClassVar[bool] = False

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, input_schema(self.Input))

    def parse(self, raw: dict[str, Any]) -> ToolInput:
        return self.Input.model_validate(raw)

    def summary(self, params: Any) -> str:
        """The key argument, for a one-line display of the call."""
        for key in ("file_path", "command", "pattern", "path", "url", "query"):
            value = getattr(params, key, None)
            if value:
                return str(value)
        return ""

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        """Files this call reads or writes, for permission checks."""
        value = getattr(params, "file_path", None) or getattr(params, "path", None)
        if value:
            return [ctx.resolve(value)]
        # A read tool given no path (Grep, Glob) works on the shell's cwd.
        return [Path(ctx.cwd)] if self.category == "read" else []

    def preview(self, params: Any, ctx: ToolContext) -> dict[str, Any] | None:
        """What this call will do, as data the approval prompt draws (see ApprovalRequested)."""
        return None

    def approval_description(self, params: Any, ctx: ToolContext) -> str:
        """Exactly what will happen, for the person who approves it."""
        return f"{self.name}: {self.summary(params)}"

    def default_permission(self, params: Any, mode: str) -> Literal["allow", "ask"] | None:
        """This tool's own verdict when no permission rule matches; None: decide by the mode.

        "allow" is for tools that change nothing outside claw itself (Agent, whose sub-agents'
        calls are each checked; the scratchpad; questions); "ask" for a decision only a person
        can make in any mode (ExitPlanMode's plan).
        """
        return None

    def denied(self, params: Any, reason: str) -> ToolResult:
        """What the model is told when this call is refused."""
        return ToolResult(f"Permission to use {self.name} was denied: {reason}", is_error=True, summary="denied")

    @abstractmethod
    async def run(self, params: Any, ctx: ToolContext) -> ToolResult: ...
