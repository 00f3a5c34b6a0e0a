"""The question prompt: an agent's multiple-choice questions (AskUserQuestion), one at a time.

↑/↓ move, a number key picks an option (toggles it in a multi-select question), space
toggles, Enter confirms the question (the last one sends every answer), Esc declines
them all. The last option, "Other", opens a line to type an answer of one's own.
Answering resolves the request's future; the engine never learns who answered.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from claw_tui.ui.lazy import ev

OTHER_LABEL = "Other"
DECLINED = "The user declined to answer these questions."


class QuestionPrompt(Vertical, can_focus=True):
    DEFAULT_CSS = """
    QuestionPrompt { height: auto; border: round $warning; padding: 0 1; }
    QuestionPrompt > .question-other { display: none; }
    QuestionPrompt > .question-other.-shown { display: block; }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "Previous option", show=False, id="question.up"),
        Binding("down", "move(1)", "Next option", show=False, id="question.down"),
        Binding("space", "toggle", "Toggle option", show=False, id="question.toggle"),
        Binding("enter", "confirm", "Confirm", id="question.confirm"),
        Binding("escape", "decline", "Decline", id="question.decline"),
        *(Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)),
    ]

    class Resolved(Message):
        """The person answered (or declined): the future is resolved, the widget can go."""

        def __init__(self, request: ev.QuestionAsked, answers: ev.QuestionAnswers) -> None:
            super().__init__()
            self.request = request
            self.answers = answers

    class Withdrawn(Message):
        """The agent stopped waiting (interrupted, cancelled) before anyone answered."""

        def __init__(self, request: ev.QuestionAsked) -> None:
            super().__init__()
            self.request = request

    def __init__(self, request: ev.QuestionAsked, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.index = 0
        n = len(request.questions)
        self.cursors = [0] * n
        self.selected: list[set[int]] = [set() for _ in range(n)]
        self.other_text: list[str] = [""] * n
        self.answers: dict[str, str] = {}
        self._title = Static(classes="question-title")
        self._options = Static(classes="question-options")
        self._other = Input(placeholder="Type your answer, Enter to use it, Esc to go back",
                            classes="question-other")
        self._keys = Static(classes="question-keys")
        self._done = False

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._options
        yield self._other
        yield self._keys

    def on_mount(self) -> None:
        self.request.future.add_done_callback(self._future_done)
        self._draw()
        self.call_after_refresh(self.focus)

    def _future_done(self, _future: Any) -> None:
        if not self._done:
            self._done = True
            self.post_message(self.Withdrawn(self.request))

    # -- state -----------------------------------------------------------------

    @property
    def question(self) -> Any:
        return self.request.questions[self.index]

    @property
    def option_count(self) -> int:
        return len(self.question.options) + 1  # + Other

    @property
    def other_index(self) -> int:
        return len(self.question.options)

    def _draw(self) -> None:
        q = self.question
        total = len(self.request.questions)
        who = "the main agent" if self.request.agent_name == "main" else f"agent {self.request.agent_name}"
        title = Text.assemble(("? ", "bold yellow"), (f" {q.header} ", "reverse bold"),
                              (f"  {self.index + 1}/{total}" if total > 1 else "", "dim"),
                              ("  asked by ", "dim"), (who, "bold"), "\n", (q.question, "bold"))
        self._title.update(title)
        lines = Text()
        cursor = self.cursors[self.index]
        chosen = self.selected[self.index]
        labels = [(o.label, o.description) for o in q.options]
        other = self.other_text[self.index]
        labels.append((OTHER_LABEL, f"“{other}”" if other else "type your own answer"))
        for i, (label, description) in enumerate(labels):
            here = i == cursor
            mark = "❯ " if here else "  "
            box = ("[x] " if i in chosen else "[ ] ") if q.multi_select else ""
            lines.append(mark, style="bold cyan")
            lines.append(f"{i + 1}. {box}", style="dim" if not here else "bold")
            lines.append(label, style="bold cyan" if here else "bold")
            if description:
                lines.append(f"  {description}", style="dim")
            if i < len(labels) - 1:
                lines.append("\n")
        self._options.update(lines)
        if q.multi_select:
            keys = "↑↓ move · 1-9/space toggle · enter confirm · esc decline"
        else:
            keys = "↑↓ or 1-9 choose · enter confirm · esc decline"
        self._keys.update(Text(keys, style="dim"))

    # -- keys ------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self.cursors[self.index] = (self.cursors[self.index] + delta) % self.option_count
        self._draw()

    def action_pick(self, number: int) -> None:
        if not 1 <= number <= self.option_count:
            return
        self.cursors[self.index] = number - 1
        if self.question.multi_select:
            self._toggle(number - 1)
        self._draw()

    def action_toggle(self) -> None:
        if self.question.multi_select:
            self._toggle(self.cursors[self.index])
            self._draw()

    def _toggle(self, i: int) -> None:
        chosen = self.selected[self.index]
        if i in chosen:
            chosen.discard(i)
        elif i == self.other_index and not self.other_text[self.index]:
            self._ask_other()
        else:
            chosen.add(i)

    def action_confirm(self) -> None:
        q = self.question
        cursor = self.cursors[self.index]
        if q.multi_select:
            chosen = sorted(self.selected[self.index]) or [cursor]
        else:
            chosen = [cursor]
        if self.other_index in chosen and not self.other_text[self.index]:
            self._ask_other()
            return
        labels = [q.options[i].label if i != self.other_index else self.other_text[self.index] for i in chosen]
        self.answers[q.question] = ", ".join(labels)
        if self.index + 1 < len(self.request.questions):
            self.index += 1
            self._draw()
            return
        self._resolve(ev.QuestionAnswers(dict(self.answers)))

    def action_decline(self) -> None:
        self._resolve(ev.QuestionAnswers({}, declined=True, message=DECLINED))

    # -- "Other" -----------------------------------------------------------------

    def _ask_other(self) -> None:
        self._other.value = self.other_text[self.index]
        self._other.add_class("-shown")
        self._other.focus()

    def _close_other(self) -> None:
        self._other.remove_class("-shown")
        self.focus()

    @on(Input.Submitted, ".question-other")
    def _other_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self._close_other()
        if not text:
            return
        self.other_text[self.index] = text
        self.cursors[self.index] = self.other_index
        if self.question.multi_select:
            self.selected[self.index].add(self.other_index)
            self._draw()
        else:
            self.action_confirm()

    def on_key(self, event: Any) -> None:
        # Esc while typing an answer goes back to the options instead of declining them all.
        if event.key == "escape" and self._other.has_focus:
            event.stop()
            event.prevent_default()
            self._close_other()

    # -- answering -------------------------------------------------------------

    def _resolve(self, answers: ev.QuestionAnswers) -> None:
        if self._done:
            return
        self._done = True
        if not self.request.future.done():
            self.request.future.set_result(answers)
        self.post_message(self.Resolved(self.request, answers))
