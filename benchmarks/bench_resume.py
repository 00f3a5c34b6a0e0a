"""Resuming a long session, measured (issue 6's targets: first frame ≤ 1 s, RSS ≤ 250 MB).

A session of 2,000 messages (~10 MB of JSONL: 500 turns of prompt → text and a tool
call → a large tool result → a long Markdown answer, with usage, tool and file
records) is written through the real store, then:

(a) load: ``load_session`` in this process (parse, rebuild, repair), best of N.
(b) ``claw -c`` in a real pseudo-terminal: time from exec until the first frame (the
    top bar), until the first frame that shows the resumed conversation (the last
    answer's closing words are on screen), and until the prompt is drawn; the
    process's RSS then. The same for plain ``claw`` in an empty project, interleaved,
    as the baseline (process start, imports and Textual's first frame, on this machine now).

Run: .venv/bin/python benchmarks/bench_resume.py [--runs 3] [--messages 2000]. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARKER = "ZEBRA-LAST-ANSWER"

# The same realistic answer the UI benchmark streams.
from benchmarks._pty import PROMPT_MARKER, ClawInPty, user_env  # noqa: E402
from benchmarks.bench_ui import PARAGRAPH as ANSWER  # noqa: E402


def build_session(data: Path, workspace: Path, messages: int) -> tuple[Path, int]:
    """Write a stored session of ``messages`` messages; returns its path and size."""
    os.environ["CLAW_DATA_DIR"] = str(data)
    from claw_tui.engine.store import SessionWriter, project_dir
    from claw_tui.providers.base import Message, TextBlock, ToolResultBlock, ToolUseBlock

    sid = "bench-resume-session"
    path = project_dir(workspace) / f"{sid}.jsonl"
    w = SessionWriter(path, sync=False)
    w.append({"t": "session", "v": 1, "id": sid, "cwd": str(workspace), "model": "claude-sonnet-5-5",
              "provider": "anthropic", "mode": "default", "ts": time.time()})
    turns = messages // 4
    result_body = "\n".join(f"{i:6}\t    value_{i} = compute(value_{i - 1})  # a line of a large file" for i in
                            range(1, 110))
    for n in range(1, turns + 1):
        last = n == turns
        w.append({"t": "prompt", "seq": n, "text": f"Step {n}: improve the parser's error messages"})
        w.append({"t": "msg", "m": Message.user(f"Step {n}: improve the parser's error messages").to_dict()})
        call = f"toolu_{n:06d}"
        w.append({"t": "msg", "m": Message("assistant", [
            TextBlock(f"Reading the parser for step {n}."),
            ToolUseBlock(call, "Read", {"file_path": str(workspace / "src" / f"parser_{n % 7}.py")}),
        ]).to_dict()})
        w.append({"t": "usage", "model": "claude-sonnet-5-5", "u": {"input_tokens": 900, "output_tokens": 60},
                  "cost": 0.0036, "ctx": 900, "win": 1_000_000})
        w.append({"t": "tool", "id": call, "name": "Read"})
        w.append({"t": "tool_end", "id": call, "err": False, "c": result_body})
        w.append({"t": "msg", "m": Message("user", [ToolResultBlock(call, result_body)]).to_dict()})
        answer = "".join(ANSWER.format(n=f"{n}.{k}") for k in range(8))
        if last:
            answer += f"\nAll done: {MARKER}\n"
        w.append({"t": "msg", "m": Message("assistant", [TextBlock(answer)]).to_dict()})
        w.append({"t": "usage", "model": "claude-sonnet-5-5", "u": {"input_tokens": 950, "output_tokens": 700},
                  "cost": 0.0134, "ctx": 950, "win": 1_000_000})
        w.append({"t": "turn", "outcome": "success"})
    w.close()
    return path, path.stat().st_size


def bench_load(path: Path, runs: int) -> tuple[float, int]:
    from claw_tui.engine.store import load_session

    times = []
    loaded = None
    for _ in range(runs):
        start = time.perf_counter()
        loaded = load_session(path)
        times.append(time.perf_counter() - start)
    assert loaded is not None
    return min(times), len(loaded.messages)


def bench_tui(data: Path, workspace: Path, timeout: float = 30.0, *, resume: bool = True
              ) -> tuple[float, float, float, float]:
    """Seconds to the first frame (the top bar, which names the project directory), to the first frame
    showing the resumed conversation (the last answer's closing words), to the prompt; RSS MB then."""
    env = user_env(ANTHROPIC_API_KEY="bench", ANTHROPIC_BASE_URL="http://127.0.0.1:9", CLAW_DATA_DIR=str(data),
                   CLAW_CONFIG_DIR=str(data / "config"))
    markers = {"frame": workspace.name.encode(), "prompt": PROMPT_MARKER}
    if resume:
        markers["shown"] = MARKER.encode()
    with ClawInPty(["-c"] if resume else [], workspace, env, rows=45, cols=160) as claw:
        at = claw.until(markers, timeout)
        time.sleep(0.3)  # let it settle, then measure memory
        return at["frame"], at.get("shown", at["frame"]), at["prompt"], claw.rss_mb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        workspace = Path(tmp) / "resume-bench-project"
        workspace.mkdir()
        path, size = build_session(data, workspace, args.messages)
        load_s, n_messages = bench_load(path, args.runs)
        empty = Path(tmp) / "empty-bench-project"
        empty.mkdir()
        results = []
        baseline = []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            results.append(bench_tui(data, workspace))
            baseline.append(bench_tui(data, empty, resume=False))
    frame = [r[0] for r in results]
    shown = [r[1] for r in results]
    prompt = [r[2] for r in results]
    rss = [r[3] for r in results]
    base_frame = [r[0] for r in baseline]
    base_rss = [r[3] for r in baseline]
    print(f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, by `benchmarks/bench_resume.py "
          f"--runs {args.runs}`; session of {n_messages:,} messages, {size / 1e6:.1f} MB.\n")
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    print(f"| load_session (parse + rebuild), in process | best {load_s * 1000:.0f} ms | — |")
    print(f"| `claw -c`: first frame | median {statistics.median(frame):.2f} s (best {min(frame):.2f} s) | ≤ 1 s |")
    print(f"| `claw -c`: first frame showing the resumed conversation | median {statistics.median(shown):.2f} s "
          f"(best {min(shown):.2f} s) | ≤ 1 s |")
    print(f"| `claw -c`: prompt drawn | median {statistics.median(prompt):.2f} s | — |")
    print(f"| `claw -c`: RSS once drawn | max {max(rss):.0f} MB | ≤ 250 MB |")
    print(f"| for comparison, `claw` in an empty project: first frame | median {statistics.median(base_frame):.2f} s "
          f"(best {min(base_frame):.2f} s), RSS {max(base_rss):.0f} MB | — |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
