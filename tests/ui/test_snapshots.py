"""What the workspace looks like, pane by pane, in real states (SVG snapshots)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text

from claw_tui.diffing import FileChange
from claw_tui.events import AgentSpawned, AgentStateChanged, ApprovalRequested, ToolCallFinished, UsageUpdated
from claw_tui.providers.base import Usage
from claw_tui.ui.widgets.conversation import AssistantMessage, ToolCallBlock, ToolCallData, UserMessage

from .conftest import make_app

BEFORE = "def greet(name):\n    return 'Hello, ' + nme + '!'\n\n\nprint(greet('world'))\n"
AFTER = "def greet(name):\n    return f'Hello, {name}!'\n\n\nprint(greet('world'))\n"


async def _stage(app, pilot, side_tab: str) -> None:
    ws = "/project"
    app.query_one("#topbar").update(Text("claw 0.1.0  ~/project  claude-sonnet-5-5 (anthropic)"))
    conv = app.conversation
    await conv.add(UserMessage("greet.py crashes. Fix it."))
    await conv.add(AssistantMessage("Found it: `nme` is not defined. Fixing the typo:", frozen=True))
    block = ToolCallBlock(ToolCallData("c1", "Read", "greet.py", {"file_path": f"{ws}/greet.py"}, 0.0))
    await conv.add(block)
    block.finish(ToolCallFinished(call_id="c1", tool="Read", content="...", is_error=False, duration_s=0.01,
                                  summary="5 lines"))
    app.diffs.root = ws
    app.diffs.add_change(FileChange(path=f"{ws}/greet.py", before=BEFORE, after=AFTER, by="agent", turn=1,
                                    call_id="c2", tool="Edit"))
    app.diffs.add_change(FileChange(path=f"{ws}/notes.md", before=None, after="# Notes\nfixed greet\n",
                                    by="external", turn=1))
    bus = app.session.bus
    bus.publish(AgentSpawned(agent_id="sub-1", parent_id="main", name="tests", task="run the test suite",
                             model="claude-haiku-4-5"))
    bus.publish(UsageUpdated(agent_id="sub-1", model="claude-haiku-4-5", usage=Usage(input_tokens=5400,
                             output_tokens=800), cost_usd=0.0094, agent_cost_usd=0.0094, session_cost_usd=0.0094,
                             context_tokens=5400, context_window=200000))
    bus.publish(AgentSpawned(agent_id="sub-2", parent_id="main", name="docs", task="update the README",
                             model="claude-haiku-4-5"))
    bus.publish(AgentStateChanged(agent_id="sub-2", state="done"))
    future = asyncio.get_running_loop().create_future()
    bus.publish(ApprovalRequested(request_id="r1", call_id="c3", tool="Edit", input={}, description="",
                                  agent_name="main", future=future,
                                  preview={"kind": "diff", "path": f"{ws}/greet.py", "before": BEFORE,
                                           "after": AFTER}))
    app.show_side(side_tab)
    await pilot.pause(0.3)
    for row in app.swarm.rows.values():  # elapsed times are not part of the picture
        row.started, row.ended = 100.0, 112.0
        app.swarm._update(row)
    await pilot.pause(0.1)


def test_workspace_with_an_edit_waiting_for_approval(snap_compare, server, tmp_path: Path):
    app = make_app(server, tmp_path)

    async def run_before(pilot) -> None:
        await _stage(app, pilot, "diffs-tab")

    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_swarm_pane(snap_compare, server, tmp_path: Path):
    app = make_app(server, tmp_path)

    async def run_before(pilot) -> None:
        await _stage(app, pilot, "swarm-tab")

    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_setup_screen(snap_compare):
    from claw_tui.ui.setup import SetupApp

    app = SetupApp("claw would use claude-sonnet-5-5 (anthropic), but ANTHROPIC_API_KEY is not set and no key "
                   "is stored.")

    async def run_before(pilot) -> None:
        await pilot.press("enter")  # Anthropic: the key field
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(110, 34), run_before=run_before)


def test_split_diff_zoomed(snap_compare, server, tmp_path: Path):
    app = make_app(server, tmp_path)

    async def run_before(pilot) -> None:
        app.query_one("#topbar").update(Text("claw 0.1.0  ~/project  claude-sonnet-5-5 (anthropic)"))
        app.diffs.root = "/project"
        app.diffs.add_change(FileChange(path="/project/greet.py", before=BEFORE, after=AFTER, by="agent", turn=1,
                                        call_id="c2", tool="Edit"))
        app.diffs.layout_mode = "split"
        await pilot.pause(0.1)
        app.diffs.view.layout_mode = "split"
        app.screen.maximize(app.query_one("#side-tabs"))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(150, 30), run_before=run_before)


def test_command_approval_with_a_question_and_todos(snap_compare, server, tmp_path: Path):
    from claw_tui.events import Question, QuestionOption, QuestionAsked, TodosUpdated

    app = make_app(server, tmp_path)

    async def run_before(pilot) -> None:
        app.query_one("#topbar").update(Text("claw 0.1.0  ~/project  claude-sonnet-5-5 (anthropic)"))
        bus = app.session.bus
        bus.publish(TodosUpdated(todos=(
            {"content": "Read the code", "status": "completed", "activeForm": "Reading the code"},
            {"content": "Run the tests", "status": "in_progress", "activeForm": "Running the tests"},
            {"content": "Fix what fails", "status": "pending", "activeForm": "Fixing what fails"})))
        loop = asyncio.get_running_loop()
        bus.publish(QuestionAsked(request_id="q1", future=loop.create_future(), questions=(Question(
            question="Which test runner?", header="Runner", multi_select=False,
            options=(QuestionOption("pytest", "the project's own"), QuestionOption("unittest", "stdlib"))),)))
        bus.publish(ApprovalRequested(request_id="r1", call_id="c3", tool="Bash", input={"command": "pytest -q"},
                                      description="pytest -q", agent_name="tests", future=loop.create_future(),
                                      preview={"kind": "command", "command": "pytest -q", "cwd": "/project"}))
        await pilot.pause(0.4)

    assert snap_compare(app, terminal_size=(150, 45), run_before=run_before)
