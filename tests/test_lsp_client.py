"""The LSP client against a tiny fake language server (a Python script over stdio):
framing, request matching, server-to-client requests, diagnostics, crashes, timeouts."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from claw_tui.lsp.client import (
    LspClient,
    LspError,
    RequestTimeout,
    ResponseError,
    ServerCrashed,
    from_lsp_character,
    path_to_uri,
    to_lsp_character,
    uri_to_path,
)
from claw_tui.lsp.manager import LspManager
from claw_tui.lsp.servers import ServerRegistry, find_root, servers_from_settings

# A language server in 130 lines: enough protocol to test the client's side of it.
FAKE_SERVER = r'''
import json, os, sys, time

inp, out = sys.stdin.buffer, sys.stdout.buffer
MODE = sys.argv[1] if len(sys.argv) > 1 else ""
_next = [1000]

def read():
    length = None
    while True:
        line = inp.readline()
        if not line:
            sys.exit(0)
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(inp.read(length).decode("utf-8"))

def frame(msg):
    body = json.dumps(msg, ensure_ascii=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body

def send(msg):
    out.write(frame(msg)); out.flush()

def respond(mid, result):
    send({"jsonrpc": "2.0", "id": mid, "result": result})

def ask(method, params):
    _next[0] += 1
    send({"jsonrpc": "2.0", "id": _next[0], "method": method, "params": params})
    while True:
        msg = read()
        if msg.get("id") == _next[0] and "method" not in msg:
            return msg

def utf16(line, index):  # LSP columns count UTF-16 code units
    return len(line[:index].encode("utf-16-le")) // 2

def publish(uri, version, text):
    diags = [{"range": {"start": {"line": i, "character": utf16(line, line.index("BAD"))},
                        "end": {"line": i, "character": utf16(line, line.index("BAD")) + 3}},
              "severity": 1, "message": "BAD is bad", "source": "fake"}
             for i, line in enumerate(text.split("\n")) if "BAD" in line]
    send({"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
          "params": {"uri": uri, "version": version, "diagnostics": diags}})

CAPS = {"textDocumentSync": 1, "hoverProvider": True, "definitionProvider": True,
        "implementationProvider": True, "workspaceSymbolProvider": True, "callHierarchyProvider": True,
        "documentSymbolProvider": True, "referencesProvider": True}

while True:
    msg = read()
    method, mid, params = msg.get("method"), msg.get("id"), msg.get("params")
    if method == "initialize":
        if MODE == "die-on-init":
            sys.stderr.write("fatal: cannot load the project\n"); sys.stderr.flush()
            sys.exit(7)
        if MODE == "hang-on-init":
            continue
        respond(mid, {"capabilities": CAPS, "serverInfo": {"name": "fake", "version": "1"}})
    elif method == "echo":
        respond(mid, params)
    elif method == "split":
        # One message written in pieces, then two messages in one write.
        data = frame({"jsonrpc": "2.0", "id": mid, "result": "pieces \u00e9\u00e8 \U0001F40D"})
        for i in range(0, len(data), 7):
            out.write(data[i:i + 7]); out.flush(); time.sleep(0.002)
    elif method == "pair":
        out.write(frame({"jsonrpc": "2.0", "method": "window/logMessage", "params": {"type": 3, "message": "hi"}})
                  + frame({"jsonrpc": "2.0", "id": mid, "result": "\u2713 second"}))
        out.flush()
    elif method == "fail":
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32603, "message": "no such symbol"}})
    elif method == "crash":
        sys.stderr.write("Traceback: something broke\nfatal: boom\n"); sys.stderr.flush()
        os._exit(3)
    elif method == "hang":
        pass
    elif method == "ask-client":
        answers = [ask("workspace/configuration", {"items": [{"section": "a"}, {"section": "b"}]}),
                   ask("window/workDoneProgress/create", {"token": "t1"}),
                   ask("client/registerCapability", {"registrations": []}),
                   ask("workspace/applyEdit", {"edit": {"changes": {}}}),
                   ask("custom/unknown", {})]
        respond(mid, answers)
    elif method == "textDocument/didOpen":
        doc = params["textDocument"]
        publish(doc["uri"], doc["version"], doc["text"])
    elif method == "textDocument/didChange":
        publish(params["textDocument"]["uri"], params["textDocument"]["version"],
                params["contentChanges"][-1]["text"])
    elif method == "textDocument/didClose":
        pass
    elif method == "textDocument/prepareCallHierarchy":
        uri = params["textDocument"]["uri"]
        respond(mid, [{"name": "target", "kind": 12, "uri": uri, "detail": "def target()",
                       "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                       "selectionRange": {"start": {"line": 0, "character": 4},
                                          "end": {"line": 0, "character": 10}}}])
    elif method == "callHierarchy/incomingCalls":
        uri = params["item"]["uri"]
        respond(mid, [{"from": {"name": "caller", "kind": 12, "uri": uri,
                                "range": {"start": {"line": 3, "character": 0}, "end": {"line": 4, "character": 0}},
                                "selectionRange": {"start": {"line": 3, "character": 4},
                                                   "end": {"line": 3, "character": 10}}},
                       "fromRanges": [{"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 10}}]}])
    elif method == "workspace/symbol":
        root = os.getcwd()
        respond(mid, [{"name": params["query"] + "_thing", "kind": 5, "containerName": "pkg",
                       "location": {"uri": "file://" + root + "/lib.fake",
                                    "range": {"start": {"line": 1, "character": 6},
                                              "end": {"line": 1, "character": 10}}}}])
    elif method == "textDocument/implementation":
        respond(mid, [{"targetUri": params["textDocument"]["uri"],
                       "targetRange": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                       "targetSelectionRange": {"start": {"line": 1, "character": 2},
                                                "end": {"line": 1, "character": 5}}}])
    elif method == "shutdown":
        respond(mid, None)
    elif method == "exit":
        sys.exit(0)
    elif mid is not None:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "unknown " + str(method)}})
'''


@pytest.fixture
def fake_server(tmp_path: Path) -> Path:
    script = tmp_path / "fake_lsp.py"
    script.write_text(FAKE_SERVER)
    return script


async def started(script: Path, root: Path, mode: str = "", **kw) -> LspClient:
    client = LspClient([sys.executable, str(script), mode], root, **kw)
    await client.start(timeout=10)
    return client


# -- framing and requests -------------------------------------------------------------


async def test_handshake_keeps_capabilities_and_multibyte_bodies_round_trip(fake_server, tmp_path):
    client = await started(fake_server, tmp_path)
    try:
        assert client.server_info["name"] == "fake"
        assert client.capabilities["hoverProvider"] is True
        # Content-Length counts bytes: these bodies have 2-, 3- and 4-byte UTF-8 characters.
        payload = {"text": "héllo ✓ 🐍 " * 200, "nested": ["日本語", {"k": "ü"}]}
        assert await client.request("echo", payload) == payload
        assert await client.request("split", None) == "pieces éè 🐍"
        assert await client.request("pair", None) == "✓ second"
    finally:
        await client.close()


async def test_concurrent_requests_are_matched_by_id(fake_server, tmp_path):
    client = await started(fake_server, tmp_path)
    try:
        results = await asyncio.gather(*(client.request("echo", {"n": i, "s": "é" * i}) for i in range(30)))
        assert [r["n"] for r in results] == list(range(30))
        assert all(r["s"] == "é" * r["n"] for r in results)
    finally:
        await client.close()


async def test_error_response_raises_with_server_message(fake_server, tmp_path):
    client = await started(fake_server, tmp_path)
    try:
        with pytest.raises(ResponseError, match="no such symbol") as info:
            await client.request("fail", {})
        assert info.value.code == -32603
        # The connection is still good after an error answer.
        assert await client.request("echo", [1]) == [1]
    finally:
        await client.close()


async def test_server_to_client_requests_are_answered(fake_server, tmp_path):
    client = await started(fake_server, tmp_path)
    try:
        config, progress, register, apply_edit, unknown = await client.request("ask-client", None, timeout=5)
        assert config["result"] == [None, None]
        assert progress["result"] is None and "error" not in progress
        assert register["result"] is None and "error" not in register
        # Servers never change files behind the person's back.
        assert apply_edit["result"]["applied"] is False
        assert unknown["error"]["code"] == -32601
    finally:
        await client.close()


# -- failures -------------------------------------------------------------------------------


async def test_crash_mid_request_fails_fast_with_exit_code_and_stderr(fake_server, tmp_path):
    client = await started(fake_server, tmp_path)
    try:
        pending = asyncio.ensure_future(client.request("hang", None, timeout=30))
        began = time.monotonic()
        with pytest.raises(ServerCrashed) as info:
            await client.request("crash", None, timeout=30)
        assert time.monotonic() - began < 5, "a crash must not wait for the request timeout"
        message = str(info.value)
        assert "exited with code 3" in message
        assert "fatal: boom" in message
        assert "crash" in message  # which request it was handling
        # Every other pending request fails too, and later ones fail at once.
        with pytest.raises(ServerCrashed):
            await asyncio.wait_for(pending, 5)
        with pytest.raises(ServerCrashed, match="exited with code 3"):
            await client.request("echo", {})
        assert not client.alive
    finally:
        await client.close()


async def test_request_timeout_is_reported_and_the_client_stays_usable(fake_server, tmp_path):
    client = await started(fake_server, tmp_path)
    try:
        began = time.monotonic()
        with pytest.raises(RequestTimeout, match=r"did not answer hang within 0\.3 s"):
            await client.request("hang", None, timeout=0.3)
        assert time.monotonic() - began < 2
        assert await client.request("echo", "still here") == "still here"
    finally:
        await client.close()


async def test_server_dying_during_initialize_is_a_clear_error(fake_server, tmp_path):
    client = LspClient([sys.executable, str(fake_server), "die-on-init"], tmp_path)
    with pytest.raises(ServerCrashed) as info:
        await client.start(timeout=10)
    assert "exited with code 7" in str(info.value)
    assert "cannot load the project" in str(info.value)


async def test_initialize_timeout_stops_the_server(fake_server, tmp_path):
    client = LspClient([sys.executable, str(fake_server), "hang-on-init"], tmp_path)
    with pytest.raises(RequestTimeout, match="initialize"):
        await client.start(timeout=0.5)
    assert client.pid is not None
    assert not client.alive


async def test_missing_executable_names_it(tmp_path):
    client = LspClient(["no-such-language-server-xyz", "--stdio"], tmp_path)
    with pytest.raises(LspError, match="'no-such-language-server-xyz' was not found"):
        await client.start()


async def test_close_stops_the_process(fake_server, tmp_path):
    client = await started(fake_server, tmp_path)
    pid = client.pid
    await client.close()
    assert client._proc is not None and client._proc.returncode == 0  # exited on "exit", not killed
    with pytest.raises(ServerCrashed, match="stopped"):
        await client.request("echo", {})
    assert pid is not None


# -- documents and diagnostics -------------------------------------------------------------


async def test_document_versions_and_diagnostics(fake_server, tmp_path):
    client = await started(fake_server, tmp_path)
    try:
        path = tmp_path / "a.fake"
        uri = path_to_uri(path)
        doc = await client.sync_document(path, "fine\n", "fake")
        assert doc.version == 1
        assert await client.wait_for_diagnostics(uri, after_generation=0, timeout=5) == []
        before = client.diagnostics_generation(uri)
        doc = await client.sync_document(path, "ok\n  BAD here\n", "fake")
        assert doc.version == 2
        items = await client.wait_for_diagnostics(uri, after_generation=before, version=2, timeout=5)
        assert items is not None and items[0]["range"]["start"] == {"line": 1, "character": 2}
        # The same text again sends nothing: the version stays.
        same = await client.sync_document(path, "ok\n  BAD here\n", "fake")
        assert same.version == 2
        # Nothing new is published for it, so waiting for a newer publication times out.
        assert await client.wait_for_diagnostics(uri, after_generation=client.diagnostics_generation(uri),
                                                 timeout=0.2) is None
        await client.close_document(path)
        assert uri not in client.documents
    finally:
        await client.close()


def test_columns_convert_between_characters_and_utf16_units():
    line = "s = '🐍é' + x"
    x_col = line.index("x")  # 11 characters in
    assert to_lsp_character(line, x_col) == x_col + 1  # the snake is two UTF-16 units
    assert from_lsp_character(line, x_col + 1) == x_col
    assert to_lsp_character(line, x_col, "utf-8") == len(line[:x_col].encode())
    assert from_lsp_character(line, len(line[:x_col].encode()), "utf-8") == x_col
    assert to_lsp_character(line, x_col, "utf-32") == x_col


def test_uris():
    path = Path("/tmp/dir with space/ünï.py")
    uri = path_to_uri(path)
    assert uri.startswith("file:///tmp/dir%20with%20space/")
    assert uri_to_path(uri) == path
    assert uri_to_path("untitled:Untitled-1") is None


# -- servers and manager ------------------------------------------------------------------


def test_server_choice(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("pylsp", "rust-analyzer"):
        exe = bin_dir / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    registry = ServerRegistry({".rs": ["rust-analyzer"], "go": ["gopls"]}, search_path=str(bin_dir))
    assert registry.spec_for(Path("/x/a.py")).command == (str(bin_dir / "pylsp"),)
    assert registry.spec_for(Path("/x/a.rs")).command == (str(bin_dir / "rust-analyzer"),)
    assert registry.spec_for(Path("/x/a.go")) is None
    assert "gopls" in registry.missing_message(Path("/x/a.go"))
    assert registry.spec_for(Path("/x/a.txt")) is None
    assert '{"lsp": {"servers": {".txt"' in registry.missing_message(Path("/x/a.txt"))
    # pyright is preferred when it is installed.
    (bin_dir / "pyright-langserver").write_text("#!/bin/sh\n")
    (bin_dir / "pyright-langserver").chmod(0o755)
    assert registry.spec_for(Path("/x/a.py")).command == (str(bin_dir / "pyright-langserver"), "--stdio")
    # A configured .py server wins over both.
    custom = ServerRegistry({".py": ["pylsp", "-v"]}, search_path=str(bin_dir))
    assert custom.spec_for(Path("/x/a.py")).command == (str(bin_dir / "pylsp"), "-v")
    with pytest.raises(ValueError, match="non-empty list of strings"):
        ServerRegistry({".rs": "rust-analyzer"})


def test_settings_shape_is_read_from_layers():
    class Data:
        model_extra = {"lsp": {"servers": {".rs": ["rust-analyzer"], ".go": "gopls"}}}

    class Layer:
        data = Data()
        path = "/p/.claw/settings.json"

    class Later:
        data = type("D", (), {"model_extra": {"lsp": {"servers": {"rs": ["ra-multiplex"]}}}})()
        path = "/p/.claw/settings.local.json"

    servers, problems = servers_from_settings(type("S", (), {"layers": [Layer(), Later()]})())
    assert servers == {".rs": ["ra-multiplex"]}
    assert len(problems) == 1 and "lsp.servers['.go']" in problems[0]


def test_project_root(tmp_path):
    ws = tmp_path / "ws"
    (ws / "backend" / "pkg").mkdir(parents=True)
    (ws / "backend" / "pyproject.toml").write_text("")
    (ws / "scripts").mkdir()
    assert find_root(ws / "backend" / "pkg" / "m.py", ws) == ws / "backend"
    assert find_root(ws / "scripts" / "s.py", ws) == ws


async def test_manager_starts_one_server_per_root_and_restarts_after_a_crash(fake_server, tmp_path):
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "sub" / "Cargo.toml").write_text("")
    (ws / "a.fake").write_text("one\n")
    (ws / "b.fake").write_text("two\n")
    (ws / "sub" / "c.fake").write_text("three\n")
    manager = LspManager(ws, {".fake": [sys.executable, str(fake_server)]})
    try:
        first, _ = await manager.open(ws / "a.fake")
        again, _ = await manager.open(ws / "b.fake")
        other, _ = await manager.open(ws / "sub" / "c.fake")
        assert first is again, "one server per (server, root)"
        assert other is not first and other.root == ws / "sub"
        with pytest.raises(ServerCrashed):
            await first.request("crash", None)
        replacement, _ = await manager.open(ws / "a.fake")
        assert replacement is not first and replacement.alive
        # A file changed on disk reaches the server before the next query.
        (ws / "b.fake").write_text("two BAD\n")
        await manager.open(ws / "a.fake")
        await manager.open(ws / "b.fake")
        lines = await manager.diagnostics_for(ws / "b.fake", "two BAD\n")
        assert lines == ["1:5: error: BAD is bad [fake]"]
        # Text given by the caller is compared with the disk before the next query, too.
        (ws / "b.fake").write_text("two, fixed\n")
        client, _ = await manager.open(ws / "a.fake")
        assert client.documents[path_to_uri(ws / "b.fake")].text == "two, fixed\n"
    finally:
        await manager.close()
    assert not manager.running()


async def test_diagnostics_for_waits_briefly_and_returns_lines(fake_server, tmp_path):
    (tmp_path / "x.fake").write_text("")
    manager = LspManager(tmp_path, {".fake": [sys.executable, str(fake_server)]}, diagnostics_timeout=2.0)
    try:
        lines = await manager.diagnostics_for(tmp_path / "x.fake", "a\nb 🐍 BAD\n")
        # The column counts characters, though the server counted the snake as two units.
        assert lines == ["2:5: error: BAD is bad [fake]"]
        assert await manager.diagnostics_for(tmp_path / "x.fake", "clean\n") == []
    finally:
        await manager.close()


async def test_diagnostics_after_edit_gives_up_on_a_slow_cold_start(fake_server, tmp_path):
    (tmp_path / "x.fake").write_text("BAD\n")
    manager = LspManager(tmp_path, {".fake": [sys.executable, str(fake_server), "hang-on-init"]},
                         cold_start_budget=0.3, start_timeout=60)
    try:
        began = time.monotonic()
        assert await manager.diagnostics_after_edit(tmp_path / "x.fake", "BAD\n") == []
        assert time.monotonic() - began < 1.5, "an edit must not wait for a slow server"
    finally:
        began = time.monotonic()
        await manager.close()
        assert time.monotonic() - began < 5


def test_servers_configured_in_a_settings_file_reach_the_manager(tmp_path):
    from claw_tui.settings import load_settings

    ws = tmp_path / "ws"
    (ws / ".claw").mkdir(parents=True)
    (ws / ".claw" / "settings.json").write_text(
        '{"lsp": {"servers": {".rs": ["rust-analyzer"], ".zig": []}}, "model": "x"}')
    settings = load_settings(ws, user_dir=tmp_path / "user")
    manager = LspManager.from_settings(ws, settings)
    assert manager.registry.configured == {".rs": ("rust-analyzer",)}
    assert any("lsp.servers['.zig']" in w for w in settings.warnings)
