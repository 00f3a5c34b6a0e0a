"""AskUserQuestion: multiple-choice questions to the person, answered through the bus.

Input follows Claude Code's tool: 1-4 questions, each with a short header, 2-4
options ({label, description}) and multiSelect. The question goes out as a
QuestionAsked event carrying a future, like an approval; whoever answers (the
workspace's question widget, a test) resolves it. Headless mode has no one to ask
and refuses, telling the model to decide itself and say what it assumed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from claw_tui.events import Question, QuestionOption
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

DESCRIPTION = """\
Ask the user multiple-choice questions during execution: to gather preferences or \
requirements, clarify ambiguous instructions, or get a decision between approaches.

Usage notes:
- The user can always answer "Other" and type their own text.
- Use multiSelect: true when several answers may apply.
- If you recommend an option, make it the first one and add "(Recommended)" at the end of its label.
- Ask 1-4 questions at a time, each with 2-4 options."""

MAX_HEADER_CHARS = 12


class OptionInput(ToolInput):
    label: str = Field(min_length=1, max_length=80,
                       description="The display text for this option (1-5 words).")
    description: str = Field(description="What this option means or what will happen if chosen.")


class QuestionInput(ToolInput):
    question: str = Field(min_length=1, description="The complete question, ending with a question mark.")
    header: str = Field(min_length=1, max_length=MAX_HEADER_CHARS,
                        description=f"A very short label shown as a chip (max {MAX_HEADER_CHARS} chars), "
                                    "e.g. 'Auth method'.")
    options: list[OptionInput] = Field(min_length=2, max_length=4, description="The available choices (2-4).")
    multiSelect: bool = Field(default=False, description="Allow the user to select more than one option.")

    @model_validator(mode="after")
    def _distinct_labels(self) -> QuestionInput:
        labels = [o.label.strip() for o in self.options]
        if len(set(labels)) != len(labels):
            raise ValueError("option labels must be distinct within a question")
        return self


class AskUserQuestionInput(ToolInput):
    questions: list[QuestionInput] = Field(min_length=1, max_length=4, description="Questions to ask (1-4).")

    @model_validator(mode="after")
    def _distinct_questions(self) -> AskUserQuestionInput:
        texts = [q.question.strip() for q in self.questions]
        if len(set(texts)) != len(texts):
            raise ValueError("question texts must be distinct")
        return self


class AskUserQuestionTool(Tool):
    name = "AskUserQuestion"
    description = DESCRIPTION
    Input = AskUserQuestionInput
    category = "other"

    def summary(self, params: Any) -> str:
        return "; ".join(q.header for q in params.questions)

    def default_permission(self, params: Any, mode: str) -> Literal["allow", "ask"] | None:
        # Asking is how the person gets a say; it changes nothing.
        return "allow"

    async def run(self, params: AskUserQuestionInput, ctx: ToolContext) -> ToolResult:
        questions = tuple(
            Question(
                question=q.question.strip(),
                header=q.header.strip(),
                options=tuple(QuestionOption(o.label.strip(), o.description.strip()) for o in q.options),
                multi_select=q.multiSelect,
            )
            for q in params.questions
        )
        answers = await ctx.bus.request_question(
            agent_id=ctx.agent_id, agent_name=ctx.agent_name, call_id=ctx.call_id, questions=questions
        )
        if answers.declined:
            reason = answers.message or "The user declined to answer."
            return ToolResult(
                f"{reason.rstrip('.')}. Decide yourself where you can and say what you assumed."
                if "decide yourself" not in reason.lower() else reason,
                is_error=True,
                summary="not answered",
            )
        pairs = []
        for q in questions:
            answer = answers.answers.get(q.question)
            pairs.append(f'"{q.question}"="{answer}"' if answer else f'"{q.question}"=(no answer)')
        return ToolResult(
            f"User has answered your questions: {', '.join(pairs)}. "
            "You can now continue with the user's answers in mind.",
            summary="; ".join(answers.answers.get(q.question, "-") for q in questions)[:120],
        )
