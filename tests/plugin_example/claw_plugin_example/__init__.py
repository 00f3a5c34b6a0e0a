"""Example claw plugin tools.

WordCount reads a file (category "read", read-only: allowed inside the workspace
without asking); Shout runs a command (category "execute": the person is asked).
Both go through claw's permission policy and events like built-in tools.
"""

from __future__ import annotations

import asyncio

from pydantic import Field

from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult


class WordCountInput(ToolInput):
    file_path: str = Field(description="The absolute path of the file to count")


class WordCountTool(Tool):
    name = "WordCount"
    description = "Count the lines, words and characters of a text file."
    Input = WordCountInput
    category = "read"
    read_only = True

    async def run(self, params: WordCountInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(params.file_path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return ToolResult(f"Cannot read {params.file_path}: {exc}", is_error=True)
        lines, words = len(text.splitlines()), len(text.split())
        return ToolResult(f"{ctx.display_path(path)}: {lines} lines, {words} words, {len(text)} characters",
                          summary=f"{words} words")


class ShoutInput(ToolInput):
    text: str = Field(description="What to shout")


class ShoutTool(Tool):
    name = "Shout"
    description = "Shout a text: runs `echo` with the text in upper case."
    Input = ShoutInput
    category = "execute"

    def summary(self, params: ShoutInput) -> str:
        return params.text

    async def run(self, params: ShoutInput, ctx: ToolContext) -> ToolResult:
        proc = await asyncio.create_subprocess_exec("echo", params.text.upper(), stdout=asyncio.subprocess.PIPE,
                                                    cwd=ctx.cwd)
        out, _ = await proc.communicate()
        return ToolResult(out.decode().strip(), summary="shouted")


def make_tools() -> list[Tool]:
    return [ShoutTool()]
