"""The policy bypass corpus (policy_corpus.py): paths, symlinks, protected files, modes, rule
forms, remembered approvals. Each attempt is asked or denied (or, for listings, the protected
file never shows up), and nothing on disk changes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from .policy_corpus import ATTEMPTS, SECRET, A, Attempt, attempt, make_env, snapshot


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path.resolve()))
    return make_env(tmp_path)


def test_the_corpus_is_large_grouped_and_ids_are_unique():
    ids = [a.id for a in ATTEMPTS]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert len(ATTEMPTS) >= 150
    techniques = Counter(a.technique for a in ATTEMPTS)
    assert len(techniques) >= 15 and min(techniques.values()) >= 2, techniques


@pytest.mark.parametrize("a", ATTEMPTS, ids=[a.id for a in ATTEMPTS])
async def test_attempt_is_refused_and_changes_nothing(env, a: Attempt):
    before = snapshot(env)
    outcome = await attempt(env, a)
    v = outcome.verdict
    if a.expect == "filtered":
        assert v.behavior == "allow", v
        assert outcome.result is not None and not outcome.result.is_error, outcome.result
        for hidden in a.hidden:
            assert hidden not in outcome.result.content, (hidden, outcome.result.content)
    elif a.expect == "refused":
        assert v.behavior in ("ask", "deny"), v
    else:
        assert v.behavior == a.expect, v
    assert v.reason  # a person (and the model) is told why
    assert snapshot(env) == before


# -- the harness sees side effects: the same calls, allowed, do change things ---------------------


@pytest.mark.parametrize("a", [
    A("control", "write-through-symlink", "Write", {"file_path": "out_link/new.txt", "content": "changed\n"},
      mode="bypassPermissions"),
    A("control", "bash-redirect", "Bash", {"command": "echo changed > a.txt"}, mode="bypassPermissions"),
    A("control", "write-settings-when-approved", "Write", {"file_path": "src/new.py", "content": "x"},
      mode="acceptEdits"),
], ids=lambda a: a.name)
async def test_controls_allowed_calls_do_change_files(env, a: Attempt):
    before = snapshot(env)
    outcome = await attempt(env, a)
    assert outcome.verdict.behavior == "allow" and outcome.ran, outcome.verdict
    assert snapshot(env) != before


async def test_control_a_read_without_deny_rule_shows_the_secret(env):
    outcome = await attempt(env, A("control", "read", "Read", {"file_path": ".env"}))
    assert outcome.ran and SECRET in outcome.result.content
    listing = await attempt(env, A("control", "grep", "Grep", {"pattern": SECRET, "output_mode": "content"}))
    assert SECRET in listing.result.content
