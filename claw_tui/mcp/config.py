"""MCP server configuration in Claude Code's format, from every place it can live.

A configuration file holds ``{"mcpServers": {NAME: DEFINITION, ...}}``; a definition is

- stdio (``type`` may be left out): ``command``, ``args``, ``env``, optional ``cwd``
- ``"type": "sse"`` or ``"http"`` (streamable HTTP): ``url``, ``headers``
- ``"type": "ws"``: ``url`` (ws:// or wss://), ``headers``
- ``"type": "sdk"``: ``name`` of an in-process server a plugin registered
- ``"type": "claudeai-proxy"``: recognised, reported as unsupported

Strings in command, args, env, url and headers expand ``${VAR}`` and
``${VAR:-default}`` from the environment; a variable that is not set and has no
default makes that server a configuration error (named, never half-started).

Where servers come from, strongest first (a name defined twice takes the stronger):

- ``cli``:     ``--mcp-config FILE|JSON`` (given explicitly for this run, so trusted)
- ``local``:   yours, for one project: ``projects[<dir>].mcpServers`` in the user file
- ``project``: ``.mcp.json`` in the project, shared through the repository; these
  wait for folder trust and for approval of their definition (see manager.py)
- ``user``:    yours, for every project: ``mcpServers`` in the user file
- ``plugin``:  in-process servers registered by installed plugins

The user file is ``<user config dir>/mcp.json``, laid out like Claude Code's
``~/.claude.json`` (the local scope lives there, outside the repository, so a
repository cannot plant a "local" server).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from claw_tui.mcp import normalize_name

Scope = Literal["cli", "local", "project", "user", "plugin"]
# Strongest first: a name defined in several places is taken from the first.
SCOPE_ORDER: tuple[Scope, ...] = ("cli", "local", "project", "user", "plugin")
WRITABLE_SCOPES = ("local", "project", "user")
TRANSPORTS = ("stdio", "sse", "http", "ws", "sdk", "claudeai-proxy")
# Spellings other clients use for the same transports.
_TYPE_ALIASES = {"streamable-http": "http", "streamableHttp": "http", "streamable_http": "http",
                 "websocket": "ws"}

CLAUDEAI_PROXY_REASON = (
    "claudeai-proxy servers are claude.ai connectors, reached through Anthropic's claude.ai proxy with a "
    "claude.ai account login; claw talks to providers with API keys and has no claude.ai login, so it cannot "
    "reach them. Add the connector's own MCP URL as an \"http\" server instead, if it has one."
)

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """A definition claw cannot use, with what is wrong in it."""


def expand(value: str, env: dict[str, str] | os._Environ[str], missing: list[str]) -> str:
    """``${VAR}`` and ``${VAR:-default}`` from ``env``; names of unset variables go to ``missing``."""

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env and (env[name] != "" or default is None):
            return env[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    return _VAR.sub(sub, value)


@dataclass
class ServerSpec:
    """One configured server: what was written, and the values to start it with."""

    name: str
    scope: Scope
    source: str  # the file (or plugin) it came from
    raw: dict[str, Any]  # as written, before ${VAR} expansion: what is hashed and approved
    type: str = "stdio"
    command: str = ""
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    sdk_name: str = ""
    # Why it cannot be started at all (a missing variable, a bad field); None: it can.
    error: str | None = None
    # Why this client does not support it (claudeai-proxy).
    unsupported: str | None = None

    @property
    def key(self) -> str:
        """The name in tool names (``mcp__<key>__<tool>``)."""
        return normalize_name(self.name)

    @property
    def remote(self) -> bool:
        return self.type in ("sse", "http", "ws")

    @property
    def needs_approval(self) -> bool:
        """Only a project's own servers (``.mcp.json``, from the repository) need approving:
        every other scope was written by the person, or given on the command line."""
        return self.scope == "project"

    def definition_hash(self) -> str:
        return definition_hash(self.raw)

    def describe(self) -> str:
        if self.type == "stdio":
            return " ".join([self.raw.get("command", ""), *map(str, self.raw.get("args", []) or [])]).strip()
        if self.type == "sdk":
            return f"in-process server {self.sdk_name!r}"
        return str(self.raw.get("url", ""))


def definition_hash(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return [str(v) for v in value]


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, (str, int, float, bool)) for v in value.values()):
        raise ConfigError(f"{where} must be an object of strings")
    return {str(k): (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in value.items()}


def parse_server(name: str, raw: Any, scope: Scope, source: str,
                 env: dict[str, str] | os._Environ[str] | None = None) -> ServerSpec:
    """One definition. Problems are recorded on the spec (``error``), never raised."""
    env = os.environ if env is None else env
    spec = ServerSpec(name=name, scope=scope, source=source, raw=raw if isinstance(raw, dict) else {})
    try:
        if not name or not isinstance(name, str):
            raise ConfigError("a server needs a non-empty name")
        if not isinstance(raw, dict):
            raise ConfigError(f"the definition must be an object, not {type(raw).__name__}")
        kind = raw.get("type") or ("stdio" if "command" in raw or "url" not in raw else None)
        if kind is None:
            raise ConfigError('a server with a "url" needs a "type": "http", "sse" or "ws"')
        kind = _TYPE_ALIASES.get(kind, kind)
        if kind not in TRANSPORTS:
            raise ConfigError(f"unknown type {kind!r}; use one of {', '.join(TRANSPORTS)}")
        spec.type = kind
        missing: list[str] = []
        if kind == "stdio":
            command = raw.get("command")
            if not isinstance(command, str) or not command.strip():
                raise ConfigError('a stdio server needs a "command"')
            spec.command = expand(command, env, missing)
            spec.args = [expand(a, env, missing) for a in _str_list(raw.get("args"), "args")]
            spec.env = {k: expand(v, env, missing) for k, v in _str_map(raw.get("env"), "env").items()}
            if raw.get("cwd") is not None:
                if not isinstance(raw["cwd"], str):
                    raise ConfigError("cwd must be a string")
                spec.cwd = expand(raw["cwd"], env, missing)
        elif kind in ("sse", "http", "ws", "claudeai-proxy"):
            url = raw.get("url")
            if not isinstance(url, str) or not url.strip():
                raise ConfigError(f'a {kind} server needs a "url"')
            spec.url = expand(url, env, missing).strip()
            spec.headers = {k: expand(v, env, missing) for k, v in _str_map(raw.get("headers"), "headers").items()}
            schemes = ("ws://", "wss://") if kind == "ws" else ("http://", "https://")
            if kind == "claudeai-proxy":
                spec.unsupported = CLAUDEAI_PROXY_REASON
            elif not missing and not spec.url.lower().startswith(schemes):
                raise ConfigError(f"the url of a {kind} server must start with {' or '.join(schemes)}: {spec.url!r}")
        elif kind == "sdk":
            sdk = raw.get("name", name)
            if not isinstance(sdk, str) or not sdk:
                raise ConfigError('an sdk server needs the "name" of an in-process server')
            spec.sdk_name = sdk
        if missing:
            names = ", ".join(dict.fromkeys(missing))
            raise ConfigError(f"environment variable(s) not set: {names} (write ${{VAR:-default}} for a default)")
    except ConfigError as exc:
        spec.error = str(exc)
    return spec


@dataclass
class McpConfig:
    """Every server that applies here, by name, and what was wrong on the way."""

    servers: dict[str, ServerSpec] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # Definitions hidden by a stronger scope's server of the same name.
    shadowed: list[ServerSpec] = field(default_factory=list)


def user_mcp_path(user_dir: Path | None = None) -> Path:
    from claw_tui.settings import user_config_dir

    return (user_dir or user_config_dir()) / "mcp.json"


def project_mcp_path(workspace: Path) -> Path:
    return workspace / ".mcp.json"


def _project_key(workspace: Path) -> str:
    return str(Path(os.path.realpath(workspace)))


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; {} when there is no file. Raises ConfigError when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} could not be read: {exc}") from None
    if not text.strip():
        return {}
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(obj, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return obj


def _servers_of(obj: dict[str, Any], where: str) -> dict[str, Any]:
    servers = obj.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"{where}: mcpServers must be an object of server definitions")
    return servers


def _from_cli_value(value: str, cwd: Path) -> tuple[dict[str, Any], str]:
    """``--mcp-config`` takes a file or a JSON string, as Claude Code's does."""
    text = value.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--mcp-config JSON is not valid (column {exc.colno}: {exc.msg})") from None
        if not isinstance(obj, dict):
            raise ConfigError("--mcp-config JSON must be an object")
        return obj, "--mcp-config (JSON)"
    path = Path(os.path.expanduser(value))
    if not path.is_absolute():
        path = cwd / path
    if not path.is_file():
        raise ConfigError(f"--mcp-config file not found: {path}")
    return read_json_object(path), str(path)


