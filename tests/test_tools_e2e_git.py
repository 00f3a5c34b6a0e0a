"""GitStatus and GitCommit called by the model through the real SDKs (scripted server).

GitStatus is a read inside the workspace and runs without asking; GitCommit runs
because the command line allowed it (--allowedTools GitCommit), and without that
rule it is put to a person, with the files and the message in the prompt.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from claw_tui.events import ApprovalDecision, ApprovalRequested, PermissionDecided, ToolCallFinished
from claw_tui.testing import scenario as sc
from tests.conftest import PROVIDERS, Recorder, make_session, transcript_is_valid


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout


def make_repo(ws: Path) -> None:
    git(ws, "init", "-q", "-b", "main")
    git(ws, "config", "user.name", "Test User")
    git(ws, "config", "user.email", "test@example.com")
    (ws / "app.py").write_text("print('helo')\n")
    git(ws, "add", "app.py")
    git(ws, "commit", "-q", "-m", "Initial commit")
    (ws / "app.py").write_text("print('hello')\n")
    (ws / "notes.txt").write_text("scratch, not for the commit\n")


def script() -> list[dict]:
    return [
        sc.tool("GitStatus", "Checking what changed."),
        sc.tool("GitCommit", "Committing the fix.", message="Fix the greeting typo", files=["app.py"]),
        sc.text("Committed the fix."),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_model_checks_status_then_commits_with_allowed_tools(server, workspace, provider):
    make_repo(workspace)
    server.add(*script())
    session = make_session(server, workspace, provider, allowed_tools=["GitCommit"])
    rec = Recorder(session.bus)
    result = await session.run("commit the typo fix")
    await session.close()

    assert result.outcome == "success", result
    assert result.result == "Committed the fix."
    assert rec.of(ApprovalRequested) == []
    decided = {e.tool: e for e in rec.of(PermissionDecided)}
    assert decided["GitStatus"].behavior == "allow"
    assert decided["GitCommit"].behavior == "allow" and decided["GitCommit"].rule == "GitCommit"

    status, commit = rec.of(ToolCallFinished)
    assert status.tool == "GitStatus" and not status.is_error
    assert "modified:   app.py" in status.content and "notes.txt" in status.content
    assert commit.tool == "GitCommit" and not commit.is_error, commit.content

    # The commit is in the repository: the fix only, with the model's message.
    sha = git(workspace, "rev-parse", "HEAD").strip()
    assert commit.content.startswith(f"Committed {sha}: Fix the greeting typo")
    assert git(workspace, "log", "--format=%s").splitlines() == ["Fix the greeting typo", "Initial commit"]
    assert git(workspace, "show", "--name-only", "--format=", "HEAD").split() == ["app.py"]
    assert git(workspace, "status", "--porcelain").strip() == "?? notes.txt"

    # The model was sent both results.
    assert "modified:   app.py" in server.received[1].last_user_text
    assert sha in server.received[2].last_user_text
    assert transcript_is_valid(session.agent.messages)


async def test_without_the_rule_the_commit_is_put_to_a_person(server, workspace):
    make_repo(workspace)
    server.add(*script())
    session = make_session(server, workspace, "anthropic")
    asked: list[ApprovalRequested] = []

    def approve(event: ApprovalRequested) -> None:
        asked.append(event)
        event.future.set_result(ApprovalDecision(allow=True, scope="once"))

    session.bus.subscribe(approve, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested))
    result = await session.run("commit the typo fix")
    await session.close()

    assert result.outcome == "success", result
    assert [e.tool for e in asked] == ["GitCommit"]  # GitStatus was not asked
    request = asked[0]
    assert request.preview["files"] == [{"status": "M", "path": "app.py"}]
    assert request.preview["message"] == "Fix the greeting typo"
    assert request.preview["command"] == "git add -- app.py && git commit -m 'Fix the greeting typo'"
    assert "hooks" in request.preview["note"]
    assert "modified: app.py" in request.description and "Fix the greeting typo" in request.description
    assert git(workspace, "log", "-1", "--format=%s").strip() == "Fix the greeting typo"
