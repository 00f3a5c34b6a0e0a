"""OAuth 2.1 with PKCE for remote MCP servers, through the SDK's OAuthClientProvider.

The SDK does discovery (protected-resource and authorization-server metadata),
dynamic client registration, PKCE, the code exchange and refreshing. claw adds:

- :class:`FileTokenStorage`: tokens and the registered client, one file per server
  in ``<user config dir>/mcp-oauth/`` with 0600 permissions (directory 0700), with
  the absolute expiry time, so a token that expired while claw was closed is
  refreshed on the next start instead of being sent and refused;
- the browser step: the authorization URL is opened in the browser (and shown, for
  a person on another machine), and a one-shot listener on 127.0.0.1 receives the
  redirect with the code.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import socket
import time
import webbrowser
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from claw_tui.mcp.config import ServerSpec
from claw_tui.settings_files import write_private

CALLBACK_PATH = "/callback"
# How long a person has to finish signing in before the connection gives up.
DEFAULT_AUTH_TIMEOUT = 300.0


def oauth_dir() -> Path:
    from claw_tui.settings_files import user_config_dir

    return user_config_dir() / "mcp-oauth"


def token_path(spec: ServerSpec) -> Path:
    """Tokens belong to a server URL: the same name pointed elsewhere does not reuse them."""
    digest = hashlib.sha256(spec.url.encode()).hexdigest()[:16]
    return oauth_dir() / f"{spec.key}-{digest}.json"


def _write_private(path: Path, obj: dict[str, Any]) -> None:
    write_private(path, json.dumps(obj, indent=2))


class FileTokenStorage:
    """The SDK's TokenStorage protocol over one private JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any]:
        try:
            obj = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return obj if isinstance(obj, dict) else {}

    def expires_at(self) -> float | None:
        value = self.read().get("expires_at")
        return float(value) if isinstance(value, (int, float)) else None

    async def get_tokens(self) -> Any:
        from mcp.shared.auth import OAuthToken

        data = self.read().get("tokens")
        try:
            return OAuthToken.model_validate(data) if data else None
        except ValueError:
            return None

    async def set_tokens(self, tokens: Any) -> None:
        obj = self.read()
        obj["tokens"] = tokens.model_dump(mode="json", exclude_none=True)
        obj["expires_at"] = time.time() + tokens.expires_in if tokens.expires_in else None
        _write_private(self.path, obj)

    async def get_client_info(self) -> Any:
        from mcp.shared.auth import OAuthClientInformationFull

        data = self.read().get("client_info")
        try:
            return OAuthClientInformationFull.model_validate(data) if data else None
        except ValueError:
            return None

    async def set_client_info(self, client_info: Any) -> None:
        obj = self.read()
        obj["client_info"] = client_info.model_dump(mode="json", exclude_none=True)
        _write_private(self.path, obj)

    def registered_redirect_port(self) -> int | None:
        uris = (self.read().get("client_info") or {}).get("redirect_uris") or []
        try:
            port = urlsplit(str(uris[0])).port if uris else None
        except ValueError:
            return None
        return port


def forget_tokens(spec: ServerSpec) -> bool:
    path = token_path(spec)
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CallbackListener:
    """Receives the authorization server's redirect on 127.0.0.1.

    One GET request is all this ever serves, so it reads a request line with asyncio
    streams rather than starting an HTTP server framework for it.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._server: asyncio.base_events.Server | None = None
        self._result: asyncio.Future[dict[str, str]] | None = None

    async def start(self) -> None:
        if self._server is not None:
            return
        self._result = asyncio.get_running_loop().create_future()
        try:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        except OSError as exc:
            raise ConnectionError(f"cannot listen for the sign-in redirect on 127.0.0.1:{self.port}: {exc}") from None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            parts = line.split()
            target = urlsplit(parts[1]) if len(parts) >= 2 else None
            if target is None or target.path != CALLBACK_PATH:
                await self._reply(writer, 404, "Not found.")
                return
            query = {k: v[0] for k, v in parse_qs(target.query).items()}
            if "error" in query:
                await self._reply(writer, 400, f"Sign-in failed: {query.get('error_description') or query['error']}. "
                                                "You can close this tab.")
            else:
                await self._reply(writer, 200, "Signed in. You can close this tab and return to claw.")
            if self._result is not None and not self._result.done():
                self._result.set_result(query)
        except (asyncio.TimeoutError, OSError, UnicodeError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, status: int, text: str) -> None:
        body = f"<!doctype html><title>claw</title><p>{text}</p>".encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()

    async def wait(self, timeout: float) -> dict[str, str]:
        assert self._result is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), timeout)
        except asyncio.TimeoutError:
            raise ConnectionError(f"nobody finished signing in within {timeout:.0f} s") from None
        finally:
            await self.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None


def make_oauth_provider(
    spec: ServerSpec,
    *,
    on_authorize: Callable[[str], Awaitable[None] | None],
    on_authorized: Callable[[], None],
    auth_timeout: float = DEFAULT_AUTH_TIMEOUT,
    open_browser: bool = True,
) -> Any:
    """An httpx2 Auth that signs requests to ``spec.url`` in, once a person has approved it.

    ``on_authorize(url)`` is told the authorization URL (to show it; the connection's
    start-up timeout is paused while a person signs in) and ``on_authorized()`` when the
    code came back.
    """
    from claw_tui import __version__
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    storage = FileTokenStorage(token_path(spec))
    port = storage.registered_redirect_port() or _free_port()
    listener = CallbackListener(port)

    class ClawOAuthProvider(OAuthClientProvider):
        async def _initialize(self) -> None:
            # The SDK's loader keeps no expiry for stored tokens, so a token that ran out while
            # claw was closed would be sent, refused, and cost a new browser sign-in. With the
            # stored expiry it is refreshed first (the SDK refreshes whenever the time has passed).
            await super()._initialize()
            expires_at = storage.expires_at()
            if self.context.current_tokens is not None and expires_at is not None:
                self.context.token_expiry_time = expires_at

    async def redirect_handler(url: str) -> None:
        await listener.start()
        shown = on_authorize(url)
        if shown is not None:
            await shown
        if open_browser:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(webbrowser.open, url)

    async def callback_handler() -> Any:
        query = await listener.wait(auth_timeout)
        on_authorized()
        if "error" in query:
            raise ConnectionError(f"the authorization server refused: {query.get('error_description') or query['error']}")
        return AuthorizationCodeResult(code=query.get("code", ""), state=query.get("state"), iss=query.get("iss"))

    metadata = OAuthClientMetadata(
        client_name=f"claw {__version__}",
        redirect_uris=[f"http://127.0.0.1:{port}{CALLBACK_PATH}"],  # type: ignore[list-item]
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    return ClawOAuthProvider(spec.url, metadata, storage, redirect_handler=redirect_handler,
                             callback_handler=callback_handler)
