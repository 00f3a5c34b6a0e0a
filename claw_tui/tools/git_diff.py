"""GitDiff: changes between the working tree, the index and commits (``git diff``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from claw_tui.tools._git import (
    MAX_DISPLAY_BYTES,
    GitTool,
    Ref,
    Repo,
    cap,
    denied_note,
    drop_denied,
    failure,
    find_repo,
    repo_paths,
    run_git,
)
from claw_tui.tools.base import ToolContext, ToolInput, ToolResult

# Never run a program the repository names (external diff drivers, textconv filters);
# describe submodules by commit only (anything more runs git inside them).
SAFE_DIFF_FLAGS = ["--no-ext-diff", "--no-textconv", "--no-color", "--ignore-submodules=dirty", "--submodule=short"]


class GitDiffInput(ToolInput):
    path: str | None = Field(default=None, description="Limit the diff to this file or directory")
    staged: bool = Field(
        default=False,
        description="Show the staged changes (the index against HEAD, or against ref) instead of the "
        "unstaged ones (the working tree against the index)",
    )
    ref: Ref | None = Field(
        default=None,
        description="Compare against this commit, branch or tag instead of the index (e.g. HEAD, main, "
        "HEAD~3, or a range like main...HEAD)",
    )
    target: Ref | None = Field(
        default=None, description="With ref: compare ref to this commit instead of to the working tree"
    )
    stat: bool = Field(default=False, description="Show only a summary of changed files (diffstat)")

    @model_validator(mode="after")
    def _combinations(self) -> GitDiffInput:
        if self.target is not None and self.ref is None:
            raise ValueError("target needs ref: give the commit to compare from as ref")
        if self.target is not None and self.staged:
            raise ValueError("staged compares the index; it cannot be combined with target (two commits)")
        return self


def describe(params: GitDiffInput) -> str:
    """What is compared with what, in words."""
    if params.target is not None:
        return f"{params.ref} against {params.target}"
    if params.staged:
        return f"staged changes (the index against {params.ref or 'HEAD'})"
    if params.ref is not None:
        return f"the working tree against {params.ref}"
    return "unstaged changes (the working tree against the index)"


class GitDiffTool(GitTool):
    name = "GitDiff"
    category = "read"
    read_only = True
    Input = GitDiffInput
    description = (
        "Shows changes as a unified diff (as `git diff`).\n"
        "- By default: unstaged changes, the working tree against the index.\n"
        "- staged: true shows what would be committed (the index against HEAD).\n"
        "- ref compares the working tree (or, with staged, the index) against a commit; ref and target "
        "compare two commits.\n"
        "- path limits the diff to a file or directory; stat: true gives only the list of changed files.\n"
        "- Paths in the diff are relative to the repository root, which the first line names.\n"
        "- Use this instead of running `git diff` with Bash."
    )

    def summary(self, params: Any) -> str:
        return " ".join(x for x in (describe(params), params.path) if x)

    def paths(self, params: Any, ctx: ToolContext) -> list[Path]:
        return repo_paths(ctx, params.path)

    def _args(self, params: GitDiffInput, repo: Repo, ctx: ToolContext) -> tuple[list[str], list[str]]:
        """The diff options and the revisions-and-paths part, kept apart to add options."""
        opts = ["diff", *SAFE_DIFF_FLAGS]
        if params.staged:
            opts.append("--cached")
        tail = ["--end-of-options"]
        tail += [r for r in (params.ref, params.target) if r is not None]
        tail.append("--")
        if params.path:
            tail.append(repo.rel(ctx.resolve(params.path)))
        return opts, tail

    async def git_run(self, params: GitDiffInput, ctx: ToolContext) -> ToolResult:
        repo = find_repo(ctx, params.path)
        opts, tail = self._args(params, repo, ctx)
        run = await run_git(repo, [*opts, *(["--stat"] if params.stat else []), *tail], ctx)
        if not run.ok:
            raise failure(run, "git diff")
        compared = describe(params)
        where = f" under {params.path}" if params.path else ""
        if not run.stdout.strip():
            hint = "" if params.staged or params.ref else " (staged changes are shown with staged: true)"
            return ToolResult(f"Repository: {repo.root}\nNo differences in {compared}{where}.{hint}",
                              summary="no changes")
        body, dropped = drop_denied(run.stdout.rstrip("\n"), repo.root, ctx)
        files = sum(1 for line in body.splitlines() if line.startswith("diff --git "))
        header = f"Repository: {repo.root}\nDiff of {compared}{where}:\n"
        text = cap(header + body + denied_note(dropped), "give a path, or use stat: true for the list of files")
        display = None
        if files == 1 and not params.stat and not dropped:
            display = await self._display(params, repo, ctx, opts, tail)
        summary = f"{files} file{'s' if files != 1 else ''}" if files else "diffstat"
        return ToolResult(text, display=display, summary=summary)

    async def _display(self, params: GitDiffInput, repo: Repo, ctx: ToolContext, opts: list[str],
                       tail: list[str]) -> dict[str, Any] | None:
        """A before/after pair for the one changed file, when both sides are text."""
        names = await run_git(repo, [*opts, "--name-status", "-z", *tail], ctx)
        fields = names.stdout.split("\0")
        if not names.ok or len(fields) < 2:
            return None
        status = fields[0]
        old = fields[1]
        new = fields[2] if status[:1] in ("R", "C") and len(fields) > 2 else old
        # Where each side of the comparison lives: a blob spec, or None for the working tree.
        if params.target is not None:
            before_spec, after_spec = f"{params.ref}:{old}", f"{params.target}:{new}"
        elif params.staged:
            before_spec, after_spec = f"{params.ref or 'HEAD'}:{old}", f":{new}"
        else:
            before_spec, after_spec = (f"{params.ref}:{old}" if params.ref else f":{old}"), None
        before = None if status.startswith("A") else await self._blob(repo, ctx, before_spec)
        if status.startswith("D"):
            after: str | None = None
        elif after_spec is not None:
            after = await self._blob(repo, ctx, after_spec)
        else:
            after = _worktree_text(repo.root / new)
        if (before is None and not status.startswith("A")) or (after is None and not status.startswith("D")):
            return None  # binary, too large, or not readable: the text diff says it all
        return {"kind": "diff", "path": str(repo.root / new), "before": before, "after": after}

    async def _blob(self, repo: Repo, ctx: ToolContext, spec: str) -> str | None:
        run = await run_git(repo, ["cat-file", "blob", spec], ctx)
        if not run.ok or len(run.stdout) > MAX_DISPLAY_BYTES or "\0" in run.stdout:
            return None
        return run.stdout


def _worktree_text(path: Path) -> str | None:
    # A symlink's diff is its target's name, not the file it points to.
    if os.path.islink(path):
        return None
    try:
        if path.stat().st_size > MAX_DISPLAY_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")
