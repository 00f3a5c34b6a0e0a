"""``claw --demo``: the whole loop without a key.

A scripted model server starts on 127.0.0.1, a small project with a bug is
written to a temporary directory, and the agent reads, edits (with a diff) and
runs it. Nothing outside that directory is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from claw_tui.testing import scenario as scenarios


def run_demo(args: argparse.Namespace) -> int:
    from claw_tui.config import RunConfig
    from claw_tui.headless import run_headless
    from claw_tui.providers import make_provider
    from claw_tui.testing.server import ScriptedModelServer

    with tempfile.TemporaryDirectory(prefix="claw-demo-") as tmp:
        cwd = Path(tmp).resolve()
        scenario = scenarios.load("demo", cwd)
        scenarios.write_files(scenario, cwd)
        with ScriptedModelServer(scenario["responses"]) as server:
            config = RunConfig(
                cwd=cwd,
                model="claude-sonnet-5-5",
                provider="anthropic",
                base_url=server.base_url,
                permission_mode=scenario.get("permission_mode", "default"),
                allowed_tools=scenario.get("allowed_tools", []),
                watch=True,
            )
            provider = make_provider("anthropic", base_url=server.base_url, api_key="demo-key-not-secret")
            if not args.headless:
                return _run_workspace_demo(config, scenario, provider)
            fmt = args.output_format if args.headless else "text"
            # Machine-readable output stays pure: the banner goes to stderr then.
            (sys.stdout if fmt == "text" else sys.stderr).write(
                f"claw demo: a scripted model on {server.base_url}, a project in {cwd}\n"
            )
            return asyncio.run(
                run_headless(config, scenario["prompt"], output_format=fmt, verbose=fmt == "text", provider=provider)
            )


def _run_workspace_demo(config, scenario, provider) -> int:  # noqa: ANN001
    """The demo in the workspace: every edit and command is asked, so the approvals show."""
    from claw_tui.ui.app import ClawApp

    config = config.model_copy(update={"permission_mode": "default", "allowed_tools": []})
    app = ClawApp(config, first_prompt=scenario["prompt"], provider=provider, tune_gc=True)
    return int(app.run() or 0)
