"""/mcp in the workspace: each server's status, tools and last error, reconnecting, and
server prompts as /mcp__<server>__<prompt> slash commands."""

from __future__ import annotations

import io

from rich.console import Console

from claw_tui.testing import scenario as sc
from tests.mcp.conftest import mcp_json, stdio
from tests.ui.conftest import approval_shown, make_app, wait_for


def _shown(app) -> str:
    from claw_tui.ui.widgets.conversation import CommandOutput

    out = app.conversation.query(CommandOutput).last()
    console = Console(record=True, width=220, file=io.StringIO())
    console.print(out.body)
    return console.export_text()


async def test_mcp_status_reconnect_and_prompt_commands(server, workspace):
    config = mcp_json({"srv": stdio("stdio", "--label", "srv"), "broken": {"command": "no-such-mcp-xyz"}})
    (workspace / ".mcp.json").write_text(mcp_json({"proj": stdio("stdio", "--label", "proj")}))
    server.add(sc.text("Hello Ada!"))
    app = make_app(server, workspace, mcp_config=[config])
    async with app.run_test(size=(160, 40)) as pilot:
        # The workspace is usable at once; the servers come up behind it, and the project's
        # own server waits for the person's approval in the usual approval panel.
        await approval_shown(pilot, app, "project server approval")
        request = app.approval.current
        assert request.preview["kind"] == "mcp_server" and request.preview["server"] == "proj"
        assert app.session.mcp.servers["proj"].status == "awaiting approval"
        await pilot.press("a")
        await wait_for(pilot, lambda: app.session.mcp.servers["proj"].status != "awaiting approval",
                       what=f"approval answered (focus: {app.focused})")
        await wait_for(pilot, lambda: app.session.mcp.servers["srv"].status == "connected"
                       and app.session.mcp.servers["proj"].status == "connected"
                       and app.session.mcp.servers["broken"].status == "failed", what="servers settled")
        assert "mcp__proj__echo" in app.session.tools.names()
        await app.submit("/mcp")
        shown = _shown(app)
        assert "srv" in shown and "connected" in shown and "6: echo, add, whoami, crash, sleep, grow" in shown
        assert "broken" in shown and "failed" in shown and "command not found: no-such-mcp-xyz" in shown
        await app.submit("/mcp tools srv")
        assert "mcp__srv__echo" in _shown(app) and "Return the text unchanged." in _shown(app)
        # The server's prompt is a slash command, offered in completion.
        await wait_for(pilot, lambda: "mcp__srv__greet" in dict(app.prompt.commands), what="prompt completion")
        await app.submit("/mcp__srv__greet")
        assert "needs name" in _shown(app)
        await app.submit("/mcp__srv__greet Ada")
        await wait_for(pilot, lambda: server.received and not app.session.agent.busy, what="prompt sent")
        assert server.received[0].last_user_text == "Please greet Ada warmly, from srv."
        # Reconnect: the failed server is tried again, the connected one restarts.
        await app.submit("/mcp reconnect srv")
        assert "Reconnecting srv." in _shown(app)
        await wait_for(pilot, lambda: app.session.mcp.servers["srv"].status == "connected"
                       and app.session.mcp.servers["srv"].client is not None, what="reconnected")
        await app.submit("/mcp reconnect broken")
        assert "Starting broken." in _shown(app)
        await app.submit("/mcp reconnect nope")
        assert "No MCP server named 'nope'" in _shown(app)
