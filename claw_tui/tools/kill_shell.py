"""KillShell: end a background shell of this session and everything it started."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from claw_tui.tools.background import BackgroundShell, describe_exit
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult


class KillShellInput(ToolInput):
    shell_id: str = Field(description="The ID of the background shell to kill")


class KillShellTool(Tool):
    name = "KillShell"
    # It ends processes: not read-only, so the permission policy decides like any command.
    category = "execute"
    Input = KillShellInput
    description = (
        "- Kills a running background bash shell by its ID, with every process it started\n"
        "- Takes a shell_id parameter identifying the shell to kill (from Bash with run_in_background)\n"
        "- Returns a success or failure status\n"
        "- Use this tool when you need to terminate a long-running shell"
    )

    def summary(self, params: Any) -> str:
        return params.shell_id

    def paths(self, params: Any, ctx: ToolContext) -> list:
        return []

    def approval_description(self, params: KillShellInput, ctx: ToolContext) -> str:
        shell = ctx.background.get(params.shell_id) if ctx.background is not None else None
        if shell is None:
            return f"KillShell: {params.shell_id} (no such background shell)"
        return f"Kill background shell {shell.id}: $ {shell.command}"

    async def run(self, params: KillShellInput, ctx: ToolContext) -> ToolResult:
        shells = ctx.background
        if shells is None:
            return ToolResult("Background shells are not available here.", is_error=True, summary="unavailable")
        shell = shells.lookup(params.shell_id)
        if isinstance(shell, str):
            return ToolResult(shell, is_error=True, summary="unknown shell")
        if not shell.running:
            leftovers = shell.pipes_open
            await shells.kill(shell)  # ends what it left running, if anything
            more = " Processes it had left running were killed." if leftovers else ""
            return ToolResult(
                f"Shell {shell.id} is not running: it already {_finished(shell)}.{more}",
                is_error=not leftovers,
                summary=f"already {shell.status}",
            )
        await shells.kill(shell)
        if shell.status == "killed":
            return ToolResult(
                f"Killed shell {shell.id} ({shell.command}).",
                summary="killed",
            )
        if not shell.running:
            # It finished on its own just before the signal.
            return ToolResult(
                f"Shell {shell.id} {_finished(shell)} before it could be killed.",
                summary=shell.status,
            )
        return ToolResult(
            f"Could not confirm that shell {shell.id} (pid {shell.pid}) has ended after SIGTERM and SIGKILL.",
            is_error=True,
            summary="kill unconfirmed",
        )


def _finished(shell: BackgroundShell) -> str:
    verb = {"completed": "completed", "failed": "failed", "killed": "was killed"}.get(shell.status, shell.status)
    return f"{verb} ({describe_exit(shell.exit_code)})"
