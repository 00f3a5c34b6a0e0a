"""The look (theme, keybindings) read straight from the settings files, for the first frame.

The full settings (claw_tui.settings: pydantic models, validation, every key) load
with the engine, after the first frame; a theme applied only then would flash
the default one first. This reads just the two keys, layered the same way, and
leaves reporting problems to the full load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from claw_tui.settings_files import raw_layers


@dataclass
class Look:
    theme: str | None = None
    keybindings: dict[str, str] = field(default_factory=dict)


def read_look(workspace: Path) -> Look:
    look = Look()
    for data in raw_layers(workspace):
        if isinstance(data.get("theme"), str):
            look.theme = data["theme"]
        keys = data.get("keybindings")
        if isinstance(keys, dict):
            look.keybindings.update({k: v for k, v in keys.items() if isinstance(k, str) and isinstance(v, str)})
    return look
