"""The workspace's speed and memory, measured (issue 3's targets).

(a) launch to interactive prompt: `claw` started in a real pseudo-terminal,
    time until the prompt is drawn (its placeholder text appears in the terminal
    output; the engine goes on loading behind it). Run with bytecode caching on,
    as a user's claw runs, after one warm-up launch that writes the caches; in
    turn with a bare Textual app (benchmarks/_bare_app.py), the floor this machine
    has in that moment.
(b) render throughput: 20,000 characters of realistic Markdown as a model streams
    them (4-character chunks), at full speed and at 1,000 chunks/s, put on the bus
    the way the engine does (through its frame-rate DeltaThrottle); display lag =
    how far the Markdown shown trails the stream.
(c) per-flush cost: the CPU time each flush of the live answer spends drawing
    (LiveMarkdown.draw: parsing and rendering the blocks that changed, in a worker
    thread, and updating its widgets; not the wait that paces flushes) plus the
    screen's layout and paint while streaming, per flush, with 800 earlier blocks in
    the conversation against an empty one. Measured at 1,000 chunks/s with the
    flushes pinned to 15 a second (claw spaces them by what they cost, which would
    give the costlier conversation more text per flush).
(d) keystroke echo while streaming at 1,000 chunks/s: time from a key event
    handed to the app's loop by another thread (as the terminal's input thread
    does), at jittered wall-clock times every 40-70 ms, until the prompt holds the
    character (processing, not the terminal's paint, which a headless run cannot
    see). The conversation follows the stream, as it does for a person watching.
(e) RSS after 2,000 messages (1,000 prompts and 1,000 answers through the bus).

Run: .venv/bin/python benchmarks/bench_ui.py [--runs 3]. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._pty import PROMPT_MARKER, ClawInPty, user_env  # noqa: E402

CHUNK = 4

PARAGRAPH = """## Step {n}: what changed

