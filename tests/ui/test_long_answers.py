"""A long streamed answer is shown whole while it streams and after it is frozen."""

from __future__ import annotations

from claw_tui.events import AssistantMessageCompleted, TextDelta, UserPromptSubmitted
from claw_tui.providers.base import Message
from claw_tui.ui.widgets.conversation import FrozenMarkdown

from .conftest import wait_for


async def test_a_20000_character_answer_is_shown_whole_then_frozen(app_factory):
    para = "## Part {n}\n\nSome **bold** text and `code` here, then a list:\n\n- a\n- b\n\n```sh\necho {n}\n```\n\n"
    text = "".join(para.format(n=i) for i in range(260))[:20_000]
    app = app_factory()
    async with app.run_test(size=(140, 44)) as pilot:
        bus = app.session.bus
        bus.publish(UserPromptSubmitted(text="long one"))
        for i in range(0, len(text), 2000):
            bus.publish(TextDelta(text=text[i:i + 2000]))
            await pilot.pause()
        await wait_for(pilot, lambda: app.conversation._live_answer is not None
                       and app.conversation._live_answer.shown_chars == len(text), what="all shown")
        answer = app.conversation._live_answer
        bus.publish(AssistantMessageCompleted(message=Message.user("x"), stop_reason="end_turn", model="m"))
        await wait_for(pilot, lambda: answer.frozen and bool(answer.query(FrozenMarkdown)), what="frozen")
        parts = list(answer.query(FrozenMarkdown))
        assert len(parts) == 1 and parts[0].source == text
        assert not answer.query("Markdown")  # the live widgets are gone
