"""OpenAI Chat Completions through the official SDK.

Also serves any OpenAI-compatible server (Ollama, vLLM, llama.cpp server, LM
Studio) by base URL. The SDK is imported lazily and its retries are off.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

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

_STOP_REASONS = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}

# A local server usually wants no key, but the SDK refuses to start without one.
NO_KEY = "sk-no-key-required"


def to_wire_messages(system: str, messages: list[Message]) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    if system:
        wire.append({"role": "system", "content": system})
    for msg in messages:
        if msg.role == "assistant":
            text = "".join(b.text for b in msg.content if isinstance(b, TextBlock))
            calls = [
                {
                    "id": b.id,
                    "type": "function",
                    "function": {"name": b.name, "arguments": json.dumps(b.input)},
                }
                for b in msg.content
                if isinstance(b, ToolUseBlock)
            ]
            out: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                out["tool_calls"] = calls
            if text or calls:
                wire.append(out)
            continue
        # Tool results must directly follow the assistant message that asked for them.
        for b in msg.content:
            if isinstance(b, ToolResultBlock):
                content = b.content or "(no output)"
                if b.is_error:
                    content = f"Error: {content}"
                wire.append({"role": "tool", "tool_call_id": b.tool_use_id, "content": content})
        text = "".join(b.text for b in msg.content if isinstance(b, TextBlock))
        if text:
            wire.append({"role": "user", "content": text})
    return wire


def build_params(request: ModelRequest, *, compatible: bool) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": request.model,
        "messages": to_wire_messages(request.system, request.messages),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    # OpenAI's newer models take max_completion_tokens; local servers know max_tokens.
    params["max_tokens" if compatible else "max_completion_tokens"] = request.max_tokens
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.input_schema},
            }
            for t in request.tools
        ]
    return params


class OpenAIProvider:
    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        compatible: bool = False,
        timeout: float = 600.0,
    ) -> None:
        self.name = "openai-compatible" if compatible else "openai"
        self.compatible = compatible
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.timeout = timeout
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            key = self.api_key
            if not key:
                if not self.compatible:
                    raise ProviderError(
                        "No OpenAI API key: set OPENAI_API_KEY (or use --provider compatible with --base-url).",
                        retryable=False,
                        kind="authentication_error",
                    )
                key = NO_KEY
            import openai

            self._client = openai.AsyncOpenAI(
                api_key=key, base_url=self.base_url, max_retries=0, timeout=self.timeout
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        client = self._get_client()
        import httpx2
        import openai

        params = build_params(request, compatible=self.compatible)
        text_parts: list[str] = []
        thinking_parts: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        finish_reason: str | None = None
        usage = Usage()
        model = request.model
        try:
            stream = await client.chat.completions.create(**params)
            async with stream:
                async for chunk in stream:
                    if chunk.usage is not None:
                        u = chunk.usage
                        cached = 0
                        details = getattr(u, "prompt_tokens_details", None)
                        if details is not None and getattr(details, "cached_tokens", None):
                            cached = details.cached_tokens
                        usage.input_tokens = (u.prompt_tokens or 0) - cached
                        usage.cache_read_input_tokens = cached
                        usage.output_tokens = u.completion_tokens or 0
                    if chunk.model:
                        model = chunk.model
                    if not chunk.choices:
                        continue  # the final usage chunk has no choices
                    choice = chunk.choices[0]
                    delta = choice.delta
                    if delta is not None:
                        if delta.content:
                            text_parts.append(delta.content)
                            yield StreamText(delta.content)
                        # Compatible servers stream reasoning under one of these names.
                        extra = delta.model_extra or {}
                        reasoning = extra.get("reasoning_content") or extra.get("reasoning")
                        if isinstance(reasoning, str) and reasoning:
                            thinking_parts.append(reasoning)
                            yield StreamThinking(reasoning)
                        if delta.tool_calls:
                            for tc in delta.tool_calls:
                                slot = calls.get(tc.index)
                                if slot is None:
                                    slot = calls[tc.index] = {"id": tc.id or "", "name": "", "args": []}
                                elif tc.id and not slot["id"]:
                                    slot["id"] = tc.id
                                fn = tc.function
                                if fn is not None:
                                    if fn.name:
                                        announce = not slot["name"]
                                        slot["name"] += fn.name
                                        if announce:
                                            yield StreamToolUse(slot["id"], slot["name"])
                                    if fn.arguments:
                                        slot["args"].append(fn.arguments)
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
        except openai.APIStatusError as exc:
            raise ProviderError(
                f"{self.name} API error {exc.status_code}: {exc.message}",
                status=exc.status_code,
                retry_after=parse_retry_after(exc.response.headers if exc.response is not None else None),
            ) from exc
        except (openai.APIConnectionError, httpx2.TransportError) as exc:
            raise ProviderError(
                f"Could not reach {self.base_url or 'the OpenAI API'}: {exc}",
                retryable=True,
                kind="connection_error",
            ) from exc
        if finish_reason is None:
            raise IncompleteStreamError("the OpenAI stream ended without a finish_reason")

        content: list[Any] = []
        if thinking_parts:
            content.append(ThinkingBlock("".join(thinking_parts)))
        if text_parts:
            content.append(TextBlock("".join(text_parts)))
        for index in sorted(calls):
            slot = calls[index]
            raw = "".join(slot["args"])
            tool_input, error = parse_tool_arguments(raw)
            call_id = slot["id"] or f"call_{index}"
            content.append(
                ToolUseBlock(call_id, slot["name"], tool_input, input_error=error, raw_input=raw if error else None)
            )
        stop = _STOP_REASONS.get(finish_reason, finish_reason)
        # Some compatible servers say "stop" even when they asked for tools.
        if calls and stop == "end_turn":
            stop = "tool_use"
        yield ModelResponse(Message("assistant", content), stop, usage, model)
