"""The prompt box: send, new lines, history, @file and /command completion."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import Vertical

from claw_tui.ui.widgets.prompt import PromptInput

from .conftest import wait_for


class Host(App):
    BINDINGS = [("escape", "app_escape", "")]

    def __init__(self, workspace: Path) -> None:
        super().__init__()
        self.workspace = workspace
        self.sent: list[str] = []
        self.escapes = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield PromptInput(["older", "newer"], workspace=self.workspace)

    def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        self.sent.append(message.text)

    def action_app_escape(self) -> None:
        self.escapes += 1


async def test_enter_sends_newline_keys_do_not_and_blank_is_ignored(tmp_path: Path):
    app = Host(tmp_path)
    async with app.run_test() as pilot:
        box = app.query_one(PromptInput)
        await pilot.press("enter")
        assert app.sent == []
        await pilot.press(*"one", "ctrl+j", *"two")
        assert box.text == "one\ntwo"
        await pilot.press("backslash", "enter", *"three")  # a trailing backslash continues the line
        assert box.text == "one\ntwo\nthree"
        await pilot.press("enter")
        assert app.sent == ["one\ntwo\nthree"] and box.text == ""


async def test_history_walks_back_and_restores_the_draft(tmp_path: Path):
    app = Host(tmp_path)
    async with app.run_test() as pilot:
        box = app.query_one(PromptInput)
        await pilot.press(*"draft")
        await pilot.press("up")
        assert box.text == "newer"
        await pilot.press("up")
        assert box.text == "older"
        await pilot.press("down", "down")
        assert box.text == "draft"
        await pilot.press("enter")
        assert box.prompt_history[-1] == "draft"


async def test_at_completion_is_fuzzy_and_gitignore_aware(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "main_generated.py").write_text("")
    (tmp_path / ".gitignore").write_text("build/\n")
    app = Host(tmp_path)
    async with app.run_test() as pilot:
        box = app.query_one(PromptInput)
        await pilot.press(*"look at @mn")
        await wait_for(pilot, lambda: box.menu_open, what="file suggestions")
        options = [str(box.menu.get_option_at_index(i).id) for i in range(box.menu.option_count)]
        assert "@src/main.py" in options
        assert not any("build/" in o for o in options)
        await pilot.press("tab")
        assert box.text == "look at @src/main.py "
        assert not box.menu_open


async def test_slash_completion_and_escape_closes_the_menu_without_bubbling(tmp_path: Path):
    app = Host(tmp_path)
    async with app.run_test() as pilot:
        box = app.query_one(PromptInput)
        box.commands = [("help", "Show help"), ("model", "Switch model"), ("mcp", "MCP servers")]
        await pilot.press("slash", "m")
        assert box.menu_open
        ids = [box.menu.get_option_at_index(i).id for i in range(box.menu.option_count)]
        assert ids[:2] == ["/mcp", "/model"] or set(ids[:2]) == {"/mcp", "/model"}
        await pilot.press("escape")
        assert not box.menu_open and app.escapes == 0
        await pilot.press("escape")  # no menu: the app gets it (it interrupts the agent)
        assert app.escapes == 1
        await pilot.press("backspace", "backspace", "slash", *"mod", "enter")
        assert box.text == "/model " and app.sent == []
