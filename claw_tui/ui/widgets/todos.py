"""The agent's task list (TodoWrite), as the person sees it while the agent works."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.text import Text
from textual.widgets import Static

# (mark, style of the line) per status. The task in progress shows its activeForm.
STATUS_LOOK = {
    "pending": ("☐", ""),
    "in_progress": ("◐", "bold"),
    "completed": ("☑", "dim"),
}


def render_todos(todos: Iterable[Mapping[str, Any]]) -> Text:
    text = Text(no_wrap=False, overflow="fold")
    for n, todo in enumerate(todos):
        status = str(todo.get("status", "pending"))
        mark, style = STATUS_LOOK.get(status, ("?", ""))
        label = todo.get("activeForm") if status == "in_progress" else None
        if n:
            text.append("\n")
        text.append(f"{mark} {label or todo.get('content', '')}", style=style)
    return text


class TodoList(Static):
    """☐ pending, ◐ in progress (bold, in its activeForm), ☑ completed (dimmed).

    Carries the class ``-empty`` while there is no task, so a stylesheet can hide it.
    """

    DEFAULT_CSS = """
    TodoList { height: auto; }
    """

    def __init__(self, todos: Iterable[Mapping[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.todos: tuple[dict[str, Any], ...] = ()
        self.update_todos(todos)

    def update_todos(self, todos: Iterable[Mapping[str, Any]]) -> None:
        self.todos = tuple(dict(t) for t in todos)
        self.set_class(not self.todos, "-empty")
        self.update(render_todos(self.todos))
