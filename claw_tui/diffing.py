"""Diffs as data: hunks, partial application, stats, and the file-change record.

Written on stdlib difflib rather than textual-diff-view: that widget is
AGPL-licensed, and the approval prompt needs hunks it can keep or drop one by
one, with the exact content of a partly approved change computed here, outside
the UI (the engine writes exactly that content).
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Hunk:
    index: int
    old_start: int  # 0-based line index into before
    old_len: int
    new_start: int  # 0-based line index into after
    new_len: int
    lines: tuple[tuple[str, str], ...]  # (tag, text): tag is " ", "-" or "+"

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start + 1},{self.old_len} +{self.new_start + 1},{self.new_len} @@"

    @property
    def added(self) -> int:
        return sum(1 for t, _ in self.lines if t == "+")

    @property
    def removed(self) -> int:
        return sum(1 for t, _ in self.lines if t == "-")


def _lines(text: str | None) -> list[str]:
    # keepends: a change to the final newline is a change too, and applying
    # hunks must give back the exact bytes.
    return [] if not text else text.splitlines(keepends=True)


def _strip(line: str) -> str:
    return line.rstrip("\r\n")


def _groups(a: list[str], b: list[str], context: int) -> list[list[tuple[str, int, int, int, int]]]:
    return list(difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context))


def compute_hunks(before: str | None, after: str | None, context: int = 3) -> list[Hunk]:
    a, b = _lines(before), _lines(after)
    hunks: list[Hunk] = []
    for group in _groups(a, b, context):
        lines: list[tuple[str, str]] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [(" ", _strip(x)) for x in a[i1:i2]]
                continue
            lines += [("-", _strip(x)) for x in a[i1:i2]]
            lines += [("+", _strip(x)) for x in b[j1:j2]]
        first, last = group[0], group[-1]
        hunks.append(Hunk(len(hunks), first[1], last[2] - first[1], first[3], last[4] - first[3], tuple(lines)))
    return hunks


def apply_hunks(before: str | None, after: str | None, accepted: set[int], context: int = 3) -> str:
    """``before`` with only the accepted hunks of its diff to ``after`` applied."""
    a, b = _lines(before), _lines(after)
    out: list[str] = []
    pos = 0
    for index, group in enumerate(_groups(a, b, context)):
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                continue
            out += a[pos:i1]
            out += b[j1:j2] if index in accepted else a[i1:i2]
            pos = i2
    out += a[pos:]
    return "".join(out)


def hunk_text(h: Hunk) -> str:
    return "\n".join([h.header, *(f"{t}{text}" for t, text in h.lines)])


def unified_text(path: str, before: str | None, after: str | None, context: int = 3) -> str:
    return "".join(
        difflib.unified_diff(_lines(before), _lines(after), f"a/{path}", f"b/{path}", n=context)
    )


def diff_stats(before: str | None, after: str | None) -> tuple[int, int]:
    added = removed = 0
    a, b = _lines(before), _lines(after)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


@dataclass
class FileChange:
    """One file's change in one turn, by the agent or by someone else."""

    path: str
    before: str | None
    after: str | None
    by: Literal["agent", "external"]
    turn: int
    agent_id: str = "main"
    call_id: str | None = None
    tool: str | None = None
    ts: float = field(default_factory=time.time)

    @property
    def status(self) -> str:
        if self.before is None and self.after is not None:
            return "A"
        if self.after is None:
            return "D"
        return "M"
