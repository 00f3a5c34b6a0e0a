"""Sandbox benchmark (issue 5, item 5): what the Bash sandbox adds to every command.

Runs ``true`` N times (default 50) through the Bash tool unsandboxed, under bubblewrap and
under Landlock, and reports the median and mean wall time per command and the overhead over
the unsandboxed run. Backends this machine lacks are reported as skipped.

    .venv/bin/python benchmarks/bench_sandbox.py [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from claw_tui.bus import EventBus  # noqa: E402
from claw_tui.permissions.sandbox import Sandbox  # noqa: E402
from claw_tui.tools.base import ShellState, ToolContext  # noqa: E402
from claw_tui.tools.bash import BashTool  # noqa: E402
from claw_tui.tools.filestate import FileStateRegistry  # noqa: E402


async def measure(ws: Path, backend: str | None, runs: int) -> list[float] | str:
    bus = EventBus()
    sandbox = None
    if backend is not None:
        sandbox = Sandbox(ws, bus=bus, backend=backend)  # type: ignore[arg-type]
        if sandbox.backend != backend:
            return f"skipped: {sandbox.reason}"
    ctx = ToolContext(workspace=ws, bus=bus, files=FileStateRegistry(), shell=ShellState(str(ws)), sandbox=sandbox)
    tool = BashTool()
    params = tool.parse({"command": "true"})
    await tool.run(params, ctx)  # warm-up: probes, first exec
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = await tool.run(params, ctx)
        times.append(time.perf_counter() - t0)
        assert not res.is_error, res.content
    if sandbox is not None:
        sandbox.close()
    bus.close()
    return times


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        results = {label: await measure(ws, backend, args.runs)
                   for label, backend in (("unsandboxed", None), ("bwrap", "bwrap"), ("landlock", "landlock"))}
    base = results["unsandboxed"]
    assert isinstance(base, list)
    base_median = statistics.median(base)
    print(f"Bash `true`, {args.runs} runs each, ms per command (median / mean), overhead over unsandboxed:")
    for label, times in results.items():
        if isinstance(times, str):
            print(f"  {label:12} {times}")
            continue
        median, mean = statistics.median(times), statistics.fmean(times)
        extra = "" if label == "unsandboxed" else f"   +{(median - base_median) * 1000:.1f} ms"
        print(f"  {label:12} {median * 1000:6.1f} / {mean * 1000:6.1f}{extra}")


if __name__ == "__main__":
    asyncio.run(main())
