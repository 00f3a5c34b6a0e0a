"""The workspace as a person uses it: Pilot drives the real app, the real engine
and the real anthropic SDK against the scripted model server."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.text import Text

from claw_tui.events import AgentSpawned, AgentStateChanged, TextDelta, ToolCallStarted, UsageUpdated
from claw_tui.providers.base import Usage
from claw_tui.testing import scenario as sc
from claw_tui.testing.server import ScriptedModelServer
from claw_tui.ui.widgets.conversation import (
    MAX_MOUNTED,
    AssistantMessage,
    CommandOutput,
    NoticeLine,
    ToolCallBlock,
    UserMessage,
)

from .conftest import approval_shown, wait_for


def _text_of(widget) -> str:
    """What a person would read in a widget."""
    from rich.console import Console

    body = widget.body if isinstance(widget, CommandOutput) else widget.render()
    if not isinstance(body, (str, Text)):
        console = Console(record=True, width=200, file=io.StringIO())
        console.print(body)
        return console.export_text()
    return str(body)


async def test_a_turn_streams_runs_a_tool_and_freezes_the_answer(app_factory, server: ScriptedModelServer,
                                                                 workspace: Path):
    (workspace / "notes.txt").write_text("alpha\nbeta\n")
    server.add(
        sc.tool("Read", "Let me look.", file_path=str(workspace / "notes.txt")),
        sc.text("The file has **two** lines.\n\n```python\nprint('hi')\n```"),
    )
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press(*"what is in notes")
        await pilot.press("enter")
        conv = app.conversation
        await wait_for(pilot, lambda: app.session.agent.messages and not app.session.agent.busy, what="turn end")
        await pilot.pause(0.1)
        users = list(conv.query(UserMessage))
        assert [u.text for u in users] == ["what is in notes"]
        tools = list(conv.query(ToolCallBlock))
        assert len(tools) == 1 and tools[0].data.tool == "Read"
        assert not tools[0].data.running and not tools[0].data.is_error
        assert "notes.txt" in tools[0].header_text().plain
        answers = list(conv.query(AssistantMessage))
        assert answers[-1].text.startswith("The file has **two** lines.")
        # Finished answers are frozen: one Static each, no live Markdown widgets left behind.
        assert all(a.frozen for a in answers)
        assert not list(conv.query("Markdown"))
        # Expanding the tool block shows its output.
        tools[0].focus()
        await pilot.press("enter")
        assert tools[0].expanded and "alpha" in _text_of(tools[0]._body)
        # The cost meter counts what the model server reported.
        meter = _text_of(app.query_one("#cost"))
        assert "$0.0" in meter and "ctx" in meter


async def test_an_edit_is_approved_from_the_prompt_that_shows_its_diff(app_factory, server, workspace):
    target = workspace / "app.py"
    target.write_text("x = 1\n")
    server.add(
        sc.tool("Read", file_path=str(target)),
        sc.tool("Edit", "Changing it.", file_path=str(target), old_string="x = 1", new_string="x = 2"),
        sc.text("Done."),
    )
    app = app_factory()
    async with app.run_test(size=(140, 45)) as pilot:
        await app.submit("bump x")
        panel = app.approval
        await wait_for(pilot, lambda: panel.display and panel.current is not None, what="approval prompt")
        req = panel.current
        assert req.tool == "Edit" and req.agent_name == "main"
        assert req.preview["kind"] == "diff" and req.preview["after"] == "x = 2\n"
        assert target.read_text() == "x = 1\n"  # nothing happens before the decision
        await wait_for(pilot, lambda: app.focused is panel, what="focus on the approval")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.session.agent.busy, what="turn end")
        assert target.read_text() == "x = 2\n"
        assert not panel.display
        # The change is listed in the diff pane, by the agent, under turn 1.
        await wait_for(pilot, lambda: app.diffs.count == 1, what="diff entry")
        change = app.diffs.changes[0]
        assert change.by == "agent" and change.turn == 1 and change.after == "x = 2\n"


async def test_deny_and_escape_tell_the_model(app_factory, server, workspace):
    server.add(
        sc.tool("Bash", command="rm -rf build"),
        sc.text("OK, I will not."),
        sc.tool("Bash", command="make deploy"),
    )
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.submit("clean")
        await approval_shown(pilot, app, "first approval")
        assert app.approval.current.preview == {"kind": "command", "command": "rm -rf build",
                                                "cwd": str(workspace)} or \
            app.approval.current.preview["command"] == "rm -rf build"
        await pilot.press("n")
        await wait_for(pilot, lambda: not app.session.agent.busy, what="turn end")
        sent = json.dumps(server.received[1].body)
        assert "denied" in sent
        await app.submit("deploy")
        await wait_for(pilot, lambda: app.approval.current is not None, what="second approval")
        await pilot.press("escape")  # deny and take over: the turn stops, the prompt is back
        await wait_for(pilot, lambda: not app.session.agent.busy, what="turn stop")
        await wait_for(pilot, lambda: app.focused is app.prompt, what="focus back on the prompt")
        await pilot.pause(0.05)  # and it stays there (a late focus of the hidden panel would steal it)
        assert app.focused is app.prompt
        assert len(server.received) == 3  # the model was not called again after Esc


async def test_always_allow_saves_a_rule_and_session_allow_stops_asking(app_factory, server, workspace):
    server.add(
        sc.tool("Bash", command="echo one"),
        sc.tool("Bash", command="echo one"),
        sc.text("ran twice"),
    )
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.submit("run it")
        await approval_shown(pilot, app, "approval")
        await pilot.press("a")
        await wait_for(pilot, lambda: not app.session.agent.busy, what="turn end")
        saved = json.loads((workspace / ".claw" / "settings.local.json").read_text())
        assert "Bash(echo one:*)" in json.dumps(saved)  # the first two words, as a prefix rule
        # The second identical call was not asked again.
        assert app.approval.current is None


async def test_hunk_by_hunk_approval_writes_only_the_kept_hunks(app_factory, server, workspace):
    lines = [f"line {i}" for i in range(1, 41)]
    target = workspace / "big.txt"
    target.write_text("\n".join(lines) + "\n")
    new = list(lines)
    new[1] = "line 2 CHANGED"
    new[35] = "line 36 CHANGED"
    server.add(
        sc.tool("Read", file_path=str(target)),
        sc.tool("Write", file_path=str(target), content="\n".join(new) + "\n"),
        sc.text("ok"),
    )
    app = app_factory()
    async with app.run_test(size=(140, 50)) as pilot:
        await app.submit("change two lines")
        await approval_shown(pilot, app, "approval")
        diff = app.approval._diff
        assert diff is not None and len(diff.hunks) == 2
        await pilot.press("]")  # to the second hunk
        await pilot.press("space")  # drop it
        assert diff.accepted_hunks == {0}
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.session.agent.busy, what="turn end")
        text = target.read_text()
        assert "line 2 CHANGED" in text and "line 36 CHANGED" not in text
        told = json.dumps(server.received[2].body)
        assert "refused" in told and "line 36 CHANGED" in told


async def test_typing_while_the_agent_works_queues_and_esc_interrupts(app_factory, server, workspace):
    server.add(
        {"blocks": [{"type": "text", "text": "word " * 400}], "chunk_chars": 5, "delay": 0.05},
        sc.text("second answer"),
    )
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.submit("write a lot")
        await wait_for(pilot, lambda: app.session.agent.busy and list(app.conversation.query(AssistantMessage)),
                       what="streaming")
        app.prompt.insert("next one")
        await pilot.press("enter")
        queued = app.query_one("#queued")
        assert queued.display and "next one" in _text_of(queued)
        app.prompt.blur()
        await pilot.press("escape")
        # The interrupted turn ends and the queued prompt runs next.
        await wait_for(pilot, lambda: len(server.received) == 2 and not app.session.agent.busy, what="queued run")
        notices = [n.text for n in app.conversation.query(NoticeLine)]
        assert any("Interrupted" in n for n in notices)
        assert "[Request interrupted by user]" in json.dumps(server.received[1].body)
        assert not queued.display


async def test_shift_tab_cycles_the_permission_mode_and_it_is_always_shown(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:
        mode = app.query_one("#mode")
        assert "ask before edits" in _text_of(mode)
        await pilot.press("shift+tab")
        assert app.session.policy.mode == "acceptEdits"
        await pilot.pause(0.05)
        assert "accept edits on" in _text_of(mode)
        await pilot.press("shift+tab")
        await pilot.pause(0.05)
        assert app.session.policy.mode == "plan" and "plan mode" in _text_of(mode)
        await pilot.press("shift+tab")
        assert app.session.policy.mode == "default"


async def test_swarm_pane_rows_follow_agent_events_and_open_a_live_pane(app_factory):
    app = app_factory()
    async with app.run_test(size=(160, 45)) as pilot:
        bus = app.session.bus
        bus.publish(AgentSpawned(agent_id="sub-1", parent_id="main", name="explorer", task="find the tests",
                                 model="claude-haiku-4-5"))
        bus.publish(AgentSpawned(agent_id="sub-2", parent_id="main", name="planner", task="plan the fix",
                                 model="claude-haiku-4-5"))
        bus.publish(ToolCallStarted(agent_id="sub-1", call_id="c1", tool="Grep", input={"pattern": "def test"},
                                    summary="def test"))
        bus.publish(UsageUpdated(agent_id="sub-1", model="claude-haiku-4-5",
                                 usage=Usage(input_tokens=1200, output_tokens=300), cost_usd=0.0025,
                                 agent_cost_usd=0.0025, session_cost_usd=0.0025, context_tokens=1200,
                                 context_window=200000))
        bus.publish(TextDelta(agent_id="sub-1", text="Found 12 tests in tests/."))
        bus.publish(AgentStateChanged(agent_id="sub-2", state="failed", detail="boom"))
        swarm = app.swarm
        await wait_for(pilot, lambda: len(swarm.rows) == 2 and swarm.rows["sub-2"].state == "failed", what="rows")
        r1 = swarm.rows["sub-1"]
        assert r1.state == "tool" and r1.tool.startswith("Grep") and r1.tokens_in == 1200 and r1.cost_usd == 0.0025
        assert swarm.active == 1
        assert "sub-agents" in _text_of(app.query_one("#cost"))
        # Open the first agent: its own conversation, replayed and then live.
        app.show_side("swarm-tab")
        swarm.table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: list(app.query("AgentPane")), what="agent pane")
        pane = app.query_one("AgentPane")
        assert pane.agent_id == "sub-1"
        await wait_for(pilot, lambda: list(pane.conversation.query(AssistantMessage)), what="replayed text")
        bus.publish(TextDelta(agent_id="sub-1", text=" More."))
        await wait_for(pilot, lambda: "More." in pane.conversation.query(AssistantMessage).last().text,
                       what="live text")
        # The main conversation did not receive the sub-agent's text.
        assert not list(app.conversation.query(AssistantMessage))
        # Cancel asks the engine to stop that agent.
        cancelled = []
        app.session.cancel_agent = lambda agent_id: cancelled.append(agent_id) or True
        swarm.table.focus()
        await pilot.press("x")
        await pilot.pause(0.05)
        assert cancelled == ["sub-1"]


async def test_slash_commands_and_custom_commands(app_factory, server, workspace):
    cmds = workspace / ".claw" / "commands"
    cmds.mkdir(parents=True)
    (cmds / "fix-issue.md").write_text("---\ndescription: Fix an issue\n---\nFix issue $ARGUMENTS carefully.\n")
    server.add(sc.text("on it"))
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await app.submit("/help")
        out = app.conversation.query(CommandOutput).last()
        assert "/compact" in _text_of(out) and "/fix-issue" in _text_of(out)
        await app.submit("/compact")
        await wait_for(pilot, lambda: "Nothing compacted" in _text_of(app.conversation.query(CommandOutput).last()),
                       what="/compact answer on an empty conversation")
        await app.submit("/permissions plan")
        assert app.session.policy.mode == "plan"
        await app.submit("/model claude-haiku-4-5")
        assert app.session.agent.model == "claude-haiku-4-5"
        await app.submit("/fix-issue 123")
        await wait_for(pilot, lambda: server.received and not app.session.agent.busy, what="custom command run")
        assert server.received[0].last_user_text.strip() == "Fix issue 123 carefully."
        assert server.received[0].body["model"] == "claude-haiku-4-5"
        await app.submit("/nonsense")
        assert "Unknown command" in _text_of(app.conversation.query(CommandOutput).last())
        await app.submit("/export out.md")
        assert "Fix issue 123 carefully." in (workspace / "out.md").read_text()


async def test_long_conversations_keep_a_bounded_number_of_widgets(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        conv = app.conversation
        for i in range(MAX_MOUNTED + 80):
            await conv.add(UserMessage(f"message {i}"))
        await pilot.pause(0.05)
        assert len(conv.entries) <= MAX_MOUNTED
        assert conv.archived_count == 80
        await conv.action_show_earlier()
        await pilot.pause(0.05)
        assert conv.archived_count == 40
        first = conv.query(UserMessage).first()
        assert first.text == "message 40"


async def test_the_demo_task_done_whole_in_the_workspace(workspace):
    """Type-free version of what `make run` shows: the demo scenario, approvals answered with y."""
    from claw_tui.config import RunConfig
    from claw_tui.providers import make_provider
    from claw_tui.ui.app import ClawApp

    scenario = sc.load("demo", workspace)
    sc.write_files(scenario, workspace)
    with ScriptedModelServer(scenario["responses"]) as srv:
        cfg = RunConfig(cwd=workspace, model="claude-sonnet-5-5", provider="anthropic", base_url=srv.base_url,
                        watch=True)
        app = ClawApp(cfg, first_prompt=scenario["prompt"],
                      provider=make_provider("anthropic", base_url=srv.base_url, api_key="k"))
        async with app.run_test(size=(160, 45)) as pilot:
            for tool in ("Edit", "Bash"):
                await approval_shown(pilot, app, f"{tool} approval")
                assert app.approval.current.tool == tool
                await pilot.press("y")
            await wait_for(pilot, lambda: not app.session.agent.busy and app.last_answer, what="the answer")
            assert 'f"Hello, {name}!"' in (workspace / "greet.py").read_text()
            await wait_for(pilot, lambda: app.diffs.count >= 1, what="diff entry")
            assert app.diffs.changes[0].by == "agent"
            assert app.session.ledger.total_cost > 0
            assert "$0.0" in _text_of(app.query_one("#cost"))
            bash = [b for b in app.conversation.query(ToolCallBlock) if b.data.tool == "Bash"][0]
            assert "Hello, world!" in bash.data.content
