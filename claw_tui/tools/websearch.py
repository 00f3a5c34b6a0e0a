"""WebSearch: search the web and list what was found (title, URL, snippet).

Where the search comes from, in order:
1. The provider's server-side search, where the session's provider has one: for
   Anthropic, the ``web_search_20250305`` server tool, in a one-shot request of its
   own through the anthropic SDK with the session's key, base URL and model.
2. Otherwise (OpenAI's Chat Completions API has no server-side search, nor has a
   local compatible server) a configured backend:
   - ``CLAW_SEARXNG_URL``: a SearxNG instance (its ``json`` format must be enabled);
   - ``BRAVE_API_KEY``: the Brave Search API.
   A configured backend is also the fallback when Anthropic's search fails.
3. Neither: an error saying what to set.

``allowed_domains`` / ``blocked_domains`` go to the server tool, which supports
them, and filter every backend's results here as well.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from claw_tui import __version__
from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult

MAX_RESULTS = 10
# Searches the model may run inside the one server-side request (it may refine the query).
MAX_SERVER_SEARCHES = 3
TIMEOUT_S = 60.0
MAX_SUMMARY_CHARS = 4000
BRAVE_ENDPOINT = "https://api.search.brave.com/res/v1/web/search"
SEARCH_SYSTEM_PROMPT = (
    "You run a web search for a coding agent. Search for the query you are given, then summarise "
    "briefly what the results say, citing them."
)
NO_BACKEND = (
    "Set CLAW_SEARXNG_URL to a SearxNG instance (with the json format enabled in its settings.yml), "
    "or BRAVE_API_KEY to a Brave Search API key, then try again."
)


class SearchError(Exception):
    """A search that failed; the message says why."""


@dataclass
class SearchHit:
    title: str
    url: str
    snippet: str = ""


@dataclass
class SearchOutcome:
    source: str
    hits: list[SearchHit]
    summary: str = ""  # a search model's own summary (server-side search)
    notes: list[str] = field(default_factory=list)


# -- domains -------------------------------------------------------------------


def normalize_domain(raw: str) -> str:
    """``https://Docs.Python.org/3/`` → ``docs.python.org``. Raises ValueError when nothing is left."""
    text = raw.strip().lower()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    text = text.split("/", 1)[0].split(":", 1)[0].strip(".")
    if not text or " " in text:
        raise ValueError(f"{raw!r} is not a domain")
    return text


