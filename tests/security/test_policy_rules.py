"""Rules in Claude Code's syntax across layers, their sources, Bash file checks, the suggested
"don't ask again" rules, and what /permissions shows."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from claw_tui.bus import EventBus
from claw_tui.config import RunConfig
from claw_tui.engine.session import Session
from claw_tui.permissions.policy import PermissionPolicy, suggest_bash_spec
from claw_tui.permissions.rules import domain_rule_matches, parse_rule, url_host
from claw_tui.providers import make_provider
from claw_tui.settings import user_config_dir
from claw_tui.tools.base import ShellState, ToolContext
from claw_tui.tools.filestate import FileStateRegistry
from claw_tui.tools.registry import default_registry

from .policy_corpus import FakeMcpTool


def write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


def decide(policy: PermissionPolicy, name: str, ws: Path, tool=None, **raw):
    tool = tool or default_registry().get(name)
    params = tool.parse(raw)
    ctx = ToolContext(workspace=ws, bus=EventBus(), files=FileStateRegistry(), shell=ShellState(str(ws)))
    return policy.check(tool, params, tool.paths(params, ctx))


def test_layers_and_sources(workspace: Path, tmp_path: Path):
    write_json(user_config_dir() / "settings.json", {"permissions": {"allow": ["Bash(git status:*)"],
                                                                     "deny": ["Read(./.env)"]}})
    write_json(workspace / ".claude" / "settings.json", {"permissions": {"deny": ["Bash(curl:*)"]}})
    write_json(workspace / ".claw" / "settings.json", {"permissions": {"allow": ["Edit(/src/**)"]}})
    write_json(workspace / ".claw" / "settings.local.json", {"permissions": {"ask": ["Bash(git push:*)"]}})
    (workspace / ".env").write_text("S=1\n")
    cfg = RunConfig(cwd=workspace, provider="anthropic", watch=False, allowed_tools=["WebFetch(domain:x.org)"],
                    disallowed_tools=["Agent(Explore)"])
    s = Session(cfg, provider=make_provider("anthropic", base_url="http://127.0.0.1:9", api_key="k"), trusted=True)
    shown = {(kind, str(rule)): rule.source for kind, rule in s.policy.rules_in_force()}
    assert shown[("allow", "Bash(git status:*)")].startswith("user settings")
    assert shown[("deny", "Read(./.env)")].startswith("user settings")
    assert shown[("deny", "Bash(curl:*)")].startswith("project settings") and ".claude" in shown[("deny", "Bash(curl:*)")]
    assert shown[("allow", "Edit(/src/**)")].startswith("project settings")
    assert shown[("ask", "Bash(git push:*)")].startswith("local settings")
    assert shown[("allow", "WebFetch(domain:x.org)")] == "cli" and shown[("deny", "Agent(Explore)")] == "cli"
    # A user rule's ./path is relative to the workspace; a project rule's /path to the project root.
    assert decide(s.policy, "Read", workspace, file_path=".env").behavior == "deny"
    assert decide(s.policy, "Write", workspace, file_path="src/a.py", content="x").behavior == "allow"
    assert decide(s.policy, "Write", workspace, file_path="lib/src/a.py", content="x").behavior == "ask"
    assert "Agent" in s.tools.names()  # a deny with a specifier keeps the tool, only that type is refused


def test_a_whole_tool_deny_hides_the_tool(workspace: Path):
    cfg = RunConfig(cwd=workspace, provider="anthropic", watch=False, disallowed_tools=["WebFetch", "Bash"])
    s = Session(cfg, provider=make_provider("anthropic", base_url="http://127.0.0.1:9", api_key="k"), trusted=True)
    assert "WebFetch" not in s.tools.names() and "Bash" not in s.tools.names()


@pytest.mark.parametrize(("command", "spec"), [
    ("npm test", "npm test:*"), ("npm run build -- --watch", "npm run:*"), ("git status -s", "git status:*"),
    ("git diff HEAD~1", "git diff:*"), ("ls -la", "ls:*"), ("make", "make:*"),
    ("git push origin main", "git push origin main"), ("git commit -m x", "git commit -m x"),
    ("rm -rf build", "rm -rf build"), ("bash -c 'ls'", "bash -c 'ls'"), ("python script.py", "python script.py"),
    ("sudo make install", "sudo make install"), ("FOO=1 make", "FOO=1 make"), ("make > log.txt", "make > log.txt"),
    ("npm test && npm run lint", "npm test && npm run lint"), ("find . -name x", "find . -name x"),
    ("curl https://x", "curl https://x"), ("echo $(id)", "echo $(id)"), ("case x in *) ls;; esac",
                                                                       "case x in *) ls;; esac"),
])
def test_suggested_bash_rules(command, spec):
    assert suggest_bash_spec(command) == spec


def test_suggested_rules_for_other_tools(workspace: Path, tmp_path: Path):
    p = PermissionPolicy(workspace)
    reg = default_registry()

    def suggest(name, tool=None, **raw):
        t = tool or reg.get(name)
        return str(p.suggest_rule(t, t.parse(raw)))

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert suggest("Write", file_path="src/a.py", content="x") == "Edit(./src/a.py)"
    assert suggest("Edit", file_path=str(outside / "b.txt"), old_string="a", new_string="b") == \
        f"Edit(/{outside / 'b.txt'})"
    assert suggest("Read", file_path=str(outside)) == f"Read(/{outside}/**)"
    assert suggest("WebFetch", url="https://Docs.Example.com./a?b", prompt="p") == "WebFetch(domain:docs.example.com)"
    assert suggest("mcp", tool=FakeMcpTool("srv", "query")) == "mcp__srv__query"
    from claw_tui.tools.agent import AgentTool

    assert suggest("Agent", tool=AgentTool(), description="d", prompt="p", subagent_type="Explore") == \
        "Agent(Explore)"
    # The suggested rule allows the call it was made for, and nothing wider.
    rule = p.suggest_rule(reg.get("Write"), reg.get("Write").parse({"file_path": "src/a.py", "content": "x"}))
    p.remember(rule, "session")
    assert decide(p, "Write", workspace, file_path="src/a.py", content="y").behavior == "allow"
    assert decide(p, "Write", workspace, file_path="src/b.py", content="y").behavior == "ask"


def test_remembering_always_writes_local_settings_and_keeps_other_keys(workspace: Path):
    local = workspace / ".claw" / "settings.local.json"
    write_json(local, {"theme": "x", "permissions": {"allow": ["Read"], "deny": ["Bash(rm:*)"]}})
    p = PermissionPolicy(workspace, local_settings=local)
    p.remember(parse_rule("Bash(npm test:*)"), "always")
    p.remember(parse_rule("Bash(npm test:*)"), "always")
    data = json.loads(local.read_text())
    assert data["theme"] == "x" and data["permissions"]["allow"] == ["Read", "Bash(npm test:*)"]
    assert data["permissions"]["deny"] == ["Bash(rm:*)"]


# -- Bash: where its output goes is checked against Edit rules ---------------------------------------


def test_bash_redirects_need_an_edit_rule_or_acceptEdits(workspace: Path):
    allow = [parse_rule("Bash(make:*)")]
    p = PermissionPolicy(workspace, allow=allow)
    assert decide(p, "Bash", workspace, command="make").behavior == "allow"
    assert decide(p, "Bash", workspace, command="make > build.log").behavior == "ask"
    p2 = PermissionPolicy(workspace, allow=[*allow, parse_rule("Edit(./build.log)")])
    assert decide(p2, "Bash", workspace, command="make > build.log").behavior == "allow"
    assert decide(p2, "Bash", workspace, command="make > other.log").behavior == "ask"
    p3 = PermissionPolicy(workspace, mode="acceptEdits", allow=allow)
    assert decide(p3, "Bash", workspace, command="make > build.log").behavior == "allow"
    p4 = PermissionPolicy(workspace, allow=allow, deny=[parse_rule("Edit(./build.log)")])
    assert decide(p4, "Bash", workspace, command="make > build.log").behavior == "deny"


def test_an_edit_deny_rule_covers_bash_writes_in_every_form(workspace: Path):
    p = PermissionPolicy(workspace, mode="bypassPermissions", deny=[parse_rule("Edit(./locked/**)")])
    (workspace / "locked").mkdir()
    for command in ("echo x > locked/a", "cp /etc/hostname locked/", "touch ./locked/b", "rm -rf locked",
                    f"tee {workspace}/locked/c < /dev/null", "cd locked && echo x > d", "mv locked elsewhere"):
        v = decide(p, "Bash", workspace, command=command)
        assert v.behavior == "deny", (command, v)
    assert decide(p, "Bash", workspace, command="echo x > free.txt").behavior == "allow"


# -- WebFetch hosts -------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "host"), [
    ("https://Example.COM./x", "example.com"), ("http://example.com:8080", "example.com"),
    ("https://bücher.de/", "xn--bcher-kva.de"), ("https://[::1]:8/", "::1"), ("https://u@example.com", None),
    ("https://exa mple.com", None), ("https://%65xample.com", None), ("https://example.com\\@x.org", None),
    ("not a url", None), ("https://", None),
])
def test_url_host(url, host):
    assert url_host(url) == host


def test_domain_rules_fail_closed_both_ways():
    assert domain_rule_matches("domain:example.com", "https://EXAMPLE.com./")
    assert not domain_rule_matches("domain:example.com", "https://u@example.com/")
    assert domain_rule_matches("domain:example.com", "https://u@example.com/", for_deny=True)
    assert domain_rule_matches("domain:*.example.com", "https://a.b.example.com/")
    assert not domain_rule_matches("domain:*.example.com", "https://example.com/")
    assert domain_rule_matches("domain:bücher.de", "https://xn--bcher-kva.de/")


# -- /permissions -------------------------------------------------------------------------------


def _text(widget) -> str:
    console = Console(record=True, width=220, file=io.StringIO())
    console.print(widget.body)
    return console.export_text()


async def test_permissions_shows_mode_rules_sources_held_back_protected_and_decisions(server, workspace):
    from claw_tui.testing import scenario as sc
    from claw_tui.ui.trust import TrustScreen
    from claw_tui.ui.widgets.conversation import CommandOutput
    from tests.ui.conftest import make_app, wait_for

    write_json(workspace / ".claw" / "settings.json", {"permissions": {"allow": ["Bash(rm:*)"],
                                                                       "deny": ["Read(./.env)"]}})
    server.add(sc.tool("Read", file_path=".env"), sc.text("ok"))
    app = make_app(server, workspace, trusted=None, allowed_tools=["Bash(git status:*)"])
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, TrustScreen), what="dialog")
        await pilot.press("escape")  # don't trust
        await wait_for(pilot, lambda: app.session.started, what="start")
        await app.submit("read it")
        await wait_for(pilot, lambda: len(server.received) == 2 and not app.session.agent.busy, what="turn")
        await app.submit("/permissions")
        shown = _text(app.conversation.query(CommandOutput).last())
    assert "Mode: default" in shown
    assert "deny" in shown and "Read(./.env)" in shown and "project settings" in shown
    assert "Bash(git status:*)" in shown and "cli" in shown
    assert "Not applied: this folder is not trusted" in shown and "Bash(rm:*)" in shown
    assert "Protected paths" in shown and ".claw" in shown and ".git" in shown
    assert "Recent decisions" in shown and "Read(./.env)" in shown.split("Recent decisions")[1]
