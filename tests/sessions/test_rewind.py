"""Checkpoints and /rewind: code, conversation or both, back to before a prompt; fork from a message."""

from __future__ import annotations

import pytest

from claw_tui.engine.persistence import RewindError
from claw_tui.engine.store import load_session
from claw_tui.testing import scenario as sc
from tests.conftest import make_session, transcript_is_valid


async def _three_prompts(server, ws):
    """Prompt 1 edits a.py, prompt 2 creates b.py and edits a.py again, prompt 3 only answers."""
    (ws / "a.py").write_text("v = 0\n")
    server.add(
        sc.tool("Read", file_path=str(ws / "a.py")),
        sc.tool("Edit", file_path=str(ws / "a.py"), old_string="v = 0", new_string="v = 1"),
        sc.text("one"),
        sc.tool("Write", file_path=str(ws / "b.py"), content="new file\n"),
        sc.tool("Edit", file_path=str(ws / "a.py"), old_string="v = 1", new_string="v = 2"),
        sc.text("two"),
        sc.text("three"),
    )
    s = make_session(server, ws, permission_mode="acceptEdits")
    for p in ("first", "second", "third"):
        await s.run(p)
    return s


async def test_rewind_code_and_conversation_to_before_a_prompt(server, workspace):
    s = await _three_prompts(server, workspace)
    plan = {p.path: p for p in s.persistence.rewind_plan(2)}
    assert plan[str(workspace / "a.py")].content == "v = 1\n"
    assert plan[str(workspace / "b.py")].content is None  # created after: deleted
    result = s.persistence.rewind(2)
    assert result.prompt == "second" and sorted(result.restored) == sorted(plan)
    assert (workspace / "a.py").read_text() == "v = 1\n" and not (workspace / "b.py").exists()
    assert [m.text for m in s.agent.messages if m.role == "user" and m.text] == ["first"]
    assert transcript_is_valid(s.agent.messages)
    # The agent must read a.py again before editing it: its earlier read is stale now.
    assert s.files.staleness(workspace / "a.py") is not None
    # Work goes on from there, and the stored session agrees.
    server.add(sc.text("again"))
    await s.run("second, take two")
    await s.close()
    loaded = load_session(s.persistence.path)
    assert [m.text for m in loaded.messages if m.role == "user" and m.text] == ["first", "second, take two"]
    assert [c.text for c in loaded.checkpoints] == ["first", "second, take two"]


async def test_rewind_code_only_keeps_the_conversation_and_all_the_way_back(server, workspace):
    s = await _three_prompts(server, workspace)
    n = len(s.agent.messages)
    s.persistence.rewind(1, conversation=False)
    assert (workspace / "a.py").read_text() == "v = 0\n" and not (workspace / "b.py").exists()
    assert len(s.agent.messages) == n
    await s.close()


async def test_rewind_conversation_only_leaves_files(server, workspace):
    s = await _three_prompts(server, workspace)
    s.persistence.rewind(3, code=False)
    assert (workspace / "a.py").read_text() == "v = 2\n"
    assert [m.text for m in s.agent.messages][-1] == "two"
    await s.close()


async def test_a_file_changed_outside_claw_is_flagged_before_it_is_overwritten(server, workspace):
    s = await _three_prompts(server, workspace)
    (workspace / "a.py").write_text("v = 99  # mine\n")
    flagged = {p.path: p.changed_since for p in s.persistence.rewind_plan(2)}
    assert flagged[str(workspace / "a.py")] is True and flagged[str(workspace / "b.py")] is False
    await s.close()


async def test_rewind_after_a_restart_uses_the_stored_checkpoints(server, workspace):
    s = await _three_prompts(server, workspace)
    await s.close()
    again = make_session(server, workspace, resume=s.id)
    again.persistence.rewind(1)
    assert (workspace / "a.py").read_text() == "v = 0\n"
    assert again.agent.messages == []
    with pytest.raises(RewindError, match="no checkpoint"):
        again.persistence.rewind(2)
    await again.close()


async def test_fork_from_a_message_starts_a_new_session(server, workspace):
    s = await _three_prompts(server, workspace)
    old_id, old_path = s.id, s.persistence.path
    old_size = old_path.stat().st_size
    # Forking "at" the Edit call's message takes its result along: a call never loses its result.
    at = next(i for i, m in enumerate(s.agent.messages) if any(u.name == "Edit" for u in m.tool_uses)) + 1
    new_id = s.persistence.fork(at)
    assert new_id == s.id != old_id
    assert len(s.agent.messages) == at + 1 and transcript_is_valid(s.agent.messages)
    server.add(sc.text("forked"))
    await s.run("in the fork")
    await s.close()
    assert old_path.stat().st_size == old_size
    forked = load_session(s.persistence.path)
    assert forked.forked_from == old_id
    assert [m.text for m in forked.messages][-2:] == ["in the fork", "forked"]
