"""Headless mode: ``claw -p "prompt"``, for scripts and CI.

Nobody is there to approve anything, so a call the policy would ask about is
refused with a result that says how to allow it. Output follows Claude Code's
formats: text (the final answer), json (one result object) and stream-json (an
init line, every message, then the result object).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from typing import Any, TextIO

from claw_tui.bus import EventBus
from claw_tui.config import RunConfig
from claw_tui.engine.agent import TurnResult
from claw_tui.engine.session import Session
from claw_tui.events import (
    ApprovalDecision,
    ApprovalRequested,
    AgentSpawned,
    AssistantMessageCompleted,
    Event,
    Notice,
    QuestionAnswers,
    QuestionAsked,
    SessionStarted,
    ToolResultsSent,
)
from claw_tui.providers.base import Provider

SUBTYPES = {
    "success": "success",
    "max_turns": "error_max_turns",
    "max_budget": "error_max_budget_usd",
    "error": "error_during_execution",
    "interrupted": "error_during_execution",
}


def refuse_approval(event: Event) -> None:
    if not isinstance(event, ApprovalRequested) or event.future.done():
        return
    hint = (
        f"claw -p cannot ask a person for approval, so this {event.tool} call was not run. "
        f"To allow it, run again with --allowedTools (for example --allowedTools \"{_rule_hint(event)}\") "
        "or a --permission-mode that permits it. Writes to protected paths (.claw, .claude, .git, .mcp.json, "
        "claw's own config) are never run without a person, whatever the rules or mode."
    )
    event.future.set_result(ApprovalDecision(allow=False, message=hint, decided_by="headless"))


HEADLESS_QUESTION_REFUSAL = (
    "No one is there to answer questions in claw -p mode: decide yourself and say what you assumed."
)


def refuse_question(event: Event) -> None:
    if isinstance(event, QuestionAsked) and not event.future.done():
        event.future.set_result(QuestionAnswers({}, declined=True, message=HEADLESS_QUESTION_REFUSAL,
                                                answered_by="headless"))


class McpNoticePrinter:
    """MCP server problems (failed, restarting, refused, sign-in needed) on stderr: in headless
    mode they would otherwise go unseen, and a script should learn why a tool is missing."""

    def __init__(self, err: TextIO) -> None:
        self.err = err

    def __call__(self, event: Event) -> None:
        if isinstance(event, Notice) and event.level != "info" and "MCP" in event.text:
            self.err.write(f"claw: {event.text}\n")
            self.err.flush()


def _rule_hint(event: ApprovalRequested) -> str:
    if event.tool == "Bash":
        words = str(event.input.get("command", "")).split()
        return f"Bash({' '.join(words[:2])}:*)" if words else "Bash"
    return event.tool


def result_object(result: TurnResult, session: Session) -> dict[str, Any]:
    usage = session.ledger.total_usage
    return {
        "type": "result",
        "subtype": SUBTYPES.get(result.outcome, "error_during_execution"),
        "is_error": result.is_error,
        "duration_ms": round(result.duration_s * 1000),
        "duration_api_ms": round(result.api_duration_s * 1000),
        "num_turns": result.num_turns,
        "result": (result.error or "") if result.outcome == "error" else result.result,
        "session_id": session.id,
        "total_cost_usd": round(session.ledger.total_cost, 8),
        "usage": usage.to_dict(),
        "modelUsage": {
            model: {**t.usage.to_dict(), "costUSD": round(t.cost_usd, 8)} for model, t in session.ledger.by_model.items()
        },
        "permission_denials": result.permission_denials,
        **({"error": result.error} if result.error else {}),
    }


class StreamJsonPrinter:
    """Claude Code's stream-json: one JSON object per line."""

    def __init__(self, session: Session, out: TextIO) -> None:
        self.session = session
        self.out = out
        # A sub-agent's messages name the Agent tool call that spawned it, as Claude Code's do.
        self.spawned_by: dict[str, str] = {}

    def _parent_tool_use_id(self, agent_id: str) -> str | None:
        return None if agent_id == "main" else self.spawned_by.get(agent_id, agent_id)

    def emit(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def __call__(self, event: Event) -> None:
        sid = self.session.id
        if isinstance(event, SessionStarted):
            self.emit({
                "type": "system", "subtype": "init", "session_id": sid, "cwd": event.cwd, "model": event.model,
                "provider": event.provider, "tools": list(event.tools), "permissionMode": event.permission_mode,
                "mcp_servers": [{"name": n, "status": st} for n, st in event.mcp_servers],
            })
        elif isinstance(event, AgentSpawned):
            self.spawned_by[event.agent_id] = event.call_id or event.agent_id
        elif isinstance(event, AssistantMessageCompleted):
            msg = event.message.to_dict()
            msg.update({"model": event.model, "stop_reason": event.stop_reason})
            self.emit({"type": "assistant", "message": msg, "session_id": sid,
                       "parent_tool_use_id": self._parent_tool_use_id(event.agent_id)})
        elif isinstance(event, ToolResultsSent):
            self.emit({"type": "user", "message": event.message.to_dict(), "session_id": sid,
                       "parent_tool_use_id": self._parent_tool_use_id(event.agent_id)})


async def run_headless(
    config: RunConfig,
    prompt: str,
    *,
    output_format: str = "text",
    verbose: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    provider: Provider | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    bus = EventBus()
    session = Session(config, bus=bus, provider=provider)
    bus.subscribe(refuse_question, approver=True, event_filter=lambda e: isinstance(e, QuestionAsked),
                  name="headless-questions")
    bus.subscribe(refuse_approval, approver=True, event_filter=lambda e: isinstance(e, ApprovalRequested),
                  name="headless-approvals")
    if output_format == "stream-json":
        bus.subscribe(StreamJsonPrinter(session, out), name="stream-json")
    if verbose:
        from claw_tui.transcript import TranscriptPrinter

        bus.subscribe(TranscriptPrinter(out if output_format == "text" else err), name="transcript")

    loop = asyncio.get_running_loop()
    interrupted = False

    def on_sigint() -> None:
        nonlocal interrupted
        interrupted = True
        session.interrupt()

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        # MCP servers: nobody can approve a new or changed project server here, and the first
        # request must already offer the servers' tools, so wait for them to connect or fail.
        # --trust trusts the folder for this run: its project servers are accepted as they are.
        if config.trust:
            session.mcp_approval_mode = "accept"
        elif session.mcp_approval_mode == "ask":
            session.mcp_approval_mode = "refuse"
        # An untrusted folder's own settings (allow rules, hooks, MCP servers, env…) were not
        # applied: say so, and how to trust it, whatever the output format.
        untrusted = session.trust_notice()
        if untrusted:
            err.write(f"claw: {untrusted}\n")
            err.flush()
        if not verbose:
            bus.subscribe(McpNoticePrinter(err), event_filter=lambda e: isinstance(e, Notice), name="mcp-notices")
        await session.start(wait_for_mcp=True)
        result = await session.run(prompt)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        await session.close()
    obj = result_object(result, session)
    if output_format in ("json", "stream-json"):
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        if result.outcome == "error":
            err.write(f"claw: {result.error}\n")
        else:
            if result.result and not verbose:  # verbose already streamed the answer
                out.write(result.result.rstrip("\n") + "\n")
            if result.is_error:
                err.write(f"claw: stopped: {result.error}\n")
    out.flush()
    if interrupted:
        return 130
    return 1 if result.is_error else 0
