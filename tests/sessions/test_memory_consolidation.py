"""Memory consolidation: a sub-agent proposes a tidied memory file; once per interval; lock-guarded."""

from __future__ import annotations

import fcntl
import json
import os

from claw_tui.engine.memory import MemoryConsolidator
from claw_tui.events import AgentSpawned, MemoryProposed, MemoryUpdated
from claw_tui.testing import scenario as sc
from tests.conftest import Recorder, make_session

CURRENT = "# Project memory\n\n- tests: make test\n- tests: make test\n- the API lives in old_api/\n"
PROPOSED = "# Project memory\n\n- tests: make test (a single test: make test T=name)\n- the API lives in api/\n"
ANSWER = (f"<changes>\n- merged the duplicate test line\n- old_api/ was renamed to api/\n</changes>\n"
          f"<memory>\n{PROPOSED}</memory>")


async def _session_with_work(server, workspace):
    (workspace / "CLAW.md").write_text(CURRENT)
    server.add(sc.text("Renamed old_api/ to api/. Run one test with make test T=name."))
    s = make_session(server, workspace)
    await s.run("rename old_api to api")
    return s


async def test_a_proposal_is_offered_and_written_only_when_accepted(server, workspace):
    s = await _session_with_work(server, workspace)
    rec = Recorder(s.bus)
    dreamer = MemoryConsolidator(s)
    server.add({**sc.text(ANSWER), "match": "<transcript>"})
    proposal = await dreamer.run()
    assert proposal is not None and proposal.after == PROPOSED and "duplicate" in proposal.summary
    ask = server.received[-1]
    assert "the API lives in old_api/" in ask.last_user_text and "rename old_api to api" in ask.last_user_text
    assert ask.body.get("tools") in (None, [])  # a sub-agent without tools
    (spawned,) = rec.of(AgentSpawned)
    assert spawned.name == "memory consolidation" and spawned.parent_id == "main"
    (offered,) = rec.of(MemoryProposed)
    assert offered.before == CURRENT and offered.after == PROPOSED
    assert (workspace / "CLAW.md").read_text() == CURRENT  # nothing written yet
    dreamer.accept(proposal)
    assert (workspace / "CLAW.md").read_text() == PROPOSED
    assert "the API lives in api/" in s.agent.system_prompt and rec.of(MemoryUpdated)
    await s.close()


async def test_at_most_once_per_interval_and_not_while_another_claw_holds_the_lock(server, workspace):
    s = await _session_with_work(server, workspace)
    dreamer = MemoryConsolidator(s)
    server.add({**sc.text(ANSWER), "match": "<transcript>"})
    assert await dreamer.run() is not None
    assert json.loads(dreamer.lock_path.read_text())["last_run"] > 0
    requests = len(server.received)
    assert "ran 0 minutes ago" in (dreamer.not_due() or "")
    assert await dreamer.run() is None
    # Another claw process consolidating holds the lock: even a forced run stays out.
    fd = os.open(dreamer.lock_path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert await dreamer.run(force=True) is None
    finally:
        os.close(fd)
    assert len(server.received) == requests  # no model call was made for either


async def test_no_change_means_no_proposal(server, workspace):
    s = await _session_with_work(server, workspace)
    rec = Recorder(s.bus)
    server.add({**sc.text("<changes>none</changes>"), "match": "<transcript>"})
    assert await MemoryConsolidator(s).run() is None
    assert not rec.of(MemoryProposed)
    await s.close()


async def test_it_learns_from_the_previous_session_when_this_one_has_no_work(server, workspace):
    first = await _session_with_work(server, workspace)
    await first.close()
    second = make_session(server, workspace)
    server.add({**sc.text(ANSWER), "match": "<transcript>"})
    proposal = await MemoryConsolidator(second).run()
    assert proposal is not None and "rename old_api to api" in server.received[-1].last_user_text
    await second.close()


async def test_it_can_be_turned_off(server, workspace):
    (workspace / ".claw").mkdir()
    (workspace / ".claw" / "settings.json").write_text(json.dumps({"autoDreamEnabled": False}))
    s = await _session_with_work(server, workspace)
    assert "off" in (MemoryConsolidator(s).not_due() or "")
    await s.close()
