"""The question prompt answers an agent's AskUserQuestion from the keyboard."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult

from claw_tui.events import Question, QuestionAnswers, QuestionAsked, QuestionOption
from claw_tui.ui.widgets.question import QuestionPrompt

from .conftest import wait_for

DB = Question("Which database should the service use?", "Database",
              (QuestionOption("Postgres", "relational, already in prod"), QuestionOption("SQLite", "a file"),
               QuestionOption("Redis", "in memory")))
FEATURES = Question("Which features do you want?", "Features",
                    (QuestionOption("Auth", ""), QuestionOption("Search", ""), QuestionOption("Export", "")),
                    multi_select=True)


def make_request(*questions: Question) -> QuestionAsked:
    future: asyncio.Future[QuestionAnswers] = asyncio.get_running_loop().create_future()
    return QuestionAsked(agent_id="agent-1", request_id="r1", questions=questions, future=future,
                         agent_name="Plan #1", call_id="c1")


class Host(App):
    def __init__(self, request: QuestionAsked) -> None:
        super().__init__()
        self.request = request
        self.resolved: list[QuestionAnswers] = []
        self.withdrawn = 0

    def compose(self) -> ComposeResult:
        yield QuestionPrompt(self.request)

    def on_question_prompt_resolved(self, message: QuestionPrompt.Resolved) -> None:
        self.resolved.append(message.answers)

    def on_question_prompt_withdrawn(self, message: QuestionPrompt.Withdrawn) -> None:
        self.withdrawn += 1


async def test_arrows_choose_enter_confirms_and_multi_select_toggles_with_numbers():
    request = make_request(DB, FEATURES)
    app = Host(request)
    async with app.run_test() as pilot:
        prompt = app.query_one(QuestionPrompt)
        await wait_for(pilot, lambda: prompt.has_focus, what="focus")
        text = str(prompt._options.render())
        assert "Postgres" in text and "relational, already in prod" in text and "Other" in text
        await pilot.press("down", "down", "up")  # cursor on SQLite
        await pilot.press("enter")
        assert not request.future.done()  # one more question to go
        assert "Which features" in str(prompt._title.render())
        await pilot.press("1", "3", "3", "3")  # Auth on, Export on, off, on
        await pilot.press("down", "up", "up", "space")  # Export → Other → Export → Search, toggled on
        await pilot.press("enter")
        await wait_for(pilot, lambda: request.future.done(), what="answers")
    answers = request.future.result()
    assert not answers.declined
    assert answers.answers == {DB.question: "SQLite", FEATURES.question: "Auth, Search, Export"}
    assert app.resolved == [answers]


async def test_number_key_picks_then_enter_confirms_single_select():
    request = make_request(DB)
    app = Host(request)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("3", "enter")
        await wait_for(pilot, lambda: request.future.done(), what="answers")
    assert request.future.result().answers == {DB.question: "Redis"}


async def test_other_takes_typed_text_and_escape_in_it_goes_back():
    request = make_request(DB)
    app = Host(request)
    async with app.run_test() as pilot:
        prompt = app.query_one(QuestionPrompt)
        await pilot.pause()
        await pilot.press("4", "enter")  # Other opens the text line
        await wait_for(pilot, lambda: prompt._other.has_focus, what="other input")
        await pilot.press(*"Mongo", "escape")  # back to the options, nothing decided
        await wait_for(pilot, lambda: prompt.has_focus, what="focus back")
        assert not request.future.done()
        await pilot.press("enter")
        await wait_for(pilot, lambda: prompt._other.has_focus, what="other input again")
        prompt._other.value = ""
        await pilot.press(*"DynamoDB", "enter")
        await wait_for(pilot, lambda: request.future.done(), what="answers")
    assert request.future.result().answers == {DB.question: "DynamoDB"}


async def test_escape_declines_everything():
    request = make_request(DB, FEATURES)
    app = Host(request)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(pilot, lambda: request.future.done(), what="declined")
    answers = request.future.result()
    assert answers.declined and answers.answers == {}
    assert app.resolved == [answers]


async def test_a_withdrawn_request_tells_the_host():
    request = make_request(DB)
    app = Host(request)
    async with app.run_test() as pilot:
        await pilot.pause()
        request.future.cancel()  # the agent was interrupted while asking
        await wait_for(pilot, lambda: app.withdrawn == 1, what="withdrawn")
        await pilot.press("enter")  # answering afterwards does nothing
        await pilot.pause()
    assert app.resolved == []
