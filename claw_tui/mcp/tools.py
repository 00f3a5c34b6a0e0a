"""MCP tools as claw tools: ``mcp__<server>__<tool>``, plus ListMcpResources and
ReadMcpResource.

An MCP tool's input schema is whatever JSON Schema its server declares, so the
adapter offers that schema to the model as it is and validates calls against it
with ``jsonschema`` (what the SDK itself uses) instead of a pydantic model. Calls
go through the same permission policy as built-in tools: category "mcp", asked
by default, matched by ``mcp__server`` and ``mcp__server__tool`` rules.

This module does not import the mcp SDK: results arrive as SDK objects, read by
attribute.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import ConfigDict, Field

from claw_tui.mcp import mcp_tool_name
from claw_tui.providers.base import ToolSpec
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

if TYPE_CHECKING:
    from claw_tui.mcp.manager import McpManager

# Claude Code's MAX_MCP_OUTPUT_TOKENS default; about four characters a token.
DEFAULT_MAX_OUTPUT_TOKENS = 25_000


class McpCallError(Exception):
    """A call that did not produce a result (server gone, timed out, protocol error)."""


class ServerCaller(Protocol):
    name: str

    async def call_tool(self, tool: str, arguments: dict[str, Any]) -> Any: ...


class _AnyInput(ToolInput):
    """Stand-in Input: the real schema is the server's (see McpTool.spec)."""

    model_config = ConfigDict(extra="allow")


class McpArguments:
    """A call's arguments, validated against the server's schema."""

    __slots__ = ("arguments",)

    def __init__(self, arguments: dict[str, Any]) -> None:
        self.arguments = arguments

    def __repr__(self) -> str:
        return f"McpArguments({self.arguments!r})"


def _validation_error(tool: str, messages: list[str], raw: Any) -> Exception:
    """A pydantic ValidationError, which the agent loop turns into an answer the model can fix."""
    from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

    details = [InitErrorDetails(type=PydanticCustomError("mcp_schema", "{message}", {"message": m}),
                                loc=(), input=raw) for m in messages]
    return ValidationError.from_exception_data(tool, details)


def _object_schema(schema: Any) -> dict[str, Any]:
    """The server's input schema, made acceptable to both providers (a JSON object schema)."""
    schema = dict(schema) if isinstance(schema, dict) else {}
    schema["type"] = "object"
    if not isinstance(schema.get("properties"), dict):
        schema["properties"] = {}
    return schema


class McpTool(Tool):
    """One tool of one MCP server."""

    Input: ClassVar[type[ToolInput]] = _AnyInput
    category: ClassVar[str] = "mcp"  # type: ignore[misc]
    read_only: ClassVar[bool] = False

    def __init__(self, server: ServerCaller, remote: Any) -> None:
        self.server = server
        self.remote_name: str = remote.name
        self.name = mcp_tool_name(server.name, remote.name)  # type: ignore[misc]
        title = getattr(remote, "title", None)
        desc = (remote.description or title or f"{remote.name} from the MCP server {server.name}").strip()
        self.description = desc  # type: ignore[misc]
        self.input_schema = _object_schema(remote.input_schema)
        self._validator: Any = None

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.input_schema)

    def parse(self, raw: dict[str, Any]) -> McpArguments:
        if not isinstance(raw, dict):
            raise _validation_error(self.name, ["the input must be a JSON object"], raw)
        errors = self._schema_errors(raw)
        if errors:
            raise _validation_error(self.name, errors, raw)
        return McpArguments(raw)

    def _schema_errors(self, raw: dict[str, Any]) -> list[str]:
        if self._validator is None:
            import jsonschema

            try:
                cls = jsonschema.validators.validator_for(self.input_schema)
                cls.check_schema(self.input_schema)
                self._validator = cls(self.input_schema)
            except jsonschema.SchemaError:
                # A server with a broken schema: let its own validation speak.
                self._validator = False
        if self._validator is False:
            return []
        out = []
        for err in sorted(self._validator.iter_errors(raw), key=lambda e: list(e.path))[:10]:
            where = ".".join(str(p) for p in err.path)
            out.append(f"{where}: {err.message}" if where else err.message)
        return out

    def summary(self, params: Any) -> str:
        args = params.arguments if isinstance(params, McpArguments) else {}
        for value in args.values():
            if isinstance(value, str) and value:
                return value if len(value) <= 80 else value[:77] + "…"
        return ""

    def paths(self, params: Any, ctx: ToolContext) -> list:
        return []

    def preview(self, params: Any, ctx: ToolContext) -> dict[str, Any]:
        args = params.arguments if isinstance(params, McpArguments) else {}
        return {"kind": "mcp", "server": self.server.name, "tool": self.remote_name, "arguments": args}

    def approval_description(self, params: Any, ctx: ToolContext) -> str:
        return f"Call {self.remote_name} on the MCP server {self.server.name}"

    async def run(self, params: Any, ctx: ToolContext) -> ToolResult:
        args = params.arguments if isinstance(params, McpArguments) else {}
        try:
            result = await self.server.call_tool(self.remote_name, args)
        except McpCallError as exc:
            return ToolResult(f"MCP server {self.server.name}: {exc}", is_error=True, summary="failed")
        text = result_text(result)
        is_error = bool(getattr(result, "is_error", False))
        summary = "error" if is_error else _first_line(text)
        return ToolResult(text, is_error=is_error, summary=summary)


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if any(c.isalnum() for c in ln)]
    line = lines[0] if lines else "(no output)"
    return line if len(line) <= 80 else line[:77] + "…"


