"""/permissions shows the rules in force and the recent decisions of the audit log."""

from __future__ import annotations

import io

from rich.console import Console

from claw_tui.testing import scenario as sc
from claw_tui.ui.widgets.conversation import CommandOutput
from tests.ui.conftest import wait_for


def _text(widget: CommandOutput) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(widget.body)
    return console.export_text()


async def test_permissions_shows_recent_decisions_and_why(app_factory, server, workspace):
    server.add(sc.tools(("Bash", {"command": "echo audited"}), ("Bash", {"command": "rm -rf gone"})), sc.text("ok"))
    app = app_factory(allowed_tools=["Bash(echo:*)"], disallowed_tools=["Bash(rm:*)"])
    async with app.run_test(size=(160, 50)) as pilot:
        await app.submit("run them")
        await wait_for(pilot, lambda: len(server.received) == 2 and not app.session.agent.busy, what="turn")
        await app.submit("/permissions")
        shown = _text(app.conversation.query(CommandOutput).last())
    assert "Recent decisions" in shown
    rows = [line for line in shown.splitlines() if "Bash" in line and ("allow" in line or "deny" in line)]
    assert any("echo audited" in r and "allow" in r and "Bash(echo:*)" in r and "[policy]" in r for r in rows), shown
    assert any("rm -rf gone" in r and "deny" in r and "Bash(rm:*)" in r for r in rows), shown
