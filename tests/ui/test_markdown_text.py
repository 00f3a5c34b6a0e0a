"""Answers drawn as styled text block by block: while they stream, after, and as the view follows."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from rich.cells import cell_len

from claw_tui.events import AssistantMessageCompleted, TextDelta, UserPromptSubmitted
from claw_tui.providers.base import Message
from claw_tui.ui.widgets.conversation import AssistantMessage, FrozenMarkdown
from claw_tui.ui.widgets.markdown_text import LiveMarkdown, render_markdown, split_blocks

from .conftest import wait_for

SAMPLE = """# Plan

Read the parser first. It keeps **every** token, see [the docs][docs].

- one
- two
  - nested

```python
def f(x):
    return x + 1
```

| flag | meaning |
| --- | --- |
| `-q` | quiet |

> a quote
> over two lines

1. first
2. second

---

Text\u2028with a line separator, and a\r\nCRLF line.

[docs]: https://example.com/docs
"""


def test_blocks_cover_the_text_exactly_and_split_where_markdown_does():
    for source in (SAMPLE, "", "one line", "```\nunclosed fence\n\nstill code", "a\n\n\n\nb\n", "\n\nlead"):
        parts, _ = split_blocks(source)
        assert "".join(parts) == source  # nothing lost or doubled, whatever the input
    parts, references = split_blocks(SAMPLE)
    assert parts[0].startswith("# Plan") and parts[1].startswith("Read the parser")
    assert any(p.startswith("```python") and p.rstrip().endswith("```") for p in parts)
    assert "[docs]: https://example.com/docs" in references
    # A reference link in one block resolves against a definition in another.
    assert "[the docs][docs]" not in render_markdown(SAMPLE, 80, "monokai").plain


def test_a_final_code_block_keeps_its_background_to_its_last_line():
    text = render_markdown("Run it:\n\n```sh\necho hi\n```\n", 40, "monokai")
    backgrounds = [seg for seg in text.lines[-1] if seg.style and seg.style.bgcolor]
    assert backgrounds, "the code block's bottom padding lost its background"
    assert all(len(line) == 40 for line in text.plain_lines if line.strip() == "" and line)


PLAIN_LINKS = SAMPLE.replace("[the docs][docs]", "[the docs](https://example.com/docs)").replace(
    "[docs]: https://example.com/docs\n", "")


@pytest.mark.parametrize("text", [PLAIN_LINKS * 6, SAMPLE * 6], ids=["inline-links", "reference-links"])
async def test_a_streamed_answer_looks_the_same_before_and_after_it_is_frozen(app_factory, text):
    app = app_factory()
    rng = random.Random(3)
    async with app.run_test(size=(110, 40)) as pilot:
        bus = app.session.bus
        bus.publish(UserPromptSubmitted(text="explain"))
        i = 0
        while i < len(text):
            n = rng.randint(1, 40)
            bus.publish(TextDelta(text=text[i:i + n]))
            i += n
            if rng.random() < 0.2:
                await pilot.pause()
        await wait_for(pilot, lambda: app.conversation._live_answer is not None
                       and app.conversation._live_answer.shown_chars == len(text), what="all shown")
        answer = app.conversation._live_answer
        live = answer.query_one(LiveMarkdown)
        # Few widgets however long the answer: segments of styled text, not a widget per block.
        assert len(list(answer.query("*"))) < 20
        shown_live = "\n\n".join(w.plain for w in live.query(FrozenMarkdown) if w.blocks)
        width = live.segments[0].size.width
        bus.publish(AssistantMessageCompleted(message=Message.user("x"), stop_reason="end_turn", model="m"))
        await wait_for(pilot, lambda: answer.frozen and bool(answer.query(FrozenMarkdown)), what="frozen")
        await pilot.pause()
        (frozen,) = answer.query(FrozenMarkdown)
        assert frozen.source == text
        assert frozen.plain == shown_live  # nothing moved when it froze
        assert "[the docs][docs]" not in shown_live  # a reference link resolves, defined before or after
        assert frozen.plain == render_markdown(text, width, "monokai").plain  # as a resumed one looks
        # Laid out at its content width: no padded line wraps onto a second one.
        assert all(cell_len(line) <= frozen.size.width for line in frozen.plain.split("\n"))


async def test_the_view_follows_a_long_answer_until_the_person_scrolls_up(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        bus = app.session.bus
        conv = app.conversation
        bus.publish(UserPromptSubmitted(text="short first"))
        bus.publish(TextDelta(text="A short answer."))
        await wait_for(pilot, lambda: conv._live_answer is not None and conv._live_answer.shown_chars > 0,
                       what="short answer")
        await pilot.pause(0.1)
        # Starts at the top of the pane (an anchored view would push short content to its bottom).
        assert conv.scroll_y == 0 and conv.entries[0].region.y < conv.region.y + 3
        for n in range(60):
            bus.publish(TextDelta(text=f"\n\nParagraph {n} of a long answer that keeps coming."))
            await pilot.pause(0.01)
        await wait_for(pilot, lambda: conv._live_answer.shown_chars == len(conv._live_answer.text), what="shown")
        await pilot.pause(0.2)
        assert conv.max_scroll_y > 0 and conv.scroll_y == conv.max_scroll_y  # followed to the end
        conv.scroll_up(animate=False)  # the person scrolls up to read
        conv.scroll_up(animate=False)
        await pilot.pause(0.1)
        reading_at = conv.scroll_y
        assert reading_at < conv.max_scroll_y
        for n in range(20):
            bus.publish(TextDelta(text=f"\n\nMore {n}."))
            await pilot.pause(0.01)
        await pilot.pause(0.3)
        assert conv.scroll_y == reading_at  # left where they are reading
        conv.scroll_end(animate=False)  # back at the end: following again
        await pilot.pause(0.1)
        bus.publish(TextDelta(text="\n\nThe end."))
        await wait_for(pilot, lambda: conv._live_answer.shown_chars == len(conv._live_answer.text), what="last")
        await pilot.pause(0.2)
        assert conv.scroll_y == conv.max_scroll_y


async def test_answers_scrolled_out_of_the_conversation_are_freed(app_factory):
    """An answer unmounted (archived past MAX_MOUNTED, or /clear) leaves memory: a theme
    subscription that held every answer ever shown grew 2,000 messages to 330 MB."""
    import gc
    import weakref

    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = app.conversation
        await conv.add(AssistantMessage(SAMPLE, frozen=True))
        await pilot.pause(0.1)
        frozen = conv.query(FrozenMarkdown).last()
        assert frozen.rendered_lines > 0
        gone = weakref.ref(frozen)
        del frozen
        await conv.clear()
        await pilot.pause(0.5)
        await conv.add(AssistantMessage("next", frozen=True))  # the screen lays out and paints again
        await pilot.pause(0.5)
        gc.collect()
        assert gone() is None


def test_the_claw_command_tunes_the_garbage_collector(tmp_path):
    # In a child process: a frozen generation outlives the app, which a test process must not keep.
    script = r"""
