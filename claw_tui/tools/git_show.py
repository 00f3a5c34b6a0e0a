"""GitShow: one commit with its changes, or a file as it was at a commit (``git show``)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import Field

from claw_tui.tools._git import (
    GitTool,
    Ref,
    ToolError,
    cap,
    denied_note,
    drop_denied,
    failure,
    find_repo,
    repo_paths,
    run_git,
)
from claw_tui.tools.base import ToolContext, ToolInput, ToolResult

# ":path", ":2:path" (index stages) and "rev:path"; ":/text" searches commit messages instead.
_STAGE = re.compile(r"^:[0-3]:")


class GitShowInput(ToolInput):
    ref: Ref = Field(
        default="HEAD",
        description="The commit, branch or tag to show (default HEAD). To see a file as it was at a commit, "
        "use 'REV:path/from/repo/root' (e.g. 'HEAD~2:src/app.py')",
    )
    path: str | None = Field(default=None, description="Limit the commit's diff to this file or directory")


def blob_path(ref: str) -> str | None:
    """The file a 'rev:path' (or ':path') revision names, as written in it; None if it names none."""
    if ref.startswith(":/"):
        return None
    if _STAGE.match(ref):
        return ref[3:]
    if ref.startswith(":"):
        return ref[1:]
    if ":" in ref:
        return ref.split(":", 1)[1]
    return None


class GitShowTool(GitTool):
    name = "GitShow"
    category = "read"
    read_only = True
    Input = GitShowInput
    description = (
        "Shows a commit (as `git show`): its hash, author, date, message, the files it changed and the diff.\n"
        "- ref defaults to HEAD; path limits the diff to a file or directory.\n"
        "- ref 'REV:path' shows a file as it was at that commit (path from the repository root).\n"
        "- Use this instead of running `git show` with Bash."
    )

    def summary(self, params: Any) -> str:
        return " ".join(x for x in (params.ref, params.path) if x)

    def _blob_file(self, ref: str, root: Path, ctx: ToolContext) -> Path | None:
        rel = blob_path(ref)
        if rel is None:
            return None
        # Git reads 'rev:./x' and 'rev:../x' relative to the cwd, anything else from the root.
        base = Path(ctx.cwd) if rel.startswith(("./", "../")) else root
        return Path(os.path.normpath(base / rel))

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        found = repo_paths(ctx, params.path)
        if blob_path(params.ref) is not None:
            try:
                root = find_repo(ctx, params.path).root
            except ToolError:
                return found
            file = self._blob_file(params.ref, root, ctx)
            # The file's content is what this call reads: read-deny rules for it must apply.
            return [file] if file is not None and not params.path else [*found, *([file] if file else [])]
        return found

    async def git_run(self, params: GitShowInput, ctx: ToolContext) -> ToolResult:
        repo = find_repo(ctx, params.path)
        file = self._blob_file(params.ref, repo.root, ctx)
        if file is not None:
            repo.rel(file)  # refuse a file outside the repository
        args = ["show", "--no-show-signature", "--no-ext-diff", "--no-textconv", "--no-color", "--decorate=short",
                "--patch-with-stat", "--end-of-options", params.ref, "--"]
        if params.path:
            args.append(repo.rel(ctx.resolve(params.path)))
        run = await run_git(repo, args, ctx)
        if not run.ok:
            raise failure(run, "git show")
        body, dropped = drop_denied(run.stdout.rstrip(), repo.root, ctx)
        text = cap(f"Repository: {repo.root}\n{body}{denied_note(dropped)}", "give a path to see part of the commit")
        return ToolResult(text, summary="file" if file is not None else params.ref)
