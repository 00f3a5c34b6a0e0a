"""LSP: ask the file's language server where a symbol is defined, who uses it, what
it is, what a file contains, and what problems it sees.

Operation and field names follow the LSP tool coding models know (goToDefinition,
findReferences, hover, documentSymbol, … with filePath, line, character, all
1-based as editors show them); ``diagnostics`` is claw's own addition.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from claw_tui.lsp.client import LspClient, LspError, from_lsp_character, to_lsp_character, uri_to_path
from claw_tui.lsp.manager import SEVERITIES, LspManager, format_diagnostic, sort_diagnostics
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

Operation = Literal[
    "goToDefinition", "findReferences", "hover", "documentSymbol", "workspaceSymbol",
    "goToImplementation", "prepareCallHierarchy", "incomingCalls", "outgoingCalls", "diagnostics",
]

# What each operation needs from the server (its capability) and from the model.
CAPABILITY = {
    "goToDefinition": "definitionProvider",
    "findReferences": "referencesProvider",
    "hover": "hoverProvider",
    "documentSymbol": "documentSymbolProvider",
    "workspaceSymbol": "workspaceSymbolProvider",
    "goToImplementation": "implementationProvider",
    "prepareCallHierarchy": "callHierarchyProvider",
    "incomingCalls": "callHierarchyProvider",
    "outgoingCalls": "callHierarchyProvider",
}
NEEDS_POSITION = {"goToDefinition", "findReferences", "hover", "goToImplementation",
                  "prepareCallHierarchy", "incomingCalls", "outgoingCalls"}

MAX_LOCATIONS = 200
MAX_SYMBOLS = 500
MAX_HOVER_CHARS = 8000
MAX_OUTPUT_CHARS = 30000
MAX_SOURCE_LINE = 160
# The diagnostics operation waits longer than an edit does: the model asked for them.
DIAGNOSTICS_WAIT = 10.0

SYMBOL_KINDS = (
    "file module namespace package class method property field constructor enum interface function "
    "variable constant string number boolean array object key null enum-member struct event operator "
    "type-parameter"
).split()


class LSPInput(ToolInput):
    operation: Operation = Field(description="The LSP operation to perform")
    file_path: str = Field(alias="filePath", description="The absolute or relative path to the file")
    line: int | None = Field(
        default=None, ge=1, description="The line number (1-based, as shown in editors)"
    )
    character: int | None = Field(
        default=None, ge=1, description="The character offset in the line (1-based, as shown in editors)"
    )
    query: str | None = Field(
        default=None, description="For workspaceSymbol: the symbol name, or part of it, to search for"
    )


class LSPTool(Tool):
    name = "LSP"
    category = "read"
    read_only = True
    Input = LSPInput
    description = (
        "Asks the language server for a file's language (started on first use) for code intelligence.\n"
        "Operations:\n"
        "- goToDefinition: where the symbol at a position is defined\n"
        "- findReferences: every use of the symbol at a position, across the project\n"
        "- hover: type, signature and documentation of the symbol at a position\n"
        "- documentSymbol: the classes, functions and variables a file defines\n"
        "- workspaceSymbol: symbols matching `query` across the project\n"
        "- goToImplementation: implementations of an interface or abstract method\n"
        "- prepareCallHierarchy / incomingCalls / outgoingCalls: the function at a position, "
        "its callers, the functions it calls\n"
        "- diagnostics: the errors and warnings the server reports for the file\n"
        "filePath is required; line and character (1-based, as editors show them) are required for "
        "the operations that take a position. Results name places as path:line:column.\n"
        "Python is served by pyright or pylsp when installed; other languages by the servers "
        "configured in settings. Without a server for the file an error says what to install."
    )

    def summary(self, params: Any) -> str:
        where = params.file_path
        if params.operation in NEEDS_POSITION and params.line:
            where += f":{params.line}" + (f":{params.character}" if params.character else "")
        if params.operation == "workspaceSymbol" and params.query:
            where += f" {params.query!r}"
        return f"{params.operation} {where}"

    async def run(self, params: LSPInput, ctx: ToolContext) -> ToolResult:
        manager: LspManager | None = getattr(ctx, "lsp", None)
        if manager is None:
            return ToolResult("The LSP tool is not available here: this session runs no language servers.",
                              is_error=True, summary="unavailable")
        path = ctx.resolve(params.file_path)
        op = params.operation
        if not path.exists():
            return ToolResult(f"File does not exist: {path}", is_error=True, summary="not found")
        if path.is_dir():
            return ToolResult(f"{path} is a directory; LSP works on a file.", is_error=True, summary="directory")
        if op in NEEDS_POSITION and (params.line is None or params.character is None):
            return ToolResult(f"{op} needs line and character (1-based) of the symbol in {ctx.display_path(path)}.",
                              is_error=True, summary="no position")
        if op == "workspaceSymbol" and not (params.query or "").strip():
            return ToolResult("workspaceSymbol needs query: the name (or part of it) of the symbol to find.",
                              is_error=True, summary="no query")
        try:
            if op == "diagnostics":
                return await self._diagnostics(manager, path, ctx)
            client, doc = await manager.open(path)
            capability = CAPABILITY[op]
            if not client.capabilities.get(capability):
                supported = [name for name, cap in CAPABILITY.items() if client.capabilities.get(cap)]
                return ToolResult(
                    f"The language server {client.name} does not support {op} (it has no {capability}). "
                    f"It supports: {', '.join(supported + ['diagnostics'])}.",
                    is_error=True,
                    summary="unsupported",
                )
            view = _View(ctx, client)
            view.remember(path, doc.text)
            position: dict[str, int] | None = None
            symbol = ""
            if op in NEEDS_POSITION:
                assert params.line is not None and params.character is not None
                position, symbol, problem = _position(doc.text, params.line, params.character, client)
                if problem:
                    return ToolResult(f"{problem} in {ctx.display_path(path)}.", is_error=True, summary="bad position")
            text_document = {"uri": doc.uri}
            if op in ("goToDefinition", "goToImplementation"):
                method = "textDocument/definition" if op == "goToDefinition" else "textDocument/implementation"
                result = await client.request(method, {"textDocument": text_document, "position": position})
                what = "definition" if op == "goToDefinition" else "implementation"
                return view.locations(_as_locations(result), what, symbol)
            if op == "findReferences":
                result = await client.request("textDocument/references", {
                    "textDocument": text_document, "position": position, "context": {"includeDeclaration": True}})
                return view.references(_as_locations(result), symbol)
            if op == "hover":
                result = await client.request("textDocument/hover", {"textDocument": text_document,
                                                                     "position": position})
                return _hover(result, f"{ctx.display_path(path)}:{params.line}:{params.character}")
            if op == "documentSymbol":
                result = await client.request("textDocument/documentSymbol", {"textDocument": text_document})
                return view.document_symbols(result or [], path)
            if op == "workspaceSymbol":
                result = await client.request("workspace/symbol", {"query": params.query})
                return view.workspace_symbols(result or [], params.query or "")
            items = await client.request("textDocument/prepareCallHierarchy",
                                         {"textDocument": text_document, "position": position})
            items = items or []
            if op == "prepareCallHierarchy" or not items:
                return view.call_items(items, symbol)
            method = "callHierarchy/incomingCalls" if op == "incomingCalls" else "callHierarchy/outgoingCalls"
            calls = await client.request(method, {"item": items[0]})
            return view.calls(calls or [], op, items[0])
        except LspError as exc:
            return ToolResult(f"LSP {op} failed: {exc}", is_error=True, summary="failed")

    async def _diagnostics(self, manager: LspManager, path: Path, ctx: ToolContext) -> ToolResult:
        doc, items = await manager.diagnostics(path, timeout=max(manager.diagnostics_timeout, DIAGNOSTICS_WAIT))
        spec = manager.spec_for(path)
        server = spec.name if spec else "the language server"
        shown = ctx.display_path(path)
        if items is None:
            return ToolResult(
                f"{server} published no diagnostics for {shown} within {DIAGNOSTICS_WAIT:g} s "
                "(it may still be analysing the project; try again shortly).",
                summary="no answer",
            )
        if not items:
            return ToolResult(f"No problems reported in {shown} ({server}).", summary="no problems")
        encoding = manager.position_encoding(path)
        lines = [f"{shown}:{format_diagnostic(d, doc.text, encoding)}" for d in sort_diagnostics(items)]
        counts: dict[int, int] = {}
        for d in items:
            sev = int(d.get("severity") or 1)
            counts[sev] = counts.get(sev, 0) + 1
        head = ", ".join(f"{counts[s]} {SEVERITIES.get(s, 'error')}{'s' if counts[s] != 1 else ''}"
                         for s in sorted(counts))
        return ToolResult(_cap(f"{head} in {shown} ({server}):\n" + "\n".join(lines)), summary=head)


# -- positions ------------------------------------------------------------------------------


def _position(text: str, line: int, character: int, client: LspClient) -> tuple[dict[str, int], str, str]:
    """The LSP position of a 1-based line/character, the word there, and a problem if any."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if line > max(len(lines), 1):
        return {}, "", f"Line {line} is past the end of the file ({len(lines)} lines)"
    line_text = lines[line - 1].rstrip("\r") if lines else ""
    if character > len(line_text) + 1:
        return {}, "", (f"Character {character} is past the end of line {line} "
                        f"({len(line_text)} characters: {line_text.strip()[:MAX_SOURCE_LINE]!r})")
    column = character - 1
    lsp_char = to_lsp_character(line_text, column, client.position_encoding)
    return {"line": line - 1, "character": lsp_char}, _word_at(line_text, column), ""


