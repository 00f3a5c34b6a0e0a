"""Engine benchmarks (issue 2).

(a) `claw --version` and a `claw -p` scenario, wall time
(b) engine overhead: a 20,000-chunk scripted stream taken onto the bus by the
    engine, against the SDK alone reading the same stream
(c) peak RSS of a `claw -p` run and of the in-process stream benchmark

The scripted model server runs in its own process so its work does not share
the GIL with what is measured. Results are printed and, with --write, recorded
in benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_engine.py [--write] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNKS = 20_000
CHUNK_CHARS = 4


def start_server(responses: list[dict]) -> tuple[subprocess.Popen, str]:
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(responses, fh)
    proc = subprocess.Popen([sys.executable, "-m", "claw_tui.testing.server", path], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{m.group(1)}"


def bench_version(runs: int) -> dict:
    exe = Path(sys.executable).with_name("claw")
    cmd = [str(exe), "--version"] if exe.exists() else [sys.executable, "-m", "claw_tui.cli", "--version"]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return {"median_ms": statistics.median(times) * 1000, "min_ms": min(times) * 1000}


def bench_headless(runs: int) -> dict:
    from claw_tui.testing import scenario as sc

    times, rss = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            ws = Path(tmp)
            scen = sc.load("demo", ws)
            sc.write_files(scen, ws)
            server, url = start_server([{**r, "delay": 0} for r in scen["responses"]])
            try:
                env = {**os.environ, "ANTHROPIC_API_KEY": "bench", "ANTHROPIC_BASE_URL": url}
                exe = Path(sys.executable).with_name("claw")
                cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "claw_tui.cli"]
                cmd += ["-p", scen["prompt"], "--output-format", "json", "--permission-mode", "acceptEdits",
                        "--allowedTools", *scen["allowed_tools"]]
                before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                t = time.perf_counter()
                out = subprocess.run(cmd, capture_output=True, text=True, cwd=ws, env=env)
                times.append(time.perf_counter() - t)
                after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                rss.append(max(before, after) / 1024)
                obj = json.loads(out.stdout)
                assert obj["subtype"] == "success", out.stderr
            finally:
                server.kill()
                server.wait()
    return {"median_s": statistics.median(times), "min_s": min(times), "peak_rss_mb": max(rss)}


def long_stream() -> dict:
    return {"blocks": [{"type": "text", "text": "abcd" * CHUNKS}], "chunk_chars": CHUNK_CHARS,
            "usage": {"input_tokens": 100, "output_tokens": CHUNKS}}


async def sdk_alone(api: str, url: str) -> float:
    t = time.perf_counter()
    n = 0
    if api == "anthropic":
        import anthropic

        client = anthropic.AsyncAnthropic(api_key="bench", base_url=url, max_retries=0)
        stream = await client.messages.create(model="claude-sonnet-5-5", max_tokens=100,
                                              messages=[{"role": "user", "content": "go"}], stream=True)
        async for ev in stream:
            n += 1
        await client.close()
    else:
        import openai

        client = openai.AsyncOpenAI(api_key="bench", base_url=url + "/v1", max_retries=0)
        stream = await client.chat.completions.create(model="gpt-6.2-sol", messages=[{"role": "user", "content": "go"}],
                                                      stream=True, stream_options={"include_usage": True})
        async for ev in stream:
            n += 1
        await client.close()
    assert n >= CHUNKS
    return time.perf_counter() - t


async def engine(api: str, url: str) -> float:
    from claw_tui.config import RunConfig
    from claw_tui.engine.session import Session
    from claw_tui.events import TextDelta
    from claw_tui.providers import make_provider

    with tempfile.TemporaryDirectory() as tmp:
        base = url if api == "anthropic" else url + "/v1"
        cfg = RunConfig(cwd=tmp, provider=api, base_url=base, watch=False,
                        model="claude-sonnet-5-5" if api == "anthropic" else "gpt-6.2-sol")
        session = Session(cfg, provider=make_provider(api, base_url=base, api_key="bench"))
        # A subscriber like the UI's: it must receive every character.
        got: list[str] = []
        session.bus.subscribe(lambda e: got.append(e.text), event_filter=lambda e: isinstance(e, TextDelta),
                              coalesce=True)
        await session.start()
        t = time.perf_counter()
        result = await session.agent.run("go")
        await session.bus.drain()
        elapsed = time.perf_counter() - t
        await session.close()
        assert result.outcome == "success", result.error
        assert len("".join(got)) == CHUNKS * CHUNK_CHARS
        return elapsed


def bench_stream(runs: int) -> dict:
    out = {}
    # warm imports so neither side pays them inside the timing
    import anthropic  # noqa: F401
    import openai  # noqa: F401

    for api in ("anthropic", "openai"):
        server, url = start_server([long_stream() for _ in range(2 * runs + 2)])
        try:
            asyncio.run(sdk_alone(api, url))  # warm-up: connection code paths, pydantic models
            asyncio.run(engine(api, url))
            sdk, eng = [], []
            for _ in range(runs):
                sdk.append(asyncio.run(sdk_alone(api, url)))
                eng.append(asyncio.run(engine(api, url)))
        finally:
            server.kill()
            server.wait()
        s, e = statistics.median(sdk), statistics.median(eng)
        out[api] = {"sdk_s": s, "engine_s": e, "ratio": e / s}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="record the results in benchmarks/RESULTS.md")
    args = ap.parse_args()
    # Sessions and settings of the runs stay out of the user's own dirs (children inherit this).
    scratch = tempfile.mkdtemp(prefix="claw-bench-")
    os.environ.setdefault("CLAW_DATA_DIR", scratch)
    os.environ.setdefault("CLAW_CONFIG_DIR", scratch)

    version = bench_version(max(args.runs, 10))
    print(f"claw --version: median {version['median_ms']:.0f} ms, best {version['min_ms']:.0f} ms (target ≤ 150 ms)")
    headless = bench_headless(args.runs)
    print(f"claw -p demo scenario (read, edit, run, answer): median {headless['median_s']:.2f} s, "
          f"peak RSS {headless['peak_rss_mb']:.0f} MB")
    stream = bench_stream(args.runs)
    for api in ("anthropic", "openai"):
        r = stream[api]
        print(f"{api}: {CHUNKS:,}-chunk stream: SDK alone {r['sdk_s']:.3f} s, engine onto the bus "
              f"{r['engine_s']:.3f} s, ratio {r['ratio']:.3f} (target ≤ 1.10)")
    print(f"peak RSS of the stream benchmark process: {stream['peak_rss_mb']:.0f} MB")

    if args.write:
        section = "\n".join([
            "## Engine (issue 2)",
            "",
            f"Measured {dt.date.today().isoformat()} on {machine()}, by `benchmarks/bench_engine.py --runs {args.runs}`.",
            "",
            "| measure | result | target |",
            "| --- | --- | --- |",
            f"| `claw --version` wall time | median {version['median_ms']:.0f} ms (best {version['min_ms']:.0f} ms) | ≤ 150 ms |",
            f"| `claw -p` demo scenario (read → edit → run → answer, 4 model calls) | median {headless['median_s']:.2f} s | — |",
            f"| peak RSS of that `claw -p` run | {headless['peak_rss_mb']:.0f} MB | — |",
            *(f"| {api}: {CHUNKS:,}-chunk stream, engine onto the bus vs SDK alone | "
              f"{stream[api]['engine_s']:.3f} s vs {stream[api]['sdk_s']:.3f} s = **{stream[api]['ratio']:.3f}×** | ≤ 1.10× |"
              for api in ("anthropic", "openai")),
            f"| peak RSS, stream benchmark process (both SDKs loaded) | {stream['peak_rss_mb']:.0f} MB | — |",
            "",
        ])
        results = ROOT / "benchmarks" / "RESULTS.md"
        text = results.read_text() if results.exists() else "# Benchmark results\n\n"
        text = re.sub(r"## Engine \(issue 2\)\n.*?(?=\n## |\Z)", "", text, flags=re.DOTALL).rstrip() + "\n\n"
        results.write_text(text + section)
        print(f"written to {results}")


if __name__ == "__main__":
    main()
