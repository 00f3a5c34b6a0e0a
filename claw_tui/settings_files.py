"""Where settings files are, without loading settings (no pydantic): the first frame
reads its look from them before the engine loads (claw_tui.ui.look)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

Scope = Literal["user", "project", "local"]


def user_config_dir() -> Path:
    override = os.environ.get("CLAW_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("claw"))


def settings_paths(workspace: Path, user_dir: Path | None = None) -> list[tuple[Scope, Path]]:
    """The settings files, lowest layer first: user → project → local."""
    user_dir = user_dir or user_config_dir()
    return [
        ("user", user_dir / "settings.json"),
        ("project", workspace / ".claude" / "settings.json"),
        ("project", workspace / ".claw" / "settings.json"),
        ("local", workspace / ".claude" / "settings.local.json"),
        ("local", workspace / ".claw" / "settings.local.json"),
    ]


def raw_layers(workspace: Path) -> list[dict]:
    """The settings files that are JSON objects, lowest layer first, read as plain JSON (no
    validation: for what is decided before settings are loaded, such as the first frame's
    look or the model to start with; a file that does not read is left to the full load to report)."""
    import json

    layers = []
    for _scope, path in settings_paths(workspace):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            layers.append(data)
    return layers


def read_setting(workspace: Path, key: str) -> object | None:
    """One top-level key as the layered files set it (the last layer that sets it wins)."""
    value = None
    for data in raw_layers(workspace):
        if data.get(key) is not None:
            value = data[key]
    return value
