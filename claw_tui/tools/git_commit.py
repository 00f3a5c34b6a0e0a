"""GitCommit: record staged changes as a new commit (``git add`` then ``git commit``)."""

from __future__ import annotations

import asyncio
import shlex
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from claw_tui.tools._git import (
    GitTool,
    Repo,
    SafeText,
    ToolError,
    failure,
    find_repo,
    run_git,
    run_git_sync,
    run_git_write,
)
from claw_tui.tools.base import ToolContext, ToolInput, ToolResult

# Building the preview runs git in the event loop's thread: keep it short.
PREVIEW_TIMEOUT_S = 10.0
# Plans shown in approval prompts, kept until their call runs.
MAX_REMEMBERED_PLANS = 64
HOOKS_NOTE = ("The repository's commit hooks (pre-commit, commit-msg, post-commit) run as part of the commit: "
              "they are programs from the repository itself.")
_LETTERS = {"A": "added", "M": "modified", "D": "deleted", "T": "type changed", "R": "renamed", "C": "copied",
            "U": "unmerged"}


class GitCommitInput(ToolInput):
    message: SafeText = Field(description="The commit message")
    files: list[str] | None = Field(
        default=None,
        description="Files or directories to stage (git add) before committing. Without files, "
        "the commit holds what is already staged",
    )
    all: bool = Field(default=False, description="Stage every change to tracked files first (as `git commit -a`)")
    amend: bool = Field(default=False, description="Not supported: GitCommit always makes a new commit")

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the commit message must not be empty")
        return value

    @field_validator("amend")
    @classmethod
    def _no_amend(cls, value: bool) -> bool:
        if value:
            raise ValueError("amending is not supported (it rewrites a commit that may be shared); "
                             "make a new commit instead")
        return value

    @field_validator("files")
    @classmethod
    def _files(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("give at least one path, or leave files out to commit what is staged")
            if any(not f.strip() or "\0" in f for f in value):
                raise ValueError("paths must be non-empty and contain no NUL characters")
        return value


@dataclass(frozen=True, slots=True)
class CommitPlan:
    repo: Repo
    stage: tuple[str, ...]  # repository-relative paths to `git add` first
    entries: tuple[tuple[str, str], ...]  # (status letter, path): what the commit will hold
    unchanged: tuple[str, ...]  # paths given in files that have nothing to stage

    def listing(self) -> str:
        return "\n".join(f"  {_LETTERS.get(letter, letter)}: {path}" for letter, path in self.entries)


def _under(path: str, selected: tuple[str, ...]) -> bool:
    return any(s == "." or path == s or path.startswith(s.rstrip("/") + "/") for s in selected)


def plan_commit(params: GitCommitInput, ctx: ToolContext, *, timeout: float = 60.0) -> CommitPlan:
    """Exactly what committing would record, worked out from `git status` without changing anything."""
    repo = find_repo(ctx, params.files[0] if params.files else None)
    stage = tuple(repo.rel(ctx.resolve(f)) for f in params.files or ())
    run = run_git_sync(repo, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
                              "--ignore-submodules=dirty"], timeout=timeout)
    if not run.ok:
        raise failure(run, "git status")
    committed: dict[str, str] = {}
    touched: set[str] = set()
    for item in run.stdout.split("\0"):
        if len(item) < 4:
            continue
        x, y, path = item[0], item[1], item[3:]
        if x not in " ?!":
            committed[path] = x
        selected = _under(path, stage) or (params.all and x != "?")
        if not selected or y == " " or x == "!":
            continue
        touched.add(path)
        if y == "D" and x == "A":
            committed.pop(path, None)  # added, then deleted: nothing left to commit
        elif x == "?":
            committed[path] = "A"
        elif y == "D":
            committed[path] = "D"
        elif x != "A":
            committed[path] = "T" if y == "T" else "M"
    unchanged = tuple(s for s in stage if not any(_under(p, (s,)) for p in touched))
    entries = tuple(sorted(((letter, path) for path, letter in committed.items()), key=lambda e: e[1]))
    return CommitPlan(repo, stage, entries, unchanged)


def _command(params: GitCommitInput, plan: CommitPlan | None) -> str:
    steps = []
    if params.files:
        steps.append(shlex.join(["git", "add", "--", *(plan.stage if plan else params.files)]))
    if params.all:
        steps.append("git add -u")
    steps.append(shlex.join(["git", "commit", "-m", params.message]))
    return " && ".join(steps)