def load_config(workspace: Path, *, cli: list[str] | tuple[str, ...] = (), strict: bool = False,
                user_dir: Path | None = None, plugin_servers: dict[str, Any] | None = None,
                env: dict[str, str] | None = None) -> McpConfig:
    """Every server for ``workspace``. ``strict``: only the ``--mcp-config`` ones (--strict-mcp-config)."""
    cfg = McpConfig()
    found: list[ServerSpec] = []

    def add_all(obj: dict[str, Any], scope: Scope, source: str) -> None:
        try:
            servers = _servers_of(obj, source)
        except ConfigError as exc:
            cfg.problems.append(str(exc))
            return
        for name, raw in servers.items():
            found.append(parse_server(name, raw, scope, source, env))

    for value in cli:
        try:
            obj, source = _from_cli_value(value, workspace)
        except ConfigError as exc:
            cfg.problems.append(str(exc))
            continue
        add_all(obj, "cli", source)
    if not strict:
        user_path = user_mcp_path(user_dir)
        try:
            user_obj = read_json_object(user_path)
        except ConfigError as exc:
            cfg.problems.append(str(exc))
            user_obj = {}
        projects = user_obj.get("projects", {})
        local = projects.get(_project_key(workspace), {}) if isinstance(projects, dict) else {}
        if isinstance(local, dict) and local.get("mcpServers"):
            add_all(local, "local", f"{user_path} (this project)")
        try:
            add_all(read_json_object(project_mcp_path(workspace)), "project", str(project_mcp_path(workspace)))
        except ConfigError as exc:
            cfg.problems.append(str(exc))
        if user_obj:
            add_all(user_obj, "user", str(user_path))
        for name in plugin_servers or {}:
            found.append(ServerSpec(name=name, scope="plugin", source="plugin", raw={"type": "sdk", "name": name},
                                    type="sdk", sdk_name=name))
    # Strongest scope first; within one scope, file order.
    found.sort(key=lambda s: SCOPE_ORDER.index(s.scope))
    by_key: dict[str, ServerSpec] = {}
    for spec in found:
        if spec.name in cfg.servers:
            cfg.shadowed.append(spec)
            continue
        other = by_key.get(spec.key)
        if other is not None:
            cfg.problems.append(f"MCP servers {other.name!r} and {spec.name!r} ({spec.source}) have the same tool "
                                f"prefix mcp__{spec.key}__; {spec.name!r} is left out: rename one of them")
            continue
        cfg.servers[spec.name] = spec
        by_key[spec.key] = spec
    return cfg


