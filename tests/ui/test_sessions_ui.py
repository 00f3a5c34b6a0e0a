"""Sessions in the workspace: claw -c, the /resume picker, Esc Esc rewind, memory notes and
the editor, /compact, and a memory consolidation proposal accepted as a diff."""

from __future__ import annotations

import io
import json

from rich.console import Console

from claw_tui.testing import scenario as sc
from claw_tui.ui.screens.memory import MemoryEditor, MemoryProposalScreen
from claw_tui.ui.screens.rewind import RewindScreen
from claw_tui.ui.screens.session_picker import SessionPicker
from claw_tui.ui.widgets.compaction import CompactionNotice
from claw_tui.ui.widgets.conversation import (
    AssistantMessage,
    CommandOutput,
    NoticeLine,
    ToolCallBlock,
    UserMessage,
)
from tests.conftest import make_session

from .conftest import make_app, wait_for


def _text_of(widget: CommandOutput) -> str:
    console = Console(record=True, width=300, file=io.StringIO())
    console.print(widget.body)
    return console.export_text()

TODOS = [{"content": "Ship it", "status": "in_progress", "activeForm": "Shipping it"}]


async def _stored(server, workspace, prompts: list[str]) -> str:
    s = make_session(server, workspace)
    for p in prompts:
        server.add(sc.tool("TodoWrite", todos=TODOS), sc.text(f"answer to {p}"))
        await s.run(p)
    await s.close()
    return s.id


async def test_continue_draws_the_stored_conversation_and_goes_on(server, workspace):
    sid = await _stored(server, workspace, ["first question", "second question"])
    server.add(sc.text("third answer"))
    app = make_app(server, workspace, continue_session=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.conversation.query(UserMessage)) == 2, what="history drawn")
        assert app.session.id == sid
        assert [u.text for u in app.conversation.query(UserMessage)] == ["first question", "second question"]
        assert app.conversation.query(AssistantMessage).last().text == "answer to second question"
        assert len(app.conversation.query(ToolCallBlock)) == 2
        assert "Shipping it" in str(app.query_one("#todos").render())
        assert app.session.ledger.total_cost > 0 and "$0.0000 " not in str(app.query_one("#cost").render())
        assert any("Resumed session" in n.text for n in app.conversation.query(NoticeLine))
        await app.submit("third question")
        await wait_for(pilot, lambda: not app.session.agent.busy and len(server.received) == 5, what="turn")
        sent = json.dumps(server.received[-1].body["messages"])
        assert "first question" in sent and "third question" in sent
        assert app.prompt.prompt_history[:2] == ["first question", "second question"]


async def test_the_resume_picker_searches_and_switches_sessions(server, workspace):
    await _stored(server, workspace, ["about bananas"])
    apples = await _stored(server, workspace, ["about apples"])
    app = make_app(server, workspace)
    async with app.run_test(size=(140, 40)) as pilot:
        await app.submit("/resume")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker) and app.screen.shown, what="picker")
        picker = app.screen
        assert len(picker.shown) == 2
        await pilot.press(*"apple")
        await wait_for(pilot, lambda: len(picker.shown) == 1, what="search")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.id == apples and app.conversation.query(UserMessage),
                       what="switched")
        assert [u.text for u in app.conversation.query(UserMessage)] == ["about apples"]


async def test_esc_esc_on_an_empty_prompt_rewinds_code_and_conversation(server, workspace):
    (workspace / "a.py").write_text("v = 0\n")
    server.add(sc.tool("Read", file_path=str(workspace / "a.py")),
               sc.tool("Edit", file_path=str(workspace / "a.py"), old_string="v = 0", new_string="v = 1"),
               sc.text("set to 1"))
    app = make_app(server, workspace, permission_mode="acceptEdits")
    async with app.run_test(size=(140, 40)) as pilot:
        await app.submit("make v one")
        await wait_for(pilot, lambda: not app.session.agent.busy and app.session.persistence.checkpoints
                       and (workspace / "a.py").read_text() == "v = 1\n", what="edit")
        app.prompt.focus()
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RewindScreen), what="rewind screen")
        await pilot.press("enter")  # the prompt "make v one"
        await pilot.pause(0.05)
        await pilot.press("enter")  # restore code and conversation
        await wait_for(pilot, lambda: (workspace / "a.py").read_text() == "v = 0\n", what="file restored")
        await wait_for(pilot, lambda: app.prompt.text == "make v one", what="prompt back in the box")
        assert not app.conversation.query(UserMessage) and app.session.agent.messages == []
        assert any("Rewound" in n.text for n in app.conversation.query(NoticeLine))


