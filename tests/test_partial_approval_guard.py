"""A change whose hunks cannot stand alone (a notebook's JSON) is never written in part."""

from __future__ import annotations

import nbformat

from claw_tui.events import ApprovalDecision, ApprovalRequested
from claw_tui.testing import scenario as sc
from tests.conftest import make_session


async def test_a_notebook_edit_approved_in_part_writes_nothing(server, workspace):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", id="a1")])
    path = workspace / "n.ipynb"
    nbformat.write(nb, str(path))
    before = path.read_bytes()
    server.add(sc.tool("NotebookRead", notebook_path=str(path)),
               sc.tool("NotebookEdit", notebook_path=str(path), cell_id="a1", new_source="x = 2"),
               sc.text("done"))
    session = make_session(server, workspace)
    seen: list[ApprovalRequested] = []

    def approve_half(event: ApprovalRequested) -> None:
        seen.append(event)
        # An approver that (wrongly) sends content for a part of the JSON diff.
        event.future.set_result(ApprovalDecision(allow=True, content='{"cells": [', refused_hunks=("@@ x",)))

    session.bus.subscribe(approve_half, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    result = await session.run("edit the notebook")
    await session.close()
    assert seen and seen[0].preview["partial"] is False
    assert path.read_bytes() == before
    tool_results = [b for m in session.agent.messages for b in getattr(m, "content", []) if hasattr(b, "tool_use_id")]
    assert any("cannot be approved in part" in b.content and b.is_error for b in tool_results), result
