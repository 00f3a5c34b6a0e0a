"""TodoWrite: the agent's own task list, shown to the person as it works."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from claw_tui.events import TodosUpdated
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

# A plan longer than this is no longer a plan the person can follow.
MAX_TODOS = 100
MARK = {"pending": "[ ]", "in_progress": "[>]", "completed": "[x]"}


class TodoItem(ToolInput):
    content: str = Field(min_length=1, description="The task, in imperative form (\"Run the tests\")")
    status: Literal["pending", "in_progress", "completed"] = Field(description="pending, in_progress or completed")
    activeForm: str = Field(  # noqa: N815 - the field name coding models are trained on
        min_length=1, description="The task in present continuous form, shown while it runs (\"Running the tests\")"
    )
    id: str | None = Field(default=None, description="Optional identifier of the task")


class TodoWriteInput(ToolInput):
    todos: list[TodoItem] = Field(description="The updated todo list")


def _as_dict(item: TodoItem) -> dict[str, Any]:
    data: dict[str, Any] = {"content": item.content, "status": item.status, "activeForm": item.activeForm}
    if item.id is not None:
        data["id"] = item.id
    return data


class TodoWriteTool(Tool):
    name = "TodoWrite"
    # It changes only the agent's own list (no file, no process): nothing to ask about,
    # and allowed in plan mode, where planning is the point.
    category = "other"
    read_only = True
    Input = TodoWriteInput
    description = (
        "Creates and updates your task list for the current work; the user sees it as you go.\n"
        "- Use it for work of three or more steps, or when the user gives several tasks; skip it for "
        "a single simple task.\n"
        "- Send the WHOLE list each time (it replaces the previous one).\n"
        "- Each task has content (imperative: \"Fix the parser\"), activeForm (present continuous: "
        "\"Fixing the parser\") and status: pending, in_progress or completed.\n"
        "- Keep exactly one task in_progress while you work; mark it completed as soon as it is done, "
        "not in batches, and only when it is fully done (tests pass, nothing left)."
    )

    def summary(self, params: Any) -> str:
        done = sum(1 for t in params.todos if t.status == "completed")
        return f"{done}/{len(params.todos)} done"

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        return []

    async def run(self, params: TodoWriteInput, ctx: ToolContext) -> ToolResult:
        todos = params.todos
        if len(todos) > MAX_TODOS:
            return ToolResult(
                f"{len(todos)} tasks is more than the {MAX_TODOS} a todo list may have; group related steps "
                "into fewer tasks.",
                is_error=True,
                summary="too many",
            )
        ids = [t.id for t in todos if t.id is not None]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            return ToolResult(
                f"Task ids must be unique; repeated: {', '.join(duplicates)}. The list was not saved.",
                is_error=True,
                summary="duplicate ids",
            )
        items = [_as_dict(t) for t in todos]
        # Replaced in place: every per-call context of this agent shares the list.
        ctx.todos[:] = items
        ctx.publish(TodosUpdated(agent_id=ctx.agent_id, todos=tuple(dict(i) for i in items)))
        counts = {s: sum(1 for t in todos if t.status == s) for s in MARK}
        lines = [
            "Todos have been modified successfully. Keep using the todo list to track your progress, and "
            "go on with the current task if there is one.",
            "",
            f"Saved {len(todos)} task{'s' if len(todos) != 1 else ''} ({counts['completed']} completed, "
            f"{counts['in_progress']} in progress, {counts['pending']} pending):",
        ]
        lines += [f"{MARK[t.status]} {t.content}" for t in todos] or ["(the list is empty)"]
        if counts["in_progress"] > 1:
            lines += ["", f"Warning: {counts['in_progress']} tasks are in_progress; keep exactly one in "
                      "progress at a time and mark the others pending or completed."]
        return ToolResult("\n".join(lines), summary=f"{counts['completed']}/{len(todos)} done")
