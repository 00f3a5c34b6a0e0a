"""Settings files, layered as Claude Code layers them: user → project → local.

- user:    ``~/.config/claw/settings.json`` (the platform's user config dir;
           ``CLAW_CONFIG_DIR`` overrides it, tests use that)
- project: ``.claude/settings.json`` then ``.claw/settings.json`` (claw's own wins)
- local:   ``.claw/settings.local.json`` (not committed; "always allow" writes here)

The command line wins over all of them (see :mod:`claw_tui.config`). Lists of
permission rules add up across layers; a scalar from a later layer replaces the
one before. A file that is not valid JSON, or whose known keys have the wrong
type, is reported (file, key, what is wrong) and skipped as a whole: claw starts,
nothing in the file is half-applied, and the file itself is never rewritten.
Keys claw does not know are kept and ignored, so a Claude Code settings file
works unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from claw_tui.settings_files import Scope, settings_paths, user_config_dir  # noqa: F401



class PermissionSettings(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    ask: list[str] = Field(default_factory=list)
    default_mode: str | None = Field(default=None, alias="defaultMode")
    additional_directories: list[str] = Field(default_factory=list, alias="additionalDirectories")


class SandboxNetworkSettings(BaseModel):
    """``sandbox.network`` (Claude Code's shape). claw filters all-or-nothing: ``["*"]`` turns the
    network on; a list of single domains is kept (and shown by /sandbox) but leaves it off."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    allowed_domains: list[str] = Field(default_factory=list, alias="allowedDomains")
    allow_all_unix_sockets: bool | None = Field(default=None, alias="allowAllUnixSockets")


class SandboxFilesystemSettings(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    allow_write: list[str] = Field(default_factory=list, alias="allowWrite")
    deny_write: list[str] = Field(default_factory=list, alias="denyWrite")


class SandboxSettings(BaseModel):
    """``sandbox``: how Bash commands are confined (claw_tui/permissions/sandbox.py).

    On by default where the machine supports it (Claude Code's default is off)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    enabled: bool | None = None
    fail_if_unavailable: bool | None = Field(default=None, alias="failIfUnavailable")
    excluded_commands: list[str] = Field(default_factory=list, alias="excludedCommands")
    allow_unsandboxed_commands: bool | None = Field(default=None, alias="allowUnsandboxedCommands")
    network: SandboxNetworkSettings = Field(default_factory=SandboxNetworkSettings)
    filesystem: SandboxFilesystemSettings = Field(default_factory=SandboxFilesystemSettings)


class SettingsFile(BaseModel):
    """The keys claw reads. Everything else in the file is kept and ignored."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    permissions: PermissionSettings = Field(default_factory=PermissionSettings)
    model: str | None = None
    theme: str | None = None
    # Binding id → keys, e.g. {"claw.interrupt": "ctrl+c", "claw.toggle_side": "f3"}.
    keybindings: dict[str, str] = Field(default_factory=dict)
    env: dict[str, str] = Field(default_factory=dict)
    cleanup_period_days: int | None = Field(default=None, alias="cleanupPeriodDays")
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    # Claude Code's hooks object ({"PreToolUse": [{"matcher", "hooks": [...]}], ...}). Checked
    # entry by entry in claw_tui/permissions/hooks.py, so one bad hook does not void the
    # file's permission rules.
    hooks: Any = None
    # Compaction: on by default past 85% of the model's context window.
    auto_compact_enabled: bool | None = Field(default=None, alias="autoCompactEnabled")
    auto_compact_threshold: float | None = Field(default=None, alias="autoCompactThreshold", gt=0, le=1)
    # Memory consolidation ("autoDream"): at most once per interval, after the app was idle a while.
    auto_dream_enabled: bool | None = Field(default=None, alias="autoDreamEnabled")
    auto_dream_interval_hours: float | None = Field(default=None, alias="autoDreamIntervalHours", ge=0)
    auto_dream_idle_minutes: float | None = Field(default=None, alias="autoDreamIdleMinutes", ge=0)


@dataclass
class SettingsLayer:
    scope: Scope
    path: Path
    data: SettingsFile | None = None
    error: str | None = None

    @property
    def loaded(self) -> bool:
        return self.data is not None


@dataclass
class Settings:
    """The merged settings and the layers they came from (for /config and /permissions)."""

    layers: list[SettingsLayer] = field(default_factory=list)
    # Problems with single entries of files that loaded (a bad rule, an unknown mode).
    warnings: list[str] = field(default_factory=list)

    def _present(self) -> list[SettingsLayer]:
        return [layer for layer in self.layers if layer.data is not None]

    def _last(self, key: str) -> Any:
        value = None
        for layer in self._present():
            v = getattr(layer.data, key)
            if v is not None:
                value = v
        return value

    @property
    def model(self) -> str | None:
        return self._last("model")

    @property
    def theme(self) -> str | None:
        return self._last("theme")

    @property
    def cleanup_period_days(self) -> int | None:
        return self._last("cleanup_period_days")

    @property
    def auto_compact_enabled(self) -> bool | None:
        return self._last("auto_compact_enabled")

    @property
    def auto_compact_threshold(self) -> float | None:
        return self._last("auto_compact_threshold")

    @property
    def auto_dream_enabled(self) -> bool | None:
        return self._last("auto_dream_enabled")

    @property
    def auto_dream_interval_hours(self) -> float | None:
        return self._last("auto_dream_interval_hours")

    @property
    def auto_dream_idle_minutes(self) -> float | None:
        return self._last("auto_dream_idle_minutes")

    @property
    def keybindings(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for layer in self._present():
            merged.update(layer.data.keybindings)  # type: ignore[union-attr]
        return merged

    @property
    def sandbox(self) -> SandboxSettings:
        """``sandbox`` merged across layers: a later scalar wins, lists add up."""
        return self.sandbox_for(trusted=True)

    def sandbox_for(self, trusted: bool) -> SandboxSettings:
        """``sandbox`` merged across layers. Until the person trusts the folder, its project and
        local files may only tighten the sandbox (turn it on, require it, protect more paths),
        never loosen it: a cloned repository must not switch off the box its commands run in."""
        merged = SandboxSettings()
        for layer in self._present():
            sb = layer.data.sandbox  # type: ignore[union-attr]
            if not trusted and layer.scope != "user":
                if sb.enabled is True:
                    merged.enabled = True
                if sb.fail_if_unavailable is True:
                    merged.fail_if_unavailable = True
                merged.filesystem.deny_write += sb.filesystem.deny_write
                continue
            for key in ("enabled", "fail_if_unavailable", "allow_unsandboxed_commands"):
                if getattr(sb, key) is not None:
                    setattr(merged, key, getattr(sb, key))
            if sb.network.allow_all_unix_sockets is not None:
                merged.network.allow_all_unix_sockets = sb.network.allow_all_unix_sockets
            merged.excluded_commands += sb.excluded_commands
            merged.network.allowed_domains += sb.network.allowed_domains
            merged.filesystem.allow_write += sb.filesystem.allow_write
            merged.filesystem.deny_write += sb.filesystem.deny_write
        return merged

    def rules(self, kind: Literal["allow", "deny", "ask"]) -> list[tuple[str, SettingsLayer]]:
        """Every rule of one kind with the layer it came from, in layer order."""
        out: list[tuple[str, SettingsLayer]] = []
        for layer in self._present():
            for rule in getattr(layer.data.permissions, kind):  # type: ignore[union-attr]
                out.append((rule, layer))
        return out

    def additional_directories(self) -> list[tuple[str, SettingsLayer]]:
        return [(d, layer) for layer in self._present()
                for d in layer.data.permissions.additional_directories]  # type: ignore[union-attr]

    @property
    def errors(self) -> list[str]:
        return [f"{layer.path}: {layer.error}" for layer in self.layers if layer.error]


def load_layer(scope: Scope, path: Path) -> SettingsLayer:
    layer = SettingsLayer(scope, path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return layer
    except (OSError, UnicodeDecodeError) as exc:
        layer.error = f"could not be read ({exc}); ignored"
        return layer
    if not raw.strip():
        layer.data = SettingsFile()
        return layer
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        layer.error = f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); the whole file is ignored"
        return layer
    if not isinstance(obj, dict):
        layer.error = f"must hold a JSON object, not {type(obj).__name__}; ignored"
        return layer
    try:
        layer.data = SettingsFile.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        layer.error = f"has invalid settings ({problems}); the whole file is ignored"
    return layer


def load_settings(workspace: Path, user_dir: Path | None = None) -> Settings:
    return Settings([load_layer(scope, path) for scope, path in settings_paths(workspace, user_dir)])
