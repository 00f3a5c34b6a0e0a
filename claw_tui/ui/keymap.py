"""Remappable keys: settings ``keybindings`` maps a binding id to keys.

Every binding a person may want to move carries an id (``claw.interrupt``,
``approval.allow_once``…); Textual's keymap does the remapping. What this module
adds is the check: an unknown id or a key Textual would never deliver is
reported in words (which entry, why, what the valid ids are) instead of being
silently ignored, and the rest of the keymap still applies.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from textual.binding import Binding
from textual.keys import KEY_ALIASES, KEY_TO_UNICODE_NAME, Keys, _character_to_key, format_key

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED = {k.value for k in Keys} | set(KEY_TO_UNICODE_NAME) | set(KEY_ALIASES) | {
    f"f{i}" for i in range(1, 25)} | {"space", "tab", "enter", "escape", "backspace", "delete", "insert"}


def _known_key(name: str) -> bool:
    if len(name) == 1:
        return name.isprintable() and not name.isspace()
    if name in _NAMED:
        return True
    try:  # Textual also accepts Unicode names of characters: "question_mark", "at"…
        unicodedata.lookup(name.replace("_", " ").upper())
        return True
    except KeyError:
        return False


def key_problem(keys: str) -> str | None:
    """Why ``keys`` (a comma-separated list like ``"ctrl+k,f3"``) is not usable, or None."""
    if not isinstance(keys, str) or not keys.strip():
        return "no key given"
    for key in (k.strip() for k in keys.split(",")):
        if not key:
            return f"{keys!r} has an empty entry"
        *mods, name = key.split("+") if key != "+" else ["+"]
        bad = [m for m in mods if m not in MODIFIERS]
        if bad:
            return f"{bad[0]!r} in {key!r} is not a modifier (use {', '.join(sorted(MODIFIERS))})"
        if not _known_key(name):
            return f"{name!r} in {key!r} is not a key name (examples: ctrl+k, f3, escape, question_mark)"
    return None


def binding_ids(classes: Iterable[type]) -> dict[str, Binding]:
    ids: dict[str, Binding] = {}
    for cls in classes:
        for b in getattr(cls, "BINDINGS", ()):
            if isinstance(b, Binding) and b.id:
                ids[b.id] = b
    return ids


def check_keymap(keymap: dict[str, str], known: dict[str, Binding]) -> tuple[dict[str, str], list[str]]:
    """The usable part of ``keymap`` and a message for each entry that is not."""
    good: dict[str, str] = {}
    errors: list[str] = []
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            errors.append(f"keybindings: {binding_id!r} is not a binding id; the ids are {', '.join(sorted(known))}")
            continue
        problem = key_problem(keys)
        if problem:
            errors.append(f"keybindings: {binding_id}: {problem}")
            continue
        good[binding_id] = keys
    return good, errors


def display_key(keymap: dict[str, str], binding: Binding) -> str:
    """How the key of ``binding`` is shown to a person, with any remapping applied."""
    keys = keymap.get(binding.id or "", binding.key) if binding.id else binding.key
    first = keys.split(",")[0].strip()
    *mods, name = first.split("+")
    name = _character_to_key(name) if len(name) == 1 else name
    return "+".join([*mods, format_key(name)])