The parser now keeps **every** token it reads, so `parse_args()` can report the
column of a bad flag. See [the docs](https://example.com/docs) for details.

- first, read the file with `Read`
- then edit it; the diff shows *exactly* what changes
- finally run `pytest -q` and check the result

```python
def parse_args(argv: list[str]) -> Namespace:
    parser = build_parser()
    return parser.parse_args(argv)  # step {n}
```

| flag | meaning |
| --- | --- |
| `-q` | quiet |
| `-x` | stop at the first failure |

"""


def realistic_markdown(chars: int = 20_000) -> str:
    out, n = [], 0
    while sum(map(len, out)) < chars:
        n += 1
        out.append(PARAGRAPH.format(n=n))
    return "".join(out)[:chars]


# -- (a) launch ---------------------------------------------------------------


def launch_time(timeout: float = 20.0, bare: bool = False) -> float:
    """Seconds until claw's prompt is drawn; with ``bare``, the floor app's (benchmarks/_bare_app.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = user_env(ANTHROPIC_API_KEY="bench", ANTHROPIC_BASE_URL="http://127.0.0.1:9", CLAW_CONFIG_DIR=tmp,
                       CLAW_DATA_DIR=tmp)
        claw = ClawInPty([], tmp, env)
        if bare:
            claw.argv = [sys.executable, str(ROOT / "benchmarks" / "_bare_app.py")]
        with claw:
            return claw.until({"prompt": PROMPT_MARKER}, timeout)["prompt"]


def launch_times(runs: int) -> tuple[list[float], list[float]]:
    """claw and the floor app launched in turn, each after a warm-up that writes the bytecode caches."""
    launch_time(), launch_time(bare=True)
    claw, floor = [], []
    for _ in range(runs):
        claw.append(launch_time())
        floor.append(launch_time(bare=True))
    return claw, floor


# -- (b), (c), (d) streaming ----------------------------------------------------


def _app(workspace: Path):  # noqa: ANN202
    from claw_tui.config import RunConfig
    from claw_tui.providers import make_provider
    from claw_tui.ui.app import ClawApp

    cfg = RunConfig(cwd=workspace, provider="anthropic", base_url="http://127.0.0.1:9", watch=False)
    # tune_gc: the garbage collector set as the claw command sets it (claw_tui/ui/gc_policy.py).
    return ClawApp(cfg, provider=make_provider("anthropic", base_url="http://127.0.0.1:9", api_key="bench"),
                   tune_gc=True)


def _shown(app) -> int:  # noqa: ANN001
    live = app.conversation._live_answer
    return 0 if live is None else live.shown_chars


async def _fill(app, pilot, blocks: int) -> None:  # noqa: ANN001
    """Earlier turns: prompts, frozen answers and finished tool calls, as the bus delivers them."""
    from claw_tui.events import (
        AssistantMessageCompleted,
        TextDelta,
        ToolCallFinished,
        ToolCallStarted,
        UserPromptSubmitted,
    )
    from claw_tui.providers.base import Message

    bus = app.session.bus
    for i in range(blocks // 3):
        bus.publish(UserPromptSubmitted(text=f"question {i}: why does the parser drop tokens?"))
        bus.publish(TextDelta(text=PARAGRAPH.format(n=i)[:600]))
        bus.publish(AssistantMessageCompleted(message=Message.user("x"), stop_reason="tool_use", model="m"))
        bus.publish(ToolCallStarted(call_id=f"c{i}", tool="Read", input={"file_path": "a.py"}, summary="a.py"))
        bus.publish(ToolCallFinished(call_id=f"c{i}", tool="Read", content="x" * 200, is_error=False,
                                     duration_s=0.01, summary="10 lines"))
        if i % 20 == 0:
            await pilot.pause()
    # Until the app has drawn them all: a measurement taken while it still works through
    # them measures that work too.
    conversation = app.conversation
    while len(conversation.entries) + conversation.archived_count < blocks // 3 * 3:
        await pilot.pause(0.1)
    await pilot.pause(0.3)


async def stream(app, pilot, text: str, rate: float | None, keys: bool = False,  # noqa: ANN001
                 pinned: bool = False) -> dict:
    from textual import events
    from claw_tui.ui.widgets.markdown_text import LiveMarkdown

    from claw_tui.engine.throttle import DeltaThrottle
    from claw_tui.events import TextDelta, UserPromptSubmitted

    from claw_tui.ui.widgets import markdown_text

    flushes: list[float] = []
    original = LiveMarkdown.draw
    in_draw = [0, 0.0]  # draws under way; frame time spent while one was (counted as frames)

    async def timed_draw(self) -> None:  # noqa: ANN001
        # The process's CPU time: the drawing's parsing and rendering run in a worker thread,
        # and the loop may paint while it waits for them (those frames are counted as frames).
        t0, painted = time.process_time(), in_draw[1]
        in_draw[0] += 1
        try:
            await original(self)
        finally:
            in_draw[0] -= 1
        flushes.append(time.process_time() - t0 - (in_draw[1] - painted))

    LiveMarkdown.draw = timed_draw  # type: ignore[method-assign]
    pace = markdown_text.MIN_FLUSHES_PER_SECOND
    if pinned:  # every flush 1/15 s apart, whatever it costs: the same text per flush in both conversations
        markdown_text.MIN_FLUSHES_PER_SECOND = markdown_text.FLUSHES_PER_SECOND
    # And what each flush costs after it: the screen's layout and paint. (Patched on the class:
    # the screen calls them through self, while its timer holds the bound _on_timer_update.)
    from textual.screen import Screen

    frames: list[float] = []
    originals = {name: getattr(Screen, name) for name in ("_refresh_layout", "_compositor_refresh")}
    depth = [0]  # a layout paints too: counted once

    def timed(name: str):  # noqa: ANN202
        method = originals[name]

        def run(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            t0 = time.perf_counter()
            depth[0] += 1
            try:
                return method(self, *args, **kwargs)
            finally:
                depth[0] -= 1
                if not depth[0]:
                    frames.append(time.perf_counter() - t0)
                    if in_draw[0]:
                        in_draw[1] += frames[-1]

        return run

    for name in originals:
        setattr(Screen, name, timed(name))
    bus = app.session.bus
    throttle = DeltaThrottle(bus.publish, "main")
    bus.publish(UserPromptSubmitted(text="explain the parser"))
    await pilot.pause(0.1)
    chunks = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
    lags: list[float] = []
    echo: list[float] = []
    prompt = app.prompt
    stop_keys = threading.Event()
    loop = asyncio.get_running_loop()
    sent: list[float] = []  # when each key was handed to the loop, from outside it

    def typist() -> None:
        # A person's keys arrive whenever they arrive, not when the app is free: they are posted
        # from another thread (as Textual's input thread does), at jittered wall-clock times, so a
        # key that lands in the middle of a long layout waits for it (a typist inside the loop
        # only ever typed right after a stall had ended, and under-reported them).
        rng = random.Random(7)
        while not stop_keys.wait(rng.uniform(0.04, 0.07)):
            sent.append(time.perf_counter())
            loop.call_soon_threadsafe(app.post_message, events.Key("x", "x"))

    async def watch_echo() -> None:
        base = len(prompt.text)
        while not (stop_keys.is_set() and len(echo) >= len(sent)):
            shown = len(prompt.text) - base
            now = time.perf_counter()
            while len(echo) < min(shown, len(sent)):
                echo.append(now - sent[len(echo)])
            await asyncio.sleep(0.0005)

    typing = threading.Thread(target=typist, daemon=True) if keys else None
    watcher = asyncio.create_task(watch_echo()) if keys else None
    if typing is not None:
        typing.start()
    prompt.focus()
    start = time.perf_counter()
    published = 0
    try:
        for n, chunk in enumerate(chunks, 1):
            throttle.add(TextDelta, chunk)
            published += len(chunk)
            if rate:
                due = start + n / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if n % 50 == 0:
                    lags.append((published - _shown(app)) / (rate * CHUNK))
            else:
                await asyncio.sleep(0)
        throttle.close()
        last_publish = time.perf_counter()
        while _shown(app) < len(text):
            await asyncio.sleep(0.001)
        shown_at = time.perf_counter()
    finally:
        stop_keys.set()
        if typing is not None:
            typing.join()
            await asyncio.wait_for(watcher, 10)
        LiveMarkdown.draw = original  # type: ignore[method-assign]
        markdown_text.MIN_FLUSHES_PER_SECOND = pace
        for name, method in originals.items():
            setattr(Screen, name, method)
    return {
        "stream_s": last_publish - start,
        "lag_end_s": shown_at - last_publish,
        "lag_max_s": max(lags) if lags else shown_at - last_publish,
        "flushes": flushes,
        "frames": frames,
        "echo": echo,
    }


async def streaming_benchmarks(text: str) -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CLAW_CONFIG_DIR"] = os.environ["CLAW_DATA_DIR"] = tmp
        for label, blocks in (("empty", 0), ("800 blocks", 800)):
            app = _app(Path(tmp))
            async with app.run_test(size=(160, 48)) as pilot:
                await _fill(app, pilot, blocks)
                mounted = len(app.conversation.entries)
                full = await stream(app, pilot, text, None)
            app2 = _app(Path(tmp))
            async with app2.run_test(size=(160, 48)) as pilot:
                await _fill(app2, pilot, blocks)
                pinned = await stream(app2, pilot, text, 1000.0, pinned=True)
            app3 = _app(Path(tmp))
            async with app3.run_test(size=(160, 48)) as pilot:
                await _fill(app3, pilot, blocks)
                paced = await stream(app3, pilot, text, 1000.0, keys=True)
            results[label] = {"full": full, "pinned": pinned, "paced": paced, "mounted": mounted}
    return results


# -- (e) memory -----------------------------------------------------------------

RSS_CHILD = r"""
import asyncio, os, sys, tempfile, psutil
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import benchmarks.bench_ui as b
from claw_tui.events import AssistantMessageCompleted, TextDelta, TurnFinished, UserPromptSubmitted
from claw_tui.providers.base import Message

async def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CLAW_CONFIG_DIR"] = os.environ["CLAW_DATA_DIR"] = tmp
        app = b._app(Path(tmp))
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause(0.2)
            base = psutil.Process().memory_info().rss
            bus = app.session.bus
            for i in range(1000):
                bus.publish(UserPromptSubmitted(text=f"prompt {i}: " + "why " * 20))
                bus.publish(TextDelta(text=b.PARAGRAPH.format(n=i)))
                bus.publish(AssistantMessageCompleted(message=Message.user("x"), stop_reason="end_turn", model="m"))
                bus.publish(TurnFinished(outcome="success", result="", num_turns=1))
                if i % 10 == 0:
                    await pilot.pause()
            await pilot.pause(0.5)
            print(base, psutil.Process().memory_info().rss, len(app.conversation.entries),
                  app.conversation.archived_count)

asyncio.run(main())
"""


def rss_after_messages() -> tuple[float, float, int, int]:
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, str(ROOT)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    base, after, mounted, archived = out.stdout.split()[-4:]
    return int(base) / 2**20, int(after) / 2**20, int(mounted), int(archived)


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    text = realistic_markdown()
    launches, floor = launch_times(max(args.runs * 3, 9))
    runs = [asyncio.run(streaming_benchmarks(text)) for _ in range(args.runs)]
    mem = rss_after_messages()

    def med(path) -> float:  # noqa: ANN001
        return statistics.median(path(r) for r in runs)

    def flush_mean(r, label) -> float:  # noqa: ANN001
        # Drawing the live answer, plus the layout and paint it caused, per flush, at the same
        # pace in both conversations (1,000 chunks/s, flushes pinned to 15 a second).
        f = r[label]["pinned"]["flushes"]
        return (sum(f) + sum(r[label]["pinned"]["frames"])) / len(f)

    empty_flush = med(lambda r: flush_mean(r, "empty"))
    full_flush = med(lambda r: flush_mean(r, "800 blocks"))
    echo = [e for r in runs for e in r["empty"]["paced"]["echo"]]
    echo_800 = [e for r in runs for e in r["800 blocks"]["paced"]["echo"]]
    rows = [
        ("launch to interactive prompt (pty, 120×40)", f"median {statistics.median(launches) * 1000:.0f} ms "
         f"(best {min(launches) * 1000:.0f} ms); a bare Textual app in the same runs: median "
         f"{statistics.median(floor) * 1000:.0f} ms, claw − bare median "
         f"{statistics.median(c - f for c, f in zip(launches, floor)) * 1000:.0f} ms", "≤ 400 ms"),
        ("20,000 chars at full speed: stream / shown after", f"{med(lambda r: r['empty']['full']['stream_s']):.2f} s "
         f"/ +{med(lambda r: r['empty']['full']['lag_end_s']) * 1000:.0f} ms", "—"),
        ("20,000 chars at 1,000 chunks/s: lag at end / max lag", f"{med(lambda r: r['empty']['paced']['lag_end_s']) * 1000:.0f} ms / "
         f"{med(lambda r: r['empty']['paced']['lag_max_s']) * 1000:.0f} ms "
         f"(stream took {med(lambda r: r['empty']['paced']['stream_s']):.2f} s for 5.00 s of chunks)",
         "keeps up"),
        ("per-flush cost (drawing + the layout and paint it causes): empty vs 800 earlier blocks", f"{empty_flush * 1000:.2f} ms vs {full_flush * 1000:.2f} ms = "
         f"**{full_flush / empty_flush:.2f}×** ({runs[0]['800 blocks']['mounted']} widgets mounted of 800)",
         "≤ 1.5×"),
        ("keystroke echo while streaming at 1,000 chunks/s", f"p95 {p95(echo) * 1000:.1f} ms, median "
         f"{statistics.median(echo) * 1000:.1f} ms ({len(echo)} keys)", "p95 ≤ 50 ms"),
        ("the same with 800 earlier blocks", f"p95 {p95(echo_800) * 1000:.1f} ms, median "
         f"{statistics.median(echo_800) * 1000:.1f} ms ({len(echo_800)} keys)", "—"),
        ("RSS after 2,000 messages", f"{mem[1]:.0f} MB (was {mem[0]:.0f} MB before; {mem[2]} widgets mounted, "
         f"{mem[3]} archived)", "≤ 250 MB"),
    ]
    cpu = platform.processor() or platform.machine()
    print(f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
          f"{cpu}, Python {platform.python_version()}, by `benchmarks/bench_ui.py --runs {args.runs}`.\n")
    print("| measure | result | target |\n| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\n<!-- raw: " + json.dumps({"launch_s": launches, "bare_launch_s": floor}) + " -->")


if __name__ == "__main__":
    main()
