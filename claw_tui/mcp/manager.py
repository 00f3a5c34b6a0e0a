"""The session's MCP servers: starting them in the background, approving project
servers, registering their tools, restarting the ones that crash, and stopping
them all when the session closes.

Lifecycle of one server (its ``status``)::

    config error / unsupported            (never started; the reason is shown)
    waiting for folder trust              (a project server before the folder is trusted)
    awaiting approval → refused           (a new or changed project server, or changed tools)
    connecting → connected                (start-up, initialize and listing within MCP_TIMEOUT)
       ↘ failed                           (the first start failed: not retried by itself)
    connected → restarting → connected    (it crashed: restarted after 1, 2, 4, … 30 s)
       ↘ failed                           (it kept crashing: given up after MAX_RESTARTS)

``/mcp reconnect NAME`` starts any of them again. Every change is published as
:class:`McpServerStatusChanged`; failures also as a :class:`Notice`.

Each server's connection lives in one task of its own (the SDK's client is a stack
of anyio scopes that must be entered and left by the same task); tool calls come
from the agent's tasks and use the connected client concurrently.

Approval (config hash): a project server (``.mcp.json``) runs only once its
definition's hash was approved, and when its tool list's hash differs from the
approved one it is asked about again. How is the session's choice
(``approval_mode``): "ask" through the bus (the UI's approval prompt), "refuse"
(headless: nobody to ask; a Notice says why), "accept" (headless told to trust
the folder). Other scopes are the person's own writing and are not asked about.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import shlex
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from claw_tui.bus import EventBus
from claw_tui.events import McpServerStatusChanged, Notice
from claw_tui.mcp import mcp_tool_name, normalize_name
from claw_tui.mcp.config import ApprovalStore, McpConfig, ServerSpec, tools_hash
from claw_tui.mcp.tools import ListMcpResourcesTool, McpCallError, McpTool, ReadMcpResourceTool
from claw_tui.tools.base import Tool

log = logging.getLogger(__name__)

ApprovalMode = Literal["ask", "refuse", "accept"]

PENDING = "pending"
CONFIG_ERROR = "config error"
UNSUPPORTED = "unsupported"
WAITING_TRUST = "waiting for folder trust"
AWAITING_APPROVAL = "awaiting approval"
REFUSED = "refused"
CONNECTING = "connecting"
AUTHORIZING = "needs authorization"
CONNECTED = "connected"
RESTARTING = "restarting"
FAILED = "failed"
STOPPED = "stopped"
# States a server stays in until something happens to it: headless stops waiting here.
SETTLED = frozenset({CONFIG_ERROR, UNSUPPORTED, WAITING_TRUST, REFUSED, CONNECTED, FAILED, STOPPED})

DEFAULT_STARTUP_TIMEOUT = 10.0
DEFAULT_TOOL_TIMEOUT = 600.0
MAX_RESTARTS = 5
RESTART_BASE_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
# A connection that lasted this long counts as healthy: its crash starts the backoff over.
STABLE_AFTER = 30.0


def _ms_env(env: dict[str, str], name: str) -> float | None:
    """Claude Code's MCP_TIMEOUT / MCP_TOOL_TIMEOUT: milliseconds."""
    value = env.get(name)
    if not value:
        return None
    try:
        ms = float(value)
    except ValueError:
        return None
    return ms / 1000 if ms > 0 else None


def default_log_dir() -> Path:
    import os

    from claw_tui.settings_files import user_config_dir

    if os.environ.get("CLAW_CONFIG_DIR"):
        return user_config_dir() / "logs" / "mcp"
    import platformdirs

    return Path(platformdirs.user_log_dir("claw")) / "mcp"


_SDK_LOGGERS = ("mcp", "mcp_types", "httpx2", "httpcore2", "websockets", "sse_starlette")


def route_sdk_logs(log_dir: Path) -> None:
    """The SDK logs a server's bad output and transport errors with tracebacks; without a
    handler Python prints them on stderr, which is the terminal the TUI draws on. They go
    to ``<log dir>/sdk.log`` instead (once per process)."""
    for name in _SDK_LOGGERS:
        logger = logging.getLogger(name)
        if any(getattr(h, "_claw_mcp", False) for h in logger.handlers):
            continue
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.FileHandler(log_dir / "sdk.log", encoding="utf-8", delay=True)
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        except OSError:
            handler = logging.NullHandler()
        handler._claw_mcp = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups from anyio task groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