# -- writing (claw mcp add / remove) ---------------------------------------------


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def scope_file(scope: str, workspace: Path, user_dir: Path | None = None) -> Path:
    return project_mcp_path(workspace) if scope == "project" else user_mcp_path(user_dir)


def add_server(scope: str, name: str, definition: dict[str, Any], workspace: Path,
               user_dir: Path | None = None) -> Path:
    """Write one definition; returns the file. Raises ConfigError when the definition is unusable."""
    if scope not in WRITABLE_SCOPES:
        raise ConfigError(f"scope must be one of {', '.join(WRITABLE_SCOPES)}")
    # Check it the way it will be read (variables may be unset now: that is fine here).
    spec = parse_server(name, definition, "user", "new", env={})
    if spec.error and not spec.error.startswith("environment variable"):
        raise ConfigError(spec.error)
    path = scope_file(scope, workspace, user_dir)
    obj = read_json_object(path)
    if scope == "local":
        projects = obj.setdefault("projects", {})
        holder = projects.setdefault(_project_key(workspace), {})
    else:
        holder = obj
    servers = holder.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"{path}: mcpServers must be an object")
    if name in servers:
        raise ConfigError(f"an MCP server named {name!r} already exists in {scope} scope ({path}); "
                          f"remove it first: claw mcp remove {name} --scope {scope}")
    servers[name] = definition
    _write_json(path, obj)
    return path