def host_matches(url: str, domains: list[str]) -> bool:
    """Whether the URL's host is one of ``domains`` or below one (docs.x.org is in x.org)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def _strip_tags(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text or "")).split())


# -- backends ------------------------------------------------------------------


def _site_hint(query: str, allowed: list[str]) -> str:
    # One allowed domain narrows the engine's own search; with several, results are only filtered.
    return f"{query} site:{allowed[0]}" if len(allowed) == 1 else query


async def _get_json(url: str, *, params: dict[str, Any], headers: dict[str, str], timeout: float, what: str) -> Any:
    import httpx

    headers = {"User-Agent": f"claw/{__version__} (WebSearch)", "Accept": "application/json", **headers}
    try:
        async with httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=True) as client:
            response = await client.get(url, params=params)
    except httpx.TimeoutException:
        raise SearchError(f"{what} did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise SearchError(f"could not reach {what}: {exc or type(exc).__name__}") from None
    if response.status_code == 403 and what.startswith("SearxNG"):
        raise SearchError(f"{what} refused format=json (HTTP 403): enable json in search.formats of its settings.yml")
    if response.status_code in (401, 403):
        raise SearchError(f"{what} refused the request (HTTP {response.status_code}): check the key")
    if response.status_code >= 400:
        raise SearchError(f"{what} answered HTTP {response.status_code}: {response.text[:300]}")
    try:
        return response.json()
    except ValueError:
        raise SearchError(f"{what} did not answer JSON (content type {response.headers.get('content-type')!r})") from None


async def search_searxng(base_url: str, query: str, allowed: list[str], timeout: float) -> SearchOutcome:
    what = f"SearxNG at {base_url}"
    data = await _get_json(base_url.rstrip("/") + "/search", params={"q": _site_hint(query, allowed), "format": "json"},
                           headers={}, timeout=timeout, what=what)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise SearchError(f"{what} answered JSON without a results list")
    hits = [
        SearchHit(_strip_tags(r.get("title") or r.get("url", "")), r["url"], _strip_tags(r.get("content") or ""))
        for r in data["results"]
        if isinstance(r, dict) and isinstance(r.get("url"), str)
    ]
    return SearchOutcome(f"SearxNG ({base_url})", hits)


async def search_brave(api_key: str, query: str, allowed: list[str], timeout: float,
                       endpoint: str = BRAVE_ENDPOINT) -> SearchOutcome:
    data = await _get_json(endpoint, params={"q": _site_hint(query, allowed), "count": 20},
                           headers={"X-Subscription-Token": api_key}, timeout=timeout, what="the Brave Search API")
    web = data.get("web") if isinstance(data, dict) else None
    results = web.get("results") if isinstance(web, dict) else None
    if not isinstance(results, list):
        results = []  # Brave leaves "web" out when nothing was found
    hits = [
        SearchHit(_strip_tags(r.get("title") or r.get("url", "")), r["url"], _strip_tags(r.get("description") or ""))
        for r in results
        if isinstance(r, dict) and isinstance(r.get("url"), str)
    ]
    return SearchOutcome("Brave Search", hits)


async def search_anthropic(ctx: ToolContext, query: str, allowed: list[str], blocked: list[str],
                           timeout: float) -> SearchOutcome:
    """One request with the web_search server tool; its results and the model's summary."""
    client_info = ctx.model_client
    assert client_info is not None
    api_key, base_url = client_info.connection()
    if not api_key:
        raise SearchError("no Anthropic API key (ANTHROPIC_API_KEY) for the server-side search")
    import anthropic

    from claw_tui.providers.base import Usage

    tool: dict[str, Any] = {"type": "web_search_20250305", "name": "web_search", "max_uses": MAX_SERVER_SEARCHES}
    if allowed:
        tool["allowed_domains"] = allowed
    if blocked:
        tool["blocked_domains"] = blocked
    model = client_info.model
    client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=1, timeout=timeout)
    try:
        message = await client.messages.create(
            model=model,
            max_tokens=2048,
            system=SEARCH_SYSTEM_PROMPT,
            messages=[{"role": "user", "content": f"Perform a web search for the query: {query}"}],
            tools=[tool],  # type: ignore[list-item]
        )
    except anthropic.APIStatusError as exc:
        raise SearchError(f"Anthropic's web search failed (HTTP {exc.status_code}): "
                          f"{getattr(exc, 'api_message', None) or exc.message}") from None
    except anthropic.APIError as exc:
        raise SearchError(f"Anthropic's web search failed: {exc}") from None
    finally:
        await client.close()
    u = message.usage
    client_info.record_usage(ctx.agent_id, message.model or model, Usage(
        u.input_tokens or 0, u.output_tokens or 0, u.cache_creation_input_tokens or 0, u.cache_read_input_tokens or 0))
    return _parse_server_search(message.model_dump(mode="json"))


def _parse_server_search(message: dict[str, Any]) -> SearchOutcome:
    hits: dict[str, SearchHit] = {}
    cited: dict[str, str] = {}
    texts: list[str] = []
    errors: list[str] = []
    searched = False
    for block in message.get("content") or []:
        kind = block.get("type")
        if kind == "server_tool_use" and block.get("name") == "web_search":
            searched = True
        elif kind == "web_search_tool_result":
            content = block.get("content")
            if isinstance(content, dict):
                errors.append(content.get("error_code") or "unknown error")
                continue
            for r in content or []:
                url = r.get("url")
                if url and url not in hits:
                    age = r.get("page_age")
                    hits[url] = SearchHit(r.get("title") or url, url, f"(page age: {age})" if age else "")
        elif kind == "text":
            texts.append(block.get("text") or "")
            for c in block.get("citations") or []:
                if c.get("url") and c.get("cited_text"):
                    cited.setdefault(c["url"], " ".join(c["cited_text"].split()))
    for url, snippet in cited.items():
        if url in hits:
            hits[url].snippet = snippet
    if not hits and errors:
        raise SearchError(f"Anthropic's web search tool reported: {', '.join(errors)}")
    notes = []
    if not searched:
        notes.append("The search model answered without running a search.")
    if errors:
        notes.append(f"Some searches failed: {', '.join(errors)}.")
    if message.get("stop_reason") == "pause_turn":
        notes.append("The search was paused by the API before it finished; these are the results so far.")
    summary = "".join(texts).strip()
    if len(summary) > MAX_SUMMARY_CHARS:
        summary = summary[:MAX_SUMMARY_CHARS] + " …"
    return SearchOutcome("Anthropic server-side web search", list(hits.values()), summary, notes)


# -- the tool ------------------------------------------------------------------


class WebSearchInput(ToolInput):
    query: str = Field(min_length=2, description="The search query to use")
    allowed_domains: list[str] | None = Field(
        default=None, description="Only include search results from these domains"
    )
    blocked_domains: list[str] | None = Field(
        default=None, description="Never include search results from these domains"
    )


