"""Folder trust: what a project folder may change about claw before a person trusts it.

A cloned repository is written by someone else. Until the person trusts the folder, claw
applies only what can make it *stricter*:

- applied at once: deny and ask rules (every layer), ``defaultMode`` default or plan (or
  allowlist: it only refuses more), sandbox settings that tighten the box;
- held back: allow rules, a ``defaultMode`` that lets more run (acceptEdits, denylist;
  bypassPermissions is never taken from a project's files, trusted or not, as in Claude
  Code), ``additionalDirectories``, hooks, the project's MCP servers (``.mcp.json``), ``env``
  (a provider base URL or key there would send the person's key elsewhere), language server
  commands, sandbox settings that loosen it, and the permission modes of the project's own
  agent files.

Project (``.claw/settings.json``, ``.claude/settings.json``) and local
(``.claw/settings.local.json``) files are both the folder's: a repository can commit a
"local" file too, so both wait.

Trusted folders are kept in ``<user config dir>/trusted.json`` (mode 0600), keyed by real
path. A trusted folder also trusts the folders below it that belong to the same git
repository (or to none), but not a different repository nested inside it: trusting ``~/code``
does not trust a repository cloned into ``~/code/new`` later. (Claude Code walks up to a
trusted parent only for folders with nothing risky in them and wants an exact match
otherwise; claw's repository boundary gives the same protection and keeps ``repo/src``
usable once ``repo`` is trusted.) A store that is not the person's own or that others may
write is ignored: it could say anything.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claw_tui.settings_files import write_private

__all__ = ["HeldBack", "TrustStore", "held_back", "repository_root", "trust_store_path"]

STORE_NAME = "trusted.json"


def trust_store_path(user_dir: Path | None = None) -> Path:
    if user_dir is None:
        from claw_tui.settings import user_config_dir

        user_dir = user_config_dir()
    return user_dir / STORE_NAME


def repository_root(folder: Path) -> Path | None:
    """The nearest folder at or above ``folder`` holding ``.git`` (a directory or a file)."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


class TrustStore:
    """The trusted folders, read fresh on every question (another claw may have added one)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or trust_store_path()
        self.problems: list[str] = []

    def _load(self) -> dict[str, Any]:
        self.problems = []
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self.problems.append(f"{self.path} could not be read ({exc.strerror}); no folder counts as trusted")
            return {}
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            self.problems.append(f"{self.path} belongs to another user; it is ignored")
            return {}
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            self.problems.append(f"{self.path} may be written by other users; it is ignored (chmod 600 it)")
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.problems.append(f"{self.path} is not valid JSON ({exc}); no folder counts as trusted")
            return {}
        folders = data.get("folders") if isinstance(data, dict) else None
        return folders if isinstance(folders, dict) else {}

    def folders(self) -> list[Path]:
        return [Path(p) for p in self._load()]

    def trusted_by(self, folder: Path) -> Path | None:
        """The stored folder that makes ``folder`` trusted, or None."""
        real = Path(os.path.realpath(folder))
        stored = [Path(p) for p in self._load()]
        if real in stored:
            return real
        repo = repository_root(real)
        for entry in sorted(stored, key=lambda p: len(p.parts), reverse=True):
            if entry not in real.parents:
                continue
            # A different repository nested inside the trusted folder is not trusted by it.
            if repo is not None and repo != entry and entry in repo.parents:
                continue
            return entry
        return None

    def is_trusted(self, folder: Path) -> bool:
        return self.trusted_by(folder) is not None

    def trust(self, folder: Path) -> None:
        """Remember ``folder`` (its real path) as trusted."""
        real = str(Path(os.path.realpath(folder)))
        folders = self._load()
        folders[real] = {"trusted_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        self._write(folders)

    def forget(self, folder: Path) -> bool:
        real = str(Path(os.path.realpath(folder)))
        folders = self._load()
        if real not in folders:
            return False
        del folders[real]
        self._write(folders)
        return True

    def _write(self, folders: dict[str, Any]) -> None:
        write_private(self.path, json.dumps({"version": 1, "folders": folders}, indent=2, sort_keys=True) + "\n")


# -- what waits for trust -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeldBack:
    """One thing from the folder that is not applied until it is trusted."""

    kind: str  # "allow rule", "defaultMode", "additionalDirectories", "hooks", "MCP server", "env", …
    text: str
    source: str

    def __str__(self) -> str:
        return f"{self.kind} {self.text} ({self.source})"


# Sandbox keys that only loosen the box.
_SANDBOX_LOOSENING = ("excluded_commands", "allow_unsandboxed_commands")


def held_back(settings: Any, workspace: Path) -> list[HeldBack]:
    """What the folder's own settings and ``.mcp.json`` would change that needs trust."""
    from claw_tui.permissions.policy import MODE_ALIASES, WIDENING_MODES

    out: list[HeldBack] = []
    for layer in getattr(settings, "layers", []):
        data = layer.data
        if data is None or layer.scope == "user":
            continue
        src = str(layer.path)
        perms = data.permissions
        out += [HeldBack("allow rule", r, src) for r in perms.allow]
        mode = perms.default_mode
        if mode is not None and MODE_ALIASES.get(mode, mode) in WIDENING_MODES:
            out.append(HeldBack("defaultMode", mode, src))
        out += [HeldBack("additionalDirectories", d, src) for d in perms.additional_directories]
        if data.hooks:
            events = ", ".join(data.hooks) if isinstance(data.hooks, dict) else "hooks"
            out.append(HeldBack("hooks", events, src))
        out += [HeldBack("env", f"{k}=…", src) for k in data.env]
        sb = data.sandbox
        if sb.enabled is False:
            out.append(HeldBack("sandbox", "enabled: false", src))
        if sb.excluded_commands:
            out.append(HeldBack("sandbox", "excludedCommands " + ", ".join(sb.excluded_commands), src))
        if sb.allow_unsandboxed_commands:
            out.append(HeldBack("sandbox", "allowUnsandboxedCommands", src))
        if sb.network.allowed_domains:
            out.append(HeldBack("sandbox", "network.allowedDomains " + ", ".join(sb.network.allowed_domains), src))
        if sb.network.allow_all_unix_sockets:
            out.append(HeldBack("sandbox", "network.allowAllUnixSockets", src))
        if sb.filesystem.allow_write:
            out.append(HeldBack("sandbox", "filesystem.allowWrite " + ", ".join(sb.filesystem.allow_write), src))
        lsp = (getattr(data, "model_extra", None) or {}).get("lsp")
        if isinstance(lsp, dict) and lsp.get("servers"):
            out.append(HeldBack("language servers", ", ".join(map(str, lsp["servers"])), src))
    mcp = workspace / ".mcp.json"
    try:
        raw = json.loads(mcp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw = None
    servers = raw.get("mcpServers") if isinstance(raw, dict) else None
    if isinstance(servers, dict):
        out += [HeldBack("MCP server", str(name), str(mcp)) for name in servers]
    return out
