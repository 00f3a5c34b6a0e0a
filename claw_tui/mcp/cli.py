"""``claw mcp``: add, list, inspect and remove MCP servers, like ``claude mcp``.

    claw mcp add [-t stdio|sse|http|ws] [-s local|project|user] [-e KEY=VALUE] [-H "Name: value"] NAME COMMAND_OR_URL [ARGS...]
    claw mcp add NAME -- COMMAND [ARGS...]          (everything after -- is the command)
    claw mcp add-json [-s SCOPE] NAME '{"type": "http", "url": "..."}'
    claw mcp list                                   (every server, each checked by connecting)
    claw mcp get NAME
    claw mcp remove [-s SCOPE] NAME
    claw mcp logout NAME                            (forget a remote server's OAuth tokens)

The default scope is "local": yours, for this project only (as in Claude Code).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from claw_tui.mcp.config import (
    TRANSPORTS,
    WRITABLE_SCOPES,
    ConfigError,
    add_server,
    find_server,
    load_config,
    remove_server,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="claw mcp", description="Configure and check MCP servers.")
    p.add_argument("--cwd", help="the project directory (default: the current directory)")
    sub = p.add_subparsers(dest="command", required=True)

    add = sub.add_parser("add", help="add a server", description="Add an MCP server. For a command with options "
                         "of its own, put it after --: claw mcp add NAME -- COMMAND ARGS...")
    add.add_argument("-t", "--transport", choices=[t for t in TRANSPORTS if t not in ("sdk", "claudeai-proxy")],
                     default=None, help="stdio (default for a command), http (default for a URL), sse, ws")
    add.add_argument("-s", "--scope", choices=WRITABLE_SCOPES, default="local",
                     help="local: yours, this project (default); project: .mcp.json, shared; user: yours, every project")
    add.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE", help="environment (stdio)")
    add.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'", help="HTTP header")
    add.add_argument("name")
    add.add_argument("target", nargs="?", metavar="COMMAND_OR_URL")
    add.add_argument("args", nargs="*", help="the command's arguments")

    add_json = sub.add_parser("add-json", help="add a server from its JSON definition")
    add_json.add_argument("-s", "--scope", choices=WRITABLE_SCOPES, default="local")
    add_json.add_argument("name")
    add_json.add_argument("json")

    sub.add_parser("list", help="list servers and check each by connecting")
    get = sub.add_parser("get", help="show one server")
    get.add_argument("name")
    remove = sub.add_parser("remove", help="remove a server")
    remove.add_argument("-s", "--scope", choices=WRITABLE_SCOPES, default=None)
    remove.add_argument("name")
    logout = sub.add_parser("logout", help="forget a remote server's sign-in (OAuth tokens)")
    logout.add_argument("name")
    return p


def _definition(args: argparse.Namespace, command: list[str]) -> dict[str, Any]:
    target = args.target
    rest = list(args.args)
    if command:
        if target is not None:
            raise ConfigError("give the command either after -- or as COMMAND_OR_URL, not both")
        target, rest = command[0], command[1:]
    if not target:
        raise ConfigError("give the server's command or URL")
    is_url = target.startswith(("http://", "https://", "ws://", "wss://"))
    transport = args.transport or (("ws" if target.startswith("ws") else "http") if is_url else "stdio")
    if transport == "stdio":
        if args.header:
            raise ConfigError("headers (-H) are for http, sse and ws servers")
        env = {}
        for item in args.env:
            key, eq, value = item.partition("=")
            if not eq or not key:
                raise ConfigError(f"-e takes KEY=VALUE, not {item!r}")
            env[key] = value
        out: dict[str, Any] = {"type": "stdio", "command": target, "args": rest}
        if env:
            out["env"] = env
        return out
    if rest:
        raise ConfigError(f"a {transport} server takes a URL and no arguments: {' '.join(rest)}")
    if args.env:
        raise ConfigError("environment variables (-e) are for stdio servers")
    headers = {}
    for item in args.header:
        key, colon, value = item.partition(":")
        if not colon or not key.strip():
            raise ConfigError(f"-H takes 'Name: value', not {item!r}")
        headers[key.strip()] = value.strip()
    out = {"type": transport, "url": target}
    if headers:
        out["headers"] = headers
    return out


def _where(scope: str) -> str:
    return {"local": "local (yours, this project)", "project": "project (.mcp.json, shared)",
            "user": "user (yours, every project)"}.get(scope, scope)


def main(argv: list[str]) -> int:
    command: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, command = argv[:cut], argv[cut + 1:]
    args = _parser().parse_args(argv)
    cwd = Path(args.cwd or ".").expanduser().resolve()
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "add":
            definition = _definition(args, command)
            path = add_server(args.scope, args.name, definition, cwd)
            out.write(f"Added {definition['type']} MCP server {args.name} to {_where(args.scope)} scope: {path}\n")
            if args.scope == "project":
                out.write("Others who open this project are asked to approve it before it starts.\n")
            return 0
        if command:
            raise ConfigError(f"'--' is only for claw mcp add, not {args.command}")
        if args.command == "add-json":
            try:
                definition = json.loads(args.json)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
            if not isinstance(definition, dict):
                raise ConfigError("the definition must be a JSON object")
            path = add_server(args.scope, args.name, definition, cwd)
            out.write(f"Added MCP server {args.name} to {_where(args.scope)} scope: {path}\n")
            return 0
        if args.command == "remove":
            found = find_server(args.name, cwd)
            if args.scope:
                found = [f for f in found if f[0] == args.scope]
            if not found:
                raise ConfigError(f"no MCP server named {args.name!r}" + (f" in {args.scope} scope" if args.scope else ""))
            if len(found) > 1:
                scopes = ", ".join(f[0] for f in found)
                raise ConfigError(f"{args.name} is defined in several scopes ({scopes}); say which with --scope")
            path = remove_server(args.name, found[0][0], cwd)
            out.write(f"Removed MCP server {args.name} from {_where(found[0][0])} scope: {path}\n")
            return 0
        if args.command == "get":
            return _get(args.name, cwd, out)
        if args.command == "logout":
            return _logout(args.name, cwd, out)
        if args.command == "list":
            return asyncio.run(_list(cwd, out))
    except ConfigError as exc:
        err.write(f"claw mcp: {exc}\n")
        return 1
    return 2


def _get(name: str, cwd: Path, out: Any) -> int:
    cfg = load_config(cwd)
    spec = cfg.servers.get(name)
    if spec is None:
        raise ConfigError(f"no MCP server named {name!r}; claw mcp list shows them")
    out.write(f"{name}:\n  scope: {_where(spec.scope) if spec.scope in WRITABLE_SCOPES else spec.scope} "
              f"({spec.source})\n  type: {spec.type}\n")
    if spec.type == "stdio":
        out.write(f"  command: {spec.raw.get('command')}\n  args: {' '.join(map(str, spec.raw.get('args') or []))}\n")
        for key, value in (spec.raw.get("env") or {}).items():
            out.write(f"  env: {key}={value}\n")
    else:
        out.write(f"  url: {spec.raw.get('url')}\n")
        for key, value in (spec.raw.get("headers") or {}).items():
            out.write(f"  header: {key}: {value}\n")
    if spec.error:
        out.write(f"  problem: {spec.error}\n")
    if spec.unsupported:
        out.write(f"  unsupported: {spec.unsupported}\n")
    out.write(f"  tools are named mcp__{spec.key}__<tool>\n")
    for other in cfg.shadowed:
        if other.name == name:
            out.write(f"  (also defined in {other.scope} scope, {other.source}: hidden by this one)\n")
    return 0


def _logout(name: str, cwd: Path, out: Any) -> int:
    from claw_tui.mcp.oauth import forget_tokens

    spec = load_config(cwd).servers.get(name)
    if spec is None:
        raise ConfigError(f"no MCP server named {name!r}")
    if not spec.remote:
        raise ConfigError(f"{name} is a {spec.type} server; only remote servers sign in")
    out.write(f"Signed out of {name}.\n" if forget_tokens(spec) else f"{name} had no stored sign-in.\n")
    return 0


async def _list(cwd: Path, out: Any) -> int:
    from claw_tui.bus import EventBus
    from claw_tui.mcp.manager import CONNECTED, REFUSED, McpManager

    cfg = load_config(cwd)
    for problem in cfg.problems:
        out.write(f"problem: {problem}\n")
    if not cfg.servers:
        out.write("No MCP servers configured. Add one with: claw mcp add NAME -- COMMAND [ARGS...]\n")
        return 0
    out.write("Checking MCP server health…\n\n")
    # A check must not run a project server nobody approved, nor start a browser sign-in.
    manager = McpManager(cfg, workspace=cwd, bus=EventBus(), on_tools=lambda _o, _t: None,
                         approval_mode=lambda: "refuse")
    manager.auth_timeout = 0.01
    manager.start()
    try:
        await manager.wait_ready(timeout=manager.startup_timeout + 5)
    except asyncio.TimeoutError:
        pass
    for server in manager.servers.values():
        spec = server.spec
        where = spec.describe()
        if server.status == CONNECTED:
            state = f"✓ connected ({len(server.tools)} tools)"
        elif server.status == REFUSED and spec.needs_approval:
            state = "needs approval: open claw in this folder to approve it"
        else:
            state = f"✗ {server.status}" + (f": {server.last_error}" if server.last_error else "")
        out.write(f"{server.name}: {where} ({spec.type}, {spec.scope}) - {state}\n")
    await manager.close()
    return 0
