"""The file observer: someone else's change is published and makes Edit refuse;
the agent's own change is not reported twice; gitignored files are left out."""

from __future__ import annotations

import asyncio

from claw_tui.events import FileChanged
from claw_tui.testing import scenario as sc
from tests.conftest import Recorder, make_session, wait_for



async def test_external_change_is_published_and_blocks_a_blind_edit(server, workspace):
    f = workspace / "f.txt"
    f.write_text("one\n")
    server.add(sc.tool("Read", file_path=str(f)), sc.text("read it"))
    session = make_session(server, workspace, permission_mode="acceptEdits", watch=True)
    rec = Recorder(session.bus)
    await session.run("read f")
    await session.watcher.ready.wait()
    await asyncio.sleep(0.2)
    f.write_text("one\nTWO (someone else's line)\n")
    await wait_for(lambda: any(e.by == "external" for e in rec.of(FileChanged)))
    change = next(e for e in rec.of(FileChanged) if e.by == "external")
    assert change.path == str(f) and change.before == "one\n" and "TWO" in change.after

    # Same size and mtime tricks aside, the watcher's mark alone refuses the edit.
    server.add(sc.tool("Edit", file_path=str(f), old_string="one", new_string="1"), sc.text("tried"))
    await session.run("edit f")
    await session.close()
    assert "modified since it was read" in session.agent.messages[-2].content[0].content
    assert "TWO" in f.read_text()


async def test_agent_change_is_not_reported_as_external(server, workspace):
    f = workspace / "new.txt"
    server.add(sc.tool("Write", file_path=str(f), content="hello\n"), sc.text("wrote"))
    session = make_session(server, workspace, permission_mode="acceptEdits", watch=True)
    rec = Recorder(session.bus)
    await session.start()
    await session.watcher.ready.wait()
    await asyncio.sleep(0.2)
    await session.run("write")
    await asyncio.sleep(0.6)  # well past the debounce
    await session.close()
    changes = rec.of(FileChanged)
    assert [(e.by, e.path) for e in changes] == [("agent", str(f))]


async def test_gitignored_and_git_dir_changes_are_ignored(server, workspace):
    (workspace / ".gitignore").write_text("build/\n*.log\n")
    (workspace / "build").mkdir()
    (workspace / ".git").mkdir()
    session = make_session(server, workspace, watch=True)
    rec = Recorder(session.bus)
    await session.start()
    await session.watcher.ready.wait()
    await asyncio.sleep(0.2)
    (workspace / "build" / "out.o").write_text("x")
    (workspace / "debug.log").write_text("x")
    (workspace / ".git" / "index").write_text("x")
    (workspace / "kept.py").write_text("x = 1\n")
    await wait_for(lambda: rec.of(FileChanged))
    await asyncio.sleep(0.3)
    await session.close()
    assert [e.path for e in rec.of(FileChanged)] == [str(workspace / "kept.py")]
    assert rec.of(FileChanged)[0].before is None and rec.of(FileChanged)[0].by == "external"


async def test_watcher_catches_a_change_that_hides_its_mtime(server, workspace):
    """Same size, mtime put back: only the observer can tell the file changed."""
    import os

    f = workspace / "f.txt"
    f.write_text("one\n")
    server.add(sc.tool("Read", file_path=str(f)), sc.text("read it"))
    session = make_session(server, workspace, permission_mode="acceptEdits", watch=True)
    rec = Recorder(session.bus)
    await session.run("read f")
    await session.watcher.ready.wait()
    await asyncio.sleep(0.2)
    st = f.stat()
    f.write_text("ONE\n")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    await wait_for(lambda: any(e.by == "external" for e in rec.of(FileChanged)))
    server.add(sc.tool("Edit", file_path=str(f), old_string="ONE", new_string="1"), sc.text("tried"))
    await session.run("edit f")
    await session.close()
    assert f.read_text() == "ONE\n"
    assert "modified since it was read" in session.agent.messages[-2].content[0].content
