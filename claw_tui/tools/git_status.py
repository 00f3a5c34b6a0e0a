"""GitStatus: the working tree status of a repository (``git status``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from claw_tui.tools._git import GitTool, cap, failure, find_repo, repo_paths, run_git
from claw_tui.tools.base import ToolContext, ToolInput, ToolResult


class GitStatusInput(ToolInput):
    path: str | None = Field(
        default=None,
        description="Limit the status to this file or directory. Also picks the repository; "
        "defaults to the current working directory",
    )


class GitStatusTool(GitTool):
    name = "GitStatus"
    category = "read"
    read_only = True
    Input = GitStatusInput
    description = (
        "Shows the working tree status of the git repository (as `git status`): the branch, changes "
        "staged for commit, changes not staged, and untracked files.\n"
        "- Paths are relative to the repository root, which the first line names.\n"
        "- Changes inside submodules' own working trees are not inspected (only their commits).\n"
        "- Use this instead of running `git status` with Bash."
    )

    def summary(self, params: Any) -> str:
        return params.path or ""

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        return repo_paths(ctx, params.path)

    async def git_run(self, params: GitStatusInput, ctx: ToolContext) -> ToolResult:
        repo = find_repo(ctx, params.path)
        args = ["status", "--ignore-submodules=dirty"]
        if params.path:
            args += ["--", repo.rel(ctx.resolve(params.path))]
        run = await run_git(repo, args, ctx)
        if not run.ok:
            raise failure(run, "git status")
        # In the long format every file entry, and nothing else, starts with a tab.
        entries = sum(1 for line in run.stdout.splitlines() if line.startswith("\t"))
        text = cap(f"Repository: {repo.root}\n{run.stdout.rstrip()}", "give a path to narrow the status")
        return ToolResult(text, summary=f"{entries} changed" if entries else "clean")
