"""MCP configuration in Claude Code's format, its scopes, tool names, and `claw mcp ...`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claw_tui.mcp import mcp_tool_name, normalize_name
from claw_tui.mcp.cli import main as mcp_main
from claw_tui.mcp.config import load_config, parse_server
from tests.mcp.conftest import mcp_json, stdio


def test_definitions_of_every_type_and_variable_expansion():
    env = {"TOKEN": "s3cret", "EMPTY": "", "HOST": "example.org"}
    s = parse_server("fs", {"command": "npx", "args": ["-y", "srv", "${HOST}"], "env": {"K": "${TOKEN}",
                     "D": "${MISSING:-fallback}", "E": "${EMPTY:-was-empty}"}}, "project", ".mcp.json", env)
    assert (s.type, s.command, s.args, s.error) == ("stdio", "npx", ["-y", "srv", "example.org"], None)
    assert s.env == {"K": "s3cret", "D": "fallback", "E": "was-empty"}
    assert s.raw["env"]["K"] == "${TOKEN}"  # what is hashed and shown is what was written

    h = parse_server("api", {"type": "http", "url": "https://${HOST}/mcp", "headers": {"X-Key": "${TOKEN}"}},
                     "user", "u", env)
    assert (h.type, h.url, h.headers, h.error) == ("http", "https://example.org/mcp", {"X-Key": "s3cret"}, None)
    assert parse_server("s", {"type": "sse", "url": "http://h/sse"}, "user", "u", env).type == "sse"
    assert parse_server("w", {"type": "ws", "url": "wss://h/"}, "user", "u", env).error is None
    assert parse_server("x", {"type": "streamable-http", "url": "http://h/"}, "user", "u", env).type == "http"
    assert parse_server("p", {"type": "sdk", "name": "inproc"}, "user", "u", env).sdk_name == "inproc"


@pytest.mark.parametrize("raw, problem", [
    ({"command": "srv", "env": {"K": "${NOT_SET_ANYWHERE}"}}, "NOT_SET_ANYWHERE"),
    ({"type": "ws", "url": "http://h/"}, "must start with ws:// or wss://"),
    ({"type": "http", "url": "file:///etc/passwd"}, "must start with http:// or https://"),
    ({"type": "carrier-pigeon", "url": "http://h"}, "unknown type 'carrier-pigeon'"),
    ({"url": "http://h"}, 'needs a "type"'),
    ({"type": "stdio"}, 'needs a "command"'),
    ({"command": "srv", "args": "not a list"}, "args must be a list"),
    ("just a string", "must be an object"),
])
def test_bad_definitions_are_reported_not_started(raw, problem):
    spec = parse_server("bad", raw, "project", ".mcp.json", env={})
    assert spec.error is not None and problem in spec.error


def test_claudeai_proxy_is_recognised_as_unsupported_with_the_reason():
    spec = parse_server("drive", {"type": "claudeai-proxy", "url": "https://claude.ai/x", "id": "123"}, "user", "u")
    assert spec.error is None
    assert spec.unsupported and "claude.ai" in spec.unsupported and "API keys" in spec.unsupported


def test_tool_names_are_normalised_and_bounded():
    assert mcp_tool_name("my server", "get.time") == "mcp__my_server__get_time"
    assert normalize_name("a/b:c-d_e") == "a_b_c-d_e"
    long_a = mcp_tool_name("server", "x" * 80 + "a")
    long_b = mcp_tool_name("server", "x" * 80 + "b")
    assert len(long_a) == 64 and len(long_b) == 64 and long_a != long_b


def test_scopes_layer_and_the_strongest_definition_wins(workspace: Path, user_dir: Path):
    (workspace / ".mcp.json").write_text(mcp_json({"shared": stdio("stdio"), "dup": {"command": "from-project"}}))
    (user_dir / "mcp.json").write_text(json.dumps({
        "mcpServers": {"mine": {"command": "from-user"}, "dup": {"command": "from-user"}},
        "projects": {str(workspace): {"mcpServers": {"dup": {"command": "from-local"}}}},
    }))
    cfg = load_config(workspace, cli=[mcp_json({"cli-one": {"type": "http", "url": "http://127.0.0.1:1/mcp"}})])
    scopes = {name: s.scope for name, s in cfg.servers.items()}
    assert scopes == {"cli-one": "cli", "dup": "local", "shared": "project", "mine": "user"}
    assert cfg.servers["dup"].command == "from-local"
    assert sorted(s.scope for s in cfg.shadowed) == ["project", "user"]
    strict = load_config(workspace, cli=[mcp_json({"only": {"command": "x"}})], strict=True)
    assert list(strict.servers) == ["only"]


def test_mcp_config_files_json_and_their_problems(workspace: Path):
    (workspace / "servers.json").write_text(mcp_json({"a": {"command": "x"}}))
    cfg = load_config(workspace, cli=["servers.json", "{not json", "missing.json"])
    assert list(cfg.servers) == ["a"] and cfg.servers["a"].source.endswith("servers.json")
    assert any("not valid" in p for p in cfg.problems) and any("not found" in p for p in cfg.problems)
    clash = load_config(workspace, cli=[mcp_json({"my.srv": {"command": "x"}, "my_srv": {"command": "y"}})])
    assert list(clash.servers) == ["my.srv"] and "same tool prefix" in clash.problems[0]


def test_claw_mcp_add_get_remove_in_each_scope(workspace: Path, user_dir: Path, capsys):
    cwd = ["--cwd", str(workspace)]
    assert mcp_main([*cwd, "add", "time", "--", "uvx", "mcp-server-time", "--local-timezone", "UTC"]) == 0
    assert mcp_main([*cwd, "add", "-s", "project", "-t", "sse", "-H", "Authorization: Bearer ${T}", "docs",
                     "https://docs.example/sse"]) == 0
    assert mcp_main([*cwd, "add", "-s", "user", "-e", "K=V", "tool", "mytool", "serve"]) == 0
    assert mcp_main([*cwd, "add-json", "-s", "user", "remote", '{"type": "http", "url": "https://r.example/mcp"}']) == 0
    user = json.loads((user_dir / "mcp.json").read_text())
    assert user["projects"][str(workspace)]["mcpServers"]["time"] == {
        "type": "stdio", "command": "uvx", "args": ["mcp-server-time", "--local-timezone", "UTC"]}
    assert user["mcpServers"]["tool"] == {"type": "stdio", "command": "mytool", "args": ["serve"], "env": {"K": "V"}}
    assert json.loads((workspace / ".mcp.json").read_text())["mcpServers"]["docs"] == {
        "type": "sse", "url": "https://docs.example/sse", "headers": {"Authorization": "Bearer ${T}"}}
    capsys.readouterr()
    assert mcp_main([*cwd, "get", "docs"]) == 0
    shown = capsys.readouterr().out
    assert "type: sse" in shown and "Authorization: Bearer ${T}" in shown and "mcp__docs__<tool>" in shown
    # Refusals say what is wrong.
    assert mcp_main([*cwd, "add", "time", "--", "other"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert mcp_main([*cwd, "add", "-t", "ws", "bad", "http://not-ws"]) == 1
    assert "ws://" in capsys.readouterr().err
    assert mcp_main([*cwd, "remove", "time"]) == 0
    assert "time" not in json.loads((user_dir / "mcp.json").read_text()).get("projects", {}).get(str(workspace), {})
    assert mcp_main([*cwd, "remove", "nope"]) == 1


def test_claw_mcp_list_checks_each_server(workspace: Path, capsys):
    (workspace / ".mcp.json").write_text(mcp_json({"unapproved": stdio("stdio")}))
    assert mcp_main(["--cwd", str(workspace), "add", "-s", "user", "good", "--", *_cmd(stdio("stdio"))]) == 0
    assert mcp_main(["--cwd", str(workspace), "add", "-s", "user", "broken", "--", "no-such-command-xyz"]) == 0
    capsys.readouterr()
    assert mcp_main(["--cwd", str(workspace), "list"]) == 0
    out = capsys.readouterr().out
    assert "good:" in out and "✓ connected (6 tools)" in out
    assert "broken:" in out and "command not found: no-such-command-xyz" in out
    # A project server nobody approved is not run just to check it.
    assert "unapproved:" in out and "needs approval" in out


def _cmd(definition: dict) -> list[str]:
    return [definition["command"], *definition["args"]]
