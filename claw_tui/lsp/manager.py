"""The session's language servers: one per (server command, project root), started
on first use, kept alive, and all stopped when the session closes.

Before every query the documents a server has open are brought up to date with
the disk (the agent's Bash commands and the person's editor change files too), so
answers are about the files as they are now.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from claw_tui.lsp.client import LspClient, LspError, OpenDocument, from_lsp_character, path_to_uri
from claw_tui.lsp.servers import ServerRegistry, ServerSpec, find_root, is_within, servers_from_settings

log = logging.getLogger(__name__)

# Files larger than this are not sent to a server: they would cost it (and us) too much.
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
SEVERITIES = {1: "error", 2: "warning", 3: "info", 4: "hint"}
# After an edit only the problems worth interrupting for are offered, and only so many.
EDIT_DIAGNOSTICS_MAX = 10


class NoServer(LspError):
    """No language server is installed or configured for a file."""


ServerKey = tuple[tuple[str, ...], Path]


class LspManager:
    def __init__(
        self,
        workspace: Path,
        servers: Mapping[str, Sequence[str]] | None = None,
        *,
        registry: ServerRegistry | None = None,
        diagnostics_timeout: float = 2.0,
        cold_start_budget: float = 3.0,
        start_timeout: float = 30.0,
        request_timeout: float = 15.0,
        max_open_documents: int = 64,
    ) -> None:
        self.workspace = Path(os.path.abspath(workspace))
        self.registry = registry or ServerRegistry(servers)
        # How long diagnostics_for waits for the server to publish after a change.
        self.diagnostics_timeout = diagnostics_timeout
        # How long an edit may wait for a server that is not running yet to start.
        self.cold_start_budget = cold_start_budget
        self.start_timeout = start_timeout
        self.request_timeout = request_timeout
        self.max_open_documents = max_open_documents
        self._clients: dict[ServerKey, LspClient] = {}
        self._starting: dict[ServerKey, asyncio.Task[LspClient]] = {}
        self._sync_locks: dict[ServerKey, asyncio.Lock] = {}
        self._recent: dict[ServerKey, collections.OrderedDict[str, None]] = {}
        self._closed = False

    @classmethod
    def from_settings(cls, workspace: Path, settings: Any) -> LspManager:
        """A manager with the servers configured in settings (``{"lsp": {"servers":
        {".rs": ["rust-analyzer"]}}}``); bad entries become settings warnings."""
        servers, problems = servers_from_settings(settings)
        warnings = getattr(settings, "warnings", None)
        if isinstance(warnings, list):
            warnings.extend(p for p in problems if p not in warnings)
        return cls(workspace, servers)

    # -- servers ----------------------------------------------------------------

    def spec_for(self, path: Path) -> ServerSpec | None:
        return self.registry.spec_for(path)

    def has_server_for(self, path: Path) -> bool:
        return self.registry.spec_for(path) is not None

    def running(self) -> list[LspClient]:
        return [c for c in self._clients.values() if c.alive]

    def _key_for(self, path: Path) -> tuple[ServerSpec, ServerKey]:
        spec = self.registry.spec_for(path)
        if spec is None:
            raise NoServer(self.registry.missing_message(path))
        if not is_within(path, self.workspace):
            # A file outside the project (a library a definition led to) is asked of the
            # project's running server when there is one, rather than a new server per folder.
            for key, client in self._clients.items():
                if key[0] == spec.command and client.alive:
                    return spec, key
        return spec, (spec.command, find_root(path, self.workspace))

    async def client_for(self, path: Path, *, wait: float | None = None) -> LspClient | None:
        """The running server for ``path``, started if need be.

        With ``wait`` the call gives up after that many seconds and returns None;
        the server goes on starting in the background for the next caller.
        Raises NoServer, or LspError when the server cannot start.
        """
        if self._closed:
            raise LspError("the session's language servers were stopped")
        spec, key = self._key_for(path)
        client = self._clients.get(key)
        if client is not None:
            if client.alive:
                return client
            # It died (the error was reported then); the next use starts a fresh one.
            del self._clients[key]
            self._recent.pop(key, None)
        task = self._starting.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._start(spec, key), name=f"lsp-start:{spec.name}")
            # Nobody may be waiting when it fails (an edit that stopped waiting): keep
            # the failure from being reported as never retrieved.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._starting[key] = task
        if wait is None:
            return await asyncio.shield(task)
        done, _ = await asyncio.wait({task}, timeout=wait)
        return task.result() if done else None

    async def _start(self, spec: ServerSpec, key: ServerKey) -> LspClient:
        client = LspClient(spec.command, key[1], request_timeout=self.request_timeout)
        try:
            await client.start(timeout=self.start_timeout)
        finally:
            self._starting.pop(key, None)
        if self._closed:
            await client.close()
            raise LspError("the session's language servers were stopped")
        self._clients[key] = client
        self._sync_locks.setdefault(key, asyncio.Lock())
        self._recent[key] = collections.OrderedDict()
        log.info("started language server %s for %s", spec.name, key[1])
        return client

    async def close(self) -> None:
        """Stop every server (the session is ending)."""
        self._closed = True
        for task in list(self._starting.values()):
            task.cancel()
        for task in list(self._starting.values()):
            with contextlib.suppress(BaseException):
                await task
        clients = list(self._clients.values())
        self._clients.clear()
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    # -- documents --------------------------------------------------------------

    async def open(self, path: Path, content: str | None = None) -> tuple[LspClient, OpenDocument]:
        """Start (or reuse) the server for ``path`` and make it see the file as it is
        now (or as ``content``, when given). Raises NoServer / LspError."""
        path = Path(os.path.abspath(path))
        client = await self.client_for(path)
        assert client is not None
        key = self._key_of(client)
        stamp = None
        if content is None:
            content, stamp = await asyncio.to_thread(_read_text, path)
        async with self._sync_locks[key]:
            await self._refresh(client, key, skip=path_to_uri(path))
            doc = await client.sync_document(path, content, self.registry.language_id(path), stamp)
            recent = self._recent[key]
            recent[doc.uri] = None
            recent.move_to_end(doc.uri)
            while len(recent) > self.max_open_documents:
                oldest, _ = recent.popitem(last=False)
                old = client.documents.get(oldest)
                if old is not None:
                    await client.close_document(old.path)
        return client, doc

    def _key_of(self, client: LspClient) -> ServerKey:
        for key, candidate in self._clients.items():
            if candidate is client:
                return key
        raise LspError(f"the language server {client.name} is no longer running")

    async def _refresh(self, client: LspClient, key: ServerKey, skip: str) -> None:
        """Send the server the current text of open documents that changed on disk."""
        for uri, doc in list(client.documents.items()):
            if uri == skip:
                continue
            try:
                st = doc.path.stat()
            except OSError:
                await client.close_document(doc.path)
                self._recent[key].pop(uri, None)
                continue
            # A document synced from given text (stamp None) is compared by its text.
            if (st.st_mtime_ns, st.st_size) == doc.stamp:
                continue
            try:
                text, stamp = await asyncio.to_thread(_read_text, doc.path)
            except LspError:
                await client.close_document(doc.path)
                self._recent[key].pop(uri, None)
                continue
            await client.sync_document(doc.path, text, doc.language_id, stamp)

    # -- diagnostics ------------------------------------------------------------

    async def diagnostics(
        self, path: Path, content: str | None = None, *, timeout: float | None = None
    ) -> tuple[OpenDocument, list[dict[str, Any]] | None]:
        """Sync ``path`` and return the server's diagnostics for that text: the ones it
        already published for it, or the ones it publishes within ``timeout`` seconds
        (None when it published none in time)."""
        client, doc = await self.open(path, content)
        items = await client.wait_for_diagnostics(
            doc.uri,
            after_generation=doc.diagnostics_generation_at_sync,
            version=doc.version,
            timeout=self.diagnostics_timeout if timeout is None else timeout,
        )
        if items is None and client.death is not None:
            raise LspError(client.death)
        return doc, items

    async def diagnostics_for(self, path: Path, content: str) -> list[str]:
        """The server's diagnostics for ``path`` holding ``content``, one line each
        ("12:5: error: undefined name 'x' [pyflakes]"), after waiting at most
        ``diagnostics_timeout`` seconds for the server to publish them."""
        doc, items = await self.diagnostics(path, content)
        return [format_diagnostic(d, doc.text, self.position_encoding(path)) for d in sort_diagnostics(items or [])]

    async def diagnostics_after_edit(self, path: Path, content: str | None = None) -> list[str]:
        """Errors and warnings for a file an edit just wrote (``content``, or as it is
        on disk when None), for the edit's result.

        Never slows an edit much: nothing when no server is installed for the file;
        a server that is not running yet gets ``cold_start_budget`` seconds to start
        (it goes on starting for next time); then at most ``diagnostics_timeout``
        seconds for the diagnostics. Failures mean no diagnostics, not a failed edit.
        """
        path = Path(os.path.abspath(path))
        if self._closed or not self.has_server_for(path):
            return []
        try:
            client = await self.client_for(path, wait=self.cold_start_budget)
            if client is None:
                return []
            doc, items = await self.diagnostics(path, content)
        except LspError as exc:
            log.info("no diagnostics after editing %s: %s", path, exc)
            return []
        wanted = [d for d in sort_diagnostics(items or []) if d.get("severity", 1) <= 2]
        lines = [format_diagnostic(d, doc.text, client.position_encoding) for d in wanted[:EDIT_DIAGNOSTICS_MAX]]
        if len(wanted) > EDIT_DIAGNOSTICS_MAX:
            lines.append(f"… and {len(wanted) - EDIT_DIAGNOSTICS_MAX} more (LSP operation diagnostics lists all)")
        return lines

    def position_encoding(self, path: Path) -> str:
        with contextlib.suppress(LspError):
            _, key = self._key_for(path)
            client = self._clients.get(key)
            if client is not None:
                return client.position_encoding
        return "utf-16"


def sort_diagnostics(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors first, then by position."""

    def order(d: dict[str, Any]) -> tuple[int, int, int]:
        start = (d.get("range") or {}).get("start") or {}
        return (int(d.get("severity") or 1), int(start.get("line", 0)), int(start.get("character", 0)))

    return sorted(items, key=order)


