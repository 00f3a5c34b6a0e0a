"""Anthropic Messages API through the official SDK.

The SDK is imported only when the first request is about to go out (it costs
about a second to import). Retries are the engine's job, so the SDK's own are
off: the engine must see every failure to discard a broken stream's output.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from claw_tui.providers import catalogue
from claw_tui.providers.base import (
    IncompleteStreamError,
    Message,
    ModelRequest,
    ModelResponse,
    ProviderError,
    StreamEvent,
    StreamText,
    StreamThinking,
    StreamToolUse,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
    parse_retry_after,
    parse_tool_arguments,
)

# Mid-stream `event: error` arrives with HTTP status 200; map its type to the status
# the same error would have had before the stream started.
_ERROR_TYPE_STATUS = {
    "overloaded_error": 529,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
}

_EPHEMERAL = {"type": "ephemeral"}


def to_wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Translate neutral messages to Anthropic's, merging consecutive same-role turns.

    The last block of the last message carries a cache breakpoint so each request
    reads the conversation so far from the prompt cache.
    """
    wire: list[dict[str, Any]] = []
    for msg in messages:
        blocks: list[dict[str, Any]] = []
        for b in msg.content:
            if isinstance(b, TextBlock):
                if b.text:
                    blocks.append({"type": "text", "text": b.text})
            elif isinstance(b, ThinkingBlock):
                # Thinking without a signature (from another provider) cannot be replayed.
                if b.redacted_data is not None:
                    blocks.append({"type": "redacted_thinking", "data": b.redacted_data})
                elif b.signature:
                    blocks.append({"type": "thinking", "thinking": b.thinking, "signature": b.signature})
            elif isinstance(b, ToolUseBlock):
                blocks.append({"type": "tool_use", "id": b.id, "name": b.name, "input": b.input})
            elif isinstance(b, ToolResultBlock):
                blocks.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": b.tool_use_id,
                        "content": b.content or "(no output)",
                        "is_error": b.is_error,
                    }
                )
        if not blocks:
            continue
        if wire and wire[-1]["role"] == msg.role:
            wire[-1]["content"].extend(blocks)
        else:
            wire.append({"role": msg.role, "content": blocks})
    if wire:
        last = wire[-1]["content"][-1]
        if last["type"] in ("text", "tool_result"):
            wire[-1]["content"][-1] = {**last, "cache_control": _EPHEMERAL}
    return wire