def max_output_chars() -> int:
    import os

    try:
        tokens = int(os.environ.get("MAX_MCP_OUTPUT_TOKENS", DEFAULT_MAX_OUTPUT_TOKENS))
    except ValueError:
        tokens = DEFAULT_MAX_OUTPUT_TOKENS
    return max(1000, tokens * 4)


def _limit(text: str) -> str:
    limit = max_output_chars()
    if len(text) <= limit:
        return text
    return (text[:limit] + f"\n\n[Output cut: the MCP tool returned {len(text):,} characters, more than the "
            f"{limit:,} claw passes on (MAX_MCP_OUTPUT_TOKENS).]")


def _resource_contents_text(contents: Any) -> str:
    uri = str(getattr(contents, "uri", ""))
    text = getattr(contents, "text", None)
    if text is not None:
        return text
    blob = getattr(contents, "blob", None) or ""
    mime = getattr(contents, "mime_type", None) or "application/octet-stream"
    try:
        size = len(base64.b64decode(blob, validate=False))
    except (ValueError, TypeError):
        size = len(blob)
    return f"[binary resource {uri} ({mime}, {size:,} bytes) not shown]"


def content_text(block: Any) -> str:
    kind = getattr(block, "type", None)
    if kind == "text":
        return block.text
    if kind in ("image", "audio"):
        try:
            size = len(base64.b64decode(block.data, validate=False))
        except (ValueError, TypeError):
            size = len(block.data or "")
        return f"[{kind} ({block.mime_type}, {size:,} bytes) returned by the tool; claw passes on text only]"
    if kind == "resource":
        return _resource_contents_text(block.resource)
    if kind == "resource_link":
        desc = f": {block.description}" if getattr(block, "description", None) else ""
        return f"[resource {block.uri} ({block.name}){desc}; read it with ReadMcpResource]"
    return json.dumps(block.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False)


def result_text(result: Any) -> str:
    parts = [content_text(b) for b in (getattr(result, "content", None) or [])]
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, indent=2))
    text = "\n".join(parts) if parts else "(the tool returned no content)"
    return _limit(text)


# -- resources ---------------------------------------------------------------------


class ListMcpResourcesInput(ToolInput):
    server: str | None = Field(default=None, description="Only this server's resources (default: every server)")


class ListMcpResourcesTool(Tool):
    name = "ListMcpResources"
    description = ("List the resources (files, documents, records) that connected MCP servers offer. Each has a "
                   "server and a URI; read one with ReadMcpResource.")
    Input = ListMcpResourcesInput
    category = "mcp"
    read_only = True

    def __init__(self, manager: McpManager) -> None:
        self.manager = manager

    def summary(self, params: Any) -> str:
        return params.server or "all servers"

    def paths(self, params: Any, ctx: ToolContext) -> list:
        return []

    async def run(self, params: ListMcpResourcesInput, ctx: ToolContext) -> ToolResult:
        try:
            listing, problems = await self.manager.list_resources(params.server)
        except McpCallError as exc:
            return ToolResult(str(exc), is_error=True, summary="failed")
        lines = []
        for server, resources in listing.items():
            for r in resources:
                extra = " — ".join(x for x in (r.get("name") or "", r.get("description") or "") if x)
                mime = f" [{r['mime_type']}]" if r.get("mime_type") else ""
                lines.append(f"{server}: {r['uri']}{mime}{(' — ' + extra) if extra else ''}")
        lines += [f"({p})" for p in problems]
        if not lines:
            return ToolResult("No MCP server offers resources.", summary="none")
        count = sum(len(v) for v in listing.values())
        return ToolResult(_limit("\n".join(lines)), summary=f"{count} resource(s)")


class ReadMcpResourceInput(ToolInput):
    server: str = Field(description="The MCP server's name")
    uri: str = Field(description="The resource URI, as ListMcpResources gave it")


class ReadMcpResourceTool(Tool):
    name = "ReadMcpResource"
    description = "Read one resource of a connected MCP server, by server name and URI (see ListMcpResources)."
    Input = ReadMcpResourceInput
    category = "mcp"
    read_only = True

    def __init__(self, manager: McpManager) -> None:
        self.manager = manager

    def summary(self, params: Any) -> str:
        return f"{params.server} {params.uri}"

    def paths(self, params: Any, ctx: ToolContext) -> list:
        return []

    async def run(self, params: ReadMcpResourceInput, ctx: ToolContext) -> ToolResult:
        try:
            result = await self.manager.read_resource(params.server, params.uri)
        except McpCallError as exc:
            return ToolResult(str(exc), is_error=True, summary="failed")
        parts = [_resource_contents_text(c) for c in (getattr(result, "contents", None) or [])]
        text = "\n".join(parts) if parts else "(the resource is empty)"
        return ToolResult(_limit(text), summary=f"{len(text):,} characters")
