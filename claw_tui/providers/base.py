"""Provider-neutral messages, stream events and errors.

Inside claw a conversation is a list of :class:`Message`; each provider module
translates to and from its own wire format at its edge.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["user", "assistant"]


# -- content blocks ------------------------------------------------------------


@dataclass(slots=True)
class TextBlock:
    text: str
    type: Literal["text"] = "text"


@dataclass(slots=True)
class ThinkingBlock:
    thinking: str
    signature: str | None = None
    # Redacted thinking carries only opaque data that must be sent back verbatim.
    redacted_data: str | None = None
    type: Literal["thinking"] = "thinking"


@dataclass(slots=True)
class ToolUseBlock:
    id: str
    name: str
    input: dict[str, Any]
    # The raw argument text when it was not valid JSON: the engine answers it
    # with an error result instead of running anything.
    input_error: str | None = None
    raw_input: str | None = None
    type: Literal["tool_use"] = "tool_use"


@dataclass(slots=True)
class ToolResultBlock:
    tool_use_id: str
    content: str
    is_error: bool = False
    type: Literal["tool_result"] = "tool_result"


Block = TextBlock | ThinkingBlock | ToolUseBlock | ToolResultBlock


@dataclass(slots=True)
class Message:
    role: Role
    content: list[Block]

    @classmethod
    def user(cls, text: str) -> Message:
        return cls("user", [TextBlock(text)])

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> list[ToolUseBlock]:
        return [b for b in self.content if isinstance(b, ToolUseBlock)]

    def to_dict(self) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = []
        for b in self.content:
            if isinstance(b, TextBlock):
                blocks.append({"type": "text", "text": b.text})
            elif isinstance(b, ThinkingBlock):
                if b.redacted_data is not None:
                    blocks.append({"type": "redacted_thinking", "data": b.redacted_data})
                else:
                    d: dict[str, Any] = {"type": "thinking", "thinking": b.thinking}
                    if b.signature:
                        d["signature"] = b.signature
                    blocks.append(d)
            elif isinstance(b, ToolUseBlock):
                blocks.append({"type": "tool_use", "id": b.id, "name": b.name, "input": b.input})
            elif isinstance(b, ToolResultBlock):
                blocks.append(
                    {"type": "tool_result", "tool_use_id": b.tool_use_id, "content": b.content, "is_error": b.is_error}
                )
        return {"role": self.role, "content": blocks}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        content = data["content"]
        if isinstance(content, str):
            return cls(data["role"], [TextBlock(content)])
        blocks: list[Block] = []
        for b in content:
            kind = b.get("type")
            if kind == "text":
                blocks.append(TextBlock(b["text"]))
            elif kind == "thinking":
                blocks.append(ThinkingBlock(b.get("thinking", ""), b.get("signature")))
            elif kind == "redacted_thinking":
                blocks.append(ThinkingBlock("", redacted_data=b.get("data", "")))
            elif kind == "tool_use":
                blocks.append(ToolUseBlock(b["id"], b["name"], dict(b.get("input") or {})))
            elif kind == "tool_result":
                c = b.get("content", "")
                if isinstance(c, list):
                    c = "".join(x.get("text", "") for x in c if isinstance(x, dict))
                blocks.append(ToolResultBlock(b["tool_use_id"], c, bool(b.get("is_error", False))))
        return cls(data["role"], blocks)


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
        )

    @property
    def context_tokens(self) -> int:
        """Tokens the model saw as input on this request: how full the window is."""
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }


# -- requests and stream events ------------------------------------------------


@dataclass(slots=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(slots=True)
class ModelRequest:
    model: str
    system: str
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int = 16000
    thinking: bool = False
    thinking_budget: int = 8000


@dataclass(slots=True)
class StreamText:
    text: str


@dataclass(slots=True)
class StreamThinking:
    text: str


@dataclass(slots=True)
class StreamToolUse:
    """The model started a tool call (its input arrives later, whole, in the response)."""

    id: str
    name: str


@dataclass(slots=True)
class ModelResponse:
    message: Message
    stop_reason: str | None
    usage: Usage
    model: str


StreamEvent = StreamText | StreamThinking | StreamToolUse | ModelResponse


class Provider(Protocol):
    name: str

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Stream one model response. The last event is a :class:`ModelResponse`.

        Raises :class:`ProviderError` on failure, including a stream that ends
        before its stop event.
        """
        ...

    async def aclose(self) -> None: ...


# -- errors --------------------------------------------------------------------

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


class ProviderError(Exception):
    """A failed model call, translated from whatever the SDK raised."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
        kind: str = "api_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.kind = kind
        if retryable is None:
            retryable = status in RETRYABLE_STATUS if status is not None else False
        self.retryable = retryable


class IncompleteStreamError(ProviderError):
    """The stream ended before the provider's stop event: nothing in it may be acted on."""

    def __init__(self, message: str = "the model's stream ended before it finished") -> None:
        super().__init__(message, retryable=True, kind="incomplete_stream")


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date)."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        value = headers.get("retry-after")
    except Exception:
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    import time

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_tool_arguments(raw: str) -> tuple[dict[str, Any], str | None]:
    """Decode a tool call's JSON arguments. Returns (input, error)."""
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, f"the tool input is not valid JSON ({exc.msg} at position {exc.pos})"
    if not isinstance(value, dict):
        return {}, f"the tool input must be a JSON object, got {type(value).__name__}"
    return value, None
