"""The look (theme, keybindings) read straight from the settings files, for the first frame.

The full settings (claw_tui.settings: pydantic models, validation, every key) load
with the engine, after the first frame; a theme applied only then would flash
the default one first. This reads just the two keys, layered the same way, and
leaves reporting problems to the full load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from claw_tui.settings_files import settings_paths


@dataclass
class Look:
    theme: str | None = None
    keybindings: dict[str, str] = field(default_factory=dict)


def read_look(workspace: Path) -> Look:
    look = Look()
    for _scope, path in settings_paths(workspace):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if isinstance(data.get("theme"), str):
            look.theme = data["theme"]
        keys = data.get("keybindings")
        if isinstance(keys, dict):
            look.keybindings.update({k: v for k, v in keys.items() if isinstance(k, str) and isinstance(v, str)})
    return look