def find_server(name: str, workspace: Path, user_dir: Path | None = None) -> list[tuple[str, Path, dict[str, Any]]]:
    """Every writable scope that defines ``name``: (scope, file, definition)."""
    out = []
    for scope in WRITABLE_SCOPES:
        path = scope_file(scope, workspace, user_dir)
        try:
            obj = read_json_object(path)
        except ConfigError:
            continue
        holder = obj.get("projects", {}).get(_project_key(workspace), {}) if scope == "local" else obj
        servers = holder.get("mcpServers", {}) if isinstance(holder, dict) else {}
        if isinstance(servers, dict) and name in servers:
            out.append((scope, path, servers[name]))
    return out


def remove_server(name: str, scope: str, workspace: Path, user_dir: Path | None = None) -> Path:
    path = scope_file(scope, workspace, user_dir)
    obj = read_json_object(path)
    holder = obj.get("projects", {}).get(_project_key(workspace), {}) if scope == "local" else obj
    servers = holder.get("mcpServers", {}) if isinstance(holder, dict) else {}
    if not isinstance(servers, dict) or name not in servers:
        raise ConfigError(f"no MCP server named {name!r} in {scope} scope ({path})")
    del servers[name]
    if scope == "local" and not servers:
        holder.pop("mcpServers", None)
        if not holder:
            obj["projects"].pop(_project_key(workspace), None)
    _write_json(path, obj)
    return path


# -- approvals of project servers -------------------------------------------------


def tools_hash(tools: list[dict[str, Any]]) -> str:
    """A hash of a server's tool list: names, descriptions and input schemas, in name order."""
    canon = sorted(({"name": t.get("name"), "description": t.get("description") or "",
                     "input_schema": t.get("input_schema") or {}} for t in tools), key=lambda t: str(t["name"]))
    return hashlib.sha256(json.dumps(canon, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ApprovalStore:
    """Approved definition and tool-list hashes of project servers, per project, in
    ``<user config dir>/mcp-approvals.json`` (outside the repository it approves).

    ``remember(..., persist=False)`` approves for this process only (an approval "for
    this session"); such approvals are never written.
    """

    def __init__(self, workspace: Path, path: Path | None = None) -> None:
        from claw_tui.settings import user_config_dir

        self.path = path or user_config_dir() / "mcp-approvals.json"
        self.project = _project_key(workspace)
        self._session: dict[str, dict[str, Any]] = {}

    def _load(self) -> dict[str, Any]:
        try:
            return read_json_object(self.path)
        except ConfigError:
            return {}

    def saved(self, server: str) -> dict[str, Any]:
        """What was approved for good (written to the file), without this session's approvals."""
        saved = self._load().get("projects", {}).get(self.project, {}).get(server, {})
        return dict(saved) if isinstance(saved, dict) else {}

    def get(self, server: str) -> dict[str, Any]:
        merged = self.saved(server)
        merged.update(self._session.get(server, {}))
        return merged

    def remember(self, server: str, *, persist: bool, **values: Any) -> None:
        """Approve ``values`` ({"definition": hash}, {"tools": hash, "tool_names": [...]}) for
        this server: for this process only, or (``persist``) for good."""
        self._session.setdefault(server, {}).update(values)
        if not persist:
            return
        obj = self._load()
        entry = obj.setdefault("projects", {}).setdefault(self.project, {}).setdefault(server, {})
        entry.update(values)
        _write_json(self.path, obj)

    def forget(self, server: str) -> None:
        self._session.pop(server, None)
        obj = self._load()
        if obj.get("projects", {}).get(self.project, {}).pop(server, None) is not None:
            _write_json(self.path, obj)
