"""Agent: hand a task to a sub-agent with its own conversation, and get its report back.

Input fields follow Claude Code's Agent (formerly Task) tool. Several Agent calls in
one answer run side by side (``parallel``). Spawning itself is allowed without asking:
every tool call the sub-agent makes passes the same permission policy on its own.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

DESCRIPTION = """\
Launch a new agent to handle a complex, multi-step task autonomously. The agent works in its \
own conversation with its own tools and returns a single final message (its report), which \
only you see: tell the user what matters from it.

Available agent types and the tools they have access to:
{types}

When using the Agent tool, specify a subagent_type to select which agent type to use.

Usage notes:
- Always include a short description (3-5 words) summarizing what the agent will do.
- Launch several agents concurrently when the work splits into independent parts: put several \
Agent calls in one message and they run in parallel.
- Each agent starts fresh and cannot see your conversation: write a detailed, self-contained prompt, \
and say whether it should change code or only research, and exactly what to report back.
- Agents of one swarm share notes through the Scratchpad tool (write, read, list).
- Do not use an agent for a simple lookup: Read, Glob or Grep a known path directly."""


class AgentInput(ToolInput):
    description: str = Field(description="A short (3-5 word) description of the task")
    prompt: str = Field(description="The task for the agent to perform")
    subagent_type: str = Field(description="The type of specialized agent to use for this task")
    model: str | None = Field(
        default=None,
        description="Optional model for this agent: an alias such as sonnet, opus or haiku, a model id, or "
                    "'inherit'. Without it the agent type's model is used, else yours.",
    )


class AgentTool(Tool):
    name = "Agent"
    description = DESCRIPTION.format(types="- general-purpose: every tool")
    Input = AgentInput
    category = "agent"
    parallel = True

    def __init__(self, types: str | None = None) -> None:
        if types is not None:
            self.description = DESCRIPTION.format(types=types)  # type: ignore[misc]

    def summary(self, params: Any) -> str:
        return f"{params.subagent_type}: {params.description}"

    def default_permission(self, params: Any, mode: str) -> Literal["allow", "ask"] | None:
        return "allow"

    async def run(self, params: AgentInput, ctx: ToolContext) -> ToolResult:
        spawner = ctx.subagents
        if spawner is None:
            return ToolResult("Sub-agents are not available here (no session to run them in).", is_error=True,
                              summary="unavailable")
        if not params.prompt.strip():
            return ToolResult("The prompt is empty: say what the agent should do.", is_error=True,
                              summary="empty prompt")
        return await spawner.run_subagent(parent=ctx, description=params.description, prompt=params.prompt,
                                          subagent_type=params.subagent_type.strip(), model=params.model)