def format_diagnostic(diagnostic: dict[str, Any], text: str, encoding: str = "utf-16") -> str:
    """One diagnostic as "line:col: severity: message [source code]", 1-based."""
    start = (diagnostic.get("range") or {}).get("start") or {}
    line = int(start.get("line", 0))
    lines = text.split("\n")
    line_text = lines[line] if 0 <= line < len(lines) else ""
    column = from_lsp_character(line_text, int(start.get("character", 0)), encoding)
    severity = SEVERITIES.get(int(diagnostic.get("severity") or 1), "error")
    message = " ".join(str(diagnostic.get("message", "")).split())
    if len(message) > 300:
        message = message[:300] + "…"
    source = " ".join(str(p) for p in (diagnostic.get("source"), diagnostic.get("code")) if p not in (None, ""))
    return f"{line + 1}:{column + 1}: {severity}: {message}" + (f" [{source}]" if source else "")


def _read_text(path: Path) -> tuple[str, tuple[int, int]]:
    try:
        st = path.stat()
        if not path.is_file():
            raise LspError(f"{path} is not a file")
        if st.st_size > MAX_DOCUMENT_BYTES:
            raise LspError(
                f"{path} is {st.st_size // 1024} KB, more than the {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB "
                "claw sends to a language server"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise LspError(f"File does not exist: {path}") from None
    except OSError as exc:
        raise LspError(f"Cannot read {path}: {exc.strerror}") from None
    return data.decode("utf-8", errors="replace"), (st.st_mtime_ns, st.st_size)
