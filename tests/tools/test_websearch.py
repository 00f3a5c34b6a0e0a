"""WebSearch: Anthropic's server-side search through the scripted server, SearxNG and
Brave backends against a fake on 127.0.0.1, no backend, and the domain filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from claw_tui.tools.base import ToolContext
from claw_tui.tools.registry import default_registry
from claw_tui.tools.websearch import WebSearchTool
from tests.conftest import make_session
from tests.tools._fakeweb import FakeWeb
from tests.tools._helpers import call

SEARXNG_RESULTS = {
    "query": "textual markdown widget",
    "number_of_results": 4,
    "results": [
        {"url": "https://textual.textualize.io/widgets/markdown/", "title": "Markdown - Textual",
         "content": "A widget to display a <b>Markdown</b> document.", "engine": "duckduckgo"},
        {"url": "https://github.com/Textualize/textual/issues/1", "title": "Markdown streaming &amp; more",
         "content": "Issue about streaming.", "engine": "bing"},
        {"url": "https://www.reddit.com/r/Python/comments/x", "title": "Textual is great",
         "content": "A thread.", "engine": "google"},
        {"url": "https://docs.textualize.io/blog/markdown", "title": "Blog: Markdown",
         "content": "", "engine": "google"},
    ],
    "answers": [], "suggestions": [],
}


@pytest.fixture
def searxng(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeb]:
    site = FakeWeb().start()
    site.route("/search", body=json.dumps(SEARXNG_RESULTS), content_type="application/json")
    monkeypatch.setenv("CLAW_SEARXNG_URL", site.url("/"))
    monkeypatch.delenv("BRAVE_API_KEY", raising=False)
    yield site
    site.stop()


@pytest.fixture
def no_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAW_SEARXNG_URL", raising=False)
    monkeypatch.delenv("BRAVE_API_KEY", raising=False)


async def test_searxng_backend_lists_title_url_and_snippet(ctx: ToolContext, searxng: FakeWeb) -> None:
    result = await call(WebSearchTool(), ctx, query="textual markdown widget")
    assert not result.is_error, result.content
    assert searxng.hits[0].query == {"q": ["textual markdown widget"], "format": ["json"]}
    text = result.content
    assert text.startswith('Web search results for "textual markdown widget" (from SearxNG')
    assert (
        "1. Markdown - Textual\n"
        "   https://textual.textualize.io/widgets/markdown/\n"
        "   A widget to display a Markdown document.\n"
    ) in text
    assert "2. Markdown streaming & more\n   https://github.com/Textualize/textual/issues/1" in text
    assert "4. Blog: Markdown\n   https://docs.textualize.io/blog/markdown\n" in text
    assert result.summary == "4 results · SearxNG"


async def test_allowed_domains_keep_only_those_sites_and_subdomains(ctx: ToolContext, searxng: FakeWeb) -> None:
    result = await call(WebSearchTool(), ctx, query="textual markdown widget", allowed_domains=["textualize.io"])
    assert "textual.textualize.io" in result.content and "docs.textualize.io" in result.content
    assert "github.com" not in result.content and "reddit.com" not in result.content
    assert "[2 results outside the domain filters left out.]" in result.content
    # One allowed domain also narrows the engine's own search.
    assert searxng.hits[0].query["q"] == ["textual markdown widget site:textualize.io"]


async def test_blocked_domains_drop_those_sites(ctx: ToolContext, searxng: FakeWeb) -> None:
    result = await call(WebSearchTool(), ctx, query="textual markdown widget",
                        blocked_domains=["https://reddit.com/", "GitHub.com"])
    assert "reddit.com" not in result.content and "github.com" not in result.content
    assert "1. Markdown - Textual" in result.content and "2. Blog: Markdown" in result.content
    assert result.summary.startswith("2 results")


async def test_both_domain_filters_at_once_is_an_error(ctx: ToolContext, searxng: FakeWeb) -> None:
    result = await call(WebSearchTool(), ctx, query="x y", allowed_domains=["a.com"], blocked_domains=["b.com"])
    assert result.is_error and "not both" in result.content
    assert searxng.hits == []


async def test_no_backend_says_what_to_set(ctx: ToolContext, no_backend: None) -> None:
    result = await call(WebSearchTool(), ctx, query="anything at all")
    assert result.is_error
    assert "CLAW_SEARXNG_URL" in result.content and "BRAVE_API_KEY" in result.content
    assert result.summary == "search failed"


async def test_openai_session_without_backend_explains_why(server, workspace: Path, no_backend: None) -> None:
    session = make_session(server, workspace, "openai")
    try:
        result = await call(WebSearchTool(), session.ctx, query="anything at all")
        assert result.is_error
        assert "OpenAI's Chat Completions API has no server-side web search" in result.content
        assert "CLAW_SEARXNG_URL" in result.content
        assert server.received == []
    finally:
        await session.close()


async def test_openai_session_uses_the_configured_backend(server, workspace: Path, searxng: FakeWeb) -> None:
    session = make_session(server, workspace, "openai")
    try:
        result = await call(WebSearchTool(), session.ctx, query="textual markdown widget")
        assert not result.is_error and "1. Markdown - Textual" in result.content
        assert server.received == [] and len(searxng.hits) == 1
    finally:
        await session.close()


async def test_searxng_without_json_format_is_explained(ctx: ToolContext, searxng: FakeWeb) -> None:
    searxng.route("/search", status=403, body="Forbidden", content_type="text/html")
    result = await call(WebSearchTool(), ctx, query="textual markdown widget")
    assert result.is_error and "enable json in search.formats" in result.content


async def test_brave_backend(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    site = FakeWeb().start()
    try:
        site.route("/res/v1/web/search", content_type="application/json", body=json.dumps({
            "type": "search",
            "web": {"results": [{"title": "PEP 8 – Style Guide", "url": "https://peps.python.org/pep-0008/",
                                 "description": "This document gives <strong>coding conventions</strong>.",
                                 "age": "2001"}]},
        }))
        monkeypatch.delenv("CLAW_SEARXNG_URL", raising=False)
        monkeypatch.setenv("BRAVE_API_KEY", "brave-test-key")
        tool = WebSearchTool(brave_endpoint=site.url("/res/v1/web/search"))
        result = await call(tool, ctx, query="pep 8")
        assert not result.is_error, result.content
        assert "1. PEP 8 – Style Guide\n   https://peps.python.org/pep-0008/\n   This document gives coding conventions." \
            in result.content
        assert site.hits[0].headers["x-subscription-token"] == "brave-test-key"
        assert site.hits[0].query["q"] == ["pep 8"]
    finally:
        site.stop()


SERVER_SEARCH = {
    "match": "Perform a web search for the query: textual markdown widget",
    "blocks": [
        {"type": "text", "text": "I'll search for that."},
        {"type": "web_search", "query": "textual markdown widget", "results": [
            {"title": "Markdown - Textual", "url": "https://textual.textualize.io/widgets/markdown/",
             "page_age": "2 weeks ago"},
            {"title": "Textual on PyPI", "url": "https://pypi.org/project/textual/"},
        ]},
        {"type": "text", "text": "Textual has a Markdown widget.",
         "citations": [{"url": "https://textual.textualize.io/widgets/markdown/", "title": "Markdown - Textual",
                        "cited_text": "Display a Markdown document with the Markdown widget."}]},
    ],
}


async def test_anthropic_server_side_search_through_the_scripted_server(server, workspace: Path,
                                                                       no_backend: None) -> None:
    server.add(SERVER_SEARCH)
    session = make_session(server, workspace, "anthropic")
    try:
        result = await call(WebSearchTool(), session.ctx, query="textual markdown widget",
                            allowed_domains=["textualize.io", "pypi.org"])
        assert not result.is_error, result.content
        request = server.received[-1].body
        assert request["tools"] == [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3,
                                     "allowed_domains": ["textualize.io", "pypi.org"]}]
        assert request["model"] == "claude-sonnet-5-5"
        headers = server.received[-1].headers  # the session's key (SDK versions differ in the header)
        assert "test-key" in headers.get("x-api-key", "") + headers.get("authorization", "")
        text = result.content
        assert "(from Anthropic server-side web search)" in text
        assert (
            "1. Markdown - Textual\n"
            "   https://textual.textualize.io/widgets/markdown/\n"
            "   Display a Markdown document with the Markdown widget.\n"
        ) in text
        assert "2. Textual on PyPI\n   https://pypi.org/project/textual/\n" in text
        assert "Summary from the search model:\nI'll search for that.Textual has a Markdown widget." in text
        assert session.ledger.by_agent["main:tools"].requests == 1
    finally:
        await session.close()


async def test_anthropic_search_error_code_is_reported(server, workspace: Path, no_backend: None) -> None:
    server.add({"blocks": [{"type": "web_search", "query": "q", "error_code": "too_many_requests"}]})
    session = make_session(server, workspace, "anthropic")
    try:
        result = await call(WebSearchTool(), session.ctx, query="some query")
        assert result.is_error and "too_many_requests" in result.content
    finally:
        await session.close()


async def test_anthropic_failure_falls_back_to_the_configured_backend(server, workspace: Path,
                                                                     searxng: FakeWeb) -> None:
    server.add({**SERVER_SEARCH, "faults": [{"type": "status", "status": 400,
                                             "message": "web search is not enabled"}] * 3})
    session = make_session(server, workspace, "anthropic")
    try:
        result = await call(WebSearchTool(), session.ctx, query="textual markdown widget")
        assert not result.is_error, result.content
        assert "(from SearxNG" in result.content
        assert "The provider's search failed" in result.content and "web search is not enabled" in result.content
        assert len(searxng.hits) == 1
    finally:
        await session.close()


async def test_server_tool_blocks_stream_too(server, workspace: Path) -> None:
    """The scripted server streams server tool blocks the way the API does (the SDK accumulates them)."""
    import anthropic

    server.add(SERVER_SEARCH)
    client = anthropic.AsyncAnthropic(api_key="test-key", base_url=server.base_url, max_retries=0)
    try:
        async with client.messages.stream(
            model="claude-sonnet-5-5", max_tokens=100,
            messages=[{"role": "user", "content": "Perform a web search for the query: textual markdown widget"}],
            tools=[{"type": "web_search_20250305", "name": "web_search"}],
        ) as stream:
            message = await stream.get_final_message()
    finally:
        await client.close()
    kinds = [b.type for b in message.content]
    assert kinds == ["text", "server_tool_use", "web_search_tool_result", "text"]
    assert message.content[1].input == {"query": "textual markdown widget"}
    assert message.content[2].content[1].url == "https://pypi.org/project/textual/"
    assert message.content[3].citations[0].cited_text.startswith("Display a Markdown")
    assert message.usage.server_tool_use.web_search_requests == 1


def test_websearch_is_registered_and_asks_by_default() -> None:
    tool = default_registry().get("WebSearch")
    assert tool is not None and tool.category == "network" and not tool.read_only
    schema = tool.spec().input_schema
    assert set(schema["properties"]) == {"query", "allowed_domains", "blocked_domains"}
    assert schema["required"] == ["query"]
