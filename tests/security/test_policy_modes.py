"""Permission modes, table-driven: the same calls decided in each mode; list modes; mode names
everywhere a mode can be chosen; sub-agent modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claw_tui.bus import EventBus
from claw_tui.cli import PERMISSION_MODES, build_parser
from claw_tui.config import RunConfig
from claw_tui.permissions.policy import (
    CYCLE,
    MODE_ALIASES,
    MODES,
    PermissionPolicy,
    normalize_mode,
    subagent_mode,
)
from claw_tui.permissions.rules import parse_rule
from claw_tui.tools.agent import AgentTool
from claw_tui.tools.base import ShellState, ToolContext
from claw_tui.tools.filestate import FileStateRegistry
from claw_tui.tools.plan_mode import ExitPlanModeTool
from claw_tui.tools.registry import default_registry

from .policy_corpus import FakeMcpTool


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ws = (tmp_path / "ws").resolve()
    ws.mkdir()
    (ws / "a.txt").write_text("a\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.txt").write_text("x\n")
    return ws


CALLS = {
    "read-inside": ("Read", {"file_path": "a.txt"}),
    "read-outside": ("Read", {"file_path": "../out/x.txt"}),
    "edit-inside": ("Write", {"file_path": "b.txt", "content": "b"}),
    "edit-outside": ("Write", {"file_path": "../out/y.txt", "content": "y"}),
    "protected": ("Write", {"file_path": ".claw/settings.json", "content": "{}"}),
    "bash": ("Bash", {"command": "make build"}),
    "bash-writes-outside": ("Bash", {"command": "echo x > ../out/y.txt"}),
    "webfetch": ("WebFetch", {"url": "https://example.com/", "prompt": "p"}),
    "mcp": ("mcp", {}),
    "agent": ("Agent", {"description": "d", "prompt": "p", "subagent_type": "general-purpose"}),
    "exit-plan": ("ExitPlanMode", {"plan": "the plan"}),
}
COLUMNS = list(CALLS)
# One row per mode; the columns are CALLS in order.
TABLE = {
    "default":           "allow ask   ask   ask   ask   ask   ask   ask   ask   allow allow",
    "acceptEdits":       "allow ask   allow ask   ask   ask   ask   ask   ask   allow allow",
    "plan":              "allow ask   deny  deny  deny  deny  deny  deny  deny  allow ask",
    "bypassPermissions": "allow allow allow allow ask   allow allow allow allow allow allow",
    "allowlist":         "deny  deny  deny  deny  deny  deny  deny  deny  deny  allow allow",
    "denylist":          "allow allow allow ask   ask   allow ask   allow allow allow allow",
}


def tool_named(name: str):
    if name == "mcp":
        return FakeMcpTool("srv", "do")
    if name == "Agent":
        return AgentTool()
    if name == "ExitPlanMode":
        return ExitPlanModeTool()
    return default_registry().get(name)


def decide(policy: PermissionPolicy, ws: Path, name: str, raw: dict):
    tool = tool_named(name)
    params = tool.parse(raw)
    ctx = ToolContext(workspace=ws, bus=EventBus(), files=FileStateRegistry(), shell=ShellState(str(ws)))
    return policy.check(tool, params, tool.paths(params, ctx))


def test_the_table_covers_every_mode():
    assert set(TABLE) == set(MODES)


@pytest.mark.parametrize("mode", list(TABLE))
@pytest.mark.parametrize("call", COLUMNS)
def test_each_call_in_each_mode(ws, mode, call):
    expected = TABLE[mode].split()[COLUMNS.index(call)]
    name, raw = CALLS[call]
    v = decide(PermissionPolicy(ws, mode=mode), ws, name, raw)
    assert v.behavior == expected, (mode, call, v)


@pytest.mark.parametrize("mode", MODES)
def test_deny_beats_ask_beats_allow_in_every_mode(ws, mode):
    p = PermissionPolicy(ws, mode=mode, allow=[parse_rule("Bash"), parse_rule("Read")],
                         ask=[parse_rule("Bash(git push:*)"), parse_rule("Read(./a.txt)")],
                         deny=[parse_rule("Bash(rm:*)"), parse_rule("Read(./secret.txt)")])
    assert decide(p, ws, "Bash", {"command": "rm -rf x"}).behavior == "deny"
    assert decide(p, ws, "Read", {"file_path": "secret.txt"}).behavior == "deny"
    asked = "deny" if mode in ("allowlist", "plan") else "ask"
    assert decide(p, ws, "Bash", {"command": "git push origin x"}).behavior == asked
    assert decide(p, ws, "Read", {"file_path": "a.txt"}).behavior == ("deny" if mode == "allowlist" else "ask")
    assert decide(p, ws, "Bash", {"command": "ls"}).behavior == ("deny" if mode == "plan" else "allow")


def test_allowlist_runs_exactly_what_allow_rules_name(ws):
    p = PermissionPolicy(ws, mode="allowlist", allow=[parse_rule("Read(./a.txt)"), parse_rule("Bash(git status:*)"),
                                                       parse_rule("WebFetch(domain:example.com)")])
    assert decide(p, ws, "Read", {"file_path": "a.txt"}).behavior == "allow"
    assert decide(p, ws, "Read", {"file_path": "b.txt"}).behavior == "deny"
    assert decide(p, ws, "Bash", {"command": "git status"}).behavior == "allow"
    assert decide(p, ws, "Bash", {"command": "git status; git push"}).behavior == "deny"
    assert decide(p, ws, "WebFetch", {"url": "https://example.com/x", "prompt": "p"}).behavior == "allow"
    refused = decide(p, ws, "Write", {"file_path": "a.txt", "content": "x"})
    assert refused.behavior == "deny" and "allowlist mode" in refused.reason


def test_denylist_runs_everything_but_what_deny_rules_name(ws):
    p = PermissionPolicy(ws, mode="denylist", deny=[parse_rule("WebFetch"), parse_rule("Bash(curl:*)")])
    assert decide(p, ws, "Bash", {"command": "make && ./run"}).behavior == "allow"
    assert decide(p, ws, "Bash", {"command": "make && curl x | sh"}).behavior in ("deny", "ask")
    assert decide(p, ws, "WebFetch", {"url": "https://example.com/", "prompt": "p"}).behavior == "deny"
    assert decide(p, ws, "Write", {"file_path": "b.txt", "content": "x"}).behavior == "allow"


# -- names --------------------------------------------------------------------------------------


def test_mode_names_agree_everywhere():
    assert set(PERMISSION_MODES) == set(MODES) | set(MODE_ALIASES) - {"manual"}
    assert CYCLE == ("default", "acceptEdits", "plan")
    assert normalize_mode("dontAsk") == "allowlist"
    with pytest.raises(ValueError, match="choose one of"):
        normalize_mode("yolo")
    for mode in PERMISSION_MODES:
        assert build_parser().parse_args(["--permission-mode", mode]).permission_mode == mode
        assert RunConfig(permission_mode=mode).permission_mode == normalize_mode(mode)


@pytest.mark.parametrize("mode", ["allowlist", "denylist", "dontAsk"])
def test_list_modes_from_user_settings(workspace, mode):
    from claw_tui.engine.session import Session
    from claw_tui.providers import make_provider
    from claw_tui.settings import user_config_dir

    path = user_config_dir() / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"permissions": {"defaultMode": mode}}))
    s = Session(RunConfig(cwd=workspace, provider="anthropic", watch=False),
                provider=make_provider("anthropic", base_url="http://127.0.0.1:9", api_key="k"))
    assert s.policy.mode == normalize_mode(mode)
    s.set_permission_mode("default")
    s.set_permission_mode("dontAsk")
    assert s.policy.mode == "allowlist"
    with pytest.raises(ValueError):
        s.set_permission_mode("everything")


@pytest.mark.parametrize(("session", "agent", "result"), [
    ("default", "acceptEdits", "acceptEdits"), ("default", "bypassPermissions", "default"),
    ("default", "denylist", "default"), ("bypassPermissions", "denylist", "denylist"),
    ("plan", "bypassPermissions", "plan"), ("plan", "acceptEdits", "plan"), ("allowlist", "acceptEdits", "allowlist"),
    ("allowlist", "plan", "plan"), ("acceptEdits", None, "acceptEdits"), ("bypassPermissions", "default", "default"),
])
def test_a_subagent_is_never_wider_than_its_session(session, agent, result):
    assert subagent_mode(session, agent) == result


# -- the UI: Shift+Tab and /permissions ------------------------------------------------------------


async def test_shift_tab_cycles_and_list_modes_stay_reachable_once_chosen(server, workspace):
    from tests.ui.conftest import make_app, wait_for

    app = make_app(server, workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.session.started, what="start")
        seen = []
        for _ in range(3):
            await pilot.press("shift+tab")
            seen.append(app.session.policy.mode)
        assert seen == ["acceptEdits", "plan", "default"]
        await app.submit("/permissions denylist")
        await wait_for(pilot, lambda: app.session.policy.mode == "denylist", what="mode switch")
        assert app.session.policy.mode == "denylist"
        mode_text = str(app.query_one("#mode").render())
        assert "denylist" in mode_text
        modes = []
        for _ in range(4):
            await pilot.press("shift+tab")
            modes.append(app.session.policy.mode)
        assert modes == ["default", "acceptEdits", "plan", "denylist"]


async def test_started_in_allowlist_shows_it_and_cycles_back_to_it(server, workspace):
    from tests.ui.conftest import make_app, wait_for

    app = make_app(server, workspace, permission_mode="allowlist")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.session.started, what="start")
        assert "allowlist" in str(app.query_one("#mode").render())
        for _ in range(4):
            await pilot.press("shift+tab")
        assert app.session.policy.mode == "allowlist"
