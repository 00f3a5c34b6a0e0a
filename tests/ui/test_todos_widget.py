"""The TodoList widget draws the agent's task list: ☐ pending, ◐ in progress (bold), ☑ done (dim)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region

from claw_tui.ui.widgets.todos import TodoList

PLAN = [
    {"content": "Read the parser", "status": "completed", "activeForm": "Reading the parser"},
    {"content": "Fix the off-by-one", "status": "in_progress", "activeForm": "Fixing the off-by-one"},
    {"content": "Run the tests", "status": "pending", "activeForm": "Running the tests"},
]


class Host(App):
    def compose(self) -> ComposeResult:
        yield TodoList(id="todos")


def screen_lines(widget: TodoList) -> list[tuple[str, list]]:
    """What the widget shows: each line's text and the styles of its non-blank segments."""
    width, height = widget.size
    out = []
    for strip in widget.render_lines(Region(0, 0, width, height)):
        segments = [s for s in strip if s.text.strip()]
        out.append(("".join(s.text for s in strip).rstrip(), [s.style for s in segments]))
    return out


def brightness(style) -> int:
    return sum(style.color.get_truecolor())


async def test_draws_each_status_with_its_mark_and_style() -> None:
    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        todos = app.query_one(TodoList)
        assert todos.has_class("-empty")
        todos.update_todos(PLAN)
        await pilot.pause()
        assert not todos.has_class("-empty")
        assert todos.size.height == 3
        lines = screen_lines(todos)
        assert [text for text, _ in lines] == [
            "☑ Read the parser",
            "◐ Fixing the off-by-one",  # the task in progress says what is happening now
            "☐ Run the tests",
        ]
        done, running, pending = (styles for _, styles in lines)
        # Textual draws "dim" as a fainter foreground colour.
        assert min(brightness(s) for s in pending) > max(brightness(s) for s in done)
        assert brightness(running[0]) == brightness(pending[0])
        assert all(s.bold for s in running)
        assert not any(s.bold for s in done + pending)


async def test_update_replaces_the_list() -> None:
    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        todos = app.query_one(TodoList)
        todos.update_todos(PLAN)
        await pilot.pause()
        todos.update_todos([{**t, "status": "completed"} for t in PLAN])
        await pilot.pause()
        assert [text for text, _ in screen_lines(todos)] == ["☑ Read the parser", "☑ Fix the off-by-one",
                                                             "☑ Run the tests"]
        todos.update_todos([])
        await pilot.pause()
        assert todos.has_class("-empty") and todos.todos == ()
