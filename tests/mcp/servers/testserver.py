"""MCP servers for claw's tests, built on the mcp SDK (MCPServer).

    python testserver.py stdio [--label L] [--tools-file F] [--noisy] [--exit-after SECONDS]
    python testserver.py net --sse-port A --http-port B --ws-port C    (all three at once)
    python testserver.py garbage        answers every line with text that is not JSON-RPC
    python testserver.py hang           reads requests and never answers

Tools: echo(text), add(a, b), whoami(), crash() (the process exits mid-call),
sleep(seconds), grow() (adds a tool named grown while running); a resource test://readme and a prompt greet(name). With
--tools-file, only the tools named in that JSON list are offered (to change a
server's tool list without changing its definition).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time


def build(label: str, tools_file: str | None = None, exit_after: float | None = None):
    from contextlib import asynccontextmanager

    from mcp.server.mcpserver import Context, MCPServer

    # Tool signatures are read from their (postponed) annotations, in this module's globals.
    globals()["Context"] = Context

    @asynccontextmanager
    async def dies_soon(_server):
        # Counted from when the server starts serving, not from the (slow) imports.
        import threading

        threading.Timer(exit_after, lambda: os._exit(4)).start()
        yield {}

    server = MCPServer(f"claw-test-{label}", log_level="WARNING",
                       lifespan=dies_soon if exit_after is not None else None)
    wanted = None
    if tools_file:
        with open(tools_file) as f:
            wanted = set(json.load(f))

    def tool(fn):
        if wanted is None or fn.__name__ in wanted:
            server.tool()(fn)
        return fn

    @tool
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return f"{label} echo: {text}"

    @tool
    def add(a: int, b: int) -> str:
        """Add two integers."""
        return f"{label} sum: {a + b}"

    @tool
    def whoami() -> str:
        """Say which test server this is."""
        return f"I am {label}, pid {os.getpid()}"

    @tool
    def crash() -> str:
        """Exit the server process in the middle of the call."""
        sys.stderr.write("crashing now\n")
        sys.stderr.flush()
        os._exit(3)

    @tool
    async def sleep(seconds: float) -> str:
        """Sleep, then answer."""
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    @tool
    async def grow(ctx: Context) -> str:
        """Add a tool named grown, and tell the client the tool list changed."""

        def grown() -> str:
            """A tool that appeared while the server ran."""
            return "grown answers"

        server.add_tool(grown)
        await ctx.notify_tools_changed()
        return "grew a tool"

    @server.resource("test://readme", name="readme", description="The test readme", mime_type="text/plain")
    def readme() -> str:
        return f"README of {label}: resources work."

    @server.prompt(description="Greet someone")
    def greet(name: str) -> str:
        return f"Please greet {name} warmly, from {label}."

    return server


async def serve_ws(server, port: int) -> None:
    """MCP over WebSocket (subprotocol "mcp"), bridged to the SDK's lowlevel server."""
    import anyio
    import mcp_types as types
    from mcp.shared.message import SessionMessage
    from websockets.asyncio.server import serve

    low = server._lowlevel_server

    async def handler(ws):
        read_writer, read_stream = anyio.create_memory_object_stream(0)
        write_stream, write_reader = anyio.create_memory_object_stream(0)

        async def reader():
            async with read_writer:
                try:
                    async for frame in ws:
                        try:
                            msg = types.jsonrpc_message_adapter.validate_json(frame, by_name=False)
                        except ValueError as exc:
                            await read_writer.send(exc)
                            continue
                        await read_writer.send(SessionMessage(msg))
                except Exception:
                    pass

        async def writer():
            async with write_reader:
                async for sm in write_reader:
                    await ws.send(sm.message.model_dump_json(by_alias=True, exclude_unset=True))

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            tg.start_soon(writer)
            await low.run(read_stream, write_stream, low.create_initialization_options())
            tg.cancel_scope.cancel()

    async with serve(handler, "127.0.0.1", port, subprotocols=["mcp"]):
        await asyncio.Event().wait()


async def serve_net(args) -> None:
    import uvicorn

    sse = build("sse-server")
    http = build("http-server")
    ws = build("ws-server")
    servers = [
        uvicorn.Server(uvicorn.Config(sse.sse_app(), host="127.0.0.1", port=args.sse_port, log_level="warning")),
        uvicorn.Server(uvicorn.Config(http.streamable_http_app(), host="127.0.0.1", port=args.http_port,
                                      log_level="warning")),
    ]
    await asyncio.gather(*(s.serve() for s in servers), serve_ws(ws, args.ws_port))


def garbage() -> None:
    for _line in sys.stdin:
        sys.stdout.write("this is not json at all\n")
        sys.stdout.flush()


def hang() -> None:
    for _line in sys.stdin:
        time.sleep(0.01)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["stdio", "net", "garbage", "hang"])
    p.add_argument("--label", default="stdio-server")
    p.add_argument("--tools-file")
    p.add_argument("--noisy", action="store_true", help="write to stderr while starting")
    p.add_argument("--exit-after", type=float, help="exit this many seconds after starting (a server that dies)")
    p.add_argument("--sse-port", type=int)
    p.add_argument("--http-port", type=int)
    p.add_argument("--ws-port", type=int)
    args = p.parse_args()
    if args.mode == "garbage":
        garbage()
    elif args.mode == "hang":
        hang()
    elif args.mode == "net":
        asyncio.run(serve_net(args))
    else:
        if args.noisy:
            sys.stderr.write("NOISY-STDERR-MARKER: starting up\n")
            sys.stderr.flush()
        build(args.label, args.tools_file, args.exit_after).run("stdio")


if __name__ == "__main__":
    main()
