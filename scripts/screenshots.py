"""Render the SVGs in screenshots/ from real states of the app (``make screenshots``).

Each picture is the real workspace driven by Pilot against the scripted model
server: the built-in demo scenario (read → edit with approval → run → answer),
the diff pane in split view, the swarm pane during a fan-out, and the first-run
setup screen. Nothing is drawn by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claw_tui.config import RunConfig  # noqa: E402
from claw_tui.providers import make_provider  # noqa: E402
from claw_tui.testing import scenario as sc  # noqa: E402
from claw_tui.testing.server import ScriptedModelServer  # noqa: E402

SIZE = (150, 44)


async def wait_for(pilot, condition, timeout: float = 15.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the app did not reach the state to capture")
        await pilot.pause(0.05)


def _app(ws: Path, srv: ScriptedModelServer, prompt: str | None):  # noqa: ANN202
    from claw_tui.ui.app import ClawApp

    cfg = RunConfig(cwd=ws, model="claude-sonnet-5-5", provider="anthropic", base_url=srv.base_url, watch=True)
    return ClawApp(cfg, first_prompt=prompt, provider=make_provider("anthropic", base_url=srv.base_url,
                                                                      api_key="screenshots"))


async def demo_shots(out: Path) -> None:
    ws = Path(tempfile.mkdtemp(prefix="claw-shots-")).resolve() / "greeter"
    ws.mkdir()
    scenario = sc.load("demo", ws)
    sc.write_files(scenario, ws)
    with ScriptedModelServer(scenario["responses"]) as srv:
        app = _app(ws, srv, scenario["prompt"])
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.approval.current is not None)
            await pilot.pause(0.6)
            app.save_screenshot(str(out / "approval-edit.svg"))
            await pilot.press("y")
            await wait_for(pilot, lambda: app.approval.current is not None and app.approval.current.tool == "Bash")
            await pilot.pause(0.4)
            app.save_screenshot(str(out / "approval-command.svg"))
            await pilot.press("y")
            await wait_for(pilot, lambda: not app.session.agent.busy and bool(app.last_answer))
            await pilot.pause(0.6)
            app.save_screenshot(str(out / "conversation-and-diffs.svg"))
            app.diffs.focus()
            app.diffs.layout_mode = "auto"
            app.diffs.action_cycle_layout()  # unified
            app.diffs.action_cycle_layout()  # split
            await pilot.press("f2")
            await pilot.pause(0.4)
            app.save_screenshot(str(out / "diffs-split.svg"))
            await pilot.press("f2")
            await app.submit("/help")
            await pilot.pause(0.4)
            app.save_screenshot(str(out / "help.svg"))


async def swarm_shot(out: Path) -> None:
    """A parent fanning out to sub-agents (the swarm pane and one agent's own pane)."""
    from claw_tui.testing.swarm_demo import run_swarm_demo

    await run_swarm_demo(out / "swarm.svg", size=SIZE)


async def setup_shot(out: Path) -> None:
    from claw_tui.ui.setup import SetupApp

    with tempfile.TemporaryDirectory() as cfg:
        os.environ["CLAW_CONFIG_DIR"] = cfg
        app = SetupApp("claw would use claude-sonnet-5-5 (anthropic), but ANTHROPIC_API_KEY is not set and no "
                       "key is stored.")
        async with app.run_test(size=(110, 34)) as pilot:
            await pilot.press("enter")
            await pilot.pause(0.3)
            app.save_screenshot(str(out / "setup.svg"))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(var, None)
    await demo_shots(out)
    await swarm_shot(out)
    await setup_shot(out)
    for svg in sorted(out.glob("*.svg")):
        print(svg.relative_to(ROOT) if svg.is_relative_to(ROOT) else svg)


if __name__ == "__main__":
    asyncio.run(main())
