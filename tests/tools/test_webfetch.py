"""WebFetch against a real HTTP server on 127.0.0.1 (and the scripted model server)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from claw_tui.testing import scenario as sc
from claw_tui.tools.base import ToolContext
from claw_tui.tools.registry import default_registry
from claw_tui.tools.webfetch import WebFetchTool, normalize_url
from tests.conftest import PROVIDERS, Recorder, make_session
from tests.tools._fakeweb import FakeWeb
from tests.tools._helpers import call

ARTICLE = """<!doctype html>
<html><head><title>Widgets   guide</title>
<style>body { color: red }</style>
<script>var secret = "tracking-script-body";</script>
</head>
<body>
<nav><a href="/home">Home</a> | <a href="/about">About the site menu</a></nav>
<h1>Widgets</h1>
<p>Widgets are <strong>configured</strong> with <a href="/docs/config.html">a config file</a>.</p>
<h2 id="install">Install</h2>
<pre><code class="language-python">pip install widgets
print("```")</code></pre>
<ul><li>first point</li><li>second point</li></ul>
<script>document.write("more-script-noise")</script>
</body></html>
"""


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    site = FakeWeb().start()
    yield site
    site.stop()


@pytest.fixture
def other_web() -> Iterator[FakeWeb]:
    """A second host: addressed as ``localhost`` while ``web`` is addressed as 127.0.0.1."""
    site = FakeWeb().start()
    yield site
    site.stop()


async def test_html_page_becomes_markdown_without_scripts_styles_or_navigation(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/article", body=ARTICLE, content_type="text/html; charset=utf-8")
    result = await call(WebFetchTool(), ctx, url=web.url("/article"), prompt="")
    assert not result.is_error, result.content
    text = result.content
    assert "# Widgets" in text and "## Install" in text
    assert "**configured**" in text
    # Relative links are made absolute, so the model can fetch them next.
    assert f"[a config file]({web.url('/docs/config.html')})" in text
    assert "- first point\n- second point" in text
    # A fence longer than the backticks inside the code, with the language kept.
    assert '````python\npip install widgets\nprint("```")\n````' in text
    assert "Title: Widgets guide" in text
    for noise in ("tracking-script-body", "more-script-noise", "color: red", "About the site menu"):
        assert noise not in text
    assert "200 text/html" in result.summary


async def test_plain_text_and_json_pass_through_as_text(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/notes.txt", body="line one\n<b>not html</b>\n", content_type="text/plain")
    web.route("/api", body=json.dumps({"name": "widgets", "version": "1.2.3"}), content_type="application/json")
    tool = WebFetchTool()
    plain = await call(tool, ctx, url=web.url("/notes.txt"), prompt="")
    assert "line one\n<b>not html</b>" in plain.content
    data = await call(tool, ctx, url=web.url("/api"), prompt="")
    assert '"version": "1.2.3"' in data.content


async def test_same_host_redirect_is_followed_and_reported(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/old", status=301, headers={"Location": "/new"})
    web.route("/new", body="<h1>Moved here</h1>")
    result = await call(WebFetchTool(), ctx, url=web.url("/old"), prompt="")
    assert not result.is_error
    assert "# Moved here" in result.content
    assert f"URL: {web.url('/new')}" in result.content
    assert f"Redirected from: {web.url('/old')}" in result.content
    assert "redirected to /new" in result.summary
    assert [h.path for h in web.hits] == ["/old", "/new"]


async def test_redirect_to_another_host_is_reported_not_followed(
    ctx: ToolContext, web: FakeWeb, other_web: FakeWeb
) -> None:
    target = other_web.url("/landing", host="localhost")
    web.route("/go", status=302, headers={"Location": target})
    other_web.route("/landing", body="<p>elsewhere</p>")
    result = await call(WebFetchTool(), ctx, url=web.url("/go"), prompt="What is there?")
    assert not result.is_error
    assert "REDIRECT DETECTED" in result.content
    assert f"Redirect URL: {target}" in result.content
    assert "call WebFetch again" in result.content
    assert "prompt: What is there?" in result.content
    assert "another host" in result.summary and "not followed" in result.summary
    assert "elsewhere" not in result.content
    assert other_web.hits == []


async def test_redirect_loop_stops(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/a", status=302, headers={"Location": "/b"})
    web.route("/b", status=302, headers={"Location": "/a"})
    result = await call(WebFetchTool(), ctx, url=web.url("/a"), prompt="")
    assert result.is_error and "redirected more than 10 times" in result.content
    assert len(web.hits) == 11


async def test_oversize_page_is_cut_at_the_download_cap(ctx: ToolContext, web: FakeWeb) -> None:
    chunk = b"x" * 1023 + b"\n"
    web.routes["/huge"] = lambda hit: (200, {"Content-Type": "text/plain"}, (chunk for _ in range(2000)))
    tool = WebFetchTool(max_bytes=64 * 1024)
    result = await call(tool, ctx, url=web.url("/huge"), prompt="")
    assert not result.is_error
    assert "cut at 64 KB" in result.content
    body = result.content.split("\n\n", 1)[1]
    assert body == (b"x" * 1023 + b"\n").decode() * 64  # exactly 64 KB, no more
    assert "cut" in result.summary


async def test_long_content_is_cut_for_the_model(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/long", body="y" * 5000, content_type="text/plain")
    result = await call(WebFetchTool(max_chars=1000), ctx, url=web.url("/long"), prompt="")
    assert result.content.split("\n\n", 1)[1] == "y" * 1000
    assert "cut at 1,000 of 5,000 characters" in result.content


async def test_slow_page_times_out_with_a_clear_error(ctx: ToolContext, web: FakeWeb) -> None:
    # Headers at once, then a byte every 0.3 s: no read timeout ever trips, the total limit does.
    web.chunk_pause = 0.3
    web.routes["/slow"] = lambda hit: (200, {"Content-Type": "text/plain"}, (b"." for _ in range(20)))
    started = time.monotonic()
    result = await call(WebFetchTool(timeout=1.0), ctx, url=web.url("/slow"), prompt="")
    assert time.monotonic() - started < 3
    assert result.is_error
    assert "timed out after 1 s" in result.content
    assert result.summary == "timed out"


async def test_binary_content_is_refused(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/logo.png", body=b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048, content_type="image/png")
    result = await call(WebFetchTool(), ctx, url=web.url("/logo.png"), prompt="describe")
    assert result.is_error
    assert "image/png" in result.content and "not binary content" in result.content
    assert result.summary == "binary refused"


async def test_unlabelled_content_is_sniffed(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/setup.py", body="import setuptools\n", content_type="application/octet-stream")
    web.route("/blob", body=b"\x7fELF\x02\x01\x00\x00" * 64, content_type="application/octet-stream")
    web.route("/odd-charset", body="<p>caf\u00e9</p>", content_type="text/html; charset=no-such-codec")
    tool = WebFetchTool()
    source = await call(tool, ctx, url=web.url("/setup.py"), prompt="")
    assert not source.is_error and "import setuptools" in source.content
    blob = await call(tool, ctx, url=web.url("/blob"), prompt="")
    assert blob.is_error and blob.summary == "binary refused"
    odd = await call(tool, ctx, url=web.url("/odd-charset"), prompt="")
    assert not odd.is_error and "caf\u00e9" in odd.content


async def test_http_errors_are_reported(ctx: ToolContext, web: FakeWeb) -> None:
    result = await call(WebFetchTool(), ctx, url=web.url("/missing"), prompt="")
    assert result.is_error and "HTTP 404" in result.content


async def test_unreachable_host_is_reported(ctx: ToolContext, web: FakeWeb) -> None:
    port = web.port
    web.stop()
    result = await call(WebFetchTool(), ctx, url=f"http://127.0.0.1:{port}/", prompt="")
    assert result.is_error and result.content.startswith(f"Could not fetch http://127.0.0.1:{port}/")


@pytest.mark.parametrize(
    "url, message",
    [
        ("file:///etc/passwd", "only http:// and https:// URLs"),
        ("ftp://example.com/x", "only http:// and https:// URLs"),
        ("https://user:secret@example.com/", "credentials"),
        ("https:///nohost", "has no host"),
        ("example.com/page", "only http:// and https:// URLs"),
    ],
)
async def test_bad_urls_are_refused_before_any_request(ctx: ToolContext, url: str, message: str) -> None:
    result = await call(WebFetchTool(), ctx, url=url, prompt="")
    assert result.is_error and message in result.content


def test_http_is_upgraded_to_https_except_for_loopback() -> None:
    assert normalize_url("http://example.com/a?b=1#frag") == "https://example.com/a?b=1"
    assert normalize_url("http://example.com:80/") == "https://example.com/"
    assert normalize_url("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"
    assert normalize_url("http://localhost:3000") == "http://localhost:3000/"
    assert normalize_url("http://[::1]:8080/") == "http://[::1]:8080/"


async def test_pages_are_cached_for_fifteen_minutes(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/page", body="<p>cached content</p>")
    tool = WebFetchTool()
    first = await call(tool, ctx, url=web.url("/page"), prompt="")
    second = await call(tool, ctx, url=web.url("/page"), prompt="")
    assert "cached content" in second.content and "cached" in second.summary and "cached" not in first.summary
    assert len(web.hits) == 1
    expired = WebFetchTool(cache_ttl=0.0)
    await call(expired, ctx, url=web.url("/page"), prompt="")
    await call(expired, ctx, url=web.url("/page"), prompt="")
    assert len(web.hits) == 3


async def test_without_a_model_the_page_itself_comes_back_with_a_note(ctx: ToolContext, web: FakeWeb) -> None:
    web.route("/article", body=ARTICLE)
    assert ctx.model_client is None
    result = await call(WebFetchTool(), ctx, url=web.url("/article"), prompt="How are widgets configured?")
    assert not result.is_error
    assert "No model is available to apply the prompt" in result.content
    assert "# Widgets" in result.content
    assert "raw page" in result.summary


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_prompt_goes_to_the_small_model_with_the_page(server, workspace: Path, web: FakeWeb, provider: str) -> None:
    web.route("/article", body=ARTICLE)
    server.add(sc.text("Widgets are configured with a config file."))
    session = make_session(server, workspace, provider)
    try:
        result = await call(WebFetchTool(), session.ctx, url=web.url("/article"), prompt="How are widgets configured?")
        assert not result.is_error
        assert result.content == "Widgets are configured with a config file."
        assert "answered" in result.summary
        request = server.received[-1]
        assert request.body["model"] == ("claude-haiku-5-5" if provider == "anthropic" else "gpt-6-luna")
        sent = request.last_user_text
        assert "How are widgets configured?" in sent
        assert "Widgets are **configured** with" in sent
        assert "tracking-script-body" not in sent
        # The helper request is counted in the session's cost.
        assert session.ledger.by_agent["main:tools"].requests == 1
    finally:
        await session.close()


async def test_a_failing_model_falls_back_to_the_page_and_says_why(server, workspace: Path, web: FakeWeb) -> None:
    web.route("/article", body=ARTICLE)
    server.add({**sc.text("never served"), "faults": [{"type": "status", "status": 400, "message": "bad model"}]})
    session = make_session(server, workspace)
    try:
        result = await call(WebFetchTool(), session.ctx, url=web.url("/article"), prompt="Summarise")
        assert not result.is_error
        assert "The model could not answer the prompt" in result.content and "bad model" in result.content
        assert "# Widgets" in result.content
        assert "model failed" in result.summary
    finally:
        await session.close()


async def test_the_agent_calls_webfetch_under_a_domain_rule(server, workspace: Path, web: FakeWeb) -> None:
    web.route("/article", body=ARTICLE)
    server.add(
        sc.tool("WebFetch", url=web.url("/article"), prompt="How are widgets configured?"),
        {**sc.text("With a config file."), "match": "Web page content"},
        sc.text("Done: widgets use a config file."),
    )
    session = make_session(server, workspace, allowed_tools=["WebFetch(domain:127.0.0.1)"])
    recorder = Recorder(session.bus)
    try:
        assert "WebFetch" in default_registry().names() and "WebFetch" in session.tools.names()
        result = await session.run("How are widgets configured? See the docs site.")
        assert result.outcome == "success"
        from claw_tui.events import ApprovalRequested, ToolCallFinished

        assert recorder.of(ApprovalRequested) == []  # the domain rule allowed it
        finished = recorder.of(ToolCallFinished)
        assert finished and not finished[0].is_error
        tool_result = server.received[-1].last_user_text
        assert "With a config file." in tool_result
    finally:
        await session.close()


def test_webfetch_asks_by_default_and_previews_the_url() -> None:
    tool = WebFetchTool()
    params = tool.parse({"url": "http://example.com/docs", "prompt": "What version?"})
    assert tool.category == "network" and not tool.read_only
    assert tool.preview(params, None) == {"kind": "url", "url": "https://example.com/docs", "note": "What version?"}  # type: ignore[arg-type]
    assert "Fetch https://example.com/docs" in tool.approval_description(params, None)  # type: ignore[arg-type]
