"""Memory files: where they are found, @imports, limits, and what reaches the system prompt."""

from __future__ import annotations

import subprocess

from claw_tui.engine.context import (
    add_memory_note,
    discover_context,
    find_imports,
    project_memory_file,
    refresh_system_prompt,
)
from claw_tui.events import Notice
from claw_tui.testing import scenario as sc
from tests.conftest import Recorder, make_session


def _repo(tmp_path):
    root = tmp_path / "repo"
    sub = root / "pkg" / "mod"
    sub.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root, sub


def test_files_are_found_from_the_git_root_down_and_in_the_user_dir(tmp_path):
    root, sub = _repo(tmp_path)
    user = tmp_path / "user"
    user.mkdir()
    (user / "CLAW.md").write_text("USER-PREFS")
    (root / "CLAUDE.md").write_text("ROOT-CLAUDE")
    (root / ".claw").mkdir()
    (root / ".claw" / "CLAW.md").write_text("ROOT-DOTCLAW")
    (root / ".claw" / "rules").mkdir()
    (root / ".claw" / "rules" / "style.md").write_text("RULE-STYLE")
    (root / "pkg" / "AGENTS.md").write_text("PKG-AGENTS")
    (sub / "CLAUDE.local.md").write_text("LOCAL-NOTES")
    (tmp_path / "CLAW.md").write_text("ABOVE-THE-REPO")  # outside the git root: not read
    found = discover_context(sub, user_dir=user)
    texts = [f.text for f in found.files]
    assert texts == ["USER-PREFS", "ROOT-CLAUDE", "ROOT-DOTCLAW", "RULE-STYLE", "PKG-AGENTS", "LOCAL-NOTES"]
    assert [f.scope for f in found.files] == ["user", "project", "project", "rule", "project", "local"]
    rendered = found.render()
    assert rendered.index("ROOT-CLAUDE") < rendered.index("PKG-AGENTS")
    assert "ABOVE-THE-REPO" not in rendered


def test_a_symlinked_file_is_read_once(tmp_path):
    root, _ = _repo(tmp_path)
    (root / "AGENTS.md").write_text("SHARED")
    (root / "CLAUDE.md").symlink_to(root / "AGENTS.md")
    found = discover_context(root, user_dir=tmp_path / "nouser")
    assert [f.text for f in found.files] == ["SHARED"]


def test_imports_follow_up_to_five_hops_and_never_loop(tmp_path):
    root, _ = _repo(tmp_path)
    (root / "docs").mkdir()
    (root / "CLAW.md").write_text("top\nSee @docs/h1.md and mail me@example.com\n")
    for n in range(1, 8):
        (root / "docs" / f"h{n}.md").write_text(f"hop {n} @h{n + 1}.md\n")
    (root / "docs" / "h3.md").write_text("hop 3 @h4.md and back to @../CLAW.md\n")
    found = discover_context(root, user_dir=tmp_path / "nouser")
    texts = [f.text.split()[1] if f.text.startswith("hop") else "top" for f in found.files]
    assert texts == ["top", "1", "2", "3", "4", "5"]
    assert found.files[1].imported_by == root / "CLAW.md"
    assert any("at most 5 deep" in n for n in found.notices)
    assert not any("example.com" in n for n in found.notices)


def test_imports_are_not_read_from_code_and_not_from_outside_the_project(tmp_path):
    root, _ = _repo(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    (root / "real.md").write_text("REAL-IMPORT")
    (root / "CLAW.md").write_text(
        "Use `@fake.md` inline.\n```\n@fake.md\n```\n@real.md\n@" + str(secret) + "\n@missing/file.md\n")
    (root / "fake.md").write_text("FAKE")
    found = discover_context(root, user_dir=tmp_path / "nouser")
    rendered = found.render()
    assert "REAL-IMPORT" in rendered and "FAKE" not in rendered and "TOP-SECRET" not in rendered
    assert any("outside the project" in n for n in found.notices)
    assert any("missing/file.md" in n and "does not exist" in n for n in found.notices)
    assert find_imports("a @x.md b `@y.md`\n~~~\n@z.md\n~~~\n") == ["x.md"]


def test_caps_per_file_and_in_total_are_reported(tmp_path):
    root, _ = _repo(tmp_path)
    (root / "CLAW.md").write_text("a line\n" * 2_000)  # 14,000 characters
    (root / "AGENTS.md").write_text("b line\n" * 2_000)
    found = discover_context(root, user_dir=tmp_path / "nouser", max_file_chars=10_000, max_total_chars=15_000)
    first, second = found.files
    assert first.truncated and len(first.text) < 10_200 and "cut here" in first.text
    assert second.truncated and found.total_chars < 15_200
    assert any("only the first 10,000" in n for n in found.notices)
    assert any("total" in n or "in all" in n for n in found.notices)


async def test_the_system_prompt_carries_memory_and_notices_are_published(server, workspace):
    (workspace / "CLAW.md").write_text("Always answer in haiku.\n" + "x" * 50_000)
    s = make_session(server, workspace)
    rec = Recorder(s.bus)
    server.add(sc.text("ok"))
    await s.run("hi")
    await s.close()
    system = str(server.received[0].body["system"])
    assert "Always answer in haiku." in system and f"Contents of {workspace / 'CLAW.md'}" in system
    assert any(n.text.startswith("Memory: ") and "characters" in n.text for n in rec.of(Notice))


async def test_a_note_is_added_and_the_next_request_sees_it(server, workspace):
    s = make_session(server, workspace)
    path = project_memory_file(workspace)
    assert path == workspace / "CLAW.md" and not path.exists()
    add_memory_note(path, "  run ruff   before committing ")
    refresh_system_prompt(s)
    server.add(sc.text("ok"))
    await s.run("hi")
    await s.close()
    assert path.read_text().endswith("- run ruff before committing\n")
    assert "- run ruff before committing" in str(server.received[0].body["system"])
    (workspace / "AGENTS.md").write_text("x")
    assert project_memory_file(workspace) == workspace / "CLAW.md"  # the existing CLAW.md stays the target