async def test_a_hash_note_and_the_memory_editor(server, workspace):
    app = make_app(server, workspace)
    async with app.run_test(size=(140, 40)) as pilot:
        await app.submit("# always run ruff first")
        memory = workspace / "CLAW.md"
        await wait_for(pilot, lambda: memory.exists(), what="note written")
        assert "- always run ruff first" in memory.read_text()
        assert "always run ruff first" in app.session.agent.system_prompt
        assert not app.session.agent.messages  # a note is not a prompt
        await app.submit("/memory edit")
        await wait_for(pilot, lambda: isinstance(app.screen, MemoryEditor) and app.screen.query("#memory-text"),
                       what="editor")
        app.screen.query_one("#memory-text").load_text("# Rules\n- tabs, not spaces\n")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, MemoryEditor), what="saved")
        assert memory.read_text() == "# Rules\n- tabs, not spaces\n"
        assert "tabs, not spaces" in app.session.agent.system_prompt
        await app.submit("/memory")
        listing = _text_of(app.conversation.query(CommandOutput).last())
        assert str(memory) in listing and "project instructions" in listing


async def test_compact_shows_what_was_summarised_and_kept(server, workspace):
    server.add(sc.text("a1"), sc.text("a2"), sc.text("## Summary\nTwo questions, answered."))
    app = make_app(server, workspace)
    async with app.run_test(size=(140, 40)) as pilot:
        await app.submit("q1")
        await wait_for(pilot, lambda: not app.session.agent.busy and len(server.received) == 1, what="turn 1")
        await app.submit("q2")
        await wait_for(pilot, lambda: not app.session.agent.busy and len(server.received) == 2, what="turn 2")
        await app.submit("/compact keep it short")
        await wait_for(pilot, lambda: app.conversation.query(CompactionNotice), what="compaction notice")
        notice = app.conversation.query(CompactionNotice).last()
        assert "2 earlier messages summarised" in notice.title_text and "last 2 kept" in notice.title_text
        assert "Two questions, answered." in notice.summary


async def test_an_idle_app_offers_a_memory_proposal_and_accepting_writes_it(server, workspace):
    (workspace / ".claw").mkdir()
    (workspace / ".claw" / "settings.json").write_text(json.dumps({"autoDreamIdleMinutes": 0}))
    (workspace / "CLAW.md").write_text("- old\n")
    server.add(sc.text("done"),
               {**sc.text("<changes>\n- replaced old\n</changes>\n<memory>\n- new\n</memory>"),
                "match": "<transcript>"})
    app = make_app(server, workspace)
    async with app.run_test(size=(140, 40)) as pilot:
        await app.submit("learn something")
        await wait_for(pilot, lambda: not app.session.agent.busy and len(server.received) == 1, what="turn")
        app.idle.tick()  # what the idle timer does
        await wait_for(pilot, lambda: isinstance(app.screen, MemoryProposalScreen), what="proposal")
        assert (workspace / "CLAW.md").read_text() == "- old\n"
        await pilot.press("a")
        await wait_for(pilot, lambda: (workspace / "CLAW.md").read_text() == "- new\n", what="accepted")
        app.idle.tick()  # not due again: no second run
        await pilot.pause(0.1)
        assert len(server.received) == 2


async def test_init_writes_claw_md_from_a_model_run_and_memory_reloads(server, workspace):
    content = "# CLAW.md\n\n- build: make\n- test one: pytest -k NAME\n"
    server.add(sc.tool("Write", file_path=str(workspace / "CLAW.md"), content=content),
               sc.text("Wrote CLAW.md."))
    app = make_app(server, workspace, permission_mode="acceptEdits")
    async with app.run_test(size=(140, 40)) as pilot:
        await app.submit("/init")
        await wait_for(pilot, lambda: any("Wrote" in n.text and "CLAW.md" in n.text
                                          for n in app.conversation.query(NoticeLine)), what="init done")
        assert "Please analyze this codebase" in server.received[0].last_user_text
        assert (workspace / "CLAW.md").read_text() == content
        assert "pytest -k NAME" in app.session.agent.system_prompt


async def test_resume_without_an_id_opens_the_picker_at_start(server, workspace):
    sid = await _stored(server, workspace, ["pick me"])
    app = make_app(server, workspace)
    app.pick_session = True  # what `claw --resume` (no id) asks for
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker) and app.screen.shown, what="picker")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.id == sid and app.conversation.query(UserMessage), what="resumed")
