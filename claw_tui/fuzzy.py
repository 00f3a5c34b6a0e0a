"""Fuzzy matching of paths and command names, the way fzf-style pickers rank them.

Hand-written because the ranking wanted here is a subsequence match with bonuses
for consecutive letters and for matches at the start of a path segment; the
edit-distance ratios of general fuzzy libraries rank ``src/main.py`` for ``mn``
poorly.
"""

from __future__ import annotations

SEPARATORS = "/_-. "


def score(query: str, candidate: str) -> float | None:
    """A score (higher is better) when every character of ``query`` appears in
    order in ``candidate`` (case-insensitive), else None."""
    if not query:
        return 0.0
    q, c = query.lower(), candidate.lower()
    pos = -1
    total = 0.0
    streak = 0
    for ch in q:
        found = c.find(ch, pos + 1)
        if found < 0:
            return None
        if found == pos + 1:
            streak += 1
            total += 2 + streak
        else:
            streak = 0
            total += 1
        if found == 0 or c[found - 1] in SEPARATORS:
            total += 3
        pos = found
    base = c.rsplit("/", 1)[-1]
    if q in base:
        total += 5  # matches in the file name beat matches in directories
    return total - len(candidate) * 0.01


def rank(query: str, candidates: list[str], limit: int = 20) -> list[str]:
    scored = [(s, cand) for cand in candidates if (s := score(query, cand)) is not None]
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [cand for _, cand in scored[:limit]]
