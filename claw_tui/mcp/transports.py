"""How claw reaches a server: stdio, SSE, streamable HTTP, WebSocket, or in-process.

Every transport is an async context manager yielding the SDK's ``(read, write)``
stream pair, so one :class:`mcp.ClientSession` (through :class:`mcp.Client`)
drives all of them. The SDK has no WebSocket client: :func:`websocket_client`
bridges a ``websockets`` connection to that stream pair. :func:`watched` sits
between any transport and the session and tells the manager when the server went
away (EOF) or sent something that is not JSON-RPC, which the session alone would
only log.

Only imported when a server starts: it imports the mcp SDK.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage

from claw_tui.mcp.config import ServerSpec

log = logging.getLogger(__name__)

# Provider keys stay with claw: a server that needs one says so in its "env" (${ANTHROPIC_API_KEY}).
_WITHHELD_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY")
# The most one WebSocket message may carry (a large resource read is a few MB).
_WS_MAX_MESSAGE = 32 * 1024 * 1024

# In-process servers by name: plugins register them (entry-point group "claw.mcp_servers"),
# and an ``{"type": "sdk", "name": ...}`` definition refers to one.
SDK_SERVERS: dict[str, Any] = {}
SDK_ENTRY_POINT_GROUP = "claw.mcp_servers"


def register_sdk_server(name: str, server: Any) -> None:
    """Offer an in-process server (an ``mcp.server.mcpserver.MCPServer`` or lowlevel ``Server``)."""
    SDK_SERVERS[name] = server


def plugin_sdk_servers() -> tuple[dict[str, Any], list[str]]:
    """In-process servers of installed plugins (``claw.mcp_servers`` entry points): each names
    an MCPServer / Server object or a callable returning one. Problems are one line each."""
    from importlib.metadata import entry_points

    servers: dict[str, Any] = {}
    problems: list[str] = []
    try:
        found = list(entry_points(group=SDK_ENTRY_POINT_GROUP))
    except Exception as exc:  # a broken installed distribution must not stop claw
        return {}, [f"could not list MCP server plugins: {type(exc).__name__}: {exc}"]
    for ep in found:
        try:
            obj = ep.load()
            server = obj() if callable(obj) and not _is_sdk_server(obj) else obj
            if not _is_sdk_server(server):
                raise TypeError(f"it is a {type(server).__name__}, not an MCP server object")
        except (Exception, SystemExit) as exc:
            problems.append(f"MCP server plugin {ep.name!r} ({ep.value}) was not loaded: {type(exc).__name__}: {exc}")
            continue
        servers.setdefault(ep.name, server)
    return servers, problems


def _is_sdk_server(obj: Any) -> bool:
    from mcp.server import Server
    from mcp.server.mcpserver import MCPServer

    return isinstance(obj, (Server, MCPServer))


def stdio_environment(spec: ServerSpec, workspace: Path) -> dict[str, str]:
    """The server's environment: claw's own (as Claude Code passes it, less the provider keys),
    the project directory, then the definition's ``env``."""
    env = {k: v for k, v in os.environ.items() if k not in _WITHHELD_ENV}
    env["CLAW_PROJECT_DIR"] = str(workspace)
    env.setdefault("CLAUDE_PROJECT_DIR", str(workspace))
    env.update(spec.env)
    return env


@asynccontextmanager
async def stdio_transport(spec: ServerSpec, workspace: Path, errlog: TextIO) -> AsyncIterator[Any]:
    from mcp.client.stdio import StdioServerParameters, stdio_client

    cwd = Path(os.path.expanduser(spec.cwd)) if spec.cwd else workspace
    if not cwd.is_absolute():
        cwd = workspace / cwd
    params = StdioServerParameters(command=spec.command, args=spec.args, env=stdio_environment(spec, workspace),
                                   cwd=str(cwd), encoding_error_handler="replace")
    try:
        cm = stdio_client(params, errlog=errlog)  # never the terminal: the TUI draws there
        streams = await cm.__aenter__()
    except FileNotFoundError:
        raise ConnectionError(f"command not found: {spec.command} (is it installed and on PATH?)") from None
    except PermissionError:
        raise ConnectionError(f"command is not executable: {spec.command}") from None
    try:
        yield streams
    except BaseException as exc:
        if not await cm.__aexit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        await cm.__aexit__(None, None, None)


