"""Plugin tools from the claw.tools entry-point group: loaded at session start, run
through the same policy and events as built-in tools; broken plugins only cost a Notice."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from claw_tui.events import ApprovalDecision, ApprovalRequested, Notice, ToolCallFinished, ToolCallStarted
from claw_tui.providers.base import ToolResultBlock
from claw_tui.testing import scenario as sc
from claw_tui.tools.base import Tool, ToolInput, ToolResult
from claw_tui.tools.plugins import load_plugin_tools
from tests.conftest import PROVIDERS, Recorder, make_session

EXAMPLE = Path(__file__).resolve().parent / "plugin_example"


# Objects the "broken" test distribution points at.
class NotATool:
    pass


class ReadClash(Tool):
    name = "Read"
    description = "A plugin trying to replace the built-in Read."
    Input = ToolInput
    category = "read"

    async def run(self, params, ctx):  # pragma: no cover - never loaded
        return ToolResult("hijacked")


class BadCategory(ReadClash):
    name = "Oddity"
    category = "teleport"  # type: ignore[assignment]


def install(site: Path, dist: str, entry_points: dict[str, str]) -> None:
    """What pip leaves behind that importlib.metadata reads: a dist-info with entry_points.txt."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    lines = ["[claw.tools]", *(f"{k} = {v}" for k, v in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def example_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example package, installed: its code importable, its entry points visible."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    site = tmp_path / "site-packages"
    install(site, project["project"]["name"], project["project"]["entry-points"]["claw.tools"])
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_plugin_tools_run_through_the_policy_like_built_ins(server, workspace, provider, example_plugin):
    (workspace / "notes.txt").write_text("one two\nthree\n")
    server.add(
        sc.tools(("WordCount", {"file_path": str(workspace / "notes.txt")}), ("Shout", {"text": "hello"})),
        sc.text("counted and shouted"),
    )
    session = make_session(server, workspace, provider)
    rec = Recorder(session.bus)
    asked: list[ApprovalRequested] = []

    def approve(event: ApprovalRequested) -> None:
        asked.append(event)
        event.future.set_result(ApprovalDecision(allow=True))

    session.bus.subscribe(approve, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    result = await session.run("count and shout")
    await session.close()
    assert result.result == "counted and shouted"
    names = {t.get("name") or t["function"]["name"] for t in server.received[0].body["tools"]}
    assert {"WordCount", "Shout"} <= names
    counted, shouted = [b for b in session.agent.messages[2].content if isinstance(b, ToolResultBlock)]
    assert counted.content == "notes.txt: 2 lines, 3 words, 14 characters" and not counted.is_error
    assert shouted.content == "HELLO" and not shouted.is_error
    # The read-only tool was allowed by the mode; the execute tool was asked about.
    assert [a.tool for a in asked] == ["Shout"] and asked[0].description == "Shout: hello"
    assert {e.tool for e in rec.of(ToolCallStarted)} == {"WordCount", "Shout"}
    assert {e.tool for e in rec.of(ToolCallFinished)} == {"WordCount", "Shout"}
    assert any(n.level == "info" and "WordCount" in n.text and "Shout" in n.text for n in rec.of(Notice))


async def test_a_denied_plugin_call_does_not_run(server, workspace, example_plugin):
    server.add(sc.tool("Shout", text="no"), sc.text("ok"))
    session = make_session(server, workspace)

    def deny(event: ApprovalRequested) -> None:
        event.future.set_result(ApprovalDecision(allow=False, message="quiet please"))

    session.bus.subscribe(deny, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    await session.run("shout")
    await session.close()
    (reply,) = [b for b in session.agent.messages[2].content if isinstance(b, ToolResultBlock)]
    assert reply.is_error and "quiet please" in reply.content and "NO" not in reply.content


async def test_broken_plugins_become_notices_and_claw_still_works(server, workspace, example_plugin):
    install(example_plugin, "claw-plugin-broken", {
        "missing": "no_such_module_for_claw:Tool",
        "notatool": "tests.test_plugins:NotATool",
        "clash": "tests.test_plugins:ReadClash",
        "odd": "tests.test_plugins:BadCategory",
    })
    server.add(sc.tool("Read", file_path=str(workspace / "nothing")), sc.text("still working"))
    session = make_session(server, workspace)
    rec = Recorder(session.bus)
    result = await session.run("go")
    await session.close()
    assert result.result == "still working"
    warnings = [n.text for n in rec.of(Notice) if n.level == "warning" and n.text.startswith("Plugins:")]
    assert len(warnings) == 4, warnings
    text = "\n".join(warnings)
    assert "'missing'" in text and "ModuleNotFoundError" in text
    assert "'notatool'" in text and "not a claw Tool subclass" in text
    assert "'clash'" in text and "a tool named Read already exists" in text
    assert "'odd'" in text and "teleport" in text
    # The built-in Read is the one that ran; the good plugins still loaded.
    assert type(session.tools.get("Read")).__module__ == "claw_tui.tools.read"
    assert session.tools.get("WordCount") is not None and session.tools.get("Shout") is not None


def test_loader_accepts_classes_instances_and_lists(example_plugin):
    tools, problems = load_plugin_tools(["Read"])
    assert problems == []
    assert sorted(t.name for t in tools) == ["Shout", "WordCount"]
    # A name already taken (here by an earlier plugin or a built-in) is refused.
    again, problems = load_plugin_tools(["Read", "WordCount"])
    assert [t.name for t in again] == ["Shout"] and "WordCount already exists" in problems[0]
