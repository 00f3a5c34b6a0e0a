"""Swarm benchmark (issue 4): sub-agents side by side.

(a) wall time of a parent whose one answer spawns 8 sub-agents, each of whose model
    calls takes 1 s (the scripted server's ``latency``), against a parent spawning one
    (target ≤ 1.3×: the sub-agents overlap, the engine adds little);
(b) memory per live sub-agent: the RSS growth (and the Python heap growth, traced)
    measured while all 8 are waiting on the model, divided by 8.

The scripted model server runs in its own process so its work does not share the
GIL with what is measured. Prints the numbers; the lead records them.

    .venv/bin/python benchmarks/bench_swarm.py [--runs N] [--agents 8] [--latency 1.0] [--provider openai]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_engine import start_server  # noqa: E402


def swarm(tag: str, n: int, latency: float) -> list[dict]:
    """A parent answer with ``n`` Agent calls, each sub-agent's answer after ``latency`` s, the parent's summary."""
    calls = [{"type": "tool_use", "name": "Agent",
              "input": {"description": f"part {i}", "prompt": f"{tag}-TASK-{i}: study part {i}",
                        "subagent_type": "general-purpose"}} for i in range(n)]
    return [
        {"blocks": calls, "match": f"{tag}-PARENT"},
        *({"blocks": [{"type": "text", "text": f"{tag}-ANSWER-{i}: part {i} studied."}],
           "match": f"{tag}-TASK-{i}:", "latency": latency} for i in range(n)),
        {"blocks": [{"type": "text", "text": f"{tag}: all {n} parts done."}], "match": f"{tag}-ANSWER-0:"},
    ]


def rss_bytes() -> int:
    import psutil

    return psutil.Process().memory_info().rss


async def run_swarms(url: str, provider: str, tags: list[tuple[str, int]], agents: int) -> dict:
    from claw_tui.config import RunConfig
    from claw_tui.engine.session import Session
    from claw_tui.providers import make_provider

    base = url if provider == "anthropic" else url + "/v1"
    model = "claude-sonnet-5-5" if provider == "anthropic" else "gpt-6.2-sol"
    with tempfile.TemporaryDirectory() as tmp:
        cfg = RunConfig(cwd=tmp, provider=provider, base_url=base, watch=False, model=model)
        session = Session(cfg, provider=make_provider(provider, base_url=base, api_key="bench"))
        await session.start()
        walls: dict[str, float] = {}
        memory: dict[str, float] = {}
        for tag, n in tags:
            if tag.startswith("MEM"):
                gc.collect()
                tracemalloc.start()
                heap_before = tracemalloc.get_traced_memory()[0]
                rss_before = rss_bytes()
                task = asyncio.create_task(session.run(f"{tag}-PARENT: go"))
                # Every sub-agent has sent its request and waits for the model: all n are alive.
                while len(session.sub_agents) < n or not all(a.api_duration_s == 0 and a.busy
                                                            for a in session.sub_agents.values()):
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.2)
                memory["rss_per_agent_kb"] = (rss_bytes() - rss_before) / n / 1024
                memory["heap_per_agent_kb"] = (tracemalloc.get_traced_memory()[0] - heap_before) / n / 1024
                result = await task
                tracemalloc.stop()
            else:
                started = time.perf_counter()
                result = await session.run(f"{tag}-PARENT: go")
                walls[tag] = time.perf_counter() - started
            assert result.outcome == "success" and result.result == f"{tag}: all {n} parts done.", result
        await session.close()
    return {"walls": walls, "memory": memory}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--agents", type=int, default=8)
    ap.add_argument("--latency", type=float, default=1.0, help="seconds each sub-agent's model call takes")
    ap.add_argument("--provider", choices=("anthropic", "openai"), default="anthropic")
    args = ap.parse_args()
    n = args.agents

    # Warm-up (SDK imports, connections), then alternating one-agent and n-agent runs, then memory.
    plan: list[tuple[str, int]] = [("WARM", 1)]
    for r in range(args.runs):
        plan += [(f"ONE{r}", 1), (f"MANY{r}", n)]
    plan.append(("MEM", n))
    responses = [resp for tag, k in plan for resp in swarm(tag, k, args.latency)]
    server, url = start_server(responses)
    try:
        out = asyncio.run(run_swarms(url, args.provider, plan, n))
    finally:
        server.kill()
        server.wait()
    one = statistics.median(out["walls"][f"ONE{r}"] for r in range(args.runs))
    many = statistics.median(out["walls"][f"MANY{r}"] for r in range(args.runs))
    mem = out["memory"]
    print(f"{args.provider}: parent + 1 sub-agent (model call {args.latency:.1f} s): median {one:.3f} s")
    print(f"{args.provider}: parent + {n} parallel sub-agents: median {many:.3f} s "
          f"→ {many / one:.2f}× one agent (target ≤ 1.3×)")
    print(f"memory per live sub-agent: RSS {mem['rss_per_agent_kb']:.0f} KB, "
          f"Python heap {mem['heap_per_agent_kb']:.0f} KB (traced)")


if __name__ == "__main__":
    main()
