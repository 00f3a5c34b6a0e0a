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
