"""The Git tools on real temporary repositories."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from claw_tui.permissions.policy import PermissionPolicy
from claw_tui.tools._git import MAX_OUTPUT_CHARS
from claw_tui.tools.base import ToolContext
from claw_tui.tools.git_blame import GitBlameTool
from claw_tui.tools.git_commit import GitCommitTool
from claw_tui.tools.git_diff import GitDiffTool
from claw_tui.tools.git_log import GitLogTool
from claw_tui.tools.git_show import GitShowTool
from claw_tui.tools.git_status import GitStatusTool
from claw_tui.tools.registry import core_tools
from tests.tools._helpers import call, kill_quietly, read_pid, wait_dead

READ_TOOLS = (GitStatusTool, GitDiffTool, GitLogTool, GitShowTool, GitBlameTool)


def git(repo: Path, *args: str, check: bool = True, date: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    if check and done.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def commit_all(repo: Path, message: str, author: str = "Ada <ada@example.com>", date: str | None = None) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", f"--author={author}", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(ws: Path) -> Path:
    """A repository with one commit: a.txt and b.txt."""
    git(ws, "init", "-q", "-b", "main")
    git(ws, "config", "user.name", "Test User")
    git(ws, "config", "user.email", "test@example.com")
    (ws / "a.txt").write_text("alpha\n")
    (ws / "b.txt").write_text("bravo\n")
    commit_all(ws, "first commit")
    return ws


def section(text: str, title: str) -> str:
    """One section of `git status`'s long format: from its title to the next blank line."""
    start = text.index(title)
    end = text.find("\n\n", start)
    return text[start : end if end != -1 else None]


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


# -- GitStatus ---------------------------------------------------------------------------


async def test_status_shows_staged_modified_and_untracked(repo: Path, ctx: ToolContext) -> None:
    (repo / "a.txt").write_text("alpha changed\n")
    (repo / "c.txt").write_text("new and staged\n")
    git(repo, "add", "c.txt")
    (repo / "d.txt").write_text("untracked\n")
    result = await call(GitStatusTool(), ctx)
    assert not result.is_error, result.content
    assert result.content.startswith(f"Repository: {repo}\n")
    assert "On branch main" in result.content
    staged = section(result.content, "Changes to be committed:")
    unstaged = section(result.content, "Changes not staged for commit:")
    untracked = section(result.content, "Untracked files:")
    assert "c.txt" in staged and "a.txt" not in staged
    assert "modified:   a.txt" in unstaged and "c.txt" not in unstaged
    assert "d.txt" in untracked and "a.txt" not in untracked
    assert result.summary == "3 changed"


async def test_status_of_a_clean_repository(repo: Path, ctx: ToolContext) -> None:
    result = await call(GitStatusTool(), ctx)
    assert "nothing to commit, working tree clean" in result.content
    assert result.summary == "clean"


async def test_status_finds_the_repository_from_a_subdirectory_and_limits_to_path(
    repo: Path, ctx: ToolContext
) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "x.py").write_text("x = 1\n")
    (repo / "a.txt").write_text("changed\n")
    ctx.shell.cwd = str(repo / "src")
    whole = await call(GitStatusTool(), ctx)
    assert f"Repository: {repo}" in whole.content
    assert "a.txt" in whole.content and "src/" in whole.content
    only_src = await call(GitStatusTool(), ctx, path=str(repo / "src"))
    assert "src/" in only_src.content and "a.txt" not in only_src.content


