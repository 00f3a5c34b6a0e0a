"""A live, human-readable transcript of the bus for a plain terminal
(``claw -p --verbose`` and the headless demo): the streamed answer, each tool call
with its result, diffs of file changes, retries and notices.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from claw_tui.events import (
    AssistantMessageCompleted,
    Event,
    FileChanged,
    Notice,
    PermissionDecided,
    RetryScheduled,
    StreamDiscarded,
    TextDelta,
    ThinkingDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    UsageUpdated,
    UserPromptSubmitted,
)
from claw_tui.tools._text import unified_diff

MAX_RESULT_LINES = 12


class TranscriptPrinter:
    def __init__(self, out: TextIO) -> None:
        self.console = Console(file=out, highlight=False, soft_wrap=True)
        self.in_text = False
        self.in_thinking = False
        self.cost = 0.0

    def _end_stream(self) -> None:
        if self.in_text or self.in_thinking:
            self.console.print()
        self.in_text = self.in_thinking = False

    def __call__(self, event: Event) -> None:
        c = self.console
        who = "" if event.agent_id == "main" else f"[magenta]{escape(event.agent_id)}[/] "
        if isinstance(event, UserPromptSubmitted):
            c.print(f"\n[bold cyan]>[/] {escape(event.text)}\n")
        elif isinstance(event, ThinkingDelta):
            if not self.in_thinking:
                self._end_stream()
                c.print(f"{who}[dim italic]✻ thinking…[/]")
                self.in_thinking = True
            c.print(Text(event.text, style="dim italic"), end="")
        elif isinstance(event, TextDelta):
            if not self.in_text:
                self._end_stream()
                self.in_text = True
            c.print(Text(event.text), end="")
        elif isinstance(event, StreamDiscarded):
            self._end_stream()
            c.print(f"[yellow]↺ the answer above was cut off and is discarded: {escape(event.reason)}[/]")
        elif isinstance(event, AssistantMessageCompleted):
            self._end_stream()
        elif isinstance(event, ToolCallStarted):
            self._end_stream()
            c.print(f"{who}[bold green]⏺[/] [bold]{escape(event.tool)}[/]({escape(_short(event.summary))})")
        elif isinstance(event, PermissionDecided) and event.behavior == "deny":
            c.print(f"  [red]✗ denied[/] [dim]{escape(event.reason)}[/]")
        elif isinstance(event, ToolCallFinished):
            style = "red" if event.is_error else "dim"
            c.print(f"  [dim]⎿[/] [{style}]{escape(event.summary or ('error' if event.is_error else 'done'))}[/]"
                    f" [dim]({event.duration_s:.1f}s)[/]")
            if event.display and event.display.get("kind") == "diff":
                self._diff(event.display.get("before"), event.display.get("after"), event.display["path"])
            elif event.display and event.display.get("kind") == "command" or event.is_error:
                lines = event.content.splitlines()
                for line in lines[:MAX_RESULT_LINES]:
                    c.print(Text("    " + line, style="red" if event.is_error else ""))
                if len(lines) > MAX_RESULT_LINES:
                    c.print(f"    [dim]… {len(lines) - MAX_RESULT_LINES} more lines[/]")
        elif isinstance(event, FileChanged) and event.by == "external":
            self._end_stream()
            c.print(f"[yellow]✎ {escape(event.path)} changed outside the agent[/]")
        elif isinstance(event, RetryScheduled):
            self._end_stream()
            c.print(f"[yellow]⚠ {escape(event.reason)} — retrying in {event.delay:.1f}s (attempt {event.attempt + 1})[/]")
        elif isinstance(event, Notice):
            self._end_stream()
            color = {"info": "blue", "warning": "yellow", "error": "red"}[event.level]
            c.print(f"[{color}]{escape(event.text)}[/]")
        elif isinstance(event, UsageUpdated):
            self.cost = event.session_cost_usd
        elif isinstance(event, TurnFinished):
            self._end_stream()
            c.print(f"\n[dim]— {event.outcome} · {event.num_turns} turns · ${self.cost:.4f}[/]")

    def _diff(self, before: str | None, after: str | None, path: str) -> None:
        for line in unified_diff(before, after, path).splitlines()[2:]:
            if line.startswith("+"):
                self.console.print(Text("    " + line, style="green"))
            elif line.startswith("-"):
                self.console.print(Text("    " + line, style="red"))
            elif line.startswith("@@"):
                self.console.print(Text("    " + line, style="cyan"))
            else:
                self.console.print(Text("    " + line, style="dim"))


def _short(s: str, n: int = 100) -> str:
    s = s.replace("\n", " ⏎ ")
    return s if len(s) <= n else s[: n - 1] + "…"
