"""BashOutput: the new output of a background shell, and whether it is still running."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from claw_tui.tools.background import BackgroundShell, OutputBuffer
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

# Total time the filter regex may take over one read; a model-written pattern can backtrack
# catastrophically, and `re` cannot be stopped (it also holds the event loop while it runs).
FILTER_BUDGET_S = 1.0


class BashOutputInput(ToolInput):
    bash_id: str = Field(description="The ID of the background shell to retrieve output from")
    filter: str | None = Field(
        default=None,
        description=(
            "Optional regular expression to filter the output lines. Only lines matching this regex are "
            "included in the result; lines that do not match are consumed and will not be shown again."
        ),
    )


class BashOutputTool(Tool):
    name = "BashOutput"
    category = "execute"
    read_only = True
    Input = BashOutputInput
    description = (
        "- Retrieves output from a running or completed background bash shell\n"
        "- Takes a bash_id parameter identifying the shell (returned by Bash with run_in_background)\n"
        "- Always returns only new output since the last check\n"
        "- Returns stdout and stderr output along with shell status (and exit code once it has ended)\n"
        "- Supports optional regex filtering to show only lines matching a pattern\n"
        "- Use this tool when you need to monitor or check the output of a long-running shell"
    )

    def summary(self, params: Any) -> str:
        return params.bash_id + (f" /{params.filter}/" if params.filter else "")

    def paths(self, params: Any, ctx: ToolContext) -> list:
        return []

    async def run(self, params: BashOutputInput, ctx: ToolContext) -> ToolResult:
        shells = ctx.background
        if shells is None:
            return ToolResult("Background shells are not available here.", is_error=True, summary="unavailable")
        shell = shells.lookup(params.bash_id)
        if isinstance(shell, str):
            return ToolResult(shell, is_error=True, summary="unknown shell")
        pattern = None
        if params.filter is not None:
            import regex  # the `regex` package: same syntax as `re`, but a match can time out

            try:
                pattern = regex.compile(params.filter)
            except (regex.error, ValueError, TypeError) as exc:
                return ToolResult(
                    f"Invalid filter regex {params.filter!r}: {exc}. No output was consumed.",
                    is_error=True,
                    summary="invalid filter",
                )
        # A running command may be mid-line: with a filter, hold the partial line back until it
        # is complete so a line is never judged by half of it.
        whole_lines = pattern is not None and shell.running
        streams: list[tuple[str, OutputBuffer, str]] = []
        for label, buffer in (("stdout", shell.stdout), ("stderr", shell.stderr)):
            streams.append((label, buffer, buffer.peek(whole_lines=whole_lines)))
        kept: dict[str, str] = {}
        counts = [0, 0]  # lines seen, lines kept
        if pattern is not None:
            try:
                budget = _Budget(FILTER_BUDGET_S)
                for label, _buffer, text in streams:
                    kept[label] = _filter_lines(pattern, text, budget, counts)
            except TimeoutError:
                return ToolResult(
                    f"The filter regex {params.filter!r} took longer than {FILTER_BUDGET_S:g} s on "
                    f"this output (runaway backtracking); use a simpler pattern. No output was consumed.",
                    is_error=True,
                    summary="filter too slow",
                )
        else:
            kept = {label: text for label, _b, text in streams}
        # Only now, with nothing left that can fail, move the read cursors.
        dropped = {label: buffer.consume(len(text)) for label, buffer, text in streams}
        content = _format(shell, kept, dropped, buffer_cap=shells.buffer_cap,
                          filtered=counts if pattern is not None else None)
        return ToolResult(
            content,
            summary=shell.describe(),
            display={"kind": "command", "command": shell.command, "exit_code": shell.exit_code,
                     "cwd": shell.cwd, "background": shell.id, "status": shell.status},
        )


class _Budget:
    def __init__(self, seconds: float) -> None:
        import time

        self._clock = time.monotonic
        self.deadline = self._clock() + seconds

    def left(self) -> float:
        left = self.deadline - self._clock()
        if left <= 0:
            raise TimeoutError
        return left


def _filter_lines(pattern: Any, text: str, budget: _Budget, counts: list[int]) -> str:
    out = []
    for line in text.splitlines(keepends=True):
        counts[0] += 1
        if pattern.search(line.rstrip("\r\n"), timeout=budget.left()):
            counts[1] += 1
            out.append(line)
    return "".join(out)


def _format(
    shell: BackgroundShell,
    kept: dict[str, str],
    dropped: dict[str, int],
    *,
    buffer_cap: int,
    filtered: list[int] | None,
) -> str:
    # The tag layout follows Claude Code's BashOutput, which coding models are used to reading.
    parts = [f"<status>{shell.status}</status>"]
    if not shell.running:
        code = shell.exit_code
        parts.append(f"<exit_code>{code if code is not None else 'unknown'}</exit_code>")
        if code is not None and code < 0:
            parts.append(f"<signal>{shell.describe().split('(')[-1].rstrip(')')}</signal>")
    for label in ("stdout", "stderr"):
        text = kept.get(label, "").rstrip("\n")
        note = ""
        if dropped.get(label):
            note = (f"[{dropped[label]:,} earlier characters of {label} were dropped unread: only the "
                    f"latest {buffer_cap:,} unread characters are kept. Check more often, or send the "
                    f"output to a file.]")
        if text or note:
            body = "\n".join(p for p in (note, text) if p)
            parts.append(f"<{label}>\n{body}\n</{label}>")
    if filtered is not None:
        parts.append(f"(filter kept {filtered[1]} of {filtered[0]} new lines)")
    elif not any(kept.get(label) for label in ("stdout", "stderr")) and not any(dropped.values()):
        parts.append("(no new output since the last check)")
    return "\n".join(parts)