async def test_every_tool_says_clearly_when_there_is_no_repository(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.txt").write_text("x\n")
    calls = [
        (GitStatusTool(), {}),
        (GitDiffTool(), {}),
        (GitLogTool(), {}),
        (GitShowTool(), {}),
        (GitBlameTool(), {"file_path": str(ws / "f.txt")}),
        (GitCommitTool(), {"message": "m", "all": True}),
    ]
    for tool, raw in calls:
        result = await call(tool, ctx, **raw)
        assert result.is_error, tool.name
        assert result.content == f"Not a git repository: {ws} (nor any of its parent directories).", tool.name


async def test_paths_outside_the_repository_are_refused(repo: Path, ctx: ToolContext, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "x.txt"
    elsewhere.write_text("x\n")
    (repo / "a.txt").write_text("changed\n")
    before = head(repo)
    result = await call(GitCommitTool(), ctx, message="m", files=["a.txt", str(elsewhere)])
    assert result.is_error and result.content == f"{elsewhere} is outside the repository at {repo}."
    assert head(repo) == before and git(repo, "diff", "--cached", "--name-only") == ""
    shown = await call(GitShowTool(), ctx, ref="HEAD:../../etc/passwd")
    assert shown.is_error and "outside the repository" in shown.content


# -- GitDiff -----------------------------------------------------------------------------


async def test_diff_unstaged_and_staged(repo: Path, ctx: ToolContext) -> None:
    (repo / "a.txt").write_text("alpha unstaged\n")
    (repo / "b.txt").write_text("bravo staged\n")
    git(repo, "add", "b.txt")

    unstaged = await call(GitDiffTool(), ctx)
    assert "+alpha unstaged" in unstaged.content and "b.txt" not in unstaged.content
    assert "unstaged changes" in unstaged.content
    # One text file changed: the UI gets the before/after pair to draw.
    assert unstaged.display == {"kind": "diff", "path": str(repo / "a.txt"), "before": "alpha\n",
                                "after": "alpha unstaged\n"}

    staged = await call(GitDiffTool(), ctx, staged=True)
    assert "+bravo staged" in staged.content and "a.txt" not in staged.content
    assert staged.display == {"kind": "diff", "path": str(repo / "b.txt"), "before": "bravo\n",
                              "after": "bravo staged\n"}
    assert staged.summary == "1 file"


async def test_diff_against_a_ref_and_between_two_commits(repo: Path, ctx: ToolContext) -> None:
    first = head(repo)
    (repo / "a.txt").write_text("alpha two\n")
    (repo / "n.txt").write_text("new file\n")
    second = commit_all(repo, "second")
    (repo / "b.txt").write_text("bravo worktree\n")

    since_first = await call(GitDiffTool(), ctx, ref=first)
    for expected in ("+alpha two", "+new file", "+bravo worktree"):
        assert expected in since_first.content
    assert since_first.summary == "3 files" and since_first.display is None  # several files: text only

    between = await call(GitDiffTool(), ctx, ref=first, target=second)
    assert "+alpha two" in between.content and "+new file" in between.content
    assert "bravo worktree" not in between.content

    one_file = await call(GitDiffTool(), ctx, ref=first, target=second, path=str(repo / "n.txt"))
    assert "+new file" in one_file.content and "alpha" not in one_file.content
    assert one_file.display == {"kind": "diff", "path": str(repo / "n.txt"), "before": None, "after": "new file\n"}

    stat_only = await call(GitDiffTool(), ctx, ref=first, target=second, stat=True)
    assert "2 files changed" in stat_only.content and "+alpha two" not in stat_only.content


async def test_diff_with_no_changes_says_what_was_compared(repo: Path, ctx: ToolContext) -> None:
    (repo / "a.txt").write_text("staged only\n")
    git(repo, "add", "a.txt")
    result = await call(GitDiffTool(), ctx)
    assert not result.is_error
    assert "No differences in unstaged changes" in result.content
    assert "staged: true" in result.content
    assert result.summary == "no changes"


async def test_diff_invalid_combinations_are_refused_before_running(repo: Path, ctx: ToolContext) -> None:
    with pytest.raises(ValidationError, match="target needs ref"):
        GitDiffTool().parse({"target": "HEAD"})
    with pytest.raises(ValidationError, match="cannot be combined with target"):
        GitDiffTool().parse({"ref": "HEAD", "target": "HEAD", "staged": True})


async def test_long_output_is_capped_and_the_cut_is_noted(repo: Path, ctx: ToolContext) -> None:
    (repo / "big.txt").write_text("".join(f"line {i} of a long file\n" for i in range(5000)))
    git(repo, "add", "big.txt")
    result = await call(GitDiffTool(), ctx, staged=True)
    assert len(result.content) < MAX_OUTPUT_CHARS + 200
    assert "more characters cut" in result.content
    assert "+line 0 of a long file" in result.content


# -- GitLog ------------------------------------------------------------------------------


async def test_log_max_count_path_author_and_ref(repo: Path, ctx: ToolContext) -> None:
    (repo / "a.txt").write_text("a2\n")
    commit_all(repo, "touch a again", author="Bob <bob@example.com>", date="2031-05-01T12:00:00Z")
    (repo / "b.txt").write_text("b2\n")
    commit_all(repo, "touch b", author="Ada <ada@example.com>", date="2031-06-01T12:00:00Z")

    two = await call(GitLogTool(), ctx, max_count=2)
    assert two.summary == "2 commits"
    assert "touch b" in two.content and "touch a again" in two.content and "first commit" not in two.content
    assert "there are more" in two.content
    assert two.content.index("touch b") < two.content.index("touch a again")  # newest first

    on_a = await call(GitLogTool(), ctx, path=str(repo / "a.txt"))
    assert "touch a again" in on_a.content and "first commit" in on_a.content and "touch b" not in on_a.content
    assert on_a.summary == "2 commits" and "there are more" not in on_a.content

    by_bob = await call(GitLogTool(), ctx, author="Bob")
    assert by_bob.summary == "1 commit" and "touch a again" in by_bob.content

    from_older = await call(GitLogTool(), ctx, ref="HEAD~1")
    assert "touch b" not in from_older.content and "touch a again" in from_older.content

    recent = await call(GitLogTool(), ctx, since="2031-05-15")
    assert recent.summary == "1 commit" and "touch b" in recent.content

    nothing = await call(GitLogTool(), ctx, author="nobody-at-all")
    assert nothing.summary == "0 commits" and "No commits match" in nothing.content


async def test_log_of_a_repository_without_commits(ws: Path, ctx: ToolContext) -> None:
    git(ws, "init", "-q", "-b", "main")
    result = await call(GitLogTool(), ctx)
    assert not result.is_error
    assert "no commits yet" in result.content


# -- GitShow -----------------------------------------------------------------------------


async def test_show_a_commit_and_a_file_at_a_commit(repo: Path, ctx: ToolContext) -> None:
    first = head(repo)
    (repo / "a.txt").write_text("alpha v2\n")
    (repo / "b.txt").write_text("bravo v2\n")
    second = commit_all(repo, "update both\n\nBecause reasons.")

    shown = await call(GitShowTool(), ctx)
    assert f"commit {second}" in shown.content
    assert "update both" in shown.content and "Because reasons." in shown.content
    assert "2 files changed" in shown.content  # the stat
    assert "-alpha\n+alpha v2" in shown.content  # the patch

    only_b = await call(GitShowTool(), ctx, ref=second, path=str(repo / "b.txt"))
    assert "+bravo v2" in only_b.content and "alpha v2" not in only_b.content

    old_file = await call(GitShowTool(), ctx, ref=f"{first}:a.txt")
    assert old_file.content.endswith("\nalpha")

    missing = await call(GitShowTool(), ctx, ref="no-such-branch")
    assert missing.is_error and "no-such-branch" in missing.content


async def test_show_paths_name_the_file_a_rev_path_reads(repo: Path, ctx: ToolContext) -> None:
    tool = GitShowTool()
    assert tool.paths(tool.parse({"ref": "HEAD~1:secrets/.env"}), ctx) == [repo / "secrets" / ".env"]
    assert tool.paths(tool.parse({"ref": "HEAD"}), ctx) == [repo]
    assert GitStatusTool().paths(GitStatusTool().parse({}), ctx) == [repo]
    blame = GitBlameTool()
    assert blame.paths(blame.parse({"file_path": "a.txt"}), ctx) == [repo / "a.txt"]


# -- GitBlame ----------------------------------------------------------------------------


async def test_blame_a_range_of_lines(repo: Path, ctx: ToolContext) -> None:
    (repo / "poem.txt").write_text("one\ntwo\nthree\nfour\n")
    commit_all(repo, "poem", author="Ada <ada@example.com>")
    (repo / "poem.txt").write_text("one\nTWO by bob\nthree\nfour\n")
    bobs = commit_all(repo, "bob edits", author="Bob <bob@example.com>")

    result = await call(GitBlameTool(), ctx, file_path=str(repo / "poem.txt"), start_line=2, end_line=3)
    assert not result.is_error, result.content
    lines = result.content.splitlines()[1:]
    assert len(lines) == 2 and result.summary == "2 lines"
    assert lines[0].startswith(bobs[:8]) and "Bob" in lines[0] and lines[0].endswith("TWO by bob")
    assert "Ada" in lines[1] and lines[1].endswith("three")
    assert "one" not in result.content and "four" not in result.content

    at_first = await call(GitBlameTool(), ctx, file_path="poem.txt", ref="HEAD~1", start_line=2, end_line=2)
    assert at_first.content.splitlines()[1].endswith(" two")

    (repo / "poem.txt").write_text("one\nTWO by bob\nthree\nfour\nfive, uncommitted\n")
    local = await call(GitBlameTool(), ctx, file_path="poem.txt", start_line=5)
    assert "Not Committed Yet" in local.content


async def test_blame_bad_range_is_refused(repo: Path, ctx: ToolContext) -> None:
    with pytest.raises(ValidationError, match="end_line"):
        GitBlameTool().parse({"file_path": "a.txt", "start_line": 5, "end_line": 2})


# -- Refs are never options --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "raw"),
    [
        (GitDiffTool, {"ref": "--output=OUT"}),
        (GitDiffTool, {"ref": "HEAD", "target": "--output=OUT"}),
        (GitLogTool, {"ref": "--output=OUT"}),
        (GitShowTool, {"ref": "--output=OUT"}),
        (GitBlameTool, {"file_path": "a.txt", "ref": "--output=OUT"}),
        (GitShowTool, {"ref": "-p"}),
    ],
)
async def test_a_ref_starting_with_dash_is_refused(repo: Path, ctx: ToolContext, tool, raw) -> None:
    out = repo / "OUT"
    raw = {k: v.replace("OUT", str(out)) for k, v in raw.items()}
    with pytest.raises(ValidationError, match="cannot start with '-'"):
        await call(tool(), ctx, **raw)
    assert not out.exists()


async def test_option_like_path_and_author_stay_values(repo: Path, ctx: ToolContext) -> None:
    (repo / "--output=x").write_text("odd name\n")
    commit_all(repo, "odd file")
    result = await call(GitLogTool(), ctx, path="--output=x", author="--all")
    assert not result.is_error
    assert result.summary == "0 commits"  # "--all" was an author pattern, matching nobody
    by_path = await call(GitLogTool(), ctx, path="--output=x")
    assert by_path.summary == "1 commit" and "odd file" in by_path.content
    assert not (repo / "x").exists()


# -- A repository's config must not run programs on reads -----------------------------------


def _script(tmp: Path, canary: Path) -> Path:
    """A program that records that it ran, then behaves as a harmless filter."""
    script = tmp / "evil.sh"
    script.write_text(f"#!/bin/sh\necho ran >> '{canary}'\ncat\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _fsmonitor(repo: Path, evil: Path) -> None:
    git(repo, "config", "core.fsmonitor", str(evil))
    (repo / "a.txt").write_text("alpha modified\n")


def _clean_filter(repo: Path, evil: Path) -> None:
    (repo / ".git" / "info" / "attributes").write_text("*.txt filter=evil\n")
    git(repo, "config", "filter.evil.clean", str(evil))
    git(repo, "config", "filter.evil.required", "true")
    (repo / "a.txt").write_text("ALPHA\n")  # same size: status must look at the content


def _index_hook(repo: Path, evil: Path) -> None:
    hook = repo / ".git" / "hooks" / "post-index-change"
    hook.write_text(evil.read_text())
    hook.chmod(0o755)
    os.utime(repo / "a.txt", (1, 1))  # stat info changed: status refreshes (and writes) the index


def _external_diff(repo: Path, evil: Path) -> None:
    git(repo, "config", "diff.external", str(evil))
    (repo / "a.txt").write_text("alpha modified\n")


def _textconv(repo: Path, evil: Path) -> None:
    (repo / ".git" / "info" / "attributes").write_text("*.txt diff=conv\n")
    git(repo, "config", "diff.conv.textconv", str(evil))
    # HEAD changes a.txt and so does the working tree (fresh each call: setups run twice).
    (repo / "a.txt").write_text(f"alpha {uuid.uuid4()}\n")
    git(repo, "commit", "-q", "-am", "second")
    (repo / "a.txt").write_text(f"alpha {uuid.uuid4()}\n")


def _signature_check(repo: Path, evil: Path) -> None:
    """HEAD carries a (fake) signature, and the config asks log to verify it with a program."""
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    body = (f"tree {tree}\nparent {head(repo)}\nauthor A <a@e> 1700000000 +0000\n"
            "committer A <a@e> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEz\n"
            " -----END PGP SIGNATURE-----\n\nsigned\n")
    obj = repo.parent / "commit.txt"
    obj.write_text(body)
    sha = git(repo, "hash-object", "-t", "commit", "-w", str(obj)).strip()
    git(repo, "update-ref", "refs/heads/main", sha)
    git(repo, "config", "log.showSignature", "true")
    git(repo, "config", "gpg.program", str(evil))


ATTACKS: list[tuple[str, Callable[[Path, Path], None], list[str], type, dict]] = [
    ("fsmonitor", _fsmonitor, ["status"], GitStatusTool, {}),
    ("fsmonitor", _fsmonitor, ["diff"], GitDiffTool, {}),
    ("fsmonitor", _fsmonitor, ["status"], GitCommitTool, {"message": "m", "all": True}),  # its preview
    ("clean filter", _clean_filter, ["status"], GitStatusTool, {}),
    ("clean filter", _clean_filter, ["diff"], GitDiffTool, {}),
    ("clean filter", _clean_filter, ["blame", "a.txt"], GitBlameTool, {"file_path": "a.txt"}),
    ("post-index-change hook", _index_hook, ["status"], GitStatusTool, {}),
    ("diff.external", _external_diff, ["diff"], GitDiffTool, {}),
    ("textconv", _textconv, ["diff"], GitDiffTool, {}),
    ("textconv", _textconv, ["show"], GitShowTool, {}),
    ("textconv", _textconv, ["blame", "a.txt"], GitBlameTool, {"file_path": "a.txt"}),
    ("log.showSignature", _signature_check, ["log", "-1"], GitLogTool, {}),
    ("log.showSignature", _signature_check, ["show"], GitShowTool, {}),
]


@pytest.mark.parametrize(("attack", "setup", "plain", "tool", "raw"), ATTACKS,
                         ids=[f"{a[0]}-{a[3].name}" for a in ATTACKS])
async def test_reads_run_no_program_the_repository_config_names(
    repo: Path, ctx: ToolContext, tmp_path_factory, attack, setup, plain, tool, raw
) -> None:
    tmp = tmp_path_factory.mktemp("attack")
    canary = tmp / "canary"
    evil = _script(tmp, canary)
    setup(repo, evil)
    # The attack is real: plain git runs the program.
    git(repo, *plain, check=False)
    assert canary.exists(), f"plain `git {' '.join(plain)}` should have run the {attack} program"
    canary.unlink()
    setup(repo, evil)  # again: the plain run may have refreshed the index

    instance = tool()
    params = instance.parse(raw)
    if isinstance(instance, GitCommitTool):
        preview = instance.preview(params, ctx)
        assert preview and "a.txt" in preview["note"]
    else:
        result = await instance.run(params, ctx)
        assert not result.is_error, result.content
    assert not canary.exists(), f"{tool.name} ran the {attack} program"


# -- GitCommit ---------------------------------------------------------------------------


async def test_commit_stages_the_given_files_and_commits(repo: Path, ctx: ToolContext) -> None:
    before = head(repo)
    (repo / "a.txt").write_text("alpha fixed\n")
    (repo / "c.txt").write_text("brand new\n")
    (repo / "b.txt").write_text("bravo, not part of this commit\n")
    result = await call(GitCommitTool(), ctx, message="Fix alpha, add c\n\nDetails here.",
                        files=["a.txt", str(repo / "c.txt")])
    assert not result.is_error, result.content
    sha = head(repo)
    assert sha != before
    assert result.content.startswith(f"Committed {sha}: Fix alpha, add c")
    assert result.summary == f"{sha[:7]} Fix alpha, add c"
    assert git(repo, "log", "-1", "--format=%B").strip() == "Fix alpha, add c\n\nDetails here."
    assert git(repo, "show", "--name-status", "--format=", "HEAD").split() == ["M", "a.txt", "A", "c.txt"]
    assert git(repo, "status", "--porcelain").strip() == "M b.txt"  # b untouched and still unstaged


async def test_commit_without_files_commits_exactly_what_is_staged(repo: Path, ctx: ToolContext) -> None:
    (repo / "a.txt").write_text("staged change\n")
    git(repo, "add", "a.txt")
    (repo / "b.txt").write_text("unstaged change\n")
    result = await call(GitCommitTool(), ctx, message="Only a")
    assert not result.is_error, result.content
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["a.txt"]
    assert git(repo, "status", "--porcelain").strip() == "M b.txt"


async def test_commit_all_stages_tracked_changes_only(repo: Path, ctx: ToolContext) -> None:
    (repo / "a.txt").write_text("a changed\n")
    (repo / "b.txt").unlink()
    (repo / "untracked.txt").write_text("stays out\n")
    result = await call(GitCommitTool(), ctx, message="All tracked", all=True)
    assert not result.is_error, result.content
    assert git(repo, "show", "--name-status", "--format=", "HEAD").split() == ["M", "a.txt", "D", "b.txt"]
    assert git(repo, "status", "--porcelain").strip() == "?? untracked.txt"


async def test_commit_refuses_when_nothing_is_staged(repo: Path, ctx: ToolContext) -> None:
    before = head(repo)
    (repo / "a.txt").write_text("changed but not staged\n")
    result = await call(GitCommitTool(), ctx, message="nothing")
    assert result.is_error and result.content.startswith("Nothing to commit")
    same = await call(GitCommitTool(), ctx, message="unchanged file", files=["b.txt", "nope.txt"])
    assert same.is_error
    assert "b.txt: no changes, or ignored by .gitignore; nope.txt: no such file" in same.content
    assert head(repo) == before


async def test_commit_refuses_amend_and_empty_messages(repo: Path, ctx: ToolContext) -> None:
    with pytest.raises(ValidationError, match="amending is not supported"):
        GitCommitTool().parse({"message": "m", "amend": True})
    with pytest.raises(ValidationError, match="must not be empty"):
        GitCommitTool().parse({"message": "   "})
    with pytest.raises(ValidationError):
        GitCommitTool().parse({"message": "m", "files": []})


async def test_commit_needs_approval_and_reads_do_not(repo: Path, ctx: ToolContext) -> None:
    commit = GitCommitTool()
    assert commit.category == "execute" and not commit.read_only
    for mode in ("default", "acceptEdits"):
        policy = PermissionPolicy(repo, mode=mode)
        params = commit.parse({"message": "m", "all": True})
        assert policy.check(commit, params, commit.paths(params, ctx)).behavior == "ask", mode
    assert PermissionPolicy(repo, mode="plan").check(commit, params, [repo]).behavior == "deny"
    for cls in READ_TOOLS:
        tool = cls()
        assert tool.read_only and tool.category == "read"
        raw = {"file_path": "a.txt"} if cls is GitBlameTool else {}
        params = tool.parse(raw)
        assert PermissionPolicy(repo).check(tool, params, tool.paths(params, ctx)).behavior == "allow", cls.name


async def test_commit_approval_shows_files_message_and_hooks(repo: Path, ctx: ToolContext) -> None:
    (repo / "a.txt").write_text("staged\n")
    git(repo, "add", "a.txt")
    (repo / "new.txt").write_text("new\n")
    tool = GitCommitTool()
    params = tool.parse({"message": "Add new; update a", "files": ["new.txt"]})
    ctx.call_id = "call-1"
    preview = tool.preview(params, ctx)
    assert preview is not None and preview["kind"] == "command"
    assert preview["command"] == "git add -- new.txt && git commit -m 'Add new; update a'"
    assert preview["cwd"] == str(repo)
    assert preview["files"] == [{"status": "M", "path": "a.txt"}, {"status": "A", "path": "new.txt"}]
    assert "modified: a.txt" in preview["note"] and "added: new.txt" in preview["note"]
    assert "hooks" in preview["note"]
    description = tool.approval_description(params, ctx)
    assert "modified: a.txt" in description and "added: new.txt" in description
    assert "Add new; update a" in description and "hooks" in description
    # What was approved is what is committed.
    result = await tool.run(params, ctx)
    assert not result.is_error, result.content
    assert git(repo, "show", "--name-status", "--format=", "HEAD").split() == ["M", "a.txt", "A", "new.txt"]


async def test_commit_refuses_when_the_changes_differ_from_the_approved_ones(repo: Path, ctx: ToolContext) -> None:
    before = head(repo)
    (repo / "a.txt").write_text("staged\n")
    git(repo, "add", "a.txt")
    tool = GitCommitTool()
    params = tool.parse({"message": "Just a"})
    ctx.call_id = "call-2"
    tool.preview(params, ctx)
    # While the person looked at the prompt, something else got staged.
    (repo / "b.txt").write_text("sneaked in\n")
    git(repo, "add", "b.txt")
    result = await tool.run(params, ctx)
    assert result.is_error and "changed after the approval" in result.content
    assert "b.txt" in result.content
    assert head(repo) == before


async def test_commit_runs_hooks_and_a_failing_hook_stops_the_commit(repo: Path, ctx: ToolContext) -> None:
    marker = repo.parent / "pre-commit-ran"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\necho checked >> '{marker}'\necho 'lint: all good' >&2\n")
    hook.chmod(0o755)
    (repo / "a.txt").write_text("one\n")
    ok = await call(GitCommitTool(), ctx, message="with hook", files=["a.txt"])
    assert not ok.is_error, ok.content
    assert marker.read_text() == "checked\n"
    assert "lint: all good" in ok.content

    hook.write_text("#!/bin/sh\necho 'lint: trailing whitespace' >&2\nexit 1\n")
    before = head(repo)
    (repo / "a.txt").write_text("two\n")
    failed = await call(GitCommitTool(), ctx, message="hook says no", files=["a.txt"])
    assert failed.is_error and "lint: trailing whitespace" in failed.content
    assert "nothing was committed" in failed.content
    assert head(repo) == before
    assert git(repo, "status", "--porcelain").strip() == "M  a.txt"  # still staged


async def test_commit_hooks_do_not_get_the_agents_api_keys(
    repo: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-secret-value")
    dump = repo.parent / "hook-env"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nenv > '{dump}'\n")
    hook.chmod(0o755)
    (repo / "a.txt").write_text("x\n")
    result = await call(GitCommitTool(), ctx, message="m", files=["a.txt"])
    assert not result.is_error, result.content
    assert "GIT_INDEX_FILE" in dump.read_text()  # the hook ran, with git's environment
    assert "sk-secret-value" not in dump.read_text()


async def test_interrupting_a_commit_kills_its_hook(repo: Path, ctx: ToolContext) -> None:
    pid_file = repo.parent / "hook.pid"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\necho $$ > '{pid_file}'\nexec sleep 30\n")
    hook.chmod(0o755)
    (repo / "a.txt").write_text("x\n")
    before = head(repo)
    task = asyncio.create_task(call(GitCommitTool(), ctx, message="slow hook", files=["a.txt"]))
    pid = await read_pid(pid_file)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    try:
        assert await wait_dead(pid), "the hook outlived the interrupted commit"
    finally:
        kill_quietly(pid)
    assert head(repo) == before and not ctx.processes


async def test_first_commit_in_an_empty_repository(ws: Path, ctx: ToolContext) -> None:
    git(ws, "init", "-q", "-b", "main")
    git(ws, "config", "user.name", "Test User")
    git(ws, "config", "user.email", "test@example.com")
    (ws / "readme.md").write_text("hello\n")
    result = await call(GitCommitTool(), ctx, message="Initial commit", files=["readme.md"])
    assert not result.is_error, result.content
    assert git(ws, "log", "--format=%s").strip() == "Initial commit"


def test_git_tools_are_registered() -> None:
    names = [t.name for t in core_tools()]
    for name in ("GitStatus", "GitDiff", "GitLog", "GitShow", "GitBlame", "GitCommit"):
        assert names.count(name) == 1
