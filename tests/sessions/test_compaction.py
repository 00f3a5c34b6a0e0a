"""Compaction: by hand, automatically past the threshold, and without a model when the call fails."""

from __future__ import annotations

import json

import pytest

from claw_tui.engine.compaction import (
    SUMMARY_INTRO,
    CompactionError,
    choose_split,
    fallback_summary,
    is_summary_message,
)
from claw_tui.engine.store import load_session
from claw_tui.events import CompactionStarted, ConversationCompacted
from claw_tui.providers.base import Message, TextBlock, ToolResultBlock, ToolUseBlock
from claw_tui.testing import scenario as sc
from tests.conftest import Recorder, make_session, transcript_is_valid


def _tool_turn(i: int, size: int = 400) -> list[Message]:
    return [
        Message("assistant", [TextBlock(f"step {i}"), ToolUseBlock(f"c{i}", "Read", {"file_path": f"/f{i}.py"})]),
        Message("user", [ToolResultBlock(f"c{i}", "x" * size)]),
    ]


@pytest.mark.parametrize("keep_tokens", [0, 50, 150, 300, 700, 10_000])
def test_the_cut_never_separates_a_tool_call_from_its_result(keep_tokens):
    msgs = [Message.user("do a long task")]
    for i in range(8):
        msgs += _tool_turn(i)
    msgs.append(Message("assistant", [TextBlock("done")]))
    split = choose_split(msgs, keep_tokens)
    assert 1 <= split <= len(msgs)
    if split < len(msgs):
        assert not any(isinstance(b, ToolResultBlock) for b in msgs[split].content)
    # Whatever is kept, and the summary put before it, is a valid transcript.
    assert transcript_is_valid([Message.user("summary"), *msgs[split:]])


def test_the_cut_keeps_the_last_prompt_of_the_person_when_it_fits():
    msgs = [Message.user("first"), Message("assistant", [TextBlock("a")]),
            Message.user("second"), Message("assistant", [TextBlock("b")])]
    assert choose_split(msgs, 10_000) == 2


def test_fallback_summary_is_deterministic_and_says_what_happened():
    msgs = [Message.user("fix the parser in src/p.py")]
    msgs.append(Message("assistant", [ToolUseBlock("1", "Edit", {"file_path": "/src/p.py"}),
                                      ToolUseBlock("2", "Bash", {"command": "pytest -q"})]))
    msgs.append(Message("user", [ToolResultBlock("1", "ok"), ToolResultBlock("2", "1 failed", True)]))
    msgs.append(Message("assistant", [TextBlock("One test still fails.")]))
    text = fallback_summary(msgs)
    assert text == fallback_summary(msgs)
    for part in ("fix the parser in src/p.py", "/src/p.py (Edit)", "`pytest -q`", "Tool calls: 2 (1 failed)",
                 "One test still fails."):
        assert part in text


async def _long_conversation(server, session, turns: int = 3):
    for i in range(turns):
        server.add(sc.tool("LS", path=str(session.workspace)), sc.text(f"answer {i}"))
        await session.run(f"prompt number {i}")


async def test_manual_compaction_summarises_older_turns_with_the_model(server, workspace):
    s = make_session(server, workspace)
    rec = Recorder(s.bus)
    await _long_conversation(server, s)
    before = len(s.agent.messages)
    server.add(sc.text("## Summary\nThe developer asked three things; all answered."))
    result = await s.compactor.compact("focus on the answers")
    assert not result.fallback
    summary_request = server.received[-1]
    assert "focus on the answers" in summary_request.last_user_text
    assert "prompt number 0" in summary_request.last_user_text  # the older part was sent to summarise
    msgs = s.agent.messages
    assert is_summary_message(msgs[0]) and "all answered" in msgs[0].text
    assert [m.text for m in msgs[1:]] == ["prompt number 2", "", "", "answer 2"]  # the last turn, verbatim
    assert transcript_is_valid(msgs)
    (done,) = rec.of(ConversationCompacted)
    assert done.summarised == before - 4 and done.kept == 4 and rec.of(CompactionStarted)
    # The next request starts from the summary; the store holds the compacted transcript.
    server.add(sc.text("next"))
    await s.run("go on")
    assert SUMMARY_INTRO in json.dumps(server.received[-1].body["messages"][0])
    await s.close()
    loaded = load_session(s.persistence.path)
    assert loaded.compactions == 1 and is_summary_message(loaded.messages[0])
    assert [m.text for m in loaded.messages][-2:] == ["go on", "next"]
    assert all(cp.at is None for cp in loaded.checkpoints[:-1])  # earlier prompts: code-only rewind


async def test_a_failed_summary_call_falls_back_to_a_mechanical_summary(server, workspace):
    s = make_session(server, workspace)
    await _long_conversation(server, s, turns=2)
    server.add({**sc.text("unused"), "faults": [{"type": "status", "status": 400, "message": "bad request"}]})
    result = await s.compactor.compact()
    await s.close()
    assert result.fallback and "bad request" in (result.error or "")
    assert "put together mechanically" in s.agent.messages[0].text
    assert "prompt number 0" in s.agent.messages[0].text


async def test_nothing_to_compact_is_said_plainly(server, workspace):
    s = make_session(server, workspace)
    with pytest.raises(CompactionError, match="nothing to compact"):
        await s.compactor.compact()
    await s.close()


async def test_auto_compaction_runs_mid_turn_past_the_threshold(server, workspace):
    (workspace / ".claw").mkdir()
    (workspace / ".claw" / "settings.json").write_text(json.dumps({"autoCompactThreshold": 0.5}))
    s = make_session(server, workspace)
    rec = Recorder(s.bus)
    server.add(sc.text("first answer"))
    await s.run("first prompt")
    # The model reports a context of 600k of a 1M window after a tool call...
    server.add({**sc.tool("LS", path=str(workspace)), "usage": {"input_tokens": 600_000}},
               sc.text("## Summary\nfirst prompt was answered; LS is running."),
               sc.text("finished after compaction"))
    result = await s.run("second prompt")
    await s.close()
    # ...so before the next request the conversation was compacted, the tool pair kept together.
    assert result.result == "finished after compaction"
    (done,) = rec.of(ConversationCompacted)
    assert done.trigger == "auto" and done.tokens_before >= 500_000
    assert "<conversation>" in server.received[2].last_user_text  # the summary request
    last = server.received[3].body["messages"]
    assert SUMMARY_INTRO in json.dumps(last[0])
    assert transcript_is_valid(s.agent.messages)
    assert [m.text for m in s.agent.messages][-1] == "finished after compaction"


async def test_auto_compaction_can_be_turned_off(server, workspace):
    (workspace / ".claw").mkdir()
    (workspace / ".claw" / "settings.json").write_text(json.dumps({"autoCompactEnabled": False,
                                                                  "autoCompactThreshold": 0.1}))
    s = make_session(server, workspace)
    rec = Recorder(s.bus)
    server.add({**sc.tool("LS", path=str(workspace)), "usage": {"input_tokens": 900_000}}, sc.text("done"))
    await s.run("go")
    await s.close()
    assert not rec.of(ConversationCompacted) and len(server.received) == 2