def build_params(request: ModelRequest) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": to_wire_messages(request.messages),
    }
    if request.system:
        # Cache breakpoint on the system prompt: it is identical on every request.
        params["system"] = [{"type": "text", "text": request.system, "cache_control": _EPHEMERAL}]
    if request.tools:
        tools = [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in request.tools]
        # ...and on the last tool definition, which caches the whole tool list.
        tools[-1]["cache_control"] = _EPHEMERAL
        params["tools"] = tools
    info = catalogue.lookup(request.model)
    if request.thinking and info is not None:
        if info.thinking == "adaptive":
            params["thinking"] = {"type": "adaptive"}
        elif info.thinking == "enabled":
            budget = max(1024, min(request.thinking_budget, request.max_tokens - 1024))
            params["thinking"] = {"type": "enabled", "budget_tokens": budget}
    return params


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None, timeout: float = 600.0) -> None:
        self.api_key = api_key if api_key is not None else os.environ.get("ANTHROPIC_API_KEY")
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        self.timeout = timeout
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            if not self.api_key:
                raise ProviderError(
                    "No Anthropic API key: set ANTHROPIC_API_KEY (or choose another provider).",
                    retryable=False,
                    kind="authentication_error",
                )
            import anthropic

            self._client = anthropic.AsyncAnthropic(
                api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=self.timeout
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        client = self._get_client()
        import anthropic
        import httpx2

        params = build_params(request)
        blocks: list[dict[str, Any]] = []
        usage = Usage()
        stop_reason: str | None = None
        model = request.model
        finished = False
        try:
            stream = await client.messages.create(**params, stream=True)
            async with stream:
                async for event in stream:
                    kind = event.type
                    if kind == "content_block_delta":
                        delta = event.delta
                        dkind = delta.type
                        block = blocks[event.index]
                        if dkind == "text_delta":
                            block["text"].append(delta.text)
                            yield StreamText(delta.text)
                        elif dkind == "input_json_delta":
                            # Server tools (server_tool_use) stream input too; only our own
                            # tool calls keep it.
                            if "json" in block:
                                block["json"].append(delta.partial_json)
                        elif dkind == "thinking_delta":
                            block["thinking"].append(delta.thinking)
                            yield StreamThinking(delta.thinking)
                        elif dkind == "signature_delta":
                            block["signature"] = delta.signature
                    elif kind == "content_block_start":
                        cb = event.content_block
                        ckind = cb.type
                        while len(blocks) <= event.index:
                            blocks.append({"type": "unknown"})
                        if ckind == "text":
                            blocks[event.index] = {"type": "text", "text": [cb.text] if cb.text else []}
                            if cb.text:
                                yield StreamText(cb.text)
                        elif ckind == "tool_use":
                            blocks[event.index] = {"type": "tool_use", "id": cb.id, "name": cb.name, "json": []}
                            yield StreamToolUse(cb.id, cb.name)
                        elif ckind == "thinking":
                            blocks[event.index] = {
                                "type": "thinking",
                                "thinking": [cb.thinking] if cb.thinking else [],
                                "signature": getattr(cb, "signature", None) or None,
                            }
                        elif ckind == "redacted_thinking":
                            blocks[event.index] = {"type": "redacted_thinking", "data": cb.data}
                        else:
                            # Server tools and future block types: kept out of the neutral message.
                            blocks[event.index] = {"type": ckind}
                    elif kind == "message_start":
                        msg = event.message
                        model = msg.model or model
                        u = msg.usage
                        usage.input_tokens = u.input_tokens or 0
                        usage.output_tokens = u.output_tokens or 0
                        usage.cache_creation_input_tokens = u.cache_creation_input_tokens or 0
                        usage.cache_read_input_tokens = u.cache_read_input_tokens or 0
                    elif kind == "message_delta":
                        stop_reason = event.delta.stop_reason
                        u = event.usage
                        if u is not None:
                            if u.output_tokens is not None:
                                usage.output_tokens = u.output_tokens
                            if getattr(u, "input_tokens", None):
                                usage.input_tokens = u.input_tokens
                            if getattr(u, "cache_creation_input_tokens", None):
                                usage.cache_creation_input_tokens = u.cache_creation_input_tokens
                            if getattr(u, "cache_read_input_tokens", None):
                                usage.cache_read_input_tokens = u.cache_read_input_tokens
                    elif kind == "message_stop":
                        finished = True
        except anthropic.APIStatusError as exc:
            status = exc.status_code
            err_type = getattr(exc, "type", None)
            if status == 200 or status is None:
                status = _ERROR_TYPE_STATUS.get(err_type or "", 500)
            raise ProviderError(
                f"Anthropic API error {status}: {getattr(exc, 'api_message', None) or exc.message}",
                status=status,
                retry_after=parse_retry_after(exc.response.headers if exc.response is not None else None),
                kind=err_type or "api_error",
            ) from exc
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            raise ProviderError(
                f"Could not reach the Anthropic API at {self.base_url or 'api.anthropic.com'}: {exc}",
                retryable=True,
                kind="connection_error",
            ) from exc
        # An Anthropic stream that ends before message_stop raises nothing: it is a failure.
        if not finished or stop_reason is None:
            raise IncompleteStreamError("the Anthropic stream ended before message_stop")
        yield ModelResponse(_to_message(blocks), stop_reason, usage, model)


def _to_message(blocks: list[dict[str, Any]]) -> Message:
    content: list[Any] = []
    for b in blocks:
        kind = b["type"]
        if kind == "text":
            text = "".join(b["text"])
            if text:
                content.append(TextBlock(text))
        elif kind == "thinking":
            content.append(ThinkingBlock("".join(b["thinking"]), b.get("signature")))
        elif kind == "redacted_thinking":
            content.append(ThinkingBlock("", redacted_data=b["data"]))
        elif kind == "tool_use":
            raw = "".join(b["json"])
            tool_input, error = parse_tool_arguments(raw)
            content.append(
                ToolUseBlock(b["id"], b["name"], tool_input, input_error=error, raw_input=raw if error else None)
            )
    return Message("assistant", content)
