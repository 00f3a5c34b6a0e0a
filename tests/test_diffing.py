"""Hunks computed, applied in part, and counted exactly."""

from __future__ import annotations

import itertools
import random

from claw_tui.diffing import apply_hunks, compute_hunks, diff_stats, hunk_text, unified_text


def _mutate(rng: random.Random, lines: list[str]) -> list[str]:
    out = list(lines)
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(("replace", "insert", "delete"))
        i = rng.randrange(len(out) + 1)
        if op == "insert" or not out:
            out.insert(i, f"new {rng.random():.6f}\n")
        elif op == "delete":
            del out[min(i, len(out) - 1)]
        else:
            out[min(i, len(out) - 1)] = f"changed {rng.random():.6f}\n"
    return out


def test_every_subset_of_hunks_applies_exactly_those_hunks():
    rng = random.Random(1234)
    cases = 0
    for _ in range(300):
        before_lines = [f"line {i}\n" for i in range(rng.randint(0, 60))]
        after_lines = _mutate(rng, before_lines)
        before, after = "".join(before_lines), "".join(after_lines)
        if rng.random() < 0.2:  # no trailing newline on one side
            after = after.rstrip("\n")
        hunks = compute_hunks(before, after)
        n = len(hunks)
        assert apply_hunks(before, after, set(range(n))) == after
        assert apply_hunks(before, after, set()) == before
        subsets = [set(c) for k in range(n + 1) for c in itertools.combinations(range(n), k)][:16]
        for keep in subsets:
            result = apply_hunks(before, after, keep)
            got = sorted(ln for h in compute_hunks(before, result) for ln in h.lines if ln[0] != " ")
            want = sorted(ln for h in hunks if h.index in keep for ln in h.lines if ln[0] != " ")
            # Exactly the kept hunks' added and removed lines, no others.
            assert got == want
            cases += 1
    assert cases > 300


def test_new_deleted_and_unchanged_files():
    assert [h.added for h in compute_hunks(None, "a\nb\n")] == [2]
    assert [h.removed for h in compute_hunks("a\nb\n", None)] == [2]
    assert compute_hunks("same\n", "same\n") == []
    assert diff_stats("a\nb\n", "a\nc\nd\n") == (2, 1)
    assert unified_text("x.py", "a\n", "b\n").startswith("--- a/x.py\n+++ b/x.py\n")


def test_two_distant_changes_are_two_hunks_and_headers_are_one_based():
    before = "".join(f"{i}\n" for i in range(1, 41))
    after = before.replace("2\n", "two\n", 1).replace("36\n", "thirty-six\n")
    hunks = compute_hunks(before, after)
    assert len(hunks) == 2
    assert hunks[0].header == "@@ -1,5 +1,5 @@"
    assert apply_hunks(before, after, {1}) == before.replace("36\n", "thirty-six\n")


def test_crlf_lines_are_kept_byte_for_byte():
    before = "a\r\nb\r\nc\r\n"
    after = "a\r\nB\r\nc\r\n"
    assert apply_hunks(before, after, {0}) == after
    assert compute_hunks(before, after)[0].lines == ((" ", "a"), ("-", "b"), ("+", "B"), (" ", "c"))
