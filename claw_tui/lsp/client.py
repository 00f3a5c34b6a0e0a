"""A small Language Server Protocol client: JSON-RPC 2.0 over a server's stdio.

Hand-written rather than taken from pygls: pygls' client side is meant for testing
servers and brings lsprotocol and cattrs along, while claw needs a handful of
requests and, above all, its own behaviour when a server misbehaves: a crash or a
hang becomes a clear error the model can read, never a stuck tool call.

What it does:
- frames messages with ``Content-Length`` headers (bodies are UTF-8 JSON, the
  length counts bytes);
- runs the initialize / initialized handshake and keeps the server's capabilities;
- matches responses to requests by id, with a timeout per request (a request that
  times out is cancelled with ``$/cancelRequest``);
- answers the requests a server sends to its client (configuration, progress
  tokens, capability registration) so servers that wait for those answers go on;
- keeps the documents it opened with their versions (didOpen / didChange / didClose);
- collects ``textDocument/publishDiagnostics`` per URI;
- notices the server dying: every pending request fails with :class:`ServerCrashed`
  naming the exit code and the server's last words on stderr;
- stops the server politely (shutdown, exit) and kills its process group if it
  does not go.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)

# The largest message accepted from a server; a bigger Content-Length is a broken stream.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
STDERR_TAIL_LINES = 20


class LspError(Exception):
    """Talking to a language server failed; the message says how, for the model."""


class ServerCrashed(LspError):
    """The server process exited, or its stdio broke."""


class RequestTimeout(LspError):
    """The server did not answer a request in time."""


class ResponseError(LspError):
    """The server answered a request with a JSON-RPC error."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method} failed in the language server: {message} (code {code})")
        self.code = code
        self.server_message = message


# -- paths, URIs and columns ------------------------------------------------------


def path_to_uri(path: Path | str) -> str:
    return Path(os.path.abspath(path)).as_uri()


def uri_to_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI; None for any other scheme."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def to_lsp_character(line_text: str, column: int, encoding: str = "utf-16") -> int:
    """The server's ``character`` for the code point offset ``column`` in ``line_text``.

    LSP counts UTF-16 code units unless the server chose another encoding; a person
    (and the model) counts characters.
    """
    prefix = line_text[:column]
    if encoding == "utf-32":
        return len(prefix) + max(0, column - len(line_text))
    if encoding == "utf-8":
        return len(prefix.encode("utf-8")) + max(0, column - len(line_text))
    return len(prefix.encode("utf-16-le")) // 2 + max(0, column - len(line_text))


