"""EnterPlanMode and ExitPlanMode: plan first, act once a person approves the plan.

EnterPlanMode switches the session to plan mode (read-only tools only). ExitPlanMode
presents the plan through the normal approval flow (preview ``{"kind": "plan"}``):
approved, the session goes back to the mode it had before plan mode; refused, it
stays in plan mode and the model is told to revise. The policy asks for ExitPlanMode
even in plan mode, where it denies every other tool that is not read-only; with no
one there to approve (claw -p) it is refused like any other approval.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

ENTER_DESCRIPTION = """\
Switch to plan mode before a non-trivial implementation task: new features, changes with \
several valid approaches, changes touching several files, or unclear requirements. In plan \
mode you explore with read-only tools only (nothing is edited or run) and design an approach; \
then present it with ExitPlanMode for the user's approval. Skip it for small, clear fixes and \
for pure research."""

EXIT_DESCRIPTION = """\
Use when you are in plan mode and have finished planning the implementation of a task that \
requires writing code: present the plan (markdown, concise, step by step) for the user's \
approval. If approved, plan mode ends and you proceed; if not, you stay in plan mode and revise. \
Do not use it for research tasks, and resolve open questions before presenting the plan."""


class EnterPlanModeInput(ToolInput):
    pass


class ExitPlanModeInput(ToolInput):
    plan: str = Field(description="The plan you came up with, that you want the user to approve. "
                                  "Supports markdown; keep it concise.")


class EnterPlanModeTool(Tool):
    name = "EnterPlanMode"
    description = ENTER_DESCRIPTION
    Input = EnterPlanModeInput
    category = "other"

    def summary(self, params: Any) -> str:
        return "plan first"

    def default_permission(self, params: Any, mode: str) -> Literal["allow", "ask"] | None:
        # Entering plan mode only ever takes permissions away.
        return "allow"

    async def run(self, params: EnterPlanModeInput, ctx: ToolContext) -> ToolResult:
        if ctx.modes is None:
            return ToolResult("Plan mode is not available here (no session).", is_error=True, summary="unavailable")
        if ctx.modes.get() == "plan":
            return ToolResult("Already in plan mode. Explore, then present the plan with ExitPlanMode.",
                              summary="already planning")
        ctx.modes.set("plan")
        return ToolResult(
            "Entered plan mode. Explore the codebase with read-only tools (Read, Glob, Grep, LS) and design an "
            "implementation approach; do not edit files or run commands that change anything yet. When the plan "
            "is ready, present it with ExitPlanMode for the user's approval.",
            summary="plan mode on",
        )


class ExitPlanModeTool(Tool):
    name = "ExitPlanMode"
    description = EXIT_DESCRIPTION
    Input = ExitPlanModeInput
    category = "other"

    def summary(self, params: Any) -> str:
        first = next((ln.strip("# ").strip() for ln in params.plan.splitlines() if ln.strip()), "")
        return first[:80]

    def default_permission(self, params: Any, mode: str) -> Literal["allow", "ask"] | None:
        # In plan mode only a person may approve the plan; outside it there is nothing to leave.
        return "ask" if mode == "plan" else "allow"

    def preview(self, params: Any, ctx: ToolContext) -> dict[str, Any] | None:
        return {"kind": "plan", "plan": params.plan}

    def approval_description(self, params: Any, ctx: ToolContext) -> str:
        return "Approve this plan? Approving ends plan mode and the agent starts implementing it."

    def denied(self, params: Any, reason: str) -> ToolResult:
        return ToolResult(
            f"The user did not approve the plan ({reason}). You are still in plan mode: revise the plan to address "
            "this (ask the user if it is unclear what to change), then present it again with ExitPlanMode.",
            is_error=True,
            summary="plan not approved",
        )

    async def run(self, params: ExitPlanModeInput, ctx: ToolContext) -> ToolResult:
        if ctx.modes is None:
            return ToolResult("Plan mode is not available here (no session).", is_error=True, summary="unavailable")
        if ctx.modes.get() != "plan":
            return ToolResult("Not in plan mode, so there is nothing to exit: proceed.", summary="not planning")
        target = ctx.modes.before_plan()
        ctx.modes.set(target if target != "plan" else "default")
        return ToolResult(
            f"The user approved the plan: plan approved, proceed with the implementation "
            f"(permission mode is now {ctx.modes.get()}).",
            summary="plan approved",
        )