@dataclass
class PromptCommand:
    """A server prompt offered as the slash command ``/mcp__<server>__<prompt>``."""

    command: str
    server: str
    prompt: str
    description: str
    arguments: list[tuple[str, bool, str]] = field(default_factory=list)  # (name, required, description)

    @property
    def argument_hint(self) -> str:
        return " ".join(f"<{n}>" if req else f"[{n}]" for n, req, _ in self.arguments)


class McpServer:
    """One configured server and its connection."""

    def __init__(self, manager: McpManager, spec: ServerSpec) -> None:
        self.manager = manager
        self.spec = spec
        self.name = spec.name
        self.status = PENDING
        self.last_error: str | None = None
        self.detail = ""
        self.remote_tools: list[Any] = []
        self.tools: list[McpTool] = []
        self.prompts: list[Any] = []
        self.has_resources = False
        self.client: Any = None
        self.restarts = 0
        self.auth_url: str | None = None
        self.log_path = manager.log_dir / f"{spec.key}.log"
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._end_reason = ""
        self._stopping = False
        self._reconnect = False
        self._garbage_reason: str | None = None
        self._garbage_waiters: set[asyncio.Future[str]] = set()
        self._scope: Any = None
        self._connected_at = 0.0
        self._settled = asyncio.Event()
        self._changed = asyncio.Event()
        self._refresh: asyncio.Task[None] | None = None

    # -- state ---------------------------------------------------------------------

    @property
    def transport(self) -> str:
        return self.spec.type

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _set(self, status: str, error: str | None = None, detail: str = "") -> None:
        self.status = status
        if error is not None:
            self.last_error = error
        self.detail = detail
        if status in SETTLED:
            self._settled.set()
        else:
            self._settled.clear()
        self._changed.set()
        self.manager.bus.publish(McpServerStatusChanged(
            server=self.name, status=status, scope=self.spec.scope, transport=self.spec.type,
            error=self.last_error if status not in (CONNECTED, CONNECTING) else None, detail=detail,
            tools=tuple(t.name for t in self.tools),
        ))

    def _notice(self, level: Literal["info", "warning", "error"], text: str) -> None:
        self.manager.bus.publish(Notice(level=level, text=text))

    def _where_to_look(self) -> str:
        return f" (server log: {self.log_path})" if self.spec.type == "stdio" else ""

    def _log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        tail = [line for line in text.splitlines() if line.strip() and not line.startswith("--- ")][-lines:]
        return " | ".join(t.strip()[:200] for t in tail)

    # -- running -------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"mcp:{self.name}")

    async def _run(self) -> None:
        try:
            if not await self._gate():
                return
            failures = 0
            first = True
            while not self._stopping:
                self._reconnect = False
                error = await self._serve_once()
                if self._stopping or self.status == REFUSED:
                    break
                if self._reconnect:
                    failures, first = 0, True
                    continue
                was_connected = self._connected_at > 0
                lasted = time.monotonic() - self._connected_at if was_connected else 0.0
                self._connected_at = 0.0
                if first and not was_connected:
                    self._set(FAILED, error)
                    self._notice("error", f"MCP server {self.name} failed to start: {error}{self._where_to_look()}")
                    return
                first = False
                if lasted >= STABLE_AFTER:
                    failures = 0
                failures += 1
                limit = self.manager.max_restarts
                if failures > limit:
                    times = f"{limit} restart{'s' if limit != 1 else ''}"
                    self._set(FAILED, f"{error} (gave up after {times})")
                    self._notice("error", f"MCP server {self.name} keeps failing ({error}); gave up after "
                                          f"{times}. /mcp reconnect {self.name} tries again."
                                          f"{self._where_to_look()}")
                    return
                delay = min(self.manager.restart_delay * 2 ** (failures - 1), MAX_RESTART_DELAY)
                self._set(RESTARTING, error, detail=f"restart {failures} of {limit} in {delay:g} s")
                self._notice("warning", f"MCP server {self.name} stopped: {error}. Restarting in {delay:g} s."
                                        f"{self._where_to_look()}")
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                self.restarts += 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must cost one server, never the session
            log.exception("MCP server %s: runner failed", self.name)
            self._set(FAILED, f"{type(exc).__name__}: {exc}")
        finally:
            if self._stopping and self.status not in (REFUSED, FAILED):
                self._set(STOPPED)
            self._settled.set()

    async def _gate(self) -> bool:
        """Whether this server may start: configured right, trusted, approved."""
        spec = self.spec
        if spec.error:
            self._set(CONFIG_ERROR, f"{spec.error} ({spec.source})")
            self._notice("error", f"MCP server {self.name} is not started: {spec.error} ({spec.source})")
            return False
        if spec.unsupported:
            self._set(UNSUPPORTED, spec.unsupported)
            self._notice("warning", f"MCP server {self.name} is not supported: {spec.unsupported}")
            return False
        if spec.needs_approval:
            if not self.manager.trusted():
                self._set(WAITING_TRUST, f"a project server from {spec.source} starts once you trust this folder")
                return False
            approved = self.manager.approvals.get(self.name)
            digest = spec.definition_hash()
            if approved.get("definition") != digest:
                reason = "changed" if approved.get("definition") else "new"
                return await self.manager.approve(self, reason, {"definition": digest})
        return True

    async def _serve_once(self) -> str:
        """Connect, serve until the connection ends; returns why it ended."""
        import anyio
        from mcp import Client
        from mcp_types import Implementation

        from claw_tui import __version__

        self._set(CONNECTING)
        self._wake.clear()
        self._end_reason = ""
        self._garbage_reason = None
        timeout = self.manager.startup_timeout
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                scope.deadline = anyio.current_time() + timeout
                async with AsyncExitStack() as stack:
                    target = self._target(stack)
                    client = Client(target, mode="auto", cache=None, message_handler=self._on_message,
                                    logging_callback=self._on_log,
                                    client_info=Implementation(name="claw", version=__version__))
                    await stack.enter_async_context(client)
                    if self._garbage_reason:
                        return self._garbage_reason
                    await self._load_lists(client)
                    scope.deadline = math.inf
                    self.client = client
                    if not await self._approve_tools():
                        return "refused"
                    self._connected_at = time.monotonic()
                    self._make_tools()
                    self._set(CONNECTED, detail=f"{len(self.tools)} tools")
                    if self.restarts:
                        self._notice("info", f"MCP server {self.name} is connected again.")
                    self.manager._server_ready(self)
                    listening = self._listen_for_changes(client, stack)
                    await self._wake.wait()
                    if listening is not None:
                        listening.cancel()
                    return self._end_reason or "the connection ended"
            if self._garbage_reason:
                return self._garbage_reason
            if scope.cancelled_caught:
                return f"it did not finish starting within {timeout:g} s (MCP_TIMEOUT)"
            return self._end_reason or "the connection ended"
        except Exception as exc:
            return self._describe(_leaf(exc))
        finally:
            self.client = None
            self._scope = None
            self._fail_waiters(self._end_reason or "the connection ended")

    def _target(self, stack: AsyncExitStack) -> Any:
        from claw_tui.mcp import transports

        spec = self.spec
        if spec.type == "sdk":
            server = self.manager.sdk_servers.get(spec.sdk_name) or transports.SDK_SERVERS.get(spec.sdk_name)
            if server is None:
                raise ConnectionError(f"no in-process server named {spec.sdk_name!r} is registered "
                                      "(a plugin provides it through the claw.mcp_servers entry point)")
            return server
        timeout = self.manager.startup_timeout
        if spec.type == "stdio":
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            errlog = stack.enter_context(open(self.log_path, "a", encoding="utf-8", errors="replace", buffering=1))
            errlog.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {spec.describe()}\n")
            inner = transports.stdio_transport(spec, self.manager.workspace, errlog)
        elif spec.type == "ws":
            inner = transports.websocket_client(spec.url, spec.headers, open_timeout=timeout)
        else:
            auth = self._oauth() if not any(k.lower() == "authorization" for k in spec.headers) else None
            make = transports.http_transport if spec.type == "http" else transports.sse_transport
            inner = make(spec, auth, timeout)
        return transports.watched(inner, on_closed=self._on_closed, on_garbage=self._on_garbage)

    def _oauth(self) -> Any:
        from claw_tui.mcp.oauth import make_oauth_provider

        def on_authorize(url: str) -> None:
            # A person signs in now: a start-up waits for them instead of timing out.
            if not self._connected_at and self._scope is not None:
                self._scope.deadline = math.inf
            self.auth_url = url
            self._set(AUTHORIZING, detail="waiting for you to sign in in the browser")
            self._notice("warning", f"MCP server {self.name} needs you to sign in. Opening your browser; if it does "
                                    f"not open, visit: {url}")

        def on_authorized() -> None:
            import anyio

            self.auth_url = None
            if self._connected_at:  # signed in again while connected (the server refused the old token)
                self._set(CONNECTED, detail=f"{len(self.tools)} tools")
                return
            if self._scope is not None:
                self._scope.deadline = anyio.current_time() + self.manager.startup_timeout
            self._set(CONNECTING, detail="signed in")

        return make_oauth_provider(self.spec, on_authorize=on_authorize, on_authorized=on_authorized,
                                   auth_timeout=self.manager.auth_timeout)

    def _describe(self, exc: BaseException) -> str:
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
        from pydantic import ValidationError

        if self._garbage_reason:
            return self._garbage_reason
        if isinstance(exc, MCPError):
            if exc.code == CONNECTION_CLOSED:
                tail = self._log_tail() if self.spec.type == "stdio" else ""
                what = "the server exited" if self.spec.type == "stdio" else "the connection closed"
                return f"{what} before it finished starting" + (f"; its last output: {tail}" if tail else "")
            if exc.code == REQUEST_TIMEOUT:
                return "it did not answer in time"
            return f"it answered with error {exc.code}: {exc.message}"
        if isinstance(exc, ValidationError):
            return f"it answered with something that is not valid MCP: {exc.errors()[0].get('msg', exc)}"
        name = type(exc).__name__
        if name in ("ConnectError", "ConnectTimeout") or isinstance(exc, ConnectionRefusedError):
            return f"cannot connect to {self.spec.url}: {exc or name}"
        if name == "HTTPStatusError":
            return f"{self.spec.url} answered HTTP {getattr(getattr(exc, 'response', None), 'status_code', '?')}"
        if name == "InvalidStatus":
            return f"{self.spec.url} refused the WebSocket: {exc}"
        if isinstance(exc, ConnectionError):
            return str(exc)
        return f"{name}: {exc}" if str(exc) else name

    async def _load_lists(self, client: Any) -> None:
        caps = client.server_capabilities
        tools: list[Any] = []
        if caps.tools is not None:
            cursor = None
            for _ in range(100):
                page = await client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if not cursor:
                    break
        self.remote_tools = tools
        prompts: list[Any] = []
        if caps.prompts is not None:
            with contextlib.suppress(Exception):  # prompts are optional: a broken listing loses only them
                prompts = list((await client.list_prompts()).prompts)
        self.prompts = prompts
        self.has_resources = caps.resources is not None

    def _tool_dicts(self) -> list[dict[str, Any]]:
        return [{"name": t.name, "description": t.description, "input_schema": t.input_schema}
                for t in self.remote_tools]

    async def _approve_tools(self) -> bool:
        """A project server's tool list must be the approved one (the first one seen is)."""
        if not self.spec.needs_approval:
            return True
        store = self.manager.approvals
        digest = tools_hash(self._tool_dicts())
        names = sorted(t.name for t in self.remote_tools)
        approved = store.get(self.name)
        if approved.get("tools") == digest:
            return True
        if approved.get("tools") is None:
            # The definition was approved just now or earlier: its first tool list goes with it.
            persist = store.saved(self.name).get("definition") == self.spec.definition_hash()
            store.remember(self.name, persist=persist, tools=digest, tool_names=names)
            return True
        old = set(approved.get("tool_names") or [])
        changes = {"added": sorted(set(names) - old), "removed": sorted(old - set(names))}
        return await self.manager.approve(self, "tools_changed", {"tools": digest, "tool_names": names}, changes)

    def _make_tools(self) -> None:
        self.tools = [McpTool(self, t) for t in self.remote_tools]

    def _listen_for_changes(self, client: Any, stack: AsyncExitStack) -> asyncio.Task[None] | None:
        """On 2026-era connections list changes arrive only through ``subscriptions/listen``."""
        from mcp_types.version import MODERN_PROTOCOL_VERSIONS

        caps = client.server_capabilities
        wanted = bool(caps.tools and caps.tools.list_changed) or bool(caps.prompts and caps.prompts.list_changed)
        if not wanted or client.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            return None

        async def listen() -> None:
            with contextlib.suppress(Exception):
                async with client.listen(tools_list_changed=True, prompts_list_changed=True) as sub:
                    async for _event in sub:
                        self._schedule_refresh()

        return asyncio.get_running_loop().create_task(listen(), name=f"mcp-listen:{self.name}")

    # -- events from the connection ------------------------------------------------------

    def _on_closed(self) -> None:
        if not self._end_reason:
            self._end_reason = ("the server process exited" if self.spec.type == "stdio"
                                else "the connection closed")
        self._wake.set()

    def _on_garbage(self, exc: Exception) -> None:
        text = str(exc)
        errors = getattr(exc, "errors", None)
        if callable(errors):
            with contextlib.suppress(Exception):
                first = errors()[0]
                text = repr(str(first.get("input", ""))[:120])
        reason = f"it sent something that is not MCP (JSON-RPC): {text}"
        self.last_error = reason
        if self.status != CONNECTED:
            self._garbage_reason = reason
            if self._scope is not None:
                self._scope.cancel()
        self._fail_waiters(reason)

    def _fail_waiters(self, reason: str) -> None:
        for waiter in list(self._garbage_waiters):
            if not waiter.done():
                waiter.set_result(reason)

    async def _on_message(self, message: Any) -> None:
        from mcp_types import PromptListChangedNotification, ToolListChangedNotification

        if isinstance(message, (ToolListChangedNotification, PromptListChangedNotification)):
            self._schedule_refresh()

    async def _on_log(self, params: Any) -> None:
        with contextlib.suppress(OSError):
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "a", encoding="utf-8", errors="replace") as f:
                f.write(f"[{params.level}] {params.data}\n")

    def _schedule_refresh(self) -> None:
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.get_running_loop().create_task(self._refresh_lists(),
                                                                   name=f"mcp-refresh:{self.name}")

    async def _refresh_lists(self) -> None:
        client = self.client
        if client is None:
            return
        try:
            await self._load_lists(client)
        except Exception as exc:
            log.debug("MCP server %s: relisting failed: %r", self.name, exc)
            return
        # Changed tools are off until approved (a project server), then offered as they are now.
        self.manager._unregister(self)
        if not await self._approve_tools():
            self.tools = []
            self._end_reason = "refused"
            self._wake.set()
            return
        self._make_tools()
        self._set(CONNECTED, detail=f"{len(self.tools)} tools")
        self.manager._server_ready(self)

    # -- control ------------------------------------------------------------------------

    def request_reconnect(self) -> None:
        self._reconnect = True
        self._end_reason = "reconnect requested"
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._end_reason = "stopped"
        self._wake.set()

    # -- calls -----------------------------------------------------------------------

    def _unavailable(self) -> str:
        why = f": {self.last_error}" if self.last_error else ""
        if self.status == RESTARTING:
            return f"the server is restarting ({self.detail}){why}. Try again shortly."
        if self.status in (CONNECTING, PENDING, AUTHORIZING, AWAITING_APPROVAL):
            return f"the server is not ready yet ({self.status}). Try again shortly."
        return f"the server is {self.status}{why}"

    async def _wait_while_coming_back(self) -> None:
        """A server restarting after a crash (or whose connection just ended) is waited for,
        so a call right after a crash runs once it is back instead of failing."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.manager.startup_timeout + MAX_RESTART_DELAY
        while self.running and (self.status in (RESTARTING, CONNECTING)
                                or (self.status == CONNECTED and self._wake.is_set())):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def call_tool(self, tool: str, arguments: dict[str, Any]) -> Any:
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
        from pydantic import ValidationError

        await self._wait_while_coming_back()
        client = self.client
        if client is None or self.status != CONNECTED:
            raise McpCallError(self._unavailable())
        timeout = self.manager.tool_timeout
        loop = asyncio.get_running_loop()
        broken: asyncio.Future[str] = loop.create_future()
        self._garbage_waiters.add(broken)
        call = loop.create_task(client.call_tool(tool, arguments, read_timeout_seconds=timeout))
        try:
            done, _ = await asyncio.wait({call, broken}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            call.cancel()
            with contextlib.suppress(BaseException):
                await call
            raise
        finally:
            self._garbage_waiters.discard(broken)
        if call not in done:
            call.cancel()
            with contextlib.suppress(BaseException):
                await call
            raise McpCallError(f"{broken.result()}; the call to {tool} was abandoned")
        try:
            return call.result()
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise McpCallError(f"{tool} did not answer within {timeout:g} s (MCP_TOOL_TIMEOUT); the call was "
                                   "cancelled") from None
            if exc.code == CONNECTION_CLOSED:
                reason = self._end_reason or "the connection closed"
                raise McpCallError(f"{reason} during the call to {tool}; claw restarts the server, so the call can "
                                   "be tried again shortly") from None
            raise McpCallError(f"{tool} failed with error {exc.code}: {exc.message}") from None
        except ValidationError as exc:
            raise McpCallError(f"{tool} answered with something that is not a valid MCP result: "
                               f"{exc.errors()[0].get('msg', exc)}") from None
        except RuntimeError as exc:
            raise McpCallError(f"{tool} needs something claw cannot give: {exc}") from None
        except Exception as exc:  # a transport failing under the call: the connection is gone
            reason = self._describe(_leaf(exc))
            if not self._end_reason:
                self._end_reason = reason
            self._wake.set()
            raise McpCallError(f"{reason} (during the call to {tool}); claw reconnects the server") from None

    async def read_resource(self, uri: str) -> Any:
        await self._wait_while_coming_back()
        client = self.client
        if client is None or self.status != CONNECTED:
            raise McpCallError(f"MCP server {self.name}: {self._unavailable()}")
        try:
            return await asyncio.wait_for(client.read_resource(uri), self.manager.tool_timeout)
        except asyncio.TimeoutError:
            raise McpCallError(f"MCP server {self.name} did not answer within "
                               f"{self.manager.tool_timeout:g} s") from None
        except Exception as exc:
            raise McpCallError(f"MCP server {self.name} could not read {uri}: {_error_text(exc)}") from None


def _error_text(exc: BaseException) -> str:
    exc = _leaf(exc)
    message = getattr(exc, "message", None)
    return str(message or exc or type(exc).__name__)


class McpManager:
    """Every MCP server of one session."""

    def __init__(
        self,
        config: McpConfig,
        *,
        workspace: Path,
        bus: EventBus,
        on_tools: Callable[[str, list[Tool]], None],
        trusted: Callable[[], bool] = lambda: True,
        approval_mode: Callable[[], ApprovalMode] = lambda: "ask",
        approvals: ApprovalStore | None = None,
        sdk_servers: dict[str, Any] | None = None,
        startup_timeout: float | None = None,
        tool_timeout: float | None = None,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        import os

        env = dict(os.environ) if env is None else env
        self.config = config
        self.workspace = workspace
        self.bus = bus
        self.on_tools = on_tools
        self.trusted = trusted
        self.approval_mode = approval_mode
        self.approvals = approvals or ApprovalStore(workspace)
        self.sdk_servers = dict(sdk_servers or {})
        self.startup_timeout = startup_timeout or _ms_env(env, "MCP_TIMEOUT") or DEFAULT_STARTUP_TIMEOUT
        self.tool_timeout = tool_timeout or _ms_env(env, "MCP_TOOL_TIMEOUT") or DEFAULT_TOOL_TIMEOUT
        self.auth_timeout = _ms_env(env, "MCP_OAUTH_TIMEOUT") or 300.0
        self.restart_delay = RESTART_BASE_DELAY
        self.max_restarts = MAX_RESTARTS
        self.log_dir = log_dir or default_log_dir()
        route_sdk_logs(self.log_dir)
        self.servers: dict[str, McpServer] = {name: McpServer(self, spec) for name, spec in config.servers.items()}
        self._resource_tools_added = False
        self._summary_task: asyncio.Task[None] | None = None
        self._started = False

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Start every server in the background; returns at once."""
        if self._started:
            return
        self._started = True
        for problem in self.config.problems:
            self.bus.publish(Notice(level="warning", text=f"MCP: {problem}"))
        for server in self.servers.values():
            server.start()
        if self.servers:
            self._summary_task = asyncio.get_running_loop().create_task(self._summarise(), name="mcp-summary")

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Until every server has connected, failed, or is waiting on something only a person can do."""
        waits = [s._settled.wait() for s in self.servers.values()]
        if waits:
            await asyncio.wait_for(asyncio.gather(*waits), timeout)

    async def _summarise(self) -> None:
        await self.wait_ready()
        parts = []
        for s in self.servers.values():
            if s.status == CONNECTED:
                parts.append(f"{s.name} ({len(s.tools)} tools)")
            else:
                parts.append(f"{s.name}: {s.status}")
        bad = any(s.status in (FAILED, CONFIG_ERROR, REFUSED, UNSUPPORTED) for s in self.servers.values())
        self.bus.publish(Notice(level="warning" if bad else "info",
                                text="MCP servers: " + ", ".join(parts) + "."))

    def trust_changed(self) -> None:
        """The folder became trusted: start the project servers that waited for it."""
        for server in self.servers.values():
            if server.status == WAITING_TRUST and self.trusted():
                server.start()

    async def reconnect(self, name: str) -> str:
        server = self.servers.get(name)
        if server is None:
            raise KeyError(name)
        if server.status == WAITING_TRUST and not self.trusted():
            return f"{name} waits for folder trust; trust the folder first."
        if server.running and server.status in (CONNECTED, CONNECTING, RESTARTING):
            server.request_reconnect()
            return f"Reconnecting {name}."
        if server.running:
            server._task.cancel()  # type: ignore[union-attr]
            with contextlib.suppress(BaseException):
                await server._task  # type: ignore[misc]
        server.restarts = 0
        server.start()
        return f"Starting {name}."

    async def close(self) -> None:
        if self._summary_task is not None:
            self._summary_task.cancel()
        for server in self.servers.values():
            await server.stop()
        tasks = [s._task for s in self.servers.values() if s._task is not None and not s._task.done()]
        # Awaiting an approval or a sign-in: nobody is coming; stop those at once.
        for s in self.servers.values():
            if s.status in (AWAITING_APPROVAL, AUTHORIZING) and s._task is not None:
                s._task.cancel()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=8)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)

    # -- approvals -------------------------------------------------------------------

    async def approve(self, server: McpServer, reason: str, values: dict[str, Any],
                      changes: dict[str, list[str]] | None = None) -> bool:
        """Ask (or decide, per approval_mode) whether a project server may run as it is now."""
        spec = server.spec
        what = {"new": "is new", "changed": "changed since it was approved",
                "tools_changed": "offers different tools than when it was approved"}[reason]
        mode = self.approval_mode()
        if mode == "accept":
            self.approvals.remember(server.name, persist=False, **values)
            self.bus.publish(Notice(level="info", text=f"Project MCP server {server.name} {what}; accepted because "
                                                       "this folder is trusted explicitly."))
            return True
        if mode == "refuse" or not self.bus.has_approver:
            message = (f"project MCP server {server.name} ({spec.source}) {what}, and nobody here can approve it, so "
                       "it is not used. Approve it once in the claw UI (/mcp), or give it with --mcp-config.")
            server._set(REFUSED, message)
            self.bus.publish(Notice(level="warning", text=message[0].upper() + message[1:]))
            return False
        server._set(AWAITING_APPROVAL, detail=what)
        change_text = ""
        if changes:
            bits = [f"{k}: {', '.join(v)}" for k, v in changes.items() if v]
            change_text = " (" + "; ".join(bits or ["descriptions or input schemas changed"]) + ")"
        description = (f"The project MCP server {server.name} from {spec.source} {what}{change_text}. "
                       f"{'Starting it runs: ' + spec.describe() if spec.type == 'stdio' else 'It connects to ' + spec.describe()}"
                       ". Allow it?")
        preview = {"kind": "mcp_server", "server": server.name, "scope": spec.scope, "source": spec.source,
                   "transport": spec.type, "reason": reason, "definition": spec.raw, **(changes or {})}
        decision = await self.bus.request_approval(
            agent_id="main", agent_name="main", call_id=f"mcp-server-{spec.key}", tool=f"mcp__{spec.key}",
            tool_input=dict(spec.raw), description=description, preview=preview,
        )
        if decision.allow:
            self.approvals.remember(server.name, persist=decision.scope == "always", **values)
            return True
        server._set(REFUSED, f"you did not approve it ({what}); /mcp reconnect {server.name} asks again")
        return False

    # -- tools ---------------------------------------------------------------------

    def _server_ready(self, server: McpServer) -> None:
        self.on_tools(server.name, list(server.tools))
        if server.has_resources and not self._resource_tools_added:
            self._resource_tools_added = True
            self.on_tools("", [ListMcpResourcesTool(self), ReadMcpResourceTool(self)])

    def _unregister(self, server: McpServer) -> None:
        self.on_tools(server.name, [])

    def status_rows(self) -> list[McpServer]:
        return list(self.servers.values())

    # -- resources ---------------------------------------------------------------------

    def _server(self, name: str) -> McpServer:
        server = self.servers.get(name)
        if server is None:
            by_key = {normalize_name(n): s for n, s in self.servers.items()}
            server = by_key.get(normalize_name(name))
        if server is None:
            raise McpCallError(f"no MCP server named {name!r}; servers: {', '.join(self.servers) or 'none'}")
        return server

    async def list_resources(self, name: str | None = None) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
        chosen = [self._server(name)] if name else list(self.servers.values())
        listing: dict[str, list[dict[str, Any]]] = {}
        problems: list[str] = []
        for server in chosen:
            if not server.has_resources or server.client is None or server.status != CONNECTED:
                if name:
                    why = "offers no resources" if server.status == CONNECTED else server._unavailable()
                    problems.append(f"{server.name}: {why}")
                continue
            try:
                items: list[dict[str, Any]] = []
                cursor = None
                for _ in range(20):
                    page = await asyncio.wait_for(server.client.list_resources(cursor=cursor), self.tool_timeout)
                    items += [{"uri": str(r.uri), "name": r.name, "description": r.description,
                               "mime_type": r.mime_type} for r in page.resources]
                    cursor = page.next_cursor
                    if not cursor:
                        break
                listing[server.name] = items
            except Exception as exc:
                problems.append(f"{server.name}: listing failed: {_error_text(exc)}")
        return listing, problems

    async def read_resource(self, name: str, uri: str) -> Any:
        return await self._server(name).read_resource(uri)

    # -- prompts ---------------------------------------------------------------------

    def prompt_commands(self) -> list[PromptCommand]:
        out = []
        for server in self.servers.values():
            if server.status != CONNECTED:
                continue
            for p in server.prompts:
                args = [(a.name, bool(a.required), a.description or "") for a in (p.arguments or [])]
                out.append(PromptCommand(command=mcp_tool_name(server.name, p.name), server=server.name,
                                         prompt=p.name, description=p.description or f"Prompt from {server.name}",
                                         arguments=args))
        return out

    async def run_prompt(self, command: str, text: str) -> str:
        """The prompt's messages as one text to send to the agent. Raises McpCallError."""
        found = {c.command: c for c in self.prompt_commands()}.get(command)
        if found is None:
            raise McpCallError(f"/{command} is not a prompt of a connected MCP server")
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.split()
        values: dict[str, str] = {}
        names = [n for n, _, _ in found.arguments]
        positional: list[str] = []
        for word in words:
            key, eq, value = word.partition("=")
            if eq and key in names:
                values[key] = value
            else:
                positional.append(word)
        for name in names:
            if name not in values and positional:
                values[name] = positional.pop(0)
        if positional:
            last = names[-1] if names else None
            if last is None:
                raise McpCallError(f"/{command} takes no arguments")
            values[last] = " ".join([values.get(last, ""), *positional]).strip()
        missing = [n for n, req, _ in found.arguments if req and n not in values]
        if missing:
            raise McpCallError(f"/{command} needs {', '.join(missing)}. Usage: /{command} {found.argument_hint}")
        server = self.servers[found.server]
        if server.client is None:
            raise McpCallError(f"MCP server {server.name}: {server._unavailable()}")
        try:
            result = await asyncio.wait_for(server.client.get_prompt(found.prompt, values or None), self.tool_timeout)
        except asyncio.TimeoutError:
            raise McpCallError(f"MCP server {server.name} did not answer in time") from None
        except Exception as exc:
            raise McpCallError(f"MCP server {server.name} could not give the prompt: {_error_text(exc)}") from None
        from claw_tui.mcp.tools import content_text

        return "\n\n".join(content_text(m.content) for m in result.messages).strip()
