"""Provider-neutral messages ↔ each provider's wire format, the catalogue and retries."""

from __future__ import annotations

import pytest

from claw_tui.engine.retry import RetryPolicy
from claw_tui.providers import anthropic as anth
from claw_tui.providers import catalogue
from claw_tui.providers import openai as oai
from claw_tui.providers.base import (
    Message,
    ModelRequest,
    ProviderError,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolSpec,
    ToolUseBlock,
    Usage,
    parse_retry_after,
    parse_tool_arguments,
)

CONVERSATION = [
    Message.user("fix it"),
    Message("assistant", [ThinkingBlock("hmm", "sig"), TextBlock("Reading."),
                          ToolUseBlock("t1", "Read", {"file_path": "/a"})]),
    Message("user", [ToolResultBlock("t1", "1\tx", False)]),
    Message.user("[Request interrupted by user]"),
    Message.user("go on"),
]


def test_anthropic_merges_consecutive_user_turns_and_marks_cache():
    wire = anth.to_wire_messages(CONVERSATION)
    assert [m["role"] for m in wire] == ["user", "assistant", "user"]
    last = wire[-1]["content"]
    assert [b["type"] for b in last] == ["tool_result", "text", "text"]
    assert last[-1]["cache_control"] == {"type": "ephemeral"}
    assert wire[1]["content"][0] == {"type": "thinking", "thinking": "hmm", "signature": "sig"}


def test_anthropic_drops_unsigned_thinking_and_empty_text():
    msgs = [Message.user("q"), Message("assistant", [ThinkingBlock("from another provider"), TextBlock(""),
                                                     TextBlock("a")])]
    wire = anth.to_wire_messages(msgs)
    assert wire[1]["content"] == [{"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}}]


def test_anthropic_redacted_thinking_round_trips():
    msg = Message("assistant", [ThinkingBlock("", redacted_data="opaque")])
    assert anth.to_wire_messages([Message.user("q"), msg])[1]["content"][0] == {
        "type": "redacted_thinking", "data": "opaque"}


@pytest.mark.parametrize("model,expected", [
    ("claude-sonnet-5-5", {"type": "adaptive"}),
    ("claude-sonnet-4-5", {"type": "enabled", "budget_tokens": 8000}),
    ("unknown-model", None),
])
def test_anthropic_thinking_by_model(model, expected):
    params = anth.build_params(ModelRequest(model=model, system="s", messages=[Message.user("q")], thinking=True))
    assert params.get("thinking") == expected


def test_anthropic_tools_and_system_are_cached():
    req = ModelRequest(model="claude-sonnet-5-5", system="sys", messages=[Message.user("q")],
                       tools=[ToolSpec("A", "a", {"type": "object"}), ToolSpec("B", "b", {"type": "object"})])
    params = anth.build_params(req)
    assert params["system"] == [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}]
    assert "cache_control" not in params["tools"][0]
    assert params["tools"][1]["cache_control"] == {"type": "ephemeral"}


def test_openai_tool_results_follow_their_call_and_text_after():
    wire = oai.to_wire_messages("sys", CONVERSATION)
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "tool", "user", "user"]
    assert wire[2]["tool_calls"][0] == {"id": "t1", "type": "function",
                                        "function": {"name": "Read", "arguments": '{"file_path": "/a"}'}}
    assert wire[2]["content"] == "Reading."
    assert wire[3] == {"role": "tool", "tool_call_id": "t1", "content": "1\tx"}


def test_openai_error_results_are_marked():
    wire = oai.to_wire_messages("", [Message("user", [ToolResultBlock("t", "boom", True)])])
    assert wire[0]["content"] == "Error: boom"


def test_openai_params_by_provider_kind():
    req = ModelRequest(model="gpt-6.2-sol", system="", messages=[Message.user("q")], max_tokens=123)
    assert oai.build_params(req, compatible=False)["max_completion_tokens"] == 123
    assert oai.build_params(req, compatible=True)["max_tokens"] == 123


def test_message_dict_round_trip():
    for msg in CONVERSATION:
        assert Message.from_dict(msg.to_dict()) == msg


def test_tool_arguments():
    assert parse_tool_arguments('{"a": 1}') == ({"a": 1}, None)
    assert parse_tool_arguments("") == ({}, None)
    assert "not valid JSON" in parse_tool_arguments('{"a": ')[1]
    assert "must be a JSON object" in parse_tool_arguments("[1]")[1]


def test_retry_after_parsing():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_retry_policy_backoff_is_jittered_and_capped():
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    err = ProviderError("x", status=529)
    delays = [policy.delay(err, 5) for _ in range(50)]
    assert all(4.0 <= d <= 8.0 for d in delays) and len(set(delays)) > 1
    assert policy.delay(ProviderError("x", status=429, retry_after=7), 1) == 7
    assert policy.delay(ProviderError("x", status=429, retry_after=10_000), 1) == 120
    assert policy.should_retry(ProviderError("x", status=408), 1)
    assert not policy.should_retry(ProviderError("x", status=400), 1)
    assert not policy.should_retry(ProviderError("x", status=500), 9)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_retryable_statuses(status):
    assert ProviderError("x", status=status).retryable


def test_catalogue_lookup_aliases_and_dated_ids():
    assert catalogue.lookup("sonnet").id == "claude-sonnet-5-5"
    assert catalogue.resolve("opus") == "claude-opus-5-5"
    assert catalogue.lookup("claude-sonnet-4-5-20250929").id == "claude-sonnet-4-5"
    assert catalogue.lookup("anthropic/claude-haiku-4-5").id == "claude-haiku-4-5"
    assert catalogue.lookup("no-such-model") is None
    assert catalogue.guess_provider("claude-x") == "anthropic"
    assert catalogue.guess_provider("gpt-6.2-sol") == "openai"


def test_catalogue_covers_current_claude_and_gpt_models():
    models = {m.id: m for m in catalogue.all_models()}
    for mid in ("claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "gpt-6.2-sol", "gpt-5.5"):
        m = models[mid]
        assert m.context_window >= 128_000
        assert m.input > 0 and m.output > m.input and 0 < m.cache_read < m.input


def test_cost_uses_all_four_prices():
    info = catalogue.lookup("claude-sonnet-5-5")
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_creation_input_tokens=1_000_000,
                  cache_read_input_tokens=1_000_000)
    assert info.cost(usage) == pytest.approx(info.input + info.output + info.cache_write + info.cache_read)


async def test_a_streamed_server_tool_block_does_not_break_the_turn(server, workspace):
    """Anthropic streams server_tool_use input as input_json_delta too: it is not one of our calls."""
    from tests.conftest import make_session

    server.add({"blocks": [{"type": "web_search", "query": "textual markdown stream",
                            "results": [{"title": "Textual", "url": "https://textual.textualize.io"}]},
                           {"type": "text", "text": "Found it."}], "stop_reason": "end_turn"})
    session = make_session(server, workspace, "anthropic")
    result = await session.run("search")
    await session.close()
    assert result.outcome == "success" and result.result == "Found it."
    assert not session.agent.messages[-1].tool_uses
