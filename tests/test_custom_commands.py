"""Custom slash commands load like Claude Code's and render their arguments."""

from __future__ import annotations

from pathlib import Path

from claw_tui.custom_commands import load_custom_commands


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_namespacing_precedence_and_frontmatter(tmp_path: Path):
    ws, user = tmp_path / "ws", tmp_path / "user"
    _write(user / "review.md", "User review of $ARGUMENTS")
    _write(user / "only-user.md", "# Say hello\n\nHello!")
    _write(ws / ".claude" / "commands" / "review.md", "Claude-dir review")
    _write(ws / ".claw" / "commands" / "review.md",
           "---\ndescription: Review a PR\nargument-hint: [pr]\nallowed-tools: Bash(git diff:*), Read\n"
           "model: claude-haiku-4-5\n---\nReview PR $1 with focus on $2.\n")
    _write(ws / ".claw" / "commands" / "frontend" / "component.md", "Make a component named $ARGUMENTS")
    cmds, warnings = load_custom_commands(ws, [user])
    assert warnings == []
    review = cmds["review"]
    assert review.scope == "project" and review.description == "Review a PR"
    assert review.argument_hint == "[pr]" and review.allowed_tools == ["Bash(git diff:*)", "Read"]
    assert review.model == "claude-haiku-4-5"
    assert review.render('42 "error handling"') == "Review PR 42 with focus on error handling."
    assert cmds["frontend:component"].render("Button") == "Make a component named Button"
    assert cmds["only-user"].scope == "user" and cmds["only-user"].description == "Say hello"
    # Without $ARGUMENTS, arguments are appended after a blank line.
    assert cmds["only-user"].render("and bye") == "# Say hello\n\nHello!\n\nand bye"


def test_broken_frontmatter_still_loads_with_a_warning(tmp_path: Path):
    ws = tmp_path / "ws"
    _write(ws / ".claw" / "commands" / "broken.md", "---\ndescription: never closed\nDo the thing")
    cmds, warnings = load_custom_commands(ws, [])
    assert "broken" in cmds and "Do the thing" in cmds["broken"].body
    assert warnings and "closing" in warnings[0]
    assert cmds["broken"].render("x 'unbalanced") .endswith("x 'unbalanced")
