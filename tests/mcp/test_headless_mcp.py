"""`claw -p --mcp-config ...` as a real process: tools of mcp-server-time, mcp-server-git
and the test server on every transport (stdio, SSE, streamable HTTP, WebSocket,
in-process from a plugin); crashing, hanging and garbage-answering servers are
survived and shown; a project server nobody approved is refused, not run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from claw_tui.testing import scenario as sc
from tests.mcp.conftest import HERE, mcp_json, real_server, run_claw, stdio


def _install_plugin(site: Path) -> None:
    """An installed plugin offering an in-process server (the claw.mcp_servers entry point)."""
    info = site / "claw_mcp_test_plugin-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: claw-mcp-test-plugin\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[claw.mcp_servers]\ninproc = claw_mcp_test_plugin:server\n")
    (site / "claw_mcp_test_plugin.py").write_text(
        f"import sys\nsys.path.insert(0, {str(HERE / 'servers')!r})\n"
        "from testserver import build\nserver = build('inproc-server')\n")


def _tool_results(server, index: int) -> list[dict]:
    """The tool_result blocks the model received in request ``index``."""
    blocks = server.received[index].body["messages"][-1]["content"]
    return [b for b in blocks if b.get("type") == "tool_result"]


def _text(block: dict) -> str:
    content = block.get("content")
    if isinstance(content, list):
        return "\n".join(c.get("text", "") for c in content)
    return str(content)


def test_tools_of_real_servers_and_every_transport(server, workspace, claw_env, net_servers, tmp_path, user_dir):
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    (workspace / "hello.txt").write_text("hi\n")
    site = tmp_path / "site"
    _install_plugin(site)
    env = {**claw_env, "PYTHONPATH": str(site)}
    config = {
        "time": {"command": real_server("mcp-server-time"), "args": ["--local-timezone", "UTC"]},
        "git": {"command": real_server("mcp-server-git"), "args": ["--repository", str(workspace)]},
        "stdio": stdio("stdio", "--noisy"),
        "sse": {"type": "sse", "url": net_servers["sse"]},
        "http": {"type": "http", "url": net_servers["http"]},
        "ws": {"type": "ws", "url": net_servers["ws"]},
    }
    (tmp_path / "servers.json").write_text(mcp_json(config))
    calls = [("mcp__time__get_current_time", {"timezone": "Europe/Paris"}),
             ("mcp__git__git_status", {"repo_path": str(workspace)}),
             *[(f"mcp__{t}__echo", {"text": f"over {t}"}) for t in ("stdio", "sse", "http", "ws", "inproc")],
             ("ReadMcpResource", {"server": "ws", "uri": "test://readme"})]
    server.add(sc.tools(*calls), sc.text("All servers answered."))
    servers = " ".join(["mcp__time", "mcp__git", "mcp__stdio", "mcp__sse", "mcp__http", "mcp__ws", "mcp__inproc"])
    proc = run_claw(["-p", "use every server", "--mcp-config", str(tmp_path / "servers.json"),
                     "--output-format", "stream-json", "--allowedTools", servers], env, workspace)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    init = lines[0]
    assert {s["name"]: s["status"] for s in init["mcp_servers"]} == {
        name: "connected" for name in ("time", "git", "stdio", "sse", "http", "ws", "inproc")}
    assert "mcp__git__git_log" in init["tools"] and "ListMcpResources" in init["tools"]
    # The first request already offered the servers' tools, with their own schemas.
    offered = {t["name"]: t for t in server.received[0].body["tools"]}
    assert offered["mcp__time__get_current_time"]["input_schema"]["required"] == ["timezone"]
    results = [_text(b) for b in _tool_results(server, 1)]
    assert not any(b.get("is_error") for b in _tool_results(server, 1)), results
    assert '"timezone": "Europe/Paris"' in results[0]
    assert "On branch" in results[1] and "hello.txt" in results[1]
    assert results[2:7] == [f"{label}-server echo: over {t}" for label, t in
                            (("stdio", "stdio"), ("sse", "sse"), ("http", "http"), ("ws", "ws"), ("inproc", "inproc"))]
    assert results[7] == "README of ws-server: resources work."
    assert lines[-1]["result"] == "All servers answered."
    # A stdio server's stderr goes to its log file, never to the terminal.
    assert "NOISY-STDERR-MARKER" not in proc.stderr + proc.stdout
    assert "NOISY-STDERR-MARKER" in (user_dir / "logs" / "mcp" / "stdio.log").read_text()


def test_crashing_hanging_and_garbage_servers_are_survived_and_shown(server, workspace, claw_env, tmp_path):
    (workspace / ".mcp.json").write_text(mcp_json({"proj": stdio("stdio", "--label", "project-server")}))
    config = {
        "crashy": stdio("stdio", "--label", "crashy"),
        "hangy": stdio("hang"),
        "garbage": stdio("garbage"),
        "missing": {"command": "no-such-mcp-server-xyz"},
    }
    env = {**claw_env, "MCP_TIMEOUT": "4000", "MCP_TOOL_TIMEOUT": "1500"}
    server.add(
        sc.tool("mcp__crashy__crash"),
        # Called while the server restarts: the call waits for it to be back.
        sc.tool("mcp__crashy__whoami"),
        sc.tool("mcp__crashy__sleep", seconds=30),
        sc.tool("mcp__hangy__echo", text="anyone?"),
        sc.text("Survived."),
    )
    proc = run_claw(["-p", "exercise the broken servers", "--mcp-config", mcp_json(config),
                     "--allowedTools", "mcp__crashy", "mcp__hangy"], env, workspace)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Survived."
    crash, whoami, slow, hangy = (_text(_tool_results(server, i)[0]) for i in range(1, 5))
    assert "the server process exited during the call to crash" in crash
    assert whoami.startswith("I am crashy")  # restarted, and answering again
    assert "sleep did not answer within 1.5 s (MCP_TOOL_TIMEOUT)" in slow
    assert "No such tool: mcp__hangy__echo" in hangy
    err = proc.stderr
    assert "MCP server crashy stopped: the server process exited. Restarting in 1 s" in err
    assert "MCP server hangy failed to start: it did not finish starting within 4 s (MCP_TIMEOUT)" in err
    assert "MCP server garbage failed to start: it sent something that is not MCP (JSON-RPC): " \
           "'this is not json at all'" in err
    assert "MCP server missing failed to start: command not found: no-such-mcp-server-xyz" in err
    # Nobody trusted the folder, so its own server is not run, and the person is told why and what to do.
    assert "is not trusted, so its own settings were not applied: MCP server" in err and "--trust" in err
    assert "mcp__proj__echo" not in json.dumps(server.received[0].body["tools"])
    # No SDK traceback leaks onto the terminal.
    assert "Traceback" not in err