def _word_at(line_text: str, column: int) -> str:
    for match in re.finditer(r"\w+", line_text):
        if match.start() <= column <= match.end():
            return match.group()
    return ""


def _as_locations(result: Any) -> list[tuple[str, dict[str, Any]]]:
    """(uri, range) pairs from a Location, Location[], LocationLink[] or null."""
    if result is None:
        return []
    if isinstance(result, dict):
        result = [result]
    found = []
    for item in result:
        if not isinstance(item, dict):
            continue
        if "targetUri" in item:
            found.append((item["targetUri"], item.get("targetSelectionRange") or item.get("targetRange") or {}))
        elif "uri" in item:
            found.append((item["uri"], item.get("range") or {}))
    return found


# -- rendering ------------------------------------------------------------------------------


class _View:
    """Turns server answers into text with cwd-relative paths and 1-based line:col."""

    def __init__(self, ctx: ToolContext, client: LspClient) -> None:
        self.ctx = ctx
        self.client = client
        self._lines: dict[str, list[str] | None] = {}

    def remember(self, path: Path, text: str) -> None:
        self._lines[str(path)] = text.split("\n")

    def _file_lines(self, path: Path) -> list[str] | None:
        key = str(path)
        if key not in self._lines:
            doc = self.client.documents.get(path.as_uri()) if path.is_absolute() else None
            if doc is not None:
                self._lines[key] = doc.text.split("\n")
            else:
                try:
                    if path.stat().st_size > 4 * 1024 * 1024:
                        raise OSError("too large")
                    self._lines[key] = path.read_bytes().decode("utf-8", errors="replace").split("\n")
                except OSError:
                    self._lines[key] = None
        return self._lines[key]

    def place(self, uri: str, rng: dict[str, Any]) -> tuple[str, str, str]:
        """(path shown, "line:col", source line) of the start of ``rng`` in ``uri``."""
        start = (rng or {}).get("start") or {}
        line = int(start.get("line", 0))
        character = int(start.get("character", 0))
        path = uri_to_path(uri)
        if path is None:
            return uri, f"{line + 1}:{character + 1}", ""
        lines = self._file_lines(path)
        source = ""
        column = character
        if lines is not None and 0 <= line < len(lines):
            line_text = lines[line].rstrip("\r")
            column = from_lsp_character(line_text, character, self.client.position_encoding)
            source = line_text.strip()
            if len(source) > MAX_SOURCE_LINE:
                source = source[:MAX_SOURCE_LINE] + "…"
        return self.ctx.display_path(path), f"{line + 1}:{column + 1}", source

    def locations(self, found: list[tuple[str, dict[str, Any]]], what: str, symbol: str) -> ToolResult:
        of = f" of {symbol}" if symbol else ""
        if not found:
            return ToolResult(f"No {what}{of} found at this position.", summary=f"no {what}")
        rows = []
        for uri, rng in found[:MAX_LOCATIONS]:
            shown, pos, source = self.place(uri, rng)
            rows.append(f"{shown}:{pos}" + (f": {source}" if source else ""))
        head = f"{len(found)} {what}s{of}:" if len(found) != 1 else f"{what.capitalize()}{of}:"
        more = f"\n… and {len(found) - MAX_LOCATIONS} more" if len(found) > MAX_LOCATIONS else ""
        return ToolResult(_cap(head + "\n" + "\n".join(rows) + more),
                          summary=f"{len(found)} {what}{'s' if len(found) != 1 else ''}")

    def references(self, found: list[tuple[str, dict[str, Any]]], symbol: str) -> ToolResult:
        of = f" to {symbol}" if symbol else ""
        if not found:
            return ToolResult(f"No references{of} found.", summary="no references")
        by_file: dict[str, list[str]] = {}
        for uri, rng in found[:MAX_LOCATIONS]:
            shown, pos, source = self.place(uri, rng)
            by_file.setdefault(shown, []).append(f"  {pos}: {source}" if source else f"  {pos}")
        head = f"{len(found)} reference{'s' if len(found) != 1 else ''}{of} in {len(by_file)} " \
               f"file{'s' if len(by_file) != 1 else ''}:"
        body = "\n".join(f"{shown}\n" + "\n".join(rows) for shown, rows in by_file.items())
        more = f"\n… and {len(found) - MAX_LOCATIONS} more" if len(found) > MAX_LOCATIONS else ""
        return ToolResult(_cap(f"{head}\n{body}{more}"), summary=f"{len(found)} references")

    def document_symbols(self, symbols: list[dict[str, Any]], path: Path) -> ToolResult:
        shown = self.ctx.display_path(path)
        rows: list[str] = []

        def walk(items: list[dict[str, Any]], depth: int) -> None:
            for sym in items:
                if len(rows) >= MAX_SYMBOLS:
                    return
                if "location" in sym:  # SymbolInformation: flat, with a container name
                    _, pos, _ = self.place(sym["location"].get("uri", ""), sym["location"].get("range") or {})
                    container = f" in {sym['containerName']}" if sym.get("containerName") else ""
                    indent = "  " if sym.get("containerName") else ""
                    rows.append(f"{indent}{_kind(sym)} {sym.get('name', '?')} ({pos}){container}")
                    continue
                _, pos, _ = self.place(path.as_uri(), sym.get("selectionRange") or sym.get("range") or {})
                detail = f" — {sym['detail']}" if sym.get("detail") else ""
                rows.append(f"{'  ' * depth}{_kind(sym)} {sym.get('name', '?')} ({pos}){detail}")
                walk(sym.get("children") or [], depth + 1)

        walk(symbols, 0)
        if not rows:
            return ToolResult(f"No symbols found in {shown}.", summary="no symbols")
        more = f"\n… (cut at {MAX_SYMBOLS} symbols)" if len(rows) >= MAX_SYMBOLS else ""
        return ToolResult(_cap(f"Symbols in {shown}:\n" + "\n".join(rows) + more), summary=f"{len(rows)} symbols")

    def workspace_symbols(self, symbols: list[dict[str, Any]], query: str) -> ToolResult:
        if not symbols:
            return ToolResult(f"No symbols matching {query!r} found.", summary="no symbols")
        rows = []
        for sym in symbols[:MAX_SYMBOLS]:
            loc = sym.get("location") or {}
            shown, pos, _ = self.place(loc.get("uri", ""), loc.get("range") or {})
            container = f" in {sym['containerName']}" if sym.get("containerName") else ""
            rows.append(f"{_kind(sym)} {sym.get('name', '?')}{container} — {shown}:{pos}")
        more = f"\n… and {len(symbols) - MAX_SYMBOLS} more" if len(symbols) > MAX_SYMBOLS else ""
        return ToolResult(_cap(f"{len(symbols)} symbols matching {query!r}:\n" + "\n".join(rows) + more),
                          summary=f"{len(symbols)} symbols")

    def _item(self, item: dict[str, Any]) -> str:
        shown, pos, _ = self.place(item.get("uri", ""), item.get("selectionRange") or item.get("range") or {})
        detail = f" — {item['detail']}" if item.get("detail") else ""
        return f"{_kind(item)} {item.get('name', '?')} at {shown}:{pos}{detail}"

    def call_items(self, items: list[dict[str, Any]], symbol: str) -> ToolResult:
        if not items:
            at = f" ({symbol})" if symbol else ""
            return ToolResult(f"No function or method at this position{at} to build a call hierarchy from.",
                              summary="no item")
        return ToolResult(_cap("Call hierarchy item:\n" + "\n".join(self._item(i) for i in items)),
                          summary=f"{len(items)} item{'s' if len(items) != 1 else ''}")

    def calls(self, calls: list[dict[str, Any]], op: str, item: dict[str, Any]) -> ToolResult:
        name = item.get("name", "?")
        if not calls:
            what = f"No callers of {name} found." if op == "incomingCalls" else f"No calls from {name} found."
            return ToolResult(what, summary="no calls")
        rows = []
        for call in calls[:MAX_LOCATIONS]:
            other = call.get("from" if op == "incomingCalls" else "to") or {}
            rows.append(self._item(other))
            # For incoming calls the ranges are in the caller; for outgoing, in ``item``.
            uri = other.get("uri", "") if op == "incomingCalls" else item.get("uri", "")
            for rng in (call.get("fromRanges") or [])[:20]:
                shown, pos, source = self.place(uri, rng)
                rows.append(f"  call at {shown}:{pos}" + (f": {source}" if source else ""))
        head = f"{len(calls)} caller{'s' if len(calls) != 1 else ''} of {name}:" if op == "incomingCalls" \
            else f"{name} calls {len(calls)} function{'s' if len(calls) != 1 else ''}:"
        more = f"\n… and {len(calls) - MAX_LOCATIONS} more" if len(calls) > MAX_LOCATIONS else ""
        return ToolResult(_cap(head + "\n" + "\n".join(rows) + more), summary=f"{len(calls)} calls")