class WebSearchTool(Tool):
    name = "WebSearch"
    category = "network"
    read_only = False
    Input = WebSearchInput
    description = (
        "Searches the web and returns a numbered list of results: title, URL and a snippet.\n"
        "- Use it for information newer than your training data: current docs, releases, error messages.\n"
        "- allowed_domains / blocked_domains restrict the results (use one or the other, not both).\n"
        "- Fetch a result's page with WebFetch to read it.\n"
        "- Cite the URLs you used when you answer."
    )

    def __init__(self, *, timeout: float = TIMEOUT_S, brave_endpoint: str = BRAVE_ENDPOINT) -> None:
        self.timeout = timeout
        self.brave_endpoint = brave_endpoint

    def summary(self, params: WebSearchInput) -> str:
        return params.query

    def preview(self, params: WebSearchInput, ctx: ToolContext) -> dict[str, Any] | None:
        return None

    def approval_description(self, params: WebSearchInput, ctx: ToolContext) -> str:
        text = f"Search the web for: {params.query}"
        if params.allowed_domains:
            text += f"\nonly on: {', '.join(params.allowed_domains)}"
        if params.blocked_domains:
            text += f"\nnot on: {', '.join(params.blocked_domains)}"
        return text

    async def run(self, params: WebSearchInput, ctx: ToolContext) -> ToolResult:
        query = params.query.strip()
        if len(query) < 2:
            return ToolResult("The query is empty; give at least two characters.", is_error=True, summary="empty query")
        try:
            allowed = [normalize_domain(d) for d in params.allowed_domains or []]
            blocked = [normalize_domain(d) for d in params.blocked_domains or []]
        except ValueError as exc:
            return ToolResult(f"Invalid domain filter: {exc}", is_error=True, summary="invalid domain")
        if allowed and blocked:
            return ToolResult(
                "Use allowed_domains or blocked_domains, not both in one search.", is_error=True, summary="invalid input"
            )
        try:
            async with asyncio.timeout(self.timeout + 5):
                outcome = await self._search(ctx, query, allowed, blocked)
        except TimeoutError:
            return ToolResult(f"The web search timed out after {self.timeout:g} s.", is_error=True, summary="timed out")
        except SearchError as exc:
            return ToolResult(str(exc), is_error=True, summary="search failed")
        return self._result(query, outcome, allowed, blocked)

    async def _search(self, ctx: ToolContext, query: str, allowed: list[str], blocked: list[str]) -> SearchOutcome:
        provider = ctx.model_client.provider_name if ctx.model_client is not None else None
        backend = self._backend()
        if provider == "anthropic":
            try:
                return await search_anthropic(ctx, query, allowed, blocked, self.timeout)
            except SearchError as exc:
                if backend is None:
                    raise SearchError(f"{exc}.\nAs a fallback: {NO_BACKEND}") from None
                outcome = await backend(query, allowed)
                outcome.notes.append(f"The provider's search failed ({exc}); these results come from {outcome.source}.")
                return outcome
        if backend is None:
            why = {
                "openai": "OpenAI's Chat Completions API has no server-side web search",
                "compatible": "an OpenAI-compatible server has no server-side web search",
            }.get(provider or "", "no provider with a server-side web search is in use")
            raise SearchError(f"WebSearch has no search backend here: {why}, and none is configured. {NO_BACKEND}")
        return await backend(query, allowed)

    def _backend(self) -> Any:
        searxng = os.environ.get("CLAW_SEARXNG_URL", "").strip()
        if searxng:
            return lambda query, allowed: search_searxng(searxng, query, allowed, self.timeout)
        brave = os.environ.get("BRAVE_API_KEY", "").strip()
        if brave:
            return lambda query, allowed: search_brave(brave, query, allowed, self.timeout, self.brave_endpoint)
        return None

    def _result(self, query: str, outcome: SearchOutcome, allowed: list[str], blocked: list[str]) -> ToolResult:
        kept = [
            h for h in outcome.hits
            if (not allowed or host_matches(h.url, allowed)) and not (blocked and host_matches(h.url, blocked))
        ]
        dropped = len(outcome.hits) - len(kept)
        kept = kept[:MAX_RESULTS]
        lines = [f'Web search results for "{query}" (from {outcome.source}):', ""]
        if not kept:
            lines.append("No results.")
        for n, hit in enumerate(kept, 1):
            lines.append(f"{n}. {hit.title}")
            lines.append(f"   {hit.url}")
            if hit.snippet:
                lines.append(f"   {hit.snippet}")
            lines.append("")
        if dropped:
            lines.append(f"[{dropped} result{'s' if dropped != 1 else ''} outside the domain filters left out.]")
        lines.extend(f"[{note}]" for note in outcome.notes)
        if outcome.summary:
            lines += ["", "Summary from the search model:", outcome.summary]
        count = f"{len(kept)} result{'s' if len(kept) != 1 else ''}"
        return ToolResult("\n".join(lines).rstrip() + "\n", summary=f"{count} · {outcome.source.split(' (')[0]}")
