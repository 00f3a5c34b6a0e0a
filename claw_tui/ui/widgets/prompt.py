"""The prompt: multi-line, with history and completion of @files and /commands.

Enter sends; Shift+Enter, Ctrl+J or a trailing backslash insert a newline (many
terminals cannot tell Shift+Enter from Enter, so the other two always work).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option

from claw_tui.fuzzy import rank

MAX_INDEXED_FILES = 50_000
PLACEHOLDER = "Ask claw…  (/ for commands, @ for files, Shift+Enter or Ctrl+J for a new line)"


class CompletionMenu(OptionList, can_focus=False):
    """Suggestions shown above the prompt; the prompt keeps the focus."""


class PromptInput(TextArea):
    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class RewindRequested(Message):
        """Esc pressed twice on an empty prompt: open /rewind."""

    # Two Esc presses this close together on an empty prompt ask for /rewind.
    DOUBLE_ESC_S = 0.6

    def __init__(self, history: list[str] | None = None, *, workspace: Path | None = None,
                 placeholder: str = PLACEHOLDER, **kwargs: Any) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, placeholder=placeholder, **kwargs)
        self._history: list[str] = list(history or [])
        self._history_pos: int | None = None
        self._draft = ""
        self.workspace = workspace or Path.cwd()
        self.commands: list[tuple[str, str]] = []
        self.menu = CompletionMenu(classes="completion-menu")
        self._menu_kind: str | None = None  # "file" | "command"
        self._token_start: tuple[int, int] | None = None
        self._files: list[str] | None = None
        self._indexing: asyncio.Task[None] | None = None
        self._last_escape = 0.0

    def add_history(self, prompts: list[str]) -> None:
        """Earlier prompts (of a resumed session) for ↑ to bring back, oldest first."""
        for text in prompts:
            if text and (not self._history or self._history[-1] != text):
                self._history.append(text)

    @property
    def prompt_history(self) -> list[str]:
        """Prompts sent, oldest first (``history`` is TextArea's undo history)."""
        return list(self._history)

    def on_mount(self) -> None:
        self.menu.display = False
        if self.parent is not None:
            self.parent.mount(self.menu, before=self)

    # -- keys ------------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if self.menu_open:
            if key in ("up", "down"):
                self._stop(event)
                self.menu.action_cursor_up() if key == "up" else self.menu.action_cursor_down()
                return
            if key in ("tab", "enter"):
                self._stop(event)
                self._accept_completion()
                return
            if key == "escape":
                self._stop(event)
                self.close_menu()
                return
        if key == "escape" and not self.text.strip():
            # Not stopped: a single Esc still reaches the app (it interrupts a working agent).
            now = time.monotonic()
            if now - self._last_escape <= self.DOUBLE_ESC_S:
                self._last_escape = 0.0
                self.post_message(self.RewindRequested())
            else:
                self._last_escape = now
        if key == "enter":
            self._stop(event)
            row, col = self.cursor_location
            line = self.document.get_line(row)
            if col > 0 and line[:col].endswith("\\"):
                self.replace("\n", (row, col - 1), (row, col))
                return
            self._submit()
            return
        if key in ("shift+enter", "ctrl+j"):
            self._stop(event)
            self.insert("\n")
            return
        if key == "up" and self.cursor_location[0] == 0:
            self._stop(event)
            self._history_back()
            return
        if key == "down" and self.cursor_location[0] == self.document.line_count - 1:
            if self._history_pos is not None:
                self._stop(event)
                self._history_forward()
                return
        await super()._on_key(event)

    @staticmethod
    def _stop(event: events.Key) -> None:
        event.prevent_default()
        event.stop()

    def _submit(self) -> None:
        text = self.text
        if not text.strip():
            return
        if not self._history or self._history[-1] != text:
            self._history.append(text)
        self._history_pos = None
        self._draft = ""
        self.clear()
        self.close_menu()
        self.post_message(self.Submitted(text))

    def _set_text(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    def _history_back(self) -> None:
        if not self._history:
            return
        if self._history_pos is None:
            self._draft = self.text
            self._history_pos = len(self._history)
        if self._history_pos > 0:
            self._history_pos -= 1
            self._set_text(self._history[self._history_pos])
            self.move_cursor((0, len(self.document.get_line(0))))

    def _history_forward(self) -> None:
        assert self._history_pos is not None
        self._history_pos += 1
        if self._history_pos >= len(self._history):
            self._history_pos = None
            self._set_text(self._draft)
        else:
            self._set_text(self._history[self._history_pos])

    # -- completion ------------------------------------------------------------

    @property
    def menu_open(self) -> bool:
        return bool(self.menu.display) and self.menu.option_count > 0

    def close_menu(self) -> None:
        self.menu.display = False
        self._menu_kind = None

    def _current_token(self) -> tuple[str, tuple[int, int]] | None:
        row, col = self.cursor_location
        line = self.document.get_line(row)[:col]
        start = max(line.rfind(" "), line.rfind("\t")) + 1
        token = line[start:]
        return token, (row, start)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        found = self._current_token()
        if found is None:
            self.close_menu()
            return
        token, start = found
        if token.startswith("@"):
            self._token_start = start
            self._show_files(token[1:])
        elif token.startswith("/") and start == (0, 0) and self.document.line_count == 1:
            self._token_start = start
            self._show_commands(token[1:])
        else:
            self.close_menu()

    def _show_options(self, kind: str, items: list[tuple[str, str]]) -> None:
        self._menu_kind = kind
        self.menu.clear_options()
        if not items:
            self.close_menu()
            return
        self.menu.add_options([
            Option(Text.assemble((value, "bold"), ("  " + desc if desc else "", "dim")), id=value)
            for value, desc in items
        ])
        self.menu.highlighted = 0
        self.menu.display = True

    def _show_commands(self, partial: str) -> None:
        names = [n for n, _ in self.commands]
        prefix = [n for n in names if n.startswith(partial)]
        rest = [n for n in rank(partial, names, limit=20) if n not in prefix]
        desc = dict(self.commands)
        self._show_options("command", [(f"/{n}", desc.get(n, "")) for n in (prefix + rest)[:12]])

    def _show_files(self, partial: str) -> None:
        if self._files is None:
            if self._indexing is None:
                self._indexing = asyncio.get_running_loop().create_task(self._index_files())
            self._show_options("file", [])
            return
        self._show_options("file", [(f"@{p}", "") for p in rank(partial, self._files, limit=12)])

    async def _index_files(self) -> None:
        from claw_tui.tools.walk import walk_files

        root = self.workspace

        def collect() -> list[str]:
            out: list[str] = []
            for p in walk_files(root):
                out.append(os.path.relpath(p, root))
                if len(out) >= MAX_INDEXED_FILES:
                    break
            return out

        self._files = await asyncio.to_thread(collect)
        self._indexing = None
        found = self._current_token()
        if found and found[0].startswith("@"):
            self._show_files(found[0][1:])

    def refresh_files(self) -> None:
        self._files = None

    def _accept_completion(self) -> None:
        index = self.menu.highlighted
        if index is None or self._token_start is None:
            self.close_menu()
            return
        value = self.menu.get_option_at_index(index).id or ""
        row, col = self.cursor_location
        self.replace(value + " ", self._token_start, (row, col))
        self.close_menu()
