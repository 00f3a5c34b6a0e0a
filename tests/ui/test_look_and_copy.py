"""Copy, the mouse, themes and remapped keys, as a person meets them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from claw_tui.clipboard import copy_native
from claw_tui.testing import scenario as sc
from claw_tui.ui.widgets.conversation import AssistantMessage, CommandOutput, FrozenMarkdown, NoticeLine

from .conftest import approval_shown, wait_for
from .test_app import _text_of

ANSWER = """Two ways to do it.

```python
print("first")
```

Or in the shell:

```sh
echo second
```
"""


def settings(workspace: Path, obj: dict) -> None:
    (workspace / ".claw").mkdir(exist_ok=True)
    (workspace / ".claw" / "settings.json").write_text(json.dumps(obj))


async def last_output(app) -> str:
    return _text_of(list(app.conversation.query(CommandOutput))[-1])


async def test_copy_the_answer_a_code_block_or_a_selection(app_factory, server):
    server.add(sc.text(ANSWER))
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.submit("/copy")
        assert "Nothing to copy yet" in await last_output(app)
        await app.submit("how do I print?")
        await wait_for(pilot, lambda: bool(app.last_answer), what="the answer")

        await app.submit("/copy")
        assert app.clipboard == ANSWER.strip() or app.clipboard == ANSWER
        await app.submit("/copy code")
        assert app.clipboard == "echo second\n"
        await app.submit("/copy code 1")
        assert app.clipboard == 'print("first")\n'
        assert "code block 1 of 2" in await last_output(app)
        await app.submit("/copy code 3")
        assert "has 2 code block(s)" in await last_output(app)
        await app.submit("/copy everything")
        assert "Usage: /copy" in await last_output(app)

        # Select text in the conversation with the mouse, then Ctrl+C copies it.
        message = app.conversation.query(AssistantMessage).last().query_one(FrozenMarkdown)
        await pilot.pause(0.1)
        message.text_select_all()
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.clipboard != 'print("first")\n'
        assert "Two ways to do it." in app.clipboard and "echo second" in app.clipboard


async def test_dragging_over_an_answer_selects_what_is_under_the_mouse(app_factory):
    """Answers are drawn line by line (markdown_text.FrozenMarkdown): the mouse still finds
    the characters it is over, the selection is drawn over them, and Ctrl+C copies them."""

    def background_at(strip, x: int):  # noqa: ANN001, ANN202
        for seg in strip:
            if x < len(seg.text):
                return seg.style.bgcolor
            x -= len(seg.text)
        raise AssertionError("past the end of the line")

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.conversation.add(AssistantMessage("Some **bold** words here.\n\nA second paragraph.\n",
                                                    frozen=True))
        await pilot.pause(0.2)
        answer = app.conversation.query(FrozenMarkdown).last()
        unselected = answer.render_line(0)
        # Offsets count from the widget's edge; its text starts after one column of padding.
        await pilot.mouse_down(answer, offset=(6, 0))
        await pilot.hover(answer, offset=(10, 2))
        await pilot.mouse_up(answer, offset=(10, 2))
        await pilot.pause()
        assert app.screen.get_selected_text() == "bold words here.\n\nA second p"
        selected = answer.render_line(0)
        assert selected.text == unselected.text  # the text stays, only its background changes
        assert background_at(selected, 0) == background_at(unselected, 0)  # "S" of "Some": not selected
        assert background_at(selected, 5) != background_at(unselected, 5)  # "b" of "bold"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.clipboard == "bold words here.\n\nA second p"


async def test_f12_releases_the_mouse_and_takes_it_back(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        state = app.query_one("#mouse-state")
        assert not app.mouse_released and not state.display
        await pilot.press("f12")
        assert app.mouse_released and state.display
        assert "mouse released" in str(state.render()) and "f12 takes it back" in str(state.render()).lower()
        await pilot.press("f12")
        assert not app.mouse_released and not state.display


async def test_keys_are_remapped_from_settings_and_shown_as_mapped(app_factory, server, workspace):
    settings(workspace, {"keybindings": {"claw.toggle_side": "f3", "approval.allow_once": "o"}})
    server.add(sc.tool("Write", file_path=str(workspace / "a.txt"), content="new\n"), sc.text("done"))
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        side = app.query_one("#side")
        await pilot.press("ctrl+b")
        assert side.display  # the old key no longer toggles it
        await pilot.press("f3")
        assert not side.display
        await pilot.press("f3")
        assert side.display
        await app.submit("write a.txt")
        await approval_shown(pilot, app, "approval")
        keys = str(app.approval.query_one(".approval-keys").render())
        assert keys.startswith("o allow once")
        await pilot.press("y")  # the default key no longer decides
        await pilot.pause(0.1)
        assert app.approval.current is not None
        await pilot.press("o")
        await wait_for(pilot, lambda: not app.session.agent.busy, what="turn end")
    assert (workspace / "a.txt").read_text() == "new\n"  # o allowed the write


async def test_a_bad_keymap_or_theme_is_reported_and_the_rest_applies(app_factory, workspace):
    settings(workspace, {"theme": "solarized-neon", "keybindings": {
        "claw.nope": "f3", "claw.quit": "ctrl+nokey", "claw.zoom": "hyperctrl+x", "claw.toggle_side": "f4"}})
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        notes = [n.text for n in app.conversation.query(NoticeLine)]
        joined = "\n".join(notes)
        assert "'claw.nope' is not a binding id" in joined and "claw.toggle_side" in joined
        assert "claw.quit: 'nokey' in 'ctrl+nokey' is not a key name" in joined
        assert "'hyperctrl' in 'hyperctrl+x' is not a modifier" in joined
        assert "theme 'solarized-neon' is not a theme" in joined
        side = app.query_one("#side")
        await pilot.press("f4")  # the good entry still applies
        assert not side.display


async def test_light_and_dark_themes(app_factory, workspace):
    settings(workspace, {"theme": "light"})
    app = app_factory()
    async with app.run_test(size=(120, 40)):
        assert app.theme == "textual-light"
        assert not app.current_theme.dark
    settings(workspace, {"theme": "dark"})
    app = app_factory()
    async with app.run_test(size=(120, 40)):
        assert app.theme == "textual-dark"


def test_the_native_clipboard_program_gets_the_text(tmp_path: Path, monkeypatch):
    out = tmp_path / "clip.out"
    fake = tmp_path / "bin" / "xclip"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat > {out}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}/usr/bin:/bin")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert copy_native("héllo\nworld") == "xclip"
    assert out.read_text(encoding="utf-8") == "héllo\nworld"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert copy_native("x") is None


async def test_zooming_the_diffs_pane_shows_both_sides_of_a_split_diff(app_factory, workspace):
    from claw_tui.diffing import FileChange

    app = app_factory()
    async with app.run_test(size=(150, 44)) as pilot:
        app.diffs.add_change(FileChange(path=f"{workspace}/g.py", before="a = 1\n", after="a = 2\n", by="agent",
                                        turn=1))
        app.query_one("#side-tabs").focus()
        app.diffs.layout_mode = "split"
        app.diffs.view.layout_mode = "split"
        app.screen.maximize(app.query_one("#side-tabs"))
        await pilot.pause(0.2)
        view = app.diffs.view
        assert view.size.width <= 150
        row = next(r.text for r in view._rows if "│" in r.text and "-" in r.text)
        assert "a = 1" in row and "a = 2" in row  # old and new side by side, both on screen


async def test_the_task_list_and_background_shells_are_shown(app_factory, server, workspace):
    server.add(
        sc.tool("TodoWrite", todos=[
            {"content": "Read the code", "status": "completed", "activeForm": "Reading the code"},
            {"content": "Fix the bug", "status": "in_progress", "activeForm": "Fixing the bug"},
            {"content": "Run the tests", "status": "pending", "activeForm": "Running the tests"}]),
        sc.tool("Bash", command="sleep 30", run_in_background=True),
        sc.text("working on it"),
    )
    app = app_factory(allowed_tools=["Bash(sleep 30)"])
    async with app.run_test(size=(140, 44)) as pilot:
        todos = app.query_one("#todos")
        assert not todos.display or todos.has_class("-empty")
        await app.submit("fix it")
        await wait_for(pilot, lambda: not app.session.agent.busy and bool(app.last_answer), what="answer")
        await pilot.pause(0.1)
        shown = str(todos.render())
        assert "☑ Read the code" in shown and "◐ Fixing the bug" in shown and "☐ Run the tests" in shown
        assert todos.display and not todos.has_class("-empty")
        shells = app.query_one("#shells")
        assert shells.running == 1
        assert str(app.query_one("#side-tabs").get_tab("shells-tab").label) == "Shells (1)"
        await pilot.press("ctrl+t", "ctrl+t")
        assert app.query_one("#side-tabs").active == "shells-tab"
        registry = app.session.ctx.background
        shell = registry.running()[0]
    # Closing claw killed the background shell.
    assert registry.running() == [] and not shell.running


async def test_d_on_a_git_diff_call_opens_its_diff(app_factory, server, workspace):
    import subprocess

    from claw_tui.ui.widgets.conversation import ToolCallBlock
    from claw_tui.ui.widgets.diff_view import DiffScreen, DiffView

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=workspace, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "T")
    (workspace / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("commit", "-qm", "first")
    (workspace / "a.py").write_text("x = 2\n")
    server.add(sc.tool("GitDiff", path="a.py"), sc.text("One line changed."))
    app = app_factory()
    async with app.run_test(size=(140, 44)) as pilot:
        await app.submit("what changed?")
        await wait_for(pilot, lambda: bool(app.last_answer), what="answer")
        block = app.conversation.query(ToolCallBlock).last()
        assert block.data.display and block.data.display["kind"] == "diff"
        block.focus()
        await pilot.press("d")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DiffScreen)
        rows = "\n".join(r.text for r in app.screen.query_one(DiffView)._rows)
        assert "x = 1" in rows and "x = 2" in rows
        await pilot.press("escape")
        assert not isinstance(app.screen, DiffScreen)


async def test_an_agent_question_is_answered_in_the_workspace(app_factory, server):
    server.add(
        sc.tool("AskUserQuestion", questions=[{
            "question": "Which database should I use?", "header": "Database", "multiSelect": False,
            "options": [{"label": "SQLite", "description": "a file, no server"},
                        {"label": "Postgres", "description": "a server"}]}]),
        sc.text("Going with Postgres."),
    )
    app = app_factory()
    async with app.run_test(size=(140, 44)) as pilot:
        from claw_tui.ui.widgets.question import QuestionPrompt

        await app.submit("set up storage")
        await wait_for(pilot, lambda: bool(app.query(QuestionPrompt)), what="question")
        prompt = app.query_one(QuestionPrompt)
        await wait_for(pilot, lambda: app.focused is prompt, what="focus on the question")
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: bool(app.last_answer), what="answer")
        assert not app.query(QuestionPrompt)
        assert app.focused is app.prompt
    sent = server.received[-1].body["messages"][-1]["content"][0]["content"]
    assert "Postgres" in str(sent)


async def test_a_plan_is_approved_once_and_never_saved_as_a_rule(app_factory, server, workspace):
    server.add(sc.tool("ExitPlanMode", plan="1. Read the code\n2. Fix the bug"), sc.text("Plan approved; starting."))
    app = app_factory(permission_mode="plan")
    async with app.run_test(size=(140, 44)) as pilot:
        await app.submit("plan the fix")
        await approval_shown(pilot, app, "plan approval")
        keys = str(app.approval.query_one(".approval-keys").render())
        assert "approve the plan" in keys and "always" not in keys
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "Fix the bug" in screen
        await pilot.press("a")  # "always" is not offered for a plan: it approves this one only
        await wait_for(pilot, lambda: bool(app.last_answer), what="answer")
        assert app.session.policy.mode != "plan"
    assert not (workspace / ".claw" / "settings.local.json").exists()
    assert not any(str(r) == "ExitPlanMode" for r in app.session.policy.session_allow)


async def test_an_agent_pane_opened_mid_stream_keeps_the_order(app_factory):
    import asyncio

    from claw_tui.events import AgentSpawned, TextDelta, UserPromptSubmitted
    from claw_tui.ui.widgets.conversation import UserMessage

    app = app_factory()
    async with app.run_test(size=(140, 44)) as pilot:
        bus = app.session.bus
        bus.publish(AgentSpawned(agent_id="agent-1", parent_id="main", name="Explore #1", task="look",
                                 model="claude-haiku-5-5"))
        bus.publish(UserPromptSubmitted(agent_id="agent-1", text="find the tests"))
        for i in range(30):
            bus.publish(TextDelta(agent_id="agent-1", text=f"<{i}>"))
        await pilot.pause()

        async def more() -> None:
            for i in range(30, 60):
                bus.publish(TextDelta(agent_id="agent-1", text=f"<{i}>"))
                await asyncio.sleep(0)

        feeder = asyncio.create_task(more())
        pane = await app.open_agent_pane("agent-1", "Explore #1")
        await feeder
        expected = "".join(f"<{i}>" for i in range(60))
        await wait_for(pilot, lambda: pane.conversation.query(AssistantMessage)
                       and pane.conversation.query(AssistantMessage).last().text == expected, what="all text")
        entries = pane.conversation.entries
        assert isinstance(entries[0], UserMessage)
        assert len(pane.conversation.query(AssistantMessage)) == 1


def _claw_as_started(server, workspace):  # noqa: ANN202
    """The app as the claw command starts it: first frame first, the engine loaded behind it."""
    from claw_tui.config import RunConfig
    from claw_tui.providers import make_provider
    from claw_tui.ui.app import ClawApp

    cfg = RunConfig(cwd=workspace, model="claude-sonnet-5-5", provider="anthropic", base_url=server.base_url,
                    watch=False)
    return ClawApp(cfg, provider=make_provider("anthropic", base_url=server.base_url, api_key="k"),
                   trusted=True, defer_engine=True)


async def test_the_first_frame_comes_before_the_engine_and_early_typing_is_kept(server, workspace):
    """claw draws its prompt before the engine has loaded; what is sent meanwhile waits and goes out."""
    import asyncio

    from claw_tui.ui.app import ClawApp

    server.add(sc.text("Hello from the model."))
    app = _claw_as_started(server, workspace)
    release = asyncio.Event()
    original = ClawApp._engine_loaded

    async def held(self) -> None:
        await release.wait()
        await original(self)

    ClawApp._engine_loaded = held  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.2)
            assert not app.ready and app.focused is app.prompt
            assert "starting" in str(app.query_one("#topbar").render())
            await pilot.press(*"hi there", "enter")
            assert app.queued == ["hi there"] and app.query_one("#queued").display
            await pilot.press("shift+tab", "escape")  # harmless before the engine exists
            release.set()
            await wait_for(pilot, lambda: app.ready and bool(app.last_answer), what="the answer")
            assert app.last_answer == "Hello from the model."
            assert app.queued == [] and not app.query_one("#queued").display
            assert "(anthropic)" in str(app.query_one("#topbar").render())
    finally:
        ClawApp._engine_loaded = original  # type: ignore[method-assign]
    assert server.received[0].last_user_text == "hi there"


async def test_the_side_pane_follows_the_first_frame_in_its_reserved_place(server, workspace):
    """The prompt does not wait for the side pane's tabs: they come after the first frame, into
    space that frame kept for them (nothing moves), and before the engine starts loading."""
    from claw_tui.ui.app import ClawApp

    app = _claw_as_started(server, workspace)
    original_mount, original_load = ClawApp._mount_side, ClawApp._load_engine
    seen: dict[str, object] = {}

    async def mount(self) -> None:
        # What the first frame showed: the prompt with the keys, the side pane's place empty.
        seen["before"] = (self.focused is self.prompt, len(self.query("#side-tabs")), self.ready,
                          self.query_one("#side").region, self.query_one("#conversation").region)
        self.action_next_side_tab()  # Ctrl+T this early: nothing to switch, and no error
        await original_mount(self)

    def load(self) -> None:
        seen["tabs when the engine loads"] = len(self.query("#side-tabs"))
        original_load(self)

    ClawApp._mount_side, ClawApp._load_engine = mount, load  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.ready, what="the engine")
            focused, tabs, ready, side, conversation = seen["before"]
            assert focused and tabs == 0 and not ready
            assert side.width >= 40 and conversation.width > 0
            assert seen["tabs when the engine loads"] == 1
            assert app.query_one("#side-tabs").active == "diffs-tab"
            # Nothing moved when the tabs came.
            assert (app.query_one("#side").region, app.query_one("#conversation").region) == (side, conversation)
            await pilot.press("ctrl+t")
            assert app.query_one("#side-tabs").active == "swarm-tab"
    finally:
        ClawApp._mount_side, ClawApp._load_engine = original_mount, original_load  # type: ignore[method-assign]


def test_a_bad_setting_found_while_the_engine_loads_exits_with_the_message(tmp_path, monkeypatch):
    """The same words and exit code as without the deferred start."""
    import subprocess
    import sys

    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    out = subprocess.run([sys.executable, "-m", "claw_tui.cli", "--cwd", str(tmp_path), "--provider", "compatible"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert "needs --base-url" in out.stderr


async def test_the_approval_prompt_says_why_it_asks(app_factory, server, workspace):
    target = workspace / ".claw" / "settings.json"
    server.add(sc.tool("Write", file_path=str(target), content='{"permissions": {"allow": ["Bash"]}}'),
               sc.text("ok"))
    app = app_factory(permission_mode="acceptEdits")
    async with app.run_test(size=(160, 44)) as pilot:
        await app.submit("loosen the rules")
        await approval_shown(pilot, app, "approval")
        title = str(app.approval.query_one(".approval-title").render())
        assert "why:" in title and "protected" in title.lower()
        await pilot.press("n")
        await wait_for(pilot, lambda: not app.session.agent.busy, what="turn end")
    assert not target.exists()


def test_invalid_options_end_the_workspace_with_the_same_message(tmp_path, monkeypatch):
    """Options are validated with the engine, after the first frame: the message is still claw's own."""
    import subprocess
    import sys

    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    out = subprocess.run([sys.executable, "-m", "claw_tui.cli", "--cwd", str(tmp_path), "--max-turns", "0"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert "invalid options" in out.stderr and "max_turns must be at least 1" in out.stderr
    out = subprocess.run([sys.executable, "-m", "claw_tui.cli", "--cwd", str(tmp_path / "nowhere")],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "working directory does not exist" in out.stderr


async def test_config_lists_every_settings_layer_and_agents_says_how_sub_agents_appear(app_factory, workspace):
    (workspace / ".claw").mkdir()
    (workspace / ".claw" / "settings.json").write_text("{broken")
    app = app_factory()
    async with app.run_test(size=(160, 44)):
        await app.submit("/config")
        shown = await last_output(app)
        assert "settings.local.json" in shown and "user" in shown and "project" in shown
        assert "✗ project" in shown and "is not valid JSON" in shown
        await app.submit("/agents")
        assert "Swarm pane" in await last_output(app)
