"""Settings files: layering, what a broken file does, and what reaches the policy."""

from __future__ import annotations

import json
from pathlib import Path

from claw_tui.config import RunConfig
from claw_tui.engine.session import Session, settings_mode
from claw_tui.events import Notice
from claw_tui.providers import make_provider
from claw_tui.settings import load_settings, user_config_dir
from tests.conftest import Recorder


def write(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))


def session_for(ws: Path, trusted: bool | None = True, **config: object) -> Session:
    # trusted=True: these tests are about layering; folder trust has its own (tests/security/test_trust.py).
    cfg = RunConfig(cwd=ws, provider="anthropic", base_url="http://127.0.0.1:9", watch=False, **config)
    return Session(cfg, provider=make_provider("anthropic", base_url="http://127.0.0.1:9", api_key="k"),
                   trusted=trusted)


def test_layers_merge_rules_and_later_scalars_win(workspace: Path) -> None:
    write(user_config_dir() / "settings.json", {"model": "opus", "permissions": {"allow": ["Bash(ls:*)"]},
                                                 "theme": "textual-light"})
    write(workspace / ".claude" / "settings.json", {"permissions": {"deny": ["Read(./.env)"]}})
    write(workspace / ".claw" / "settings.json", {"model": "haiku", "permissions": {"allow": ["Edit(src/**)"]},
                                                   "someClaudeCodeKey": {"kept": True}})
    write(workspace / ".claw" / "settings.local.json", {"permissions": {"defaultMode": "acceptEdits"}})
    s = load_settings(workspace)
    assert s.errors == []
    assert s.model == "haiku"
    assert s.theme == "textual-light"
    assert [r for r, _ in s.rules("allow")] == ["Bash(ls:*)", "Edit(src/**)"]
    assert [layer.scope for _, layer in s.rules("allow")] == ["user", "project"]
    assert settings_mode(s, trusted=True) == "acceptEdits"

    session = session_for(workspace)
    assert session.policy.mode == "acceptEdits"
    assert [str(r) for r in session.policy.deny] == ["Read(./.env)"]
    assert "Edit(src/**)" in [str(r) for r in session.policy.allow]
    assert session.model.startswith("claude-haiku")


def test_command_line_wins_over_settings(workspace: Path) -> None:
    write(workspace / ".claw" / "settings.json", {"model": "haiku", "permissions": {"defaultMode": "plan"}})
    session = session_for(workspace, model="claude-sonnet-5-5", permission_mode="default")
    assert session.policy.mode == "default"
    assert session.model == "claude-sonnet-5-5"


async def test_a_broken_file_is_reported_skipped_whole_and_left_untouched(workspace: Path) -> None:
    broken = '{"permissions": {"allow": ["Bash(rm:*)"]},,}'
    write(workspace / ".claw" / "settings.json", broken)
    write(workspace / ".claw" / "settings.local.json", {"permissions": {"allow": "Edit"}})  # wrong type
    write(workspace / ".claude" / "settings.json", {"permissions": {"allow": ["Bash(", "Read"],
                                                                    "defaultMode": "yolo"}})
    session = session_for(workspace)
    rec = Recorder(session.bus)
    await session.start()
    await session.close()
    notes = [n.text for n in rec.of(Notice)]
    assert any("settings.json: is not valid JSON (line 1" in n for n in notes), notes
    assert any("settings.local.json: has invalid settings (permissions.allow" in n for n in notes), notes
    assert any("not a permission rule: 'Bash('" in n for n in notes), notes
    assert any("defaultMode 'yolo' is not a mode" in n for n in notes), notes
    # Nothing from the broken files applies; the good rule of the valid file does.
    assert [str(r) for r in session.policy.allow] == ["Read"]
    assert session.policy.mode == "default"
    assert (workspace / ".claw" / "settings.json").read_text() == broken
