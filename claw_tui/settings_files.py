"""Where claw's user files and settings files are, without loading settings (no
pydantic): the first frame reads its look from them before the engine loads
(claw_tui.ui.look), and the engine and the permission layer find their data
directory here (both may import it: it imports nothing of claw's)."""

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


def user_data_dir() -> Path:
    """Sessions, audit logs, logs (``CLAW_DATA_DIR`` overrides it, tests use that)."""
    override = os.environ.get("CLAW_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("claw"))


def write_private(path: Path, data: str | bytes, *, sync: bool = True) -> None:
    """Write a file only this user may read (0600, in a 0700 directory), atomically: a 0600
    temporary file in the same directory, renamed over the target. Never half-written, never
    briefly readable by others (credentials, tokens, trust, session metadata)."""
    import contextlib
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
