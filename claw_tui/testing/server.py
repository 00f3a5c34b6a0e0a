"""A scripted model server on 127.0.0.1 for tests, the demo and benchmarks.

It speaks the Anthropic Messages API (``POST /v1/messages``) and OpenAI Chat
Completions (``POST /v1/chat/completions``) over real HTTP with SSE, replays a
scenario of responses, injects faults, and records every request it received.

A scenario is a list of responses. Each response is a dict::

    {"blocks": [{"type": "thinking", "thinking": "..."},
                {"type": "text", "text": "..."},
                {"type": "tool_use", "name": "Read", "input": {...}}],   # or "raw_input": "{bad"
     "stop_reason": "end_turn",            # default: tool_use if there is a tool call
     "match": "substring",                 # only answer requests whose last user text has it
     "faults": [{"type": "status", "status": 429, "retry_after": 1},
                {"type": "cut"}],          # one per attempt, before the response is served whole
     "chunk_chars": 8,                     # text per delta
     "delay": 0.0,                         # seconds between deltas (a slow token rate)
     "latency": 0.0,                       # seconds before the response starts (a slow model)
     "usage": {"input_tokens": 10, "output_tokens": 5}}   # optional override

Anthropic's server-side web search (``web_search_20250305``) is scripted with::

    {"type": "web_search", "query": "...",                       # server_tool_use + its result
     "results": [{"title": "...", "url": "...", "page_age": "..."}]}   # or "error_code": "max_uses_exceeded"
    {"type": "text", "text": "...", "citations": [{"url": "...", "title": "...", "cited_text": "..."}]}

or with the two raw blocks, ``{"type": "server_tool_use", "name": "web_search", "input": {...}}`` and
``{"type": "web_search_tool_result", "content": [...]}`` (answering the server_tool_use before it).
OpenAI responses leave these blocks out.

Fault types: ``status`` (an HTTP error with optional ``retry_after`` seconds or
``retry_after_ms``), ``cut`` (the stream ends after the tool calls but before
the message ends), ``disconnect`` (the connection drops mid-stream), ``error_event``
(Anthropic's mid-stream ``event: error``, overloaded).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import json
import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

DEFAULT_MODEL = "claude-sonnet-5-5"
EXHAUSTED_TEXT = "[scripted model server: the scenario has no response left for this request]"


def _tokens(n_chars: int) -> int:
    return max(1, n_chars // 4)


@dataclass
class ReceivedRequest:
    api: str  # "anthropic" | "openai"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    time: float

    @property
    def last_user_text(self) -> str:
        return _last_user_text(self.api, self.body)


@dataclass
class ServedAttempt:
    response_index: int
    attempt: int
    fault: str | None
    api: str


@dataclass
class _Pending:
    index: int
    spec: dict[str, Any]
    attempts: int = 0


def _last_user_text(api: str, body: dict[str, Any]) -> str:
    for msg in reversed(body.get("messages", [])):
        if msg.get("role") not in ("user", "tool"):
            continue
        content = msg.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            parts = []
            for b in content:
                if b.get("type") == "text":
                    parts.append(b.get("text", ""))
                elif b.get("type") == "tool_result":
                    c = b.get("content")
                    parts.append(c if isinstance(c, str) else json.dumps(c))
            return "\n".join(parts)
    return ""


def _request_text(api: str, body: dict[str, Any]) -> str:
    """Everything a `match` may look for: system prompt and every message."""
    return json.dumps(body.get("system", "")) + json.dumps(body.get("messages", []))


def _search_result(r: dict[str, Any]) -> dict[str, Any]:
    url = r.get("url", "")
    return {"type": "web_search_result", "url": url, "title": r.get("title", ""),
            "encrypted_content": r.get("encrypted_content") or "enc_" + hashlib.sha256(url.encode()).hexdigest()[:24],
            "page_age": r.get("page_age")}


def _citation(c: dict[str, Any]) -> dict[str, Any]:
    return {"type": "web_search_result_location", "url": c.get("url", ""), "title": c.get("title"),
            "cited_text": c.get("cited_text", ""),
            "encrypted_index": c.get("encrypted_index") or "idx_" + hashlib.sha256(c.get("url", "").encode()).hexdigest()[:16]}


def _expand_server_tools(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scenario blocks with ``web_search`` shorthands written out as the API's server tool blocks."""

    def result(tool_use_id: str | None, spec: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
        content: Any
        if "error_code" in spec:
            content = {"type": "web_search_tool_result_error", "error_code": spec["error_code"]}
        else:
            content = [_search_result(r) for r in results]
        return {"type": "web_search_tool_result", "tool_use_id": tool_use_id, "content": content}

    out: list[dict[str, Any]] = []
    last_id: str | None = None
    for b in blocks:
        kind = b["type"]
        if kind in ("web_search", "server_tool_use"):
            last_id = b.get("id") or f"srvtoolu_{uuid.uuid4().hex[:22]}"
            use_input = b.get("input", {"query": b.get("query", "")})
            out.append({"type": "server_tool_use", "id": last_id, "name": b.get("name", "web_search"),
                        "input": use_input})
            if kind == "web_search":
                out.append(result(last_id, b, b.get("results", [])))
        elif kind == "web_search_tool_result":
            out.append(result(b.get("tool_use_id") or last_id, b, b.get("content", [])))
        else:
            out.append(b)
    return out


def _web_searches(blocks: list[dict[str, Any]]) -> int:
    return sum(1 for b in blocks if b["type"] == "server_tool_use" and b.get("name") == "web_search")


class ScriptedModelServer:
    def __init__(self, responses: Iterable[dict[str, Any]] = (), *, model: str = DEFAULT_MODEL,
                 flush_every: int = 1) -> None:
        self.model = model
        self.flush_every = flush_every
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._next_index = 0
        self.received: list[ReceivedRequest] = []
        self.served: list[ServedAttempt] = []
        self.exhausted = 0
        self._seen_prefixes: set[str] = set()
        self.add(*responses)
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port: int = 0

    # -- scenario --------------------------------------------------------------

    def add(self, *responses: dict[str, Any]) -> None:
        with self._lock:
            for r in responses:
                self._pending.append(_Pending(self._next_index, copy.deepcopy(r)))
                self._next_index += 1

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._pending)

    def discard_pending(self) -> int:
        """Drop the responses not served yet (a test that killed its client mid-scenario). Returns how many."""
        with self._lock:
            n = len(self._pending)
            self._pending.clear()
            return n

    def _take(self, api: str, body: dict[str, Any]) -> tuple[_Pending | None, dict[str, Any] | None]:
        """The response for this request and the fault to inject on this attempt."""
        haystack = None
        with self._lock:
            for p in self._pending:
                match = p.spec.get("match")
                if match:
                    haystack = haystack or (_last_user_text(api, body) + "\n" + _request_text(api, body))
                    if match not in haystack:
                        continue
                faults = p.spec.get("faults") or []
                fault = faults[p.attempts] if p.attempts < len(faults) else None
                p.attempts += 1
                if fault is None:
                    self._pending.remove(p)
                self.served.append(ServedAttempt(p.index, p.attempts, fault and fault["type"], api))
                return p, fault
            self.exhausted += 1
            return None, None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> ScriptedModelServer:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="error", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)

            async def serve() -> None:
                task = asyncio.create_task(self._server.serve(sockets=[sock]))
                while not self._server.started and not task.done():
                    await asyncio.sleep(0.005)
                ready.set()
                await task

            self._loop.run_until_complete(serve())

        self._thread = threading.Thread(target=run, name="scripted-model-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the scripted model server did not start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Anthropic's base URL (the SDK appends /v1/messages)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- HTTP ------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/messages", self._anthropic, methods=["POST"]),
                Route("/v1/chat/completions", self._openai, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/health", lambda r: JSONResponse({"ok": True}), methods=["GET"]),
            ]
        )

    async def _models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _record(self, request: Request, api: str) -> dict[str, Any]:
        body = await request.json()
        self.received.append(
            ReceivedRequest(api, request.url.path, dict(request.headers), body, time.time())
        )
        return body

    def _usage(self, api: str, body: dict[str, Any], spec: dict[str, Any] | None, out_chars: int) -> dict[str, int]:
        total_in = _tokens(len(json.dumps(body.get("messages", []))))
        prefix_chars = len(json.dumps(body.get("tools", []))) + len(json.dumps(body.get("system", "")))
        prefix_tokens = _tokens(prefix_chars)
        cacheable = False
        if api == "anthropic":
            system = body.get("system")
            cacheable = isinstance(system, list) and any("cache_control" in b for b in system)
        else:
            prefix_tokens = _tokens(len(json.dumps(body.get("tools", []))) + len(json.dumps(body["messages"][:1])))
            cacheable = prefix_tokens >= 1024
        created = read = 0
        if cacheable:
            key = hashlib.sha256((json.dumps(body.get("tools", [])) + json.dumps(body.get("system", ""))).encode()).hexdigest()
            with self._lock:
                if key in self._seen_prefixes:
                    read = prefix_tokens
                else:
                    self._seen_prefixes.add(key)
                    created = prefix_tokens
        usage = {
            "input_tokens": total_in + (0 if cacheable else prefix_tokens),
            "output_tokens": _tokens(out_chars),
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
        }
        if spec and spec.get("usage"):
            usage.update(spec["usage"])
        return usage

    @staticmethod
    def _error_response(api: str, fault: dict[str, Any]) -> Response:
        status = int(fault.get("status", 500))
        headers = {}
        if "retry_after" in fault:
            headers["retry-after"] = str(fault["retry_after"])
        if "retry_after_ms" in fault:
            headers["retry-after-ms"] = str(fault["retry_after_ms"])
        kinds = {429: "rate_limit_error", 529: "overloaded_error", 500: "api_error", 503: "api_error",
                 400: "invalid_request_error", 401: "authentication_error"}
        kind = kinds.get(status, "api_error")
        message = fault.get("message", f"scripted {status}")
        if api == "anthropic":
            body = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            body = {"error": {"message": message, "type": kind, "code": None, "param": None}}
        return JSONResponse(body, status_code=status, headers=headers)

    async def _anthropic(self, request: Request) -> Response:
        body = await self._record(request, "anthropic")
        pending, fault = self._take("anthropic", body)
        if not await self._wait_latency(request, pending):
            return Response(status_code=499)  # the client gave up waiting
        if fault is not None and fault["type"] == "status":
            return self._error_response("anthropic", fault)
        spec = pending.spec if pending else {"blocks": [{"type": "text", "text": EXHAUSTED_TEXT}]}
        if not body.get("stream"):
            return JSONResponse(self._whole_message("anthropic", body, spec))
        events = self._anthropic_events(body, spec, fault)
        return StreamingResponse(self._pace(events, spec, fault), media_type="text/event-stream")

    async def _openai(self, request: Request) -> Response:
        body = await self._record(request, "openai")
        pending, fault = self._take("openai", body)
        if not await self._wait_latency(request, pending):
            return Response(status_code=499)
        if fault is not None and fault["type"] == "status":
            return self._error_response("openai", fault)
        spec = pending.spec if pending else {"blocks": [{"type": "text", "text": EXHAUSTED_TEXT}]}
        if not body.get("stream"):
            return JSONResponse(self._whole_message("openai", body, spec))
        events = self._openai_events(body, spec, fault)
        return StreamingResponse(self._pace(events, spec, fault), media_type="text/event-stream")

    @staticmethod
    async def _wait_latency(request: Request, pending: _Pending | None) -> bool:
        """Wait out the response's ``latency``; False if the client disconnected meanwhile
        (an interrupted agent), so no handler outlives the requests it serves."""
        latency = float(pending.spec.get("latency", 0.0)) if pending is not None else 0.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + latency
        while (left := deadline - loop.time()) > 0:
            if await request.is_disconnected():
                return False
            await asyncio.sleep(min(0.05, left))
        return True

    async def _pace(self, events: list[bytes | None], spec: dict[str, Any], fault: dict[str, Any] | None) -> AsyncIterator[bytes]:
        delay = float(spec.get("delay", 0.0))
        batch: list[bytes] = []
        for ev in events:
            if ev is None:  # the point where a "disconnect" fault drops the connection
                if batch:
                    yield b"".join(batch)
                raise ConnectionAbortedError("scripted disconnect")
            batch.append(ev)
            if len(batch) >= self.flush_every:
                yield b"".join(batch)
                batch = []
                if delay:
                    await asyncio.sleep(delay)
        if batch:
            yield b"".join(batch)

    def _whole_message(self, api: str, body: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        """A non-streaming answer (small helper calls use these)."""
        blocks = spec.get("blocks", [])
        model = spec.get("model") or body.get("model") or self.model
        text = "".join(b.get("text", "") for b in blocks if b["type"] == "text")
        tools = [b for b in blocks if b["type"] == "tool_use"]
        usage = self._usage(api, body, spec, len(text) + sum(len(json.dumps(b.get("input", {}))) for b in tools))
        stop = spec.get("stop_reason") or ("tool_use" if tools else "end_turn")
        if api == "anthropic":
            content: list[dict[str, Any]] = []
            blocks = _expand_server_tools(blocks)
            for b in blocks:
                if b["type"] == "text":
                    block: dict[str, Any] = {"type": "text", "text": b["text"]}
                    if b.get("citations"):
                        block["citations"] = [_citation(c) for c in b["citations"]]
                    content.append(block)
                elif b["type"] == "tool_use":
                    content.append({"type": "tool_use", "id": b.get("id") or f"toolu_{uuid.uuid4().hex[:22]}",
                                    "name": b["name"], "input": b.get("input", {})})
                elif b["type"] in ("server_tool_use", "web_search_tool_result"):
                    content.append(b)
            if searches := _web_searches(blocks):
                usage = {**usage, "server_tool_use": {"web_search_requests": searches}}
            return {"id": f"msg_{uuid.uuid4().hex[:20]}", "type": "message", "role": "assistant", "model": model,
                    "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}
        calls = [{"id": b.get("id") or f"call_{uuid.uuid4().hex[:22]}", "type": "function",
                  "function": {"name": b["name"], "arguments": json.dumps(b.get("input", {}))}} for b in tools]
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            message["tool_calls"] = calls
        prompt = usage["input_tokens"] + usage["cache_read_input_tokens"]
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:20]}", "object": "chat.completion", "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": usage["output_tokens"],
                          "total_tokens": prompt + usage["output_tokens"],
                          "prompt_tokens_details": {"cached_tokens": usage["cache_read_input_tokens"]}}}

    # -- rendering: Anthropic --------------------------------------------------

    def _anthropic_events(self, body: dict[str, Any], spec: dict[str, Any], fault: dict[str, Any] | None) -> list[bytes | None]:
        def sse(kind: str, data: dict[str, Any]) -> bytes:
            return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()

        blocks = _expand_server_tools(spec.get("blocks", []))
        chunk = int(spec.get("chunk_chars", 8))
        out_chars = sum(len(b.get("text", "") or b.get("thinking", "") or json.dumps(b.get("input", {}))) for b in blocks)
        usage = self._usage("anthropic", body, spec, out_chars)
        model = spec.get("model") or body.get("model") or self.model
        out: list[bytes | None] = [
            sse("message_start", {
                "type": "message_start",
                "message": {"id": f"msg_{uuid.uuid4().hex[:20]}", "type": "message", "role": "assistant",
                            "model": model, "content": [], "stop_reason": None, "stop_sequence": None,
                            "usage": {**usage, "output_tokens": 1}},
            }),
            sse("ping", {"type": "ping"}),
        ]
        has_tool = False
        for i, b in enumerate(blocks):
            kind = b["type"]
            if kind == "text":
                out.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                       "content_block": {"type": "text", "text": ""}}))
                text = b["text"]
                for j in range(0, len(text), chunk):
                    out.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                           "delta": {"type": "text_delta", "text": text[j:j + chunk]}}))
                    if fault and fault["type"] == "disconnect" and j >= len(text) // 2 and None not in out:
                        out.append(None)
                for c in b.get("citations") or ():
                    out.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                           "delta": {"type": "citations_delta", "citation": _citation(c)}}))
            elif kind == "server_tool_use":
                out.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                       "content_block": {**b, "input": {}}}))
                raw = json.dumps(b.get("input", {}))
                for j in range(0, len(raw), 16):
                    out.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                           "delta": {"type": "input_json_delta", "partial_json": raw[j:j + 16]}}))
            elif kind == "web_search_tool_result":
                out.append(sse("content_block_start", {"type": "content_block_start", "index": i, "content_block": b}))
            elif kind == "thinking":
                out.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                       "content_block": {"type": "thinking", "thinking": "", "signature": ""}}))
                text = b["thinking"]
                for j in range(0, len(text), chunk):
                    out.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                           "delta": {"type": "thinking_delta", "thinking": text[j:j + chunk]}}))
                sig = hashlib.sha256(text.encode()).hexdigest()
                out.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                       "delta": {"type": "signature_delta", "signature": sig}}))
            elif kind == "tool_use":
                has_tool = True
                tool_id = b.get("id") or f"toolu_{uuid.uuid4().hex[:22]}"
                out.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                       "content_block": {"type": "tool_use", "id": tool_id,
                                                                         "name": b["name"], "input": {}}}))
                raw = b["raw_input"] if "raw_input" in b else json.dumps(b.get("input", {}))
                for j in range(0, len(raw), 16):
                    out.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                           "delta": {"type": "input_json_delta", "partial_json": raw[j:j + 16]}}))
            out.append(sse("content_block_stop", {"type": "content_block_stop", "index": i}))
        if fault and fault["type"] == "cut":
            return out  # the tool calls are complete, but the message never ends
        if fault and fault["type"] == "error_event":
            out.append(sse("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
            return out
        if fault and fault["type"] == "disconnect" and None not in out:
            out.append(None)
        stop = spec.get("stop_reason") or ("tool_use" if has_tool else "end_turn")
        final_usage: dict[str, Any] = {"output_tokens": usage["output_tokens"]}
        if searches := _web_searches(blocks):
            final_usage["server_tool_use"] = {"web_search_requests": searches}
        out.append(sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                         "usage": final_usage}))
        out.append(sse("message_stop", {"type": "message_stop"}))
        return out

    # -- rendering: OpenAI -----------------------------------------------------

    def _openai_events(self, body: dict[str, Any], spec: dict[str, Any], fault: dict[str, Any] | None) -> list[bytes | None]:
        cid = f"chatcmpl-{uuid.uuid4().hex[:20]}"
        created = int(time.time())
        model = spec.get("model") or body.get("model") or self.model

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()

        blocks = spec.get("blocks", [])
        size = int(spec.get("chunk_chars", 8))
        out: list[bytes | None] = [chunk({"role": "assistant", "content": ""})]
        out_chars = 0
        tool_index = 0
        for b in blocks:
            kind = b["type"]
            if kind == "text":
                text = b["text"]
                out_chars += len(text)
                for j in range(0, len(text), size):
                    out.append(chunk({"content": text[j:j + size]}))
                    if fault and fault["type"] == "disconnect" and j >= len(text) // 2 and None not in out:
                        out.append(None)
            elif kind == "thinking":
                text = b["thinking"]
                out_chars += len(text)
                for j in range(0, len(text), size):
                    out.append(chunk({"reasoning_content": text[j:j + size]}))
            elif kind == "tool_use":
                call_id = b.get("id") or f"call_{uuid.uuid4().hex[:22]}"
                raw = b["raw_input"] if "raw_input" in b else json.dumps(b.get("input", {}))
                out_chars += len(raw)
                out.append(chunk({"tool_calls": [{"index": tool_index, "id": call_id, "type": "function",
                                                  "function": {"name": b["name"], "arguments": ""}}]}))
                for j in range(0, len(raw), 16):
                    out.append(chunk({"tool_calls": [{"index": tool_index, "function": {"arguments": raw[j:j + 16]}}]}))
                tool_index += 1
        if fault and fault["type"] == "cut":
            return out
        if fault and fault["type"] == "disconnect" and None not in out:
            out.append(None)
        stop = spec.get("stop_reason")
        finish = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}.get(stop or "", None)
        finish = finish or ("tool_calls" if tool_index else "stop")
        out.append(chunk({}, finish))
        usage = self._usage("openai", body, spec, out_chars)
        prompt = usage["input_tokens"] + usage["cache_read_input_tokens"]
        out.append(
            ("data: " + json.dumps({
                "id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [],
                "usage": {"prompt_tokens": prompt, "completion_tokens": usage["output_tokens"],
                          "total_tokens": prompt + usage["output_tokens"],
                          "prompt_tokens_details": {"cached_tokens": usage["cache_read_input_tokens"]}},
            }, separators=(",", ":")) + "\n\n").encode()
        )
        out.append(b"data: [DONE]\n\n")
        return out


def load_scenario(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return data["responses"] if isinstance(data, dict) else data


def main(argv: list[str] | None = None) -> int:
    """Run the server in the foreground: ``python -m claw_tui.testing.server scenario.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", help="a JSON file: a list of responses or {responses: [...]}")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args(argv)
    server = ScriptedModelServer(load_scenario(args.scenario) if args.scenario else (), model=args.model)
    server.port = args.port
    server.start()
    print(f"listening on {server.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