import asyncio, gc, sys
from pathlib import Path
from claw_tui.config import RunConfig
from claw_tui.providers import make_provider
from claw_tui.ui.app import ClawApp

async def main():
    cfg = RunConfig(cwd=Path(sys.argv[1]), provider="anthropic", base_url="http://127.0.0.1:9", watch=False)
    for tune in (False, True):
        app = ClawApp(cfg, provider=make_provider("anthropic", base_url="http://127.0.0.1:9", api_key="k"),
                      tune_gc=tune)
        async with app.run_test() as pilot:
            await pilot.pause(0.2)
            print(tune, gc.get_threshold()[0], gc.get_freeze_count() > 0)

asyncio.run(main())
"""
    (tmp_path / "cfg").mkdir()
    env = {"CLAW_CONFIG_DIR": str(tmp_path / "cfg"), "CLAW_DATA_DIR": str(tmp_path / "cfg"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["False 700 False", "True 10000 True"]


def test_the_claw_command_collects_no_garbage_until_the_engine_has_loaded(tmp_path):
    # The claw command itself (cli.main), its app run headless in a child process.
    script = r"""
import asyncio, gc, sys
from claw_tui import cli
from claw_tui.ui import app as app_module

seen = []

def run(self):
    async def drive():
        async with self.run_test() as pilot:
            seen.append(("first frame", gc.isenabled()))
            while not self.ready:
                await pilot.pause(0.05)
            await pilot.pause(0.1)
            seen.append(("engine loaded", gc.isenabled(), gc.get_threshold()[0], gc.get_freeze_count() > 0))
    asyncio.run(drive())
    return 0