@asynccontextmanager
async def http_transport(spec: ServerSpec, auth: Any, timeout: float) -> AsyncIterator[Any]:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import MCP_DEFAULT_SSE_READ_TIMEOUT, create_mcp_http_client

    client = create_mcp_http_client(headers=spec.headers or None, auth=auth,
                                    timeout=httpx2.Timeout(timeout, read=MCP_DEFAULT_SSE_READ_TIMEOUT))
    async with client, streamable_http_client(spec.url, http_client=client) as streams:
        yield streams


@asynccontextmanager
async def sse_transport(spec: ServerSpec, auth: Any, timeout: float) -> AsyncIterator[Any]:
    from mcp.client.sse import sse_client

    async with sse_client(spec.url, headers=spec.headers or None, auth=auth, timeout=timeout) as streams:
        yield streams


@asynccontextmanager
async def websocket_client(url: str, headers: dict[str, str] | None = None,
                           open_timeout: float = 10.0) -> AsyncIterator[Any]:
    """MCP over a WebSocket (subprotocol ``mcp``): one JSON-RPC message per text frame.

    The SDK ships no WebSocket client, so this bridges a ``websockets`` connection to the
    stream pair its ClientSession runs on. A frame that is not JSON-RPC is passed on as an
    exception (as the SDK's own transports do), and the read stream ends when the socket
    closes, so pending requests fail at once instead of waiting out their timeout.
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)
    async with connect(url, subprotocols=["mcp"], additional_headers=headers or None,  # type: ignore[list-item]
                       open_timeout=open_timeout, max_size=_WS_MAX_MESSAGE, proxy=None) as ws:

        async def reader() -> None:
            async with read_writer:
                try:
                    async for frame in ws:
                        try:
                            message = types.jsonrpc_message_adapter.validate_json(frame, by_name=False)
                        except ValueError as exc:
                            await read_writer.send(exc)
                            continue
                        await read_writer.send(SessionMessage(message))
                except (ConnectionClosed, anyio.ClosedResourceError, anyio.BrokenResourceError):
                    pass

        async def writer() -> None:
            async with write_reader:
                try:
                    async for session_message in write_reader:
                        await ws.send(session_message.message.model_dump_json(by_alias=True, exclude_unset=True))
                except ConnectionClosed:
                    # The server is gone: end the read side too, so the session sees it.
                    await read_writer.aclose()

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            tg.start_soon(writer)
            try:
                yield read_stream, write_stream
            finally:
                tg.cancel_scope.cancel()
                await write_stream.aclose()
                await read_stream.aclose()


@asynccontextmanager
async def watched(transport: Any, *, on_closed: Callable[[], None],
                  on_garbage: Callable[[Exception], None]) -> AsyncIterator[Any]:
    """``transport`` with its read side relayed, to learn that the server went away
    (``on_closed``) or sent something that is not JSON-RPC (``on_garbage``)."""
    async with transport as (read, write):
        relay_writer, relay_read = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def relay() -> None:
            try:
                async with relay_writer:
                    async for item in read:
                        if isinstance(item, Exception):
                            on_garbage(item)
                        await relay_writer.send(item)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream):
                pass
            except Exception as exc:  # a transport failing under the read
                log.debug("MCP transport read failed: %r", exc)
            finally:
                on_closed()

        async with anyio.create_task_group() as tg:
            tg.start_soon(relay)
            try:
                yield relay_read, write
            finally:
                tg.cancel_scope.cancel()
                await relay_read.aclose()
