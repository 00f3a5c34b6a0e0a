"""MCP servers inside a Session: approval of project servers (definition and tool-list
hashes), the folder-trust hook, permissions of MCP tools, restarts with backoff."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from claw_tui.events import ApprovalDecision, ApprovalRequested, McpServerStatusChanged, Notice
from claw_tui.mcp.config import ApprovalStore
from claw_tui.testing import scenario as sc
from tests.conftest import Recorder, make_session
from tests.mcp.conftest import mcp_json, stdio


class Approver:
    """Answers every approval request with ``decide(request)`` and keeps the requests."""

    def __init__(self, bus, decide: Callable[[ApprovalRequested], ApprovalDecision]) -> None:
        self.requests: list[ApprovalRequested] = []
        self.decide = decide
        bus.subscribe(self, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested), name="approver")

    def __call__(self, event: ApprovalRequested) -> None:
        self.requests.append(event)
        event.future.set_result(self.decide(event))


def allow(scope: str = "once") -> Callable[[ApprovalRequested], ApprovalDecision]:
    return lambda _e: ApprovalDecision(allow=True, scope=scope)  # type: ignore[arg-type]


def deny(_e: ApprovalRequested) -> ApprovalDecision:
    return ApprovalDecision(allow=False, message="no")


async def started(session, approver_decide=None) -> tuple[Approver | None, Recorder]:
    rec = Recorder(session.bus)
    approver = Approver(session.bus, approver_decide) if approver_decide else None
    await session.start(wait_for_mcp=True)
    return approver, rec


async def test_project_servers_are_approved_by_hash_and_asked_again_when_they_change(server, workspace: Path,
                                                                                     tmp_path: Path):
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps(["echo", "add"]))
    definition = stdio("stdio", "--label", "proj", "--tools-file", str(tools_file))
    (workspace / ".mcp.json").write_text(mcp_json({"proj": definition}))

    # New: asked, with what it is; "always" remembers it for this project.
    s1 = make_session(server, workspace)
    approver, _ = await started(s1, allow("always"))
    assert len(approver.requests) == 1
    req = approver.requests[0]
    assert req.preview["kind"] == "mcp_server" and req.preview["reason"] == "new"
    assert req.preview["server"] == "proj" and req.preview["definition"] == definition
    assert "is new" in req.description and "testserver.py" in req.description
    assert s1.mcp.servers["proj"].status == "connected"
    assert {"mcp__proj__echo", "mcp__proj__add"} <= set(s1.tools.names())
    await s1.close()
    saved = ApprovalStore(workspace).saved("proj")
    assert saved["definition"] and saved["tools"] and saved["tool_names"] == ["add", "echo"]

    # Unchanged: not asked again.
    s2 = make_session(server, workspace)
    approver, _ = await started(s2, allow())
    assert approver.requests == [] and s2.mcp.servers["proj"].status == "connected"
    await s2.close()

    # Its tools changed: asked again, told what changed; refused, none of its tools are offered.
    tools_file.write_text(json.dumps(["echo", "add", "crash"]))
    s3 = make_session(server, workspace)
    approver, rec = await started(s3, deny)
    assert [r.preview["reason"] for r in approver.requests] == ["tools_changed"]
    assert approver.requests[0].preview["added"] == ["crash"]
    assert "offers different tools" in approver.requests[0].description
    assert s3.mcp.servers["proj"].status == "refused"
    assert not any(n.startswith("mcp__proj__") for n in s3.tools.names())
    await s3.close()

    # Its definition changed: asked again.
    (workspace / ".mcp.json").write_text(mcp_json({"proj": {**definition, "env": {"X": "1"}}}))
    s4 = make_session(server, workspace)
    approver, _ = await started(s4, allow())
    assert [r.preview["reason"] for r in approver.requests] == ["changed", "tools_changed"]
    assert s4.mcp.servers["proj"].status == "connected"
    await s4.close()


async def test_project_servers_wait_for_folder_trust(server, workspace: Path, user_dir: Path):
    (workspace / ".mcp.json").write_text(mcp_json({"proj": stdio("stdio", "--label", "proj")}))
    (user_dir / "mcp.json").write_text(mcp_json({"mine": stdio("stdio", "--label", "mine")}))
    session = make_session(server, workspace)
    session.trusted = False
    approver, rec = await started(session, allow())
    statuses = {s.name: s.status for s in session.mcp.servers.values()}
    assert statuses == {"proj": "waiting for folder trust", "mine": "connected"}
    assert approver.requests == []  # nothing is even asked before the folder is trusted
    session.trusted = True
    session.mcp.trust_changed()
    await session.mcp.wait_ready()
    assert session.mcp.servers["proj"].status == "connected" and len(approver.requests) == 1
    await session.close()


async def test_headless_style_refusal_and_acceptance(server, workspace: Path):
    (workspace / ".mcp.json").write_text(mcp_json({"proj": stdio("stdio", "--label", "proj")}))
    refusing = make_session(server, workspace)
    refusing.mcp_approval_mode = "refuse"
    _, rec = await started(refusing)
    assert refusing.mcp.servers["proj"].status == "refused"
    assert any("nobody here can approve it" in n.text for n in rec.of(Notice))
    await refusing.close()
    accepting = make_session(server, workspace)
    accepting.mcp_approval_mode = "accept"  # claw -p --trust (the permissions work wires the flag)
    await started(accepting)
    assert accepting.mcp.servers["proj"].status == "connected"
    await accepting.close()
    assert ApprovalStore(workspace).saved("proj") == {}  # accepted for that run only


async def test_mcp_tools_are_asked_about_and_matched_by_rules(server, workspace: Path):
    config = mcp_json({"srv": stdio("stdio", "--label", "srv"), "other": stdio("stdio", "--label", "other")})
    server.add(sc.tool("mcp__srv__add", a="two"), sc.tool("mcp__srv__add", a=2, b=3),
               sc.tool("mcp__srv__echo", text="ruled"), sc.text("done"))
    session = make_session(server, workspace, mcp_config=[config], allowed_tools=["mcp__srv__echo"],
                           disallowed_tools=["mcp__other"])
    approver, rec = await started(session, allow())
    # A whole-server deny rule keeps that server's tools away from the model.
    assert not any(n.startswith("mcp__other__") for n in session.tools.names())
    assert session.tools.get("mcp__srv__add").category == "mcp"
    result = await session.run("add and echo")
    assert result.outcome == "success"
    # Arguments that do not fit the server's schema are refused before anyone is asked.
    invalid = json.dumps(server.received[1].body["messages"][-1])
    assert "Invalid input for mcp__srv__add" in invalid and "is not of type 'integer'" in invalid
    # add: no rule, so asked, with the MCP preview; echo: allowed by its mcp__server__tool rule.
    assert [r.tool for r in approver.requests] == ["mcp__srv__add"]
    assert approver.requests[0].preview == {"kind": "mcp", "server": "srv", "tool": "add",
                                            "arguments": {"a": 2, "b": 3}}
    sent = json.dumps(server.received[2].body["messages"][-1]) + json.dumps(server.received[3].body["messages"][-1])
    assert "srv sum: 5" in sent and "srv echo: ruled" in sent
    await session.close()


async def test_a_server_that_keeps_dying_is_restarted_with_backoff_then_given_up(server, workspace: Path):
    session = make_session(server, workspace, mcp_config=[mcp_json({"dying": stdio("stdio", "--exit-after", "0.4")})])
    rec = Recorder(session.bus)
    await session.start(wait_for_mcp=True)
    session.mcp.restart_delay = 0.05
    session.mcp.max_restarts = 1
    dying = session.mcp.servers["dying"]
    assert dying.status == "connected"
    task = dying._task
    await task
    statuses = [e.status for e in rec.of(McpServerStatusChanged) if e.server == "dying"]
    assert statuses.count("restarting") == 1 and statuses[-1] == "failed"
    assert "gave up after 1 restart" in dying.last_error
    assert any("keeps failing" in n.text and "/mcp reconnect dying" in n.text for n in rec.of(Notice))
    # Its tools stay listed, and a call says why it cannot run.
    tool = session.tools.get("mcp__dying__echo")
    result = await tool.run(tool.parse({"text": "x"}), session.ctx)
    assert result.is_error and "the server is failed: the server process exited" in result.content
    await session.close()


async def test_tools_that_change_while_running_are_asked_about_again(server, workspace: Path):
    (workspace / ".mcp.json").write_text(mcp_json({"proj": stdio("stdio", "--label", "proj")}))
    session = make_session(server, workspace)
    approver, _ = await started(session, allow("session"))
    assert [r.preview["reason"] for r in approver.requests] == ["new"]
    grow = session.tools.get("mcp__proj__grow")
    assert (await grow.run(grow.parse({}), session.ctx)).content == "grew a tool"
    for _ in range(200):
        if session.tools.get("mcp__proj__grown") is not None:
            break
        await asyncio.sleep(0.02)
    assert [r.preview["reason"] for r in approver.requests] == ["new", "tools_changed"]
    assert approver.requests[1].preview["added"] == ["grown"]
    grown = session.tools.get("mcp__proj__grown")
    assert (await grown.run(grown.parse({}), session.ctx)).content == "grown answers"
    await session.close()
