"""GitLog: the commit history (``git log``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field

from claw_tui.tools._git import GitTool, Ref, SafeText, cap, failure, find_repo, repo_paths, run_git
from claw_tui.tools.base import ToolContext, ToolInput, ToolResult

DEFAULT_MAX_COUNT = 20
MAX_COUNT_CAP = 200
_COMMIT_LINE = re.compile(r"^commit [0-9a-f]{40,64}\b", re.MULTILINE)


class GitLogInput(ToolInput):
    max_count: int = Field(
        default=DEFAULT_MAX_COUNT, ge=1, description=f"How many commits to show (default {DEFAULT_MAX_COUNT}, "
        f"at most {MAX_COUNT_CAP})"
    )
    path: str | None = Field(default=None, description="Only commits that touch this file or directory")
    ref: Ref | None = Field(
        default=None, description="Start from this branch, tag or commit, or a range like main..HEAD (default HEAD)"
    )
    author: SafeText | None = Field(default=None, description="Only commits whose author matches this pattern")
    since: SafeText | None = Field(
        default=None, description="Only commits more recent than this date (e.g. '2 weeks ago', '2024-01-31')"
    )


class GitLogTool(GitTool):
    name = "GitLog"
    category = "read"
    read_only = True
    Input = GitLogInput
    description = (
        "Shows the commit history (as `git log`): hash, author, date and message of each commit, newest first.\n"
        f"- max_count defaults to {DEFAULT_MAX_COUNT} (at most {MAX_COUNT_CAP}).\n"
        "- Narrow with path, ref (a branch or a range like main..HEAD), author and since.\n"
        "- Use GitShow to see what one commit changed. Use this instead of running `git log` with Bash."
    )

    def summary(self, params: Any) -> str:
        return " ".join(x for x in (params.ref, params.path) if x)

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        return repo_paths(ctx, params.path)

    async def git_run(self, params: GitLogInput, ctx: ToolContext) -> ToolResult:
        repo = find_repo(ctx, params.path)
        count = min(params.max_count, MAX_COUNT_CAP)
        # One more than asked, to know whether there are more.
        args = ["log", "--no-show-signature", "--no-ext-diff", "--no-textconv", "--no-color", "--decorate=short",
                f"--max-count={count + 1}"]
        if params.author:
            args.append(f"--author={params.author}")
        if params.since:
            args.append(f"--since={params.since}")
        args.append("--end-of-options")
        if params.ref:
            args.append(params.ref)
        args.append("--")
        if params.path:
            args.append(repo.rel(ctx.resolve(params.path)))
        run = await run_git(repo, args, ctx)
        if not run.ok:
            if "does not have any commits yet" in run.stderr:
                return ToolResult(f"Repository: {repo.root}\nThe current branch has no commits yet.",
                                  summary="no commits")
            raise failure(run, "git log")
        starts = [m.start() for m in _COMMIT_LINE.finditer(run.stdout)]
        text = run.stdout
        more = len(starts) > count
        if more:
            text = text[: starts[count]]
        shown = min(len(starts), count)
        if not shown:
            return ToolResult(f"Repository: {repo.root}\nNo commits match.", summary="0 commits")
        notes = []
        if params.max_count > MAX_COUNT_CAP:
            notes.append(f"max_count is capped at {MAX_COUNT_CAP}.")
        if more:
            notes.append(f"Showing the newest {count} commits; there are more (narrow with path, since or ref).")
        body = text.rstrip("\n") + ("\n\n" + " ".join(notes) if notes else "")
        text = cap(f"Repository: {repo.root}\n{body}", "lower max_count or narrow with path")
        return ToolResult(text, summary=f"{shown} commit{'s' if shown != 1 else ''}")