app_module.ClawApp.run = run
seen.append(("before", gc.isenabled()))
cli.main(["--cwd", sys.argv[1], "--trust"])
print(seen)
"""
    (tmp_path / "cfg").mkdir()
    env = {"CLAW_CONFIG_DIR": str(tmp_path / "cfg"), "CLAW_DATA_DIR": str(tmp_path / "cfg"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str([("before", True), ("first frame", False),
                                      ("engine loaded", True, 10000, True)])


async def test_code_in_answers_follows_a_switch_between_dark_and_light(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = app.conversation
        await conv.add(AssistantMessage("Run:\n\n```python\nprint('hi')\n```\n", frozen=True))
        await pilot.pause(0.1)
        frozen = conv.query(FrozenMarkdown).last()

        def code_background() -> str:
            _width, blocks = frozen.renderings()
            return str(next(seg.style.bgcolor for block in blocks for line in block.lines for seg in line
                            if "print" in seg.text))

        app.theme = "textual-dark"
        await pilot.pause(0.1)
        dark = code_background()
        app.theme = "textual-light"
        await wait_for(pilot, lambda: code_background() != dark, what="the code drawn for a light background")
        app.theme = "textual-dark"
        await wait_for(pilot, lambda: code_background() == dark, what="and for a dark one again")


async def test_a_costly_stream_is_drawn_less_often_and_still_entirely(app_factory, monkeypatch):
    """Flushes are spaced by what they cost (the stream takes at most a third of the loop):
    where drawing is slow, the answer is drawn less often, and keys typed meanwhile are not
    kept waiting behind it; all of it is still shown."""
    import asyncio
    import time

    from claw_tui.ui.widgets import markdown_text

    real = markdown_text.prepare_flush
    real_draw = LiveMarkdown.draw
    flushes = []

    def slow(*args):  # noqa: ANN002, ANN202
        end = time.process_time() + 0.035  # each flush costs 35 ms of CPU, as on a slow machine
        while time.process_time() < end:
            pass
        return real(*args)

    async def draw(self):  # noqa: ANN001, ANN202
        flushes.append(time.monotonic())  # when each flush begins (its pace counts from there)
        await real_draw(self)

    monkeypatch.setattr(LiveMarkdown, "draw", draw)
    monkeypatch.setattr(markdown_text, "prepare_flush", slow)
    text = (SAMPLE * 20)[:6000]
    app = app_factory()
    async with app.run_test(size=(110, 40)) as pilot:
        bus = app.session.bus
        bus.publish(UserPromptSubmitted(text="explain"))
        started = time.monotonic()
        for i in range(0, len(text), 40):  # 6,000 characters over 1.5 s
            bus.publish(TextDelta(text=text[i:i + 40]))
            await asyncio.sleep(max(0.0, started + (i + 40) / 4000 - time.monotonic()))
        await wait_for(pilot, lambda: app.conversation._live_answer.shown_chars == len(text), what="all shown")
        streamed = [t for t in flushes if t <= started + 1.5]
        # At 15 flushes a second this would be ~22; at three times 35 ms, >= 105 ms apart.
        assert 3 <= len(streamed) <= 1.5 / 0.105 + 2, [round(b - a, 3) for a, b in zip(flushes, flushes[1:])]
        # Never the 1/15 s of a cheap stream.
        gaps = [b - a for a, b in zip(flushes, flushes[1:])]
        assert min(gaps) >= 0.1, gaps


async def test_a_terminal_resized_while_an_answer_streams_shows_it_at_the_new_width(app_factory):
    text = SAMPLE * 4
    app = app_factory()
    async with app.run_test(size=(110, 40)) as pilot:
        bus = app.session.bus
        bus.publish(UserPromptSubmitted(text="explain"))
        half = len(text) // 2
        for i in range(0, half, 30):
            bus.publish(TextDelta(text=text[i:min(i + 30, half)]))
        await wait_for(pilot, lambda: app.conversation._live_answer is not None
                       and app.conversation._live_answer.shown_chars == half, what="half shown")
        await pilot.resize_terminal(80, 40)
        for i in range(half, len(text), 30):
            bus.publish(TextDelta(text=text[i:i + 30]))
        answer = app.conversation._live_answer
        await wait_for(pilot, lambda: answer.shown_chars == len(text), what="all shown")
        await pilot.pause(0.3)
        live = answer.query_one(LiveMarkdown)
        parts = [w for w in live.query(FrozenMarkdown) if w.blocks]
        width = parts[0].size.width
        assert width < 80
        # Every part, the ones drawn before the resize too, laid out at the new width.
        assert all(w.renderings()[0] == width for w in parts)
        assert "\n\n".join(w.plain for w in parts) == render_markdown(text, width, "monokai").plain
        bus.publish(AssistantMessageCompleted(message=Message.user("x"), stop_reason="end_turn", model="m"))
        await wait_for(pilot, lambda: answer.frozen and bool(answer.query(FrozenMarkdown)), what="frozen")
        await pilot.pause()
        (frozen,) = answer.query(FrozenMarkdown)
        assert frozen.plain == render_markdown(text, width, "monokai").plain
