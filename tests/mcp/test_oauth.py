"""OAuth 2.1 with PKCE against a local authorization server the test starts.

The server is the SDK's own: MCPServer with its authorization-server routes
(metadata discovery, dynamic client registration, /authorize, /token) over an
in-memory provider that approves every request at once, in front of a protected
streamable-HTTP MCP endpoint. "The browser" is a script named by $BROWSER that
follows the authorization URL to claw's redirect listener, as a person's browser
would after they click Allow.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from claw_tui.testing import scenario as sc
from tests.mcp.conftest import free_port, run_claw, wait_port

BROWSER_SCRIPT = """\
import sys, urllib.request, pathlib
pathlib.Path({marker!r}).write_text(sys.argv[1])
urllib.request.urlopen(sys.argv[1], timeout=10).read()
"""


class AutoApproveProvider:
    """An authorization server that says yes to everyone (PKCE is still checked by the SDK)."""

    def __init__(self, token_lifetime: int) -> None:
        self.token_lifetime = token_lifetime
        self.clients: dict[str, Any] = {}
        self.codes: dict[str, Any] = {}
        self.access: dict[str, Any] = {}
        self.refresh: dict[str, Any] = {}
        self.grants: list[str] = []  # "authorization_code" / "refresh_token", in order

    async def get_client(self, client_id: str):
        return self.clients.get(client_id)

    async def register_client(self, client_info) -> None:
        self.clients[client_info.client_id] = client_info

    async def authorize(self, client, params) -> str:
        from mcp.server.auth.provider import AuthorizationCode, construct_redirect_uri

        code = secrets.token_urlsafe(16)
        self.codes[code] = AuthorizationCode(
            code=code, scopes=params.scopes or [], expires_at=time.time() + 300, client_id=client.client_id,
            code_challenge=params.code_challenge, redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly, resource=params.resource)
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(self, client, code):
        return self.codes.get(code)

    def _issue(self, client_id: str, scopes: list[str], resource: str | None):
        from mcp.server.auth.provider import AccessToken, RefreshToken
        from mcp.shared.auth import OAuthToken

        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.access[access] = AccessToken(token=access, client_id=client_id, scopes=scopes,
                                          expires_at=int(time.time()) + self.token_lifetime, resource=resource)
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes, resource=resource)
        return OAuthToken(access_token=access, expires_in=self.token_lifetime, refresh_token=refresh,
                          scope=" ".join(scopes) or None)

    async def exchange_authorization_code(self, client, code):
        self.codes.pop(code.code, None)
        self.grants.append("authorization_code")
        return self._issue(client.client_id, code.scopes, code.resource)

    async def load_refresh_token(self, client, token):
        return self.refresh.get(token)

    async def exchange_refresh_token(self, client, token, scopes):
        self.refresh.pop(token.token, None)
        self.grants.append("refresh_token")
        return self._issue(client.client_id, scopes or token.scopes, token.resource)

    async def load_access_token(self, token):
        found = self.access.get(token)
        if found is None or (found.expires_at and found.expires_at < time.time()):
            return None
        return found

    async def revoke_token(self, token) -> None:
        self.access.pop(token.token, None)


class ProtectedServer:
    """The authorization server and the protected MCP endpoint, on one port, in a thread."""

    def __init__(self, token_lifetime: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.provider = AutoApproveProvider(token_lifetime)

    def __enter__(self) -> ProtectedServer:
        import uvicorn
        from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions
        from mcp.server.mcpserver import MCPServer

        mcp = MCPServer("protected", auth_server_provider=self.provider, auth=AuthSettings(
            issuer_url=self.base, resource_server_url=f"{self.base}/mcp", validate_token_resource=False,
            client_registration_options=ClientRegistrationOptions(enabled=True)))

        @mcp.tool()
        def secret() -> str:
            """Only for signed-in clients."""
            return "the protected answer"

        self.server = uvicorn.Server(uvicorn.Config(mcp.streamable_http_app(), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)
        self.thread.start()
        wait_port(self.port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture
def browser(tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / "browser-opened.txt"
    script = tmp_path / "browser.py"
    script.write_text(BROWSER_SCRIPT.format(marker=str(marker)))
    return f"{sys.executable} {script} %s", marker


def test_oauth_sign_in_stored_tokens_and_refresh(server, workspace, claw_env, browser, user_dir):
    browser_cmd, opened = browser
    with ProtectedServer(token_lifetime=3600) as protected:
        config = json.dumps({"mcpServers": {"vault": {"type": "http", "url": f"{protected.base}/mcp"}}})
        env = {**claw_env, "BROWSER": browser_cmd}
        server.add(sc.tool("mcp__vault__secret"), sc.text("got it"))
        first = run_claw(["-p", "read the secret", "--mcp-config", config, "--allowedTools", "mcp__vault"],
                         env, workspace)
        assert first.returncode == 0, first.stderr
        assert "MCP server vault needs you to sign in" in first.stderr
        url = opened.read_text()
        assert "code_challenge_method=S256" in url and "code_challenge=" in url  # PKCE
        assert protected.provider.grants == ["authorization_code"]
        result = server.received[1].body["messages"][-1]["content"][0]
        assert "the protected answer" in json.dumps(result) and not result.get("is_error")
        # Tokens are kept, readable by the owner only.
        files = list((user_dir / "mcp-oauth").glob("vault-*.json"))
        assert len(files) == 1
        assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
        assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
        stored = json.loads(files[0].read_text())
        assert stored["tokens"]["refresh_token"] and stored["client_info"]["client_id"]

        # The next run, after the token expired (on both sides): refreshed, no browser, no sign-in.
        stored["expires_at"] = time.time() - 60
        files[0].write_text(json.dumps(stored))
        protected.provider.access.clear()
        opened.unlink()
        server.add(sc.tool("mcp__vault__secret"), sc.text("again"))
        second = run_claw(["-p", "again", "--mcp-config", config, "--allowedTools", "mcp__vault"], env, workspace)
        assert second.returncode == 0, second.stderr
        assert not opened.exists() and "sign in" not in second.stderr
        assert protected.provider.grants == ["authorization_code", "refresh_token"]
        assert "the protected answer" in json.dumps(server.received[3].body["messages"][-1])
        assert json.loads(files[0].read_text())["tokens"]["access_token"] in protected.provider.access


async def test_a_sign_in_nobody_finishes_fails_the_server_not_the_session(server, workspace, monkeypatch):
    import webbrowser

    from claw_tui.events import Notice
    from tests.conftest import Recorder, make_session

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    monkeypatch.setenv("MCP_OAUTH_TIMEOUT", "800")
    with ProtectedServer(token_lifetime=60) as protected:
        config = json.dumps({"mcpServers": {"vault": {"type": "http", "url": f"{protected.base}/mcp"}}})
        session = make_session(server, workspace, mcp_config=[config])
        rec = Recorder(session.bus)
        await session.start(wait_for_mcp=True)
        vault = session.mcp.servers["vault"]
        assert len(opened) == 1 and opened[0].startswith(f"{protected.base}/authorize?")
        assert vault.status == "failed" and "nobody finished signing in" in vault.last_error
        assert any("needs you to sign in" in n.text and opened[0] in n.text for n in rec.of(Notice))
        assert protected.provider.grants == []
        await session.close()
