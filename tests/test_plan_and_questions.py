"""Plan mode from the model's side (EnterPlanMode / ExitPlanMode) and AskUserQuestion."""

from __future__ import annotations

import io
import json

import pytest

from claw_tui.config import RunConfig
from claw_tui.events import (
    ApprovalDecision,
    ApprovalRequested,
    PermissionModeChanged,
    QuestionAnswered,
    QuestionAnswers,
    QuestionAsked,
)
from claw_tui.headless import run_headless
from claw_tui.providers import make_provider
from claw_tui.providers.base import ToolResultBlock
from claw_tui.testing import scenario as sc
from tests.conftest import PROVIDERS, Recorder, make_session

PLAN = "## Plan\n1. Add `greet()` to app.py\n2. Test it"


def results(session) -> list[ToolResultBlock]:
    return [b for m in session.agent.messages if m.role == "user" for b in m.content
            if isinstance(b, ToolResultBlock)]


def approver(session, *, allow: bool, message: str | None = None) -> list[ApprovalRequested]:
    seen: list[ApprovalRequested] = []

    def decide(event: ApprovalRequested) -> None:
        seen.append(event)
        event.future.set_result(ApprovalDecision(allow=allow, scope="once", message=message))

    session.bus.subscribe(decide, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    return seen


# -- plan mode -----------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_enter_plan_mode_blocks_edits_then_an_approved_plan_restores_the_mode(server, workspace, provider):
    target = workspace / "app.py"
    server.add(
        sc.tool("EnterPlanMode"),
        sc.tool("Write", file_path=str(target), content="print('hi')\n"),
        sc.tool("ExitPlanMode", plan=PLAN),
        sc.tool("Write", file_path=str(target), content="print('hi')\n"),
        sc.text("implemented"),
    )
    session = make_session(server, workspace, provider, permission_mode="acceptEdits")
    rec = Recorder(session.bus)
    seen = approver(session, allow=True)
    result = await session.run("add a greeting")
    await session.close()
    assert result.result == "implemented"
    entered, blocked, approved, written = results(session)
    assert "Entered plan mode" in entered.content and not entered.is_error
    assert blocked.is_error and "plan mode" in blocked.content
    assert "plan approved, proceed" in approved.content and not approved.is_error
    assert not written.is_error and target.read_text() == "print('hi')\n"
    # Only the plan was asked about: the writes were decided by the mode (denied, then acceptEdits).
    (request,) = seen
    assert request.tool == "ExitPlanMode" and request.preview == {"kind": "plan", "plan": PLAN}
    modes = [(e.previous, e.mode) for e in rec.of(PermissionModeChanged)]
    assert modes == [("acceptEdits", "plan"), ("plan", "acceptEdits")]
    assert session.policy.mode == "acceptEdits"


async def test_a_refused_plan_keeps_plan_mode_and_asks_for_a_revision(server, workspace):
    server.add(sc.tool("ExitPlanMode", plan=PLAN), sc.text("revising"))
    session = make_session(server, workspace, permission_mode="plan")
    rec = Recorder(session.bus)
    seen = approver(session, allow=False, message="use a class instead")
    await session.run("plan it")
    await session.close()
    assert len(seen) == 1
    (refused,) = results(session)
    assert refused.is_error and "use a class instead" in refused.content
    assert "still in plan mode" in refused.content and "revise" in refused.content
    assert session.policy.mode == "plan" and rec.of(PermissionModeChanged) == []


async def test_plan_mode_set_by_the_person_returns_to_default_and_exit_outside_plan_is_harmless(server, workspace):
    server.add(sc.tool("ExitPlanMode", plan=PLAN), sc.tool("ExitPlanMode", plan=PLAN), sc.text("ok"))
    session = make_session(server, workspace, permission_mode="plan")
    seen = approver(session, allow=True)
    await session.run("plan it")
    await session.close()
    first, second = results(session)
    assert "permission mode is now default" in first.content
    assert "Not in plan mode" in second.content and not second.is_error
    assert len(seen) == 1  # outside plan mode there is nothing to approve


async def test_headless_refuses_exit_plan_mode_like_any_approval(server, workspace):
    server.add(sc.tool("ExitPlanMode", plan=PLAN), sc.text("stuck in plan mode"))
    out = io.StringIO()
    cfg = RunConfig(cwd=workspace, provider="anthropic", base_url=server.base_url, watch=False,
                    permission_mode="plan")
    code = await run_headless(cfg, "plan", output_format="json", out=out,
                              provider=make_provider("anthropic", base_url=server.base_url, api_key="k"))
    obj = json.loads(out.getvalue())
    assert code == 0 and obj["permission_denials"][0]["tool_name"] == "ExitPlanMode"
    refusal = server.received[1].body["messages"][-1]["content"][0]
    assert refusal["is_error"] and "cannot ask a person" in refusal["content"]
    assert "still in plan mode" in refusal["content"]


# -- questions ------------------------------------------------------------------------

QUESTIONS = [
    {"question": "Which database?", "header": "Database", "multiSelect": False,
     "options": [{"label": "Postgres", "description": "relational"}, {"label": "SQLite", "description": "a file"}]},
    {"question": "Which extras?", "header": "Extras", "multiSelect": True,
     "options": [{"label": "Auth", "description": "log in"}, {"label": "Search", "description": "full text"},
                 {"label": "Export", "description": "CSV"}]},
]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_ask_user_question_is_answered_by_whoever_subscribes(server, workspace, provider):
    server.add(sc.tool("AskUserQuestion", questions=QUESTIONS), sc.text("going with Postgres"))
    session = make_session(server, workspace, provider)
    rec = Recorder(session.bus)
    asked: list[QuestionAsked] = []

    def answer(event: QuestionAsked) -> None:
        asked.append(event)
        event.future.set_result(QuestionAnswers({"Which database?": "Postgres", "Which extras?": "Auth, Export"}))

    session.bus.subscribe(answer, approver=True, event_filter=lambda e: isinstance(e, QuestionAsked))
    result = await session.run("build it")
    await session.close()
    assert result.result == "going with Postgres"
    (event,) = asked
    assert event.agent_name == "main" and event.call_id
    db, extras = event.questions
    assert db.header == "Database" and [o.label for o in db.options] == ["Postgres", "SQLite"]
    assert extras.multi_select and extras.options[2].description == "CSV"
    (reply,) = results(session)
    assert not reply.is_error
    assert '"Which database?"="Postgres"' in reply.content and '"Which extras?"="Auth, Export"' in reply.content
    assert rec.of(QuestionAnswered)[0].declined is False


async def test_declined_or_unanswerable_questions_tell_the_model_to_decide(server, workspace):
    server.add(sc.tool("AskUserQuestion", questions=QUESTIONS[:1]), sc.text("assumed Postgres"))
    session = make_session(server, workspace)  # nobody subscribed to answer
    await session.run("build it")
    await session.close()
    (reply,) = results(session)
    assert reply.is_error and "No one is there" in reply.content and "say what you assumed" in reply.content


async def test_headless_refuses_questions_clearly(server, workspace):
    server.add(sc.tool("AskUserQuestion", questions=QUESTIONS[:1]), sc.text("assumed Postgres"))
    out = io.StringIO()
    cfg = RunConfig(cwd=workspace, provider="anthropic", base_url=server.base_url, watch=False)
    code = await run_headless(cfg, "build", out=out,
                              provider=make_provider("anthropic", base_url=server.base_url, api_key="k"))
    assert code == 0 and out.getvalue().strip() == "assumed Postgres"
    refusal = server.received[1].body["messages"][-1]["content"][0]
    assert refusal["is_error"]
    assert "claw -p" in refusal["content"] and "decide yourself and say what you assumed" in refusal["content"]


async def test_malformed_questions_are_refused_before_anyone_is_asked(server, workspace):
    one_option = [{**QUESTIONS[0], "options": QUESTIONS[0]["options"][:1]}]
    long_header = [{**QUESTIONS[0], "header": "A header that is far too long"}]
    same_labels = [{**QUESTIONS[0], "options": [QUESTIONS[0]["options"][0]] * 2}]
    server.add(sc.tool("AskUserQuestion", questions=one_option), sc.tool("AskUserQuestion", questions=long_header),
               sc.tool("AskUserQuestion", questions=same_labels), sc.text("fine"))
    session = make_session(server, workspace)
    asked: list[QuestionAsked] = []
    session.bus.subscribe(asked.append, approver=True, event_filter=lambda e: isinstance(e, QuestionAsked))
    await session.run("ask badly")
    await session.close()
    few, long, same = results(session)
    assert all(r.is_error and "Invalid input for AskUserQuestion" in r.content for r in (few, long, same))
    assert "options" in few.content and "header" in long.content and "distinct" in same.content
    assert asked == []
