"""A long streamed answer stays cheap to draw: its finished part is frozen as it streams."""

from __future__ import annotations

from claw_tui.events import AssistantMessageCompleted, TextDelta, UserPromptSubmitted
from claw_tui.providers.base import Message
from claw_tui.ui.widgets.conversation import AssistantMessage, FrozenMarkdown, split_point

from .conftest import wait_for


def test_split_points_never_cut_code_lists_quotes_or_tables():
    fence = "Intro.\n\n```python\nx = 1\n\ny = 2\n```\n\nAfter the code.\n"
    cut = split_point(fence, keep=1)
    assert fence[:cut].count("```") % 2 == 0  # never inside the fence
    assert fence[cut:].startswith("After the code.")
    listy = "Steps:\n\n- one\n\n- two\n\n1. three\n\n> quote\n\n| a |\n"
    assert split_point(listy, keep=1) == 0
    assert split_point("# Title\n\nPara one.\n\n## Next\n\nPara two.\n", keep=5) > 0
    assert split_point("no blank line at all", keep=0) == 0


async def test_a_20000_character_answer_streams_with_a_short_live_tail(app_factory):
    para = "## Part {n}\n\nSome **bold** text and `code` here, then a list:\n\n- a\n- b\n\n```sh\necho {n}\n```\n\n"
    text = "".join(para.format(n=i) for i in range(260))[:20_000]
    app = app_factory()
    async with app.run_test(size=(140, 44)) as pilot:
        bus = app.session.bus
        bus.publish(UserPromptSubmitted(text="long one"))
        longest_tail = 0
        for i in range(0, len(text), 1000):
            bus.publish(TextDelta(text=text[i:i + 1000]))
            await pilot.pause()
            live = app.conversation._live_answer
            if live is not None and live._markdown is not None:
                longest_tail = max(longest_tail, len(live.text) - live._tail_start)
        await wait_for(pilot, lambda: app.conversation._live_answer is not None
                       and app.conversation._live_answer.shown_chars == len(text), what="all shown")
        answer = app.conversation._live_answer
        assert answer.text == text
        assert longest_tail <= AssistantMessage.SPLIT_CHARS + 1000
        assert len(answer.query(FrozenMarkdown)) >= 5
        bus.publish(AssistantMessageCompleted(message=Message.user("x"), stop_reason="end_turn", model="m"))
        await wait_for(pilot, lambda: answer.frozen, what="frozen")
        await pilot.pause(0.2)
        parts = list(answer.query(FrozenMarkdown))
        assert "".join(p.source for p in parts) == text  # every character, once, in order
