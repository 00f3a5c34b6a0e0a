"""A fan-out scenario: the main agent spawns three sub-agents that work at once.

Used by ``make screenshots`` for the swarm pane and by the tests; the scripted
model answers each sub-agent by the text of its task (scenario ``match``), with
a slow token rate so the agents are visibly running side by side.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from claw_tui.testing import scenario as sc

TASKS = {
    "tests": ("Run the test suite", "Explore", "Find every test file and say what each covers."),
    "docs": ("Check the README", "Explore", "Read README.md and list what is out of date."),
    "todo": ("Collect TODOs", "general-purpose", "Grep the code for TODO comments and summarise them."),
}

FILES = {
    "README.md": "# greeter\n\nSays hello. Run `python greet.py`.\n",
    "greet.py": "def greet(name):\n    # TODO: localise\n    return f'Hello, {name}!'\n",
    "test_greet.py": "from greet import greet\n\n\ndef test_greet():\n    assert greet('x') == 'Hello, x!'\n",
}


def responses(ws: Path, delay: float = 0.05) -> list[dict[str, Any]]:
    fan_out = sc.tools(*[("Agent", {"description": d, "prompt": p, "subagent_type": t})
                         for d, t, p in TASKS.values()],
                       text_before="I'll split this across three agents.")
    fan_out["match"] = "Survey"
    out: list[dict[str, Any]] = [fan_out]
    reads = {"tests": ("Glob", {"pattern": "test_*.py"}), "docs": ("Read", {"file_path": str(ws / "README.md")}),
             "todo": ("Grep", {"pattern": "TODO", "output_mode": "content"})}
    answers = {"tests": "One test file: `test_greet.py` covers `greet()`.",
               "docs": "README is current: it says how to run `greet.py`.",
               "todo": "One TODO: `greet.py` line 2, localise the greeting."}
    for key, (_desc, _type, prompt) in TASKS.items():
        name, args = reads[key]
        step = sc.tool(name, f"Looking ({key})…", **args)
        step.update(match=prompt, delay=delay)
        answer = sc.text(answers[key])
        answer.update(match=prompt, delay=delay, chunk_chars=3)
        out += [step, answer]
    final = sc.text("All three agents reported: tests cover `greet()`, the README is current, and one TODO "
                    "remains (localising the greeting).")
    final["match"] = "Survey"
    out.append(final)
    return out


PROMPT = "Survey this project: tests, docs and TODOs."


async def run_swarm_demo(svg: Path, size: tuple[int, int] = (150, 44)) -> None:
    """Run the fan-out in the real app and save the swarm pane while the agents work."""
    import asyncio

    from claw_tui.config import RunConfig
    from claw_tui.providers import make_provider
    from claw_tui.testing.server import ScriptedModelServer
    from claw_tui.ui.app import ClawApp

    ws = Path(tempfile.mkdtemp(prefix="claw-swarm-")).resolve()
    for rel, text in FILES.items():
        (ws / rel).write_text(text)
    with ScriptedModelServer(responses(ws, delay=0.15)) as srv:
        cfg = RunConfig(cwd=ws, model="claude-sonnet-5-5", provider="anthropic", base_url=srv.base_url, watch=False)
        app = ClawApp(cfg, first_prompt=PROMPT,
                      provider=make_provider("anthropic", base_url=srv.base_url, api_key="demo"))
        async with app.run_test(size=size) as pilot:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while len(app.swarm.rows) < 3 and loop.time() < deadline:
                await pilot.pause(0.05)
            app.show_side("swarm-tab")
            first = next(iter(app.swarm.rows.values()))
            await app.open_agent_pane(first.agent_id, first.name)
            # Capture mid-flight: agents have spent tokens and at least one is still working.
            while loop.time() < deadline and not (
                    any(r.tokens_in for r in app.swarm.rows.values())
                    and any(r.state in ("running", "tool") for r in app.swarm.rows.values())):
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            app.save_screenshot(str(svg))
            while app.session.agent.busy and loop.time() < deadline:
                await pilot.pause(0.1)
