"""The set of tools an agent may call."""

from __future__ import annotations

from collections.abc import Iterable

from claw_tui.providers.base import ToolSpec
from claw_tui.tools.base import Tool
from claw_tui.tools.bash import BashTool
from claw_tui.tools.edit import EditTool
from claw_tui.tools.glob import GlobTool
from claw_tui.tools.grep import GrepTool
from claw_tui.tools.ls import LSTool
from claw_tui.tools.read import ReadTool
from claw_tui.tools.write import WriteTool


def core_tools() -> list[Tool]:
    return [BashTool(), GlobTool(), GrepTool(), LSTool(), ReadTool(), EditTool(), WriteTool()]


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"two tools are named {tool.name!r}")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def __iter__(self):
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def specs(self) -> list[ToolSpec]:
        return [t.spec() for t in self._tools.values()]

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        wanted = set(names)
        return ToolRegistry(t for t in self._tools.values() if t.name in wanted)

    def without(self, names: Iterable[str]) -> ToolRegistry:
        unwanted = set(names)
        return ToolRegistry(t for t in self._tools.values() if t.name not in unwanted)


def default_registry() -> ToolRegistry:
    return ToolRegistry(core_tools())
