"""TodoWrite: the agent's task list is validated, kept per agent and published on the bus."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from claw_tui.events import ApprovalRequested, Event, TodosUpdated
from claw_tui.testing import scenario as sc
from claw_tui.tools.base import ToolContext
from claw_tui.tools.todowrite import TodoWriteTool
from tests.conftest import Recorder, make_session

from ._helpers import call

todo = TodoWriteTool()

PLAN = [
    {"content": "Read the parser", "status": "completed", "activeForm": "Reading the parser"},
    {"content": "Fix the off-by-one", "status": "in_progress", "activeForm": "Fixing the off-by-one"},
    {"content": "Run the tests", "status": "pending", "activeForm": "Running the tests", "id": "t3"},
]


async def test_saves_the_list_publishes_it_and_echoes_it(ctx: ToolContext) -> None:
    seen: list[Event] = []
    ctx.bus.subscribe(seen.append)
    res = await call(todo, ctx.for_call("call-1"), todos=PLAN)
    await ctx.bus.drain()
    assert not res.is_error, res.content
    assert "modified successfully" in res.content
    assert "3 tasks (1 completed, 1 in progress, 1 pending)" in res.content
    assert "[x] Read the parser\n[>] Fix the off-by-one\n[ ] Run the tests" in res.content
    assert "Warning" not in res.content
    assert res.summary == "1/3 done"
    # Kept on the agent's context, also when the call ran on a per-call clone.
    assert ctx.todos == PLAN
    updates = [e for e in seen if isinstance(e, TodosUpdated)]
    assert len(updates) == 1
    assert updates[0].agent_id == "main" and updates[0].todos == tuple(PLAN)


async def test_a_new_list_replaces_the_old_one(ctx: ToolContext) -> None:
    await call(todo, ctx, todos=PLAN)
    done = [{**t, "status": "completed"} for t in PLAN]
    res = await call(todo, ctx.for_call("call-2"), todos=done)
    assert "3 completed, 0 in progress, 0 pending" in res.content
    assert [t["status"] for t in ctx.todos] == ["completed"] * 3
    res = await call(todo, ctx, todos=[])
    assert not res.is_error and ctx.todos == [] and "(the list is empty)" in res.content


async def test_two_in_progress_is_a_warning_not_an_error(ctx: ToolContext) -> None:
    both = [{**t, "status": "in_progress"} for t in PLAN[:2]]
    res = await call(todo, ctx, todos=both)
    assert not res.is_error
    assert "Warning: 2 tasks are in_progress" in res.content
    assert len(ctx.todos) == 2


async def test_invalid_items_are_refused(ctx: ToolContext) -> None:
    for bad in (
        {"content": "x", "status": "doing", "activeForm": "x"},  # unknown status
        {"content": "", "status": "pending", "activeForm": "x"},  # empty task
        {"content": "x", "status": "pending"},  # no activeForm
        {"content": "x", "status": "pending", "activeForm": "x", "priority": "high"},  # unknown field
    ):
        with pytest.raises(ValidationError):
            todo.parse({"todos": [bad]})
    dup = [{**PLAN[0], "id": "a"}, {**PLAN[1], "id": "a"}]
    res = await call(todo, ctx, todos=dup)
    assert res.is_error and "repeated: a" in res.content
    assert ctx.todos == []


async def test_each_agent_has_its_own_list(ctx: ToolContext) -> None:
    from dataclasses import replace

    other = replace(ctx, agent_id="sub-1", todos=[])
    seen: list[Event] = []
    ctx.bus.subscribe(seen.append)
    await call(todo, ctx, todos=PLAN[:1])
    await call(todo, other, todos=PLAN[1:])
    await ctx.bus.drain()
    assert ctx.todos == PLAN[:1] and other.todos == PLAN[1:]
    assert [(e.agent_id, len(e.todos)) for e in seen if isinstance(e, TodosUpdated)] == [("main", 1), ("sub-1", 2)]


async def test_the_model_writes_todos_without_asking_even_in_plan_mode(server, workspace: Path) -> None:
    server.add(sc.tool("TodoWrite", "Planning.", todos=PLAN), sc.text("Plan ready."))
    session = make_session(server, workspace, "openai", permission_mode="plan")
    rec = Recorder(session.bus)
    result = await session.run("plan the fix")
    await session.close()
    assert result.outcome == "success" and result.result == "Plan ready."
    assert rec.of(ApprovalRequested) == []
    assert [e.todos for e in rec.of(TodosUpdated)] == [tuple(PLAN)]
    assert session.ctx.todos == PLAN
    assert "modified successfully" in server.received[-1].last_user_text
