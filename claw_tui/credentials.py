"""Keys and the default provider chosen on first run, kept in the user config dir.

``credentials.json`` holds ``{"provider", "model", "base_url", "keys": {provider: key}}``.
It is written with 0600 permissions (in a 0700 directory), atomically, and a key
in the environment always wins over a stored one. Nothing here is ever read
from a project folder: a cloned repository cannot plant a key or redirect one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from claw_tui.settings_files import user_config_dir, write_private

ENV_KEYS = {
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"),
    "openai": ("OPENAI_API_KEY",),
    "compatible": ("OPENAI_API_KEY",),
}


def credentials_path() -> Path:
    return user_config_dir() / "credentials.json"


@dataclass
class Credentials:
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why the file could not be used, if it could not


def load_credentials(path: Path | None = None) -> Credentials:
    path = path or credentials_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Credentials()
    except OSError as exc:
        return Credentials(problem=f"{path} could not be read: {exc}")
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        keys = data.get("keys") or {}
        if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
            raise ValueError("'keys' must map provider names to strings")
        return Credentials(provider=_str(data.get("provider")), model=_str(data.get("model")),
                           base_url=_str(data.get("base_url")), keys=dict(keys))
    except (ValueError, json.JSONDecodeError) as exc:
        return Credentials(problem=f"{path} is not valid ({exc}); run claw and set the provider up again")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def save_credentials(creds: Credentials, path: Path | None = None) -> Path:
    """Write atomically with 0600 permissions; the key is never briefly world-readable."""
    path = path or credentials_path()
    data = {"provider": creds.provider, "model": creds.model, "base_url": creds.base_url, "keys": creds.keys}
    write_private(path, json.dumps(data, indent=2) + "\n")
    return path


def env_key(provider: str) -> str | None:
    for var in ENV_KEYS.get(provider, ()):
        if os.environ.get(var):
            return var
    return None


def stored_key(provider: str) -> str | None:
    return load_credentials().keys.get(provider) or None


def has_key(provider: str) -> bool:
    """Whether a request to ``provider`` would carry a key (environment or stored)."""
    return env_key(provider) is not None or stored_key(provider) is not None
