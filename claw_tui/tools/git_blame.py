"""GitBlame: who last changed each line of a file, and in which commit (``git blame``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from claw_tui.tools._git import GitTool, Ref, cap, failure, find_repo, run_git
from claw_tui.tools.base import ToolContext, ToolInput, ToolResult


class GitBlameInput(ToolInput):
    file_path: str = Field(description="The path of the file to blame")
    start_line: int | None = Field(default=None, ge=1, description="First line to blame (1-based)")
    end_line: int | None = Field(default=None, ge=1, description="Last line to blame (inclusive)")
    ref: Ref | None = Field(
        default=None, description="Blame the file as it was at this commit (default: the working tree)"
    )

    @model_validator(mode="after")
    def _range(self) -> GitBlameInput:
        if self.start_line is not None and self.end_line is not None and self.end_line < self.start_line:
            raise ValueError("end_line must not be before start_line")
        return self


class GitBlameTool(GitTool):
    name = "GitBlame"
    category = "read"
    read_only = True
    Input = GitBlameInput
    description = (
        "Shows, for each line of a file, the commit, author and date that last changed it (as `git blame`).\n"
        "- Give start_line and end_line to blame part of a long file.\n"
        "- Lines changed but not committed show 'Not Committed Yet'. Use GitShow on a hash for the whole commit."
    )

    def summary(self, params: Any) -> str:
        lines = ""
        if params.start_line or params.end_line:
            lines = f":{params.start_line or 1}-{params.end_line or ''}"
        return f"{params.file_path}{lines}"

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        return [ctx.resolve(params.file_path)]

    async def git_run(self, params: GitBlameInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(params.file_path)
        repo = find_repo(ctx, params.file_path)
        rel = repo.rel(path)
        if params.ref is None and path.is_dir():
            return ToolResult(f"{path} is a directory; blame a file.", is_error=True, summary="directory")
        # blame knows no --end-of-options: Ref already refused anything that looks like an option.
        args = ["blame", "--no-textconv", "--date=short"]
        if params.start_line or params.end_line:
            args += ["-L", f"{params.start_line or 1},{params.end_line or ''}"]
        if params.ref:
            args.append(params.ref)
        args += ["--", rel]
        run = await run_git(repo, args, ctx)
        if not run.ok:
            raise failure(run, "git blame")
        lines = run.stdout.count("\n")
        text = cap(f"{repo.root / rel}:\n{run.stdout.rstrip()}", "blame fewer lines with start_line and end_line")
        return ToolResult(text, summary=f"{lines} lines")
