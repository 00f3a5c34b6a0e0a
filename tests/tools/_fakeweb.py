"""A tiny web server on 127.0.0.1 for the WebFetch and WebSearch tests.

Each route is a function of the request returning (status, headers, body); a
body may be an iterable of byte chunks, sent with a pause between them. Every
request is recorded, so a test can assert that a host was never asked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


Reply = tuple[int, dict[str, str], bytes | Iterable[bytes]]
Route = Callable[[Hit], Reply]


@dataclass
class FakeWeb:
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    chunk_pause: float = 0.0
    port: int = 0
    _server: Any = None

    def route(self, path: str, status: int = 200, body: bytes | str = b"", content_type: str = "text/html",
              headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = lambda hit: (status, {"Content-Type": content_type, **(headers or {})}, data)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> FakeWeb:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                hit = Hit(parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()})
                web.hits.append(hit)
                route = web.routes.get(parts.path)
                if route is None:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"no such page"
                else:
                    status, headers, body = route(hit)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.end_headers()
                try:
                    for chunk in body:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if web.chunk_pause:
                            time.sleep(web.chunk_pause)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: that is what a cap does

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-web", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
