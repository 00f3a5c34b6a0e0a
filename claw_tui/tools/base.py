"""What every tool is: a name, a pydantic input model (its JSON schema), a
permission category, and a run method that returns what the model and the UI see.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from claw_tui.events import Event, FileChanged, ToolOutputDelta
from claw_tui.providers.base import ToolSpec

if TYPE_CHECKING:
    from claw_tui.bus import EventBus
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
        clone = ToolContext(
            workspace=self.workspace,
            bus=self.bus,
            files=self.files,
            shell=self.shell,
            agent_id=self.agent_id,
            agent_name=self.agent_name,
            call_id=call_id,
            extra_dirs=self.extra_dirs,
            processes=self.processes,
        )
        return clone


def _clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's titles: they cost tokens and tell the model nothing."""
    if isinstance(schema, dict):
        return {k: _clean_schema(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_clean_schema(v) for v in schema]  # type: ignore[return-value]
    return schema


class Tool(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    Input: ClassVar[type[ToolInput]]
    category: ClassVar[Category]
    # Read-only tools may run concurrently and are allowed without asking by default.
    read_only: ClassVar[bool] = False

    def spec(self) -> ToolSpec:
        schema = _clean_schema(self.Input.model_json_schema(by_alias=True))
        schema.pop("description", None)
        return ToolSpec(self.name, self.description, schema)

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

    @abstractmethod
    async def run(self, params: Any, ctx: ToolContext) -> ToolResult: ...