def _kind(symbol: dict[str, Any]) -> str:
    kind = symbol.get("kind")
    if isinstance(kind, int) and 1 <= kind <= len(SYMBOL_KINDS):
        return SYMBOL_KINDS[kind - 1]
    return "symbol"


def _hover(result: Any, where: str) -> ToolResult:
    contents = (result or {}).get("contents") if isinstance(result, dict) else None
    text = _markup(contents).strip()
    if not text:
        return ToolResult(f"No hover information at {where}.", summary="nothing")
    if len(text) > MAX_HOVER_CHARS:
        text = text[:MAX_HOVER_CHARS] + "\n… [cut]"
    return ToolResult(text, summary="hover")


def _markup(contents: Any) -> str:
    """Text of MarkupContent, a MarkedString, or a list of MarkedStrings."""
    if contents is None:
        return ""
    if isinstance(contents, str):
        return contents
    if isinstance(contents, list):
        return "\n\n".join(t for t in (_markup(c).strip() for c in contents) if t)
    if isinstance(contents, dict):
        value = str(contents.get("value", ""))
        if "language" in contents:  # MarkedString {language, value}: a code block
            return f"```{contents['language']}\n{value}\n```"
        return value
    return str(contents)


def _cap(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + "\n… [output cut: narrow the request]"