class GitCommitTool(GitTool):
    name = "GitCommit"
    # Never read-only: it changes the repository and runs the repository's hooks.
    category = "execute"
    read_only = False
    Input = GitCommitInput
    description = (
        "Records changes as a new git commit.\n"
        "- files: paths to stage (git add) first; all: true stages every change to tracked files. "
        "Without either, commits exactly what is already staged.\n"
        "- Refuses when there is nothing to commit. Amending is not supported.\n"
        "- The repository's commit hooks (pre-commit, commit-msg) run; if one fails, nothing is committed.\n"
        "- Check what is staged first with GitStatus or GitDiff (staged: true). Write a message that says "
        "why, in the repository's style (see GitLog)."
    )

    def __init__(self) -> None:
        # The plan each approval prompt showed, by call: the commit must be exactly that.
        self._shown: OrderedDict[tuple[str, str], CommitPlan] = OrderedDict()

    def summary(self, params: Any) -> str:
        return params.message.splitlines()[0] if params.message.strip() else ""

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        files = [ctx.resolve(f) for f in params.files or ()]
        try:
            return [find_repo(ctx, params.files[0] if params.files else None).root, *files]
        except ToolError:
            return files or [Path(ctx.cwd)]

    def _prompt_plan(self, params: GitCommitInput, ctx: ToolContext) -> CommitPlan | str:
        """The plan the approval prompt shows (worked out once for its description and preview)."""
        key = (ctx.agent_id, ctx.call_id)
        if key in self._shown:
            return self._shown[key]
        try:
            plan = plan_commit(params, ctx, timeout=PREVIEW_TIMEOUT_S)
        except ToolError as exc:
            return str(exc)
        self._shown[key] = plan
        while len(self._shown) > MAX_REMEMBERED_PLANS:
            self._shown.popitem(last=False)
        return plan

    def preview(self, params: GitCommitInput, ctx: ToolContext) -> dict[str, Any] | None:
        plan = self._prompt_plan(params, ctx)
        if isinstance(plan, str):
            return {"kind": "command", "command": _command(params, None), "cwd": ctx.cwd,
                    "note": f"{plan}\n{HOOKS_NOTE}", "message": params.message, "files": []}
        if plan.entries:
            what = f"Commits {len(plan.entries)} file(s):\n{plan.listing()}"
        else:
            what = "Nothing would be committed (nothing is staged): the call will be refused."
        return {
            "kind": "command",
            "command": _command(params, plan),
            "cwd": str(plan.repo.root),
            "note": f"{what}\n{HOOKS_NOTE}",
            "message": params.message,
            "files": [{"status": letter, "path": path} for letter, path in plan.entries],
        }

    def approval_description(self, params: GitCommitInput, ctx: ToolContext) -> str:
        plan = self._prompt_plan(params, ctx)
        if isinstance(plan, str):
            return f"git commit: {plan}"
        listing = plan.listing() or "  (nothing is staged: the call will be refused)"
        return f"Commit in {plan.repo.root}:\n{listing}\nMessage:\n{_indent(params.message)}\n{HOOKS_NOTE}"

    async def git_run(self, params: GitCommitInput, ctx: ToolContext) -> ToolResult:
        plan = await asyncio.to_thread(plan_commit, params, ctx)
        shown = self._shown.pop((ctx.agent_id, ctx.call_id), None)
        if shown is not None and shown.entries != plan.entries:
            raise ToolError(
                "What would be committed changed after the approval was asked; nothing was staged or committed.\n"
                f"Approved:\n{shown.listing() or '  (nothing)'}\nNow:\n{plan.listing() or '  (nothing)'}\n"
                "Call GitCommit again."
            )
        if not plan.entries:
            unchanged = ""
            if plan.unchanged:
                missing = [p for p in plan.unchanged if not (plan.repo.root / p).exists()]
                quiet = [p for p in plan.unchanged if p not in missing]
                notes = ([f"{', '.join(quiet)}: no changes, or ignored by .gitignore"] if quiet else []) + \
                    ([f"{', '.join(missing)}: no such file"] if missing else [])
                unchanged = f" ({'; '.join(notes)})"
            raise ToolError(
                f"Nothing to commit: nothing is staged{unchanged}. Pass the changed files in files, or set "
                "all: true to stage every change to tracked files. GitStatus shows what changed."
            )
        repo = plan.repo
        if plan.stage:
            added = await run_git_write(repo, ["add", "--", *plan.stage], ctx)
            if not added.ok:
                raise ToolError(f"git add failed; nothing was committed: {added.error()}")
        if params.all:
            added = await run_git_write(repo, ["add", "-u"], ctx)
            if not added.ok:
                raise ToolError(f"git add -u failed; nothing was committed: {added.error()}")
        staged = await run_git(repo, ["diff", "--cached", "--quiet", "--no-ext-diff", "--ignore-submodules=dirty"],
                               ctx)
        if staged.code == 0:
            raise ToolError("Nothing to commit: the index matches HEAD after staging.")
        committed = await run_git_write(repo, ["commit", f"--message={params.message}"], ctx)
        if not committed.ok:
            output = "\n".join(x for x in (committed.stdout.strip(), committed.stderr.strip()) if x)
            return ToolResult(
                f"git commit failed (exit code {committed.code}); nothing was committed. The changes stay staged.\n"
                f"{output}",
                is_error=True,
                summary="commit failed",
            )
        head = await run_git(repo, ["log", "-1", "--no-show-signature", "--format=%H%n%s"], ctx)
        sha, _, subject = head.stdout.strip().partition("\n")
        parts = [f"Committed {sha}: {subject}", committed.stdout.strip()]
        if committed.stderr.strip():
            parts.append(f"Hook output:\n{committed.stderr.strip()}")
        return ToolResult("\n".join(p for p in parts if p), summary=f"{sha[:7]} {subject}")


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
