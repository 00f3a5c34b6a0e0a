"""FileStateRegistry: what the agent read and wrote, and the observer's attribution."""

from __future__ import annotations

from pathlib import Path

from claw_tui.tools.base import ToolContext
from claw_tui.tools.edit import EditTool
from claw_tui.tools.filestate import FileStateRegistry
from claw_tui.tools.read import ReadTool
from claw_tui.tools.write import WriteTool

from ._helpers import call


def test_agent_write_is_attributed_to_the_agent(tmp_path: Path) -> None:
    reg = FileStateRegistry()
    f = tmp_path / "a.txt"
    f.write_bytes(b"agent content\n")
    reg.record_agent_write(f, b"agent content\n")
    made_by_agent, before = reg.observe_change(f, b"agent content\n")
    assert made_by_agent is True
    assert reg.staleness(f) is None


def test_other_content_is_someone_elses_and_marks_stale(tmp_path: Path) -> None:
    reg = FileStateRegistry()
    f = tmp_path / "a.txt"
    f.write_bytes(b"seen by agent\n")
    reg.record(f, b"seen by agent\n")
    assert reg.staleness(f) is None
    made_by_agent, before = reg.observe_change(f, b"typed by the user\n")
    assert made_by_agent is False
    assert before == "seen by agent\n"
    assert reg.remembered_text(f) == "typed by the user\n"
    # Stale even though the file on disk still has the size and mtime that were recorded.
    assert "modified since it was read" in (reg.staleness(f) or "")


def test_unchanged_content_does_not_mark_stale(tmp_path: Path) -> None:
    reg = FileStateRegistry()
    f = tmp_path / "a.txt"
    f.write_bytes(b"same\n")
    reg.record(f, b"same\n")
    made_by_agent, _ = reg.observe_change(f, b"same\n")
    assert made_by_agent is False
    assert reg.staleness(f) is None


def test_deletion_marks_stale(tmp_path: Path) -> None:
    reg = FileStateRegistry()
    f = tmp_path / "a.txt"
    f.write_bytes(b"x\n")
    reg.record(f, b"x\n")
    made_by_agent, before = reg.observe_change(f, None)
    assert made_by_agent is False
    assert before == "x\n"
    assert reg.staleness(f) is not None


def test_unread_file(tmp_path: Path) -> None:
    reg = FileStateRegistry()
    assert not reg.has_read(tmp_path / "a.txt")
    assert "not been read" in (reg.staleness(tmp_path / "a.txt") or "")
    assert reg.observe_change(tmp_path / "a.txt", b"new\n") == (False, None)


async def test_tools_and_observer_together(ws: Path, ctx: ToolContext) -> None:
    """What Write wrote is the agent's; an outside change then blocks Edit until a new Read."""
    f = ws / "cfg.toml"
    await call(WriteTool(), ctx, file_path=str(f), content="a = 1\n")
    assert ctx.files.observe_change(f, f.read_bytes())[0] is True

    ctx.files.observe_change(f, b"a = 1\nb = 2\n")  # the watcher saw someone else's content
    edit = EditTool()
    res = await call(edit, ctx, file_path=str(f), old_string="a = 1", new_string="a = 5")
    assert res.is_error
    assert "modified since it was read" in res.content
    assert f.read_text() == "a = 1\n"

    await call(ReadTool(), ctx, file_path=str(f))
    res = await call(edit, ctx, file_path=str(f), old_string="a = 1", new_string="a = 5")
    assert not res.is_error, res.content
    assert ctx.files.observe_change(f, f.read_bytes())[0] is True