def from_lsp_character(line_text: str, character: int, encoding: str = "utf-16") -> int:
    """The code point offset in ``line_text`` of the server's ``character``."""
    if encoding == "utf-32":
        return character
    unit = 1 if encoding == "utf-8" else 2
    codec = "utf-8" if encoding == "utf-8" else "utf-16-le"
    used = 0
    for i, ch in enumerate(line_text):
        if used >= character * unit:
            return i
        used += len(ch.encode(codec))
    return len(line_text) + max(0, (character * unit - used) // unit)


# -- the client -------------------------------------------------------------------------


@dataclass
class OpenDocument:
    uri: str
    path: Path
    language_id: str
    version: int
    text: str
    # (mtime_ns, size) of the file when its text was last sent, to notice changes on disk.
    stamp: tuple[int, int] | None = None
    # How many diagnostics publications for this URI came before the text was last
    # sent: a later one is about this text (or a newer one).
    diagnostics_generation_at_sync: int = 0


@dataclass
class _DiagnosticsState:
    items: list[dict[str, Any]] = field(default_factory=list)
    version: int | None = None
    generation: int = 0


class LspClient:
    """One language server process and the conversation with it."""

    def __init__(
        self,
        command: Sequence[str],
        root: Path,
        *,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        request_timeout: float = 15.0,
        initialization_options: Any = None,
    ) -> None:
        if not command:
            raise ValueError("a language server needs a command")
        self.command = list(command)
        self.root = Path(root)
        self.name = name or Path(self.command[0]).name
        self.env = dict(env) if env is not None else None
        self.request_timeout = request_timeout
        self.initialization_options = initialization_options
        self.capabilities: dict[str, Any] = {}
        self.server_info: dict[str, Any] = {}
        self.position_encoding = "utf-16"
        self.documents: dict[str, OpenDocument] = {}
        self._diagnostics: dict[str, _DiagnosticsState] = {}
        self._diagnostics_event = asyncio.Event()
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stderr_reader: asyncio.Task[None] | None = None
        self._pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self._next_id = 0
        self._write_lock = asyncio.Lock()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._dead: str | None = None
        self._closing = False
        self._background: set[asyncio.Task[Any]] = set()

    # -- lifecycle ------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._dead is None

    @property
    def death(self) -> str | None:
        """Why the server is gone, once it is."""
        return self._dead

    async def start(self, timeout: float = 30.0) -> None:
        """Start the server and run the handshake. Raises LspError on any failure."""
        if self._proc is not None:
            raise RuntimeError("this client was already started")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=str(self.root),
                env=self.env,
                # Its own process group: closing kills whatever helpers the server started too.
                start_new_session=True,
                limit=1024 * 1024,
            )
        except FileNotFoundError:
            raise LspError(f"cannot start the language server: {self.command[0]!r} was not found") from None
        except PermissionError:
            raise LspError(f"cannot start the language server: {self.command[0]!r} is not executable") from None
        except OSError as exc:
            raise LspError(f"cannot start the language server {self.command[0]!r}: {exc}") from None
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(), name=f"lsp-read:{self.name}")
        self._stderr_reader = asyncio.get_running_loop().create_task(
            self._read_stderr(), name=f"lsp-stderr:{self.name}"
        )
        try:
            result = await self.request("initialize", self._initialize_params(), timeout=timeout)
        except LspError:
            await self.close()
            raise
        except BaseException:
            await self.close()
            raise
        self.capabilities = (result or {}).get("capabilities") or {}
        self.server_info = (result or {}).get("serverInfo") or {}
        self.position_encoding = self.capabilities.get("positionEncoding") or "utf-16"
        await self.notify("initialized", {})

    def _initialize_params(self) -> dict[str, Any]:
        root_uri = path_to_uri(self.root)
        return {
            "processId": os.getpid(),
            "clientInfo": {"name": "claw"},
            "rootUri": root_uri,
            "rootPath": str(self.root),
            "workspaceFolders": [{"uri": root_uri, "name": self.root.name or str(self.root)}],
            "initializationOptions": self.initialization_options,
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "workspace": {
                    "configuration": True,
                    "workspaceFolders": True,
                    "symbol": {"dynamicRegistration": False},
                    "didChangeWatchedFiles": {"dynamicRegistration": False},
                },
                # No workDoneProgress: nobody is shown a server's progress, and some servers
                # (pylsp) block a second on each progress token they ask for.
                "textDocument": {
                    "synchronization": {"dynamicRegistration": False, "didSave": False},
                    "definition": {"linkSupport": True},
                    "implementation": {"linkSupport": True},
                    "references": {},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
                    "callHierarchy": {},
                    "publishDiagnostics": {"relatedInformation": False, "versionSupport": True},
                },
            },
        }

    async def close(self, timeout: float = 2.0) -> None:
        """Ask the server to shut down and exit; kill its process group if it lingers."""
        if self._closing:
            return
        self._closing = True
        proc = self._proc
        if proc is not None and self._dead is None:
            with contextlib.suppress(LspError, asyncio.TimeoutError):
                await self.request("shutdown", None, timeout=timeout)
                await self.notify("exit", None)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(proc.wait(), timeout)
        if proc is not None:
            await _kill_group(proc)
        self._mark_dead("the language server was stopped")
        for task in (self._reader, self._stderr_reader, *self._background):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()

    # -- messages ---------------------------------------------------------------

    async def request(self, method: str, params: Any, *, timeout: float | None = None) -> Any:
        """Send a request and wait for its result. Raises LspError subclasses."""
        if self._dead is not None:
            raise ServerCrashed(self._dead)
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (method, future)
        try:
            await self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
            limit = self.request_timeout if timeout is None else timeout
            try:
                return await asyncio.wait_for(asyncio.shield(future), limit)
            except asyncio.TimeoutError:
                if self._dead is None:
                    with contextlib.suppress(LspError):
                        await self.notify("$/cancelRequest", {"id": request_id})
                raise RequestTimeout(
                    f"the language server {self.name} did not answer {method} within {limit:g} s"
                ) from None
        finally:
            self._pending.pop(request_id, None)
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # the caller learnt of it another way (a failed send)

    async def notify(self, method: str, params: Any) -> None:
        if self._dead is not None:
            raise ServerCrashed(self._dead)
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self._send(message)

    async def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        header = f"Content-Length: {len(body)}\r\n\r\n".encode("ascii")
        assert self._proc is not None and self._proc.stdin is not None
        async with self._write_lock:
            try:
                self._proc.stdin.write(header + body)
                await self._proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError, RuntimeError) as exc:
                # The reader notices the exit too; whichever is first names the cause.
                await self._wait_exit(0.5)
                self._mark_dead(self._death_message(f"its input closed ({type(exc).__name__})"))
                raise ServerCrashed(self._dead or "the language server stopped") from None

    async def _read_loop(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        stdout = self._proc.stdout
        reason = "its output ended"
        try:
            while True:
                message = await _read_message(stdout)
                if message is None:
                    break
                self._dispatch(message)
        except _FramingError as exc:
            reason = f"it sent a malformed message ({exc})"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must still fail the pending requests
            log.exception("reading from %s failed", self.name)
            reason = f"reading its output failed ({type(exc).__name__}: {exc})"
        if self._dead is None:
            await self._wait_exit(1.0)
            self._mark_dead("the language server was stopped" if self._closing else self._death_message(reason))

    async def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        while True:
            line = await self._proc.stderr.readline()
            if not line:
                return
            text = line.decode("utf-8", errors="replace").rstrip()
            if text:
                self._stderr_tail.append(text[:500])

    def _dispatch(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is None:
            entry = self._pending.get(message.get("id"))  # type: ignore[arg-type]
            if entry is None:
                return  # an answer to a request that already timed out
            name, future = entry
            if future.done():
                return
            error = message.get("error")
            if error is not None:
                future.set_exception(
                    ResponseError(name, int(error.get("code", 0)), str(error.get("message", "")))
                )
            else:
                future.set_result(message.get("result"))
            return
        if "id" in message:
            task = asyncio.get_running_loop().create_task(self._answer(message))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return
        if method == "textDocument/publishDiagnostics":
            params = message.get("params") or {}
            uri = params.get("uri")
            if isinstance(uri, str):
                state = self._diagnostics.setdefault(uri, _DiagnosticsState())
                state.items = list(params.get("diagnostics") or [])
                state.version = params.get("version")
                state.generation += 1
                self._wake_diagnostics_waiters()
        elif method == "window/logMessage" or method == "window/showMessage":
            text = str((message.get("params") or {}).get("message", ""))
            if text:
                self._stderr_tail.append(text.splitlines()[0][:500] if text.splitlines() else text)

    async def _answer(self, message: dict[str, Any]) -> None:
        """Answer a request the server sent to us."""
        method = message.get("method")
        params = message.get("params") or {}
        response: dict[str, Any] = {"jsonrpc": "2.0", "id": message.get("id")}
        if method == "workspace/configuration":
            # No settings of our own: null for each item means "use your defaults".
            response["result"] = [None for _ in params.get("items") or []]
        elif method in ("window/workDoneProgress/create", "client/registerCapability",
                        "client/unregisterCapability", "window/showMessageRequest",
                        "window/showDocument", "workspace/semanticTokens/refresh",
                        "workspace/diagnostic/refresh", "workspace/codeLens/refresh",
                        "workspace/inlayHint/refresh", "workspace/inlineValue/refresh"):
            response["result"] = None
        elif method == "workspace/workspaceFolders":
            response["result"] = [{"uri": path_to_uri(self.root), "name": self.root.name or str(self.root)}]
        elif method == "workspace/applyEdit":
            # Files change only through claw's own tools, where the person can see and approve them.
            response["result"] = {"applied": False, "failureReason": "claw does not apply edits from servers"}
        else:
            response["error"] = {"code": -32601, "message": f"claw does not handle {method}"}
        with contextlib.suppress(LspError):
            await self._send(response)

    # -- dying ------------------------------------------------------------------

    async def _wait_exit(self, timeout: float) -> None:
        if self._proc is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._proc.wait(), timeout)

    def _death_message(self, reason: str) -> str:
        code = self._proc.returncode if self._proc is not None else None
        status = f"exited with code {code}" if code is not None else "stopped answering"
        text = f"The language server {self.name} ({' '.join(self.command)}) {status}: {reason}."
        if self._stderr_tail:
            text += " Its last output:\n" + "\n".join(self._stderr_tail)
        return text

    def _mark_dead(self, reason: str) -> None:
        if self._dead is not None:
            return
        self._dead = reason
        for method, future in list(self._pending.values()):
            if not future.done():
                future.set_exception(ServerCrashed(f"{reason}\n(It was handling {method}.)"))
        self._wake_diagnostics_waiters()

    # -- documents --------------------------------------------------------------

    @property
    def sync_kind(self) -> int:
        """0 none, 1 full, 2 incremental (we always send whole texts, valid for both)."""
        sync = self.capabilities.get("textDocumentSync")
        if isinstance(sync, dict):
            return int(sync.get("change", 0) or 0)
        if isinstance(sync, int):
            return sync
        return 0

    async def sync_document(
        self, path: Path, text: str, language_id: str, stamp: tuple[int, int] | None = None
    ) -> OpenDocument:
        """Make the server see ``text`` as the content of ``path``; returns the document.

        Opens the document on first use; later sends the whole new text with the
        next version, and nothing when the text is what the server already has.
        """
        uri = path_to_uri(path)
        doc = self.documents.get(uri)
        if doc is None:
            doc = OpenDocument(uri, Path(path), language_id, 1, text, stamp)
            doc.diagnostics_generation_at_sync = self.diagnostics_generation(uri)
            self.documents[uri] = doc
            await self.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": language_id, "version": 1, "text": text}},
            )
            return doc
        doc.stamp = stamp
        if doc.text == text:
            return doc
        doc.version += 1
        doc.text = text
        doc.diagnostics_generation_at_sync = self.diagnostics_generation(uri)
        await self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": doc.version}, "contentChanges": [{"text": text}]},
        )
        return doc

    async def close_document(self, path: Path) -> None:
        uri = path_to_uri(path)
        if self.documents.pop(uri, None) is not None and self._dead is None:
            await self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    # -- diagnostics -------------------------------------------------------------

    def diagnostics(self, uri: str) -> list[dict[str, Any]] | None:
        """The last diagnostics the server published for ``uri`` (None: none yet)."""
        state = self._diagnostics.get(uri)
        return list(state.items) if state is not None else None

    def diagnostics_generation(self, uri: str) -> int:
        """How many times diagnostics were published for ``uri``: note it before a change,
        then :meth:`wait_for_diagnostics` for a newer publication."""
        state = self._diagnostics.get(uri)
        return state.generation if state is not None else 0

    async def wait_for_diagnostics(
        self, uri: str, *, after_generation: int, version: int | None = None, timeout: float
    ) -> list[dict[str, Any]] | None:
        """Diagnostics published for ``uri`` after ``after_generation`` (and, when the
        server says which version they are for, for ``version`` or later). None when
        none came within ``timeout`` seconds or the server died."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            state = self._diagnostics.get(uri)
            if state is not None and state.generation > after_generation and (
                version is None or state.version is None or state.version >= version
            ):
                return list(state.items)
            if self._dead is not None:
                return None
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            event = self._diagnostics_event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                return None

    def _wake_diagnostics_waiters(self) -> None:
        # One event per wave: waiters wake, check their URI, and wait on the fresh one.
        self._diagnostics_event.set()
        self._diagnostics_event = asyncio.Event()


# -- framing -----------------------------------------------------------------------------


class _FramingError(Exception):
    pass


async def _read_message(stream: asyncio.StreamReader) -> dict[str, Any] | None:
    """One framed message, or None at end of stream."""
    length: int | None = None
    while True:
        try:
            line = await stream.readuntil(b"\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise _FramingError("the stream ended inside a header") from None
            return None
        except asyncio.LimitOverrunError:
            raise _FramingError("a header line is too long") from None
        if line == b"\r\n":
            if length is None:
                raise _FramingError("a message had no Content-Length header")
            break
        name, sep, value = line.decode("ascii", errors="replace").partition(":")
        if not sep:
            raise _FramingError(f"bad header line {line[:80]!r}")
        if name.strip().lower() == "content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise _FramingError(f"bad Content-Length {value.strip()[:40]!r}") from None
            if length < 0 or length > MAX_MESSAGE_BYTES:
                raise _FramingError(f"Content-Length {length} is out of range")
    try:
        body = await stream.readexactly(length)
    except asyncio.IncompleteReadError:
        raise _FramingError(f"the stream ended inside a {length}-byte message") from None
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _FramingError(f"the body is not UTF-8 JSON: {exc}") from None
    if not isinstance(message, dict):
        raise _FramingError("the body is not a JSON object")
    return message


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers, and reap it."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 2.0)
        except asyncio.TimeoutError:
            pass
    # Helpers the server left behind in its group go too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode is None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), 5.0)
