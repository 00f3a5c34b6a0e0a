"""The set of tools an agent may call."""

from __future__ import annotations

from collections.abc import Iterable

from claw_tui.providers.base import ToolSpec
from claw_tui.tools.base import Tool
from claw_tui.tools.bash import BashTool
from claw_tui.tools.bash_output import BashOutputTool
from claw_tui.tools.edit import EditTool
from claw_tui.tools.git_blame import GitBlameTool
from claw_tui.tools.git_commit import GitCommitTool
from claw_tui.tools.git_diff import GitDiffTool
from claw_tui.tools.git_log import GitLogTool
from claw_tui.tools.git_show import GitShowTool
from claw_tui.tools.git_status import GitStatusTool
from claw_tui.tools.glob import GlobTool
from claw_tui.tools.grep import GrepTool
from claw_tui.tools.kill_shell import KillShellTool
from claw_tui.tools.ls import LSTool
from claw_tui.tools.lsp import LSPTool
from claw_tui.tools.multiedit import MultiEditTool
from claw_tui.tools.notebook_edit import NotebookEditTool
from claw_tui.tools.notebook_read import NotebookReadTool
from claw_tui.tools.read import ReadTool
from claw_tui.tools.sleep import SleepTool
from claw_tui.tools.todowrite import TodoWriteTool
from claw_tui.tools.webfetch import WebFetchTool
from claw_tui.tools.websearch import WebSearchTool
from claw_tui.tools.write import WriteTool


def core_tools() -> list[Tool]:
    return [BashTool(), GlobTool(), GrepTool(), LSTool(), ReadTool(), EditTool(), WriteTool(),
            BashOutputTool(), KillShellTool(), WebFetchTool(), WebSearchTool(),
            MultiEditTool(), NotebookReadTool(), NotebookEditTool(), SleepTool(), TodoWriteTool(),
            LSPTool(),
            GitStatusTool(), GitDiffTool(), GitLogTool(), GitShowTool(), GitBlameTool(), GitCommitTool()]


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool], *, _spec_cache: dict[int, tuple[Tool, ToolSpec]] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        # Each tool's schema, built once and shared with subsets (sub-agents' registries):
        # thirty schemas cost ~15 ms, which every agent's every model request would pay again.
        # (Keyed by id: a plugin's tool need not be hashable; the tool is kept to check it is the same.)
        self._spec_cache: dict[int, tuple[Tool, ToolSpec]] = _spec_cache if _spec_cache is not None else {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"two tools are named {tool.name!r}")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def remove(self, name: str) -> None:
        """Take a tool out (an MCP server's tools change while the session runs)."""
        self._tools.pop(name, None)

    def names(self) -> list[str]:
        return list(self._tools)

    def __iter__(self):
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def specs(self) -> list[ToolSpec]:
        cache = self._spec_cache
        out = []
        for tool in self._tools.values():
            hit = cache.get(id(tool))
            if hit is None or hit[0] is not tool:
                hit = cache[id(tool)] = (tool, tool.spec())
            out.append(hit[1])
        return out

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        wanted = set(names)
        return ToolRegistry((t for t in self._tools.values() if t.name in wanted), _spec_cache=self._spec_cache)

    def without(self, names: Iterable[str]) -> ToolRegistry:
        unwanted = set(names)
        return ToolRegistry((t for t in self._tools.values() if t.name not in unwanted),
                            _spec_cache=self._spec_cache)


def interaction_tools() -> list[Tool]:
    """Tools that talk to the person or coordinate agents rather than touch the workspace.

    (Agent itself needs the session's sub-agent types; the Session adds it.)"""
    from claw_tui.tools.ask_user import AskUserQuestionTool
    from claw_tui.tools.plan_mode import EnterPlanModeTool, ExitPlanModeTool
    from claw_tui.tools.scratchpad import ScratchpadTool

    return [AskUserQuestionTool(), EnterPlanModeTool(), ExitPlanModeTool(), ScratchpadTool()]


def default_registry() -> ToolRegistry:
    return ToolRegistry([*core_tools(), *interaction_tools()])
