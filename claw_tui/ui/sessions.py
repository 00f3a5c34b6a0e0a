"""The workspace's side of sessions, compaction and memory.

Kept apart from app.py: the app calls in here for the events it draws
(SessionResumed, ConversationCompacted, ConversationRewound, MemoryProposed …) and
for the commands (/resume, /rewind, Esc Esc, ``#`` notes, idle memory consolidation).
Everything it changes goes through the session's own objects (persistence,
compactor, memory consolidator).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.text import Text

from claw_tui.events import (
    CompactionStarted,
    ConversationCompacted,
    Event,
    MemoryProposed,
    MemoryUpdated,
    SessionResumed,
)

if TYPE_CHECKING:
    from claw_tui.ui.app import ClawApp

MIN_MOUNTED, MAX_MOUNTED_ON_RESUME = 4, 40


def entries_to_mount(entries: list[Any], *, rows: int, width: int) -> int:
    """How many of the last entries it takes to cover about ``rows`` screen rows."""
    covered = 0
    for n, (kind, data) in enumerate(reversed(entries), 1):
        if kind in ("user", "assistant") and isinstance(data, str):
            covered += 2 + sum(1 + len(line) // max(width, 1) for line in data.splitlines())
        else:
            covered += 2
        if n >= MIN_MOUNTED and covered >= rows:
            return n
        if n >= MAX_MOUNTED_ON_RESUME:
            return n
    return len(entries)

# ConversationRewound is not among them: /rewind itself redraws and says what it did (apply_rewind).
SESSION_EVENTS = (SessionResumed, CompactionStarted, ConversationCompacted, MemoryProposed, MemoryUpdated)


async def show_restored(app: ClawApp) -> None:
    """Draw the session's conversation, todos, cost and mode as they are now (after a resume)."""
    from claw_tui.ui.history import history_entries
    from claw_tui.ui.widgets.status import ModeIndicator
    from claw_tui.ui.widgets.todos import TodoList

    s = app.session
    app.shown_session = s.id
    entries = history_entries(s.agent.messages, s.tools)
    # Enough entries to fill the screen twice; the rest wait behind "show earlier" (a 2,000-message
    # session must draw its first frame in well under a second: benchmarks/bench_resume.py).
    mounted = entries_to_mount(entries, rows=max(app.size.height, 24) * 2, width=max(app.size.width // 2, 40))
    await app.conversation.load_history(entries, mounted=mounted)
    app.turn = len(s.persistence.checkpoints)
    app.query_one("#todos", TodoList).update_todos(tuple(s.ctx.todos))
    loaded = s.persistence.loaded
    app.agent_costs = {agent: t.cost_usd for agent, t in s.ledger.by_agent.items()}
    if loaded is not None and loaded.context_tokens:
        app.context = (loaded.context_tokens, loaded.context_window)
    else:
        app.context = (0, None)
    app._update_cost()
    app.query_one("#mode", ModeIndicator).show(s.policy.mode)
    app._update_topbar()
    last = next((m.text for m in reversed(s.agent.messages) if m.role == "assistant" and m.text.strip()), "")
    app.last_answer = last
    app.prompt.add_history([cp.text for cp in s.persistence.checkpoints])


async def handle_event(app: ClawApp, event: Event) -> None:
    from claw_tui.ui.widgets.compaction import CompactionNotice
    from claw_tui.ui.widgets.conversation import NoticeLine

    conv = app.conversation
    if isinstance(event, SessionResumed):
        if getattr(app, "shown_session", None) != event.session_id:  # not drawn already at mount
            await show_restored(app)
    elif isinstance(event, CompactionStarted):
        what = "Context nearly full: compacting" if event.trigger == "auto" else "Compacting"
        await conv.add(NoticeLine(f"⟳ {what} the conversation ({event.messages} messages, ~{event.context_tokens:,} "
                                  "tokens)…", "info"))
    elif isinstance(event, ConversationCompacted):
        how = "automatically" if event.trigger == "auto" else "on request"
        title = (f"⟳ Conversation compacted {how}: {event.summarised} earlier messages summarised, the last "
                 f"{event.kept} kept verbatim (~{event.tokens_before:,} → ~{event.tokens_after:,} tokens). "
                 "Expand for the summary.")
        await conv.add(CompactionNotice(event.summary, title))
        if event.fallback:
            await conv.add(NoticeLine(f"The model could not write the summary ({event.error}); a mechanical summary "
                                      "of the requests, files and commands was used instead.", "warning"))
        _, window = app.context
        app.context = (event.tokens_after, window)
        app._update_cost()
    elif isinstance(event, MemoryProposed):
        from claw_tui.ui.screens.memory import MemoryProposalScreen

        def decided(accept: bool | None) -> None:
            app.run_worker(_decide_proposal(app, event, bool(accept)), exit_on_error=False)

        app.push_screen(MemoryProposalScreen(event.path, event.before, event.after, event.summary), decided)
    elif isinstance(event, MemoryUpdated):
        verbs = {"added": "Noted in", "edited": "Saved", "consolidated": "Memory consolidated into",
                 "init": "Wrote"}
        await conv.add(NoticeLine(f"🧠 {verbs.get(event.how, 'Updated')} {event.path}; the agent reads it from the "
                                  "next request on.", "info"))


async def _decide_proposal(app: ClawApp, event: MemoryProposed, accept: bool) -> None:
    from pathlib import Path

    from claw_tui.engine.memory import MemoryProposal
    from claw_tui.ui.widgets.conversation import NoticeLine

    if not accept:
        await app.conversation.add(NoticeLine(f"Memory change to {event.path} rejected; nothing was written.", "info"))
        return
    try:
        app.dreamer.accept(MemoryProposal(Path(event.path), event.before, event.after, event.summary))
    except (OSError, ValueError) as exc:
        await app.conversation.add(NoticeLine(f"Memory change not written: {exc}", "error"))


# -- /resume ---------------------------------------------------------------------------


async def open_session_picker(app: ClawApp) -> None:
    from claw_tui.engine.store import list_sessions
    from claw_tui.ui.screens.session_picker import SessionPicker

    sessions = list_sessions(app.session.workspace)

    def chosen(session_id: str | None) -> None:
        if session_id and session_id != app.session.id:
            app.run_worker(resume_session(app, session_id), exit_on_error=False)

    app.push_screen(SessionPicker(sessions, app.session.id), chosen)


async def resume_session(app: ClawApp, session_id: str) -> None:
    """Continue another stored session here (its SessionResumed event redraws the workspace)."""
    try:
        app.session.persistence.switch_to(session_id)
    except (RuntimeError, ValueError, OSError) as exc:
        await app.show_output(Text(f"Could not resume: {exc}", style="red"), "resume")
        return
    app.queued.clear()
    app._show_queue()


# -- /rewind and Esc Esc ----------------------------------------------------------------


async def open_rewind(app: ClawApp) -> None:
    from claw_tui.ui.screens.rewind import RewindScreen

    s = app.session
    if s.agent.busy:
        await app.show_output(Text("The agent is working: press Esc to interrupt it, then rewind.", style="yellow"))
        return
    persistence = s.persistence
    plans = {cp.seq: persistence.rewind_plan(cp.seq) for cp in persistence.checkpoints}

    def chosen(choice: Any) -> None:
        if choice is not None:
            app.run_worker(apply_rewind(app, choice.seq, choice.action), exit_on_error=False)

    app.push_screen(RewindScreen(persistence.checkpoints, plans), chosen)


async def apply_rewind(app: ClawApp, seq: int, action: str) -> None:
    from claw_tui.engine.persistence import RewindError
    from claw_tui.ui.history import history_entries

    s = app.session
    persistence = s.persistence
    if action == "fork":
        cp = next((c for c in persistence.checkpoints if c.seq == seq), None)
        if cp is None or cp.at is None:
            await app.show_output(Text("That prompt can no longer be forked from.", style="red"), "rewind")
            return
        old = s.id
        try:
            persistence.fork(cp.at)
        except (RuntimeError, ValueError, OSError) as exc:
            await app.show_output(Text(f"Could not fork: {exc}", style="red"), "rewind")
            return
        app.prompt.load_text(cp.text)
        await app.show_output(Text(f"Forked session {old[:8]} before prompt #{seq} into a new session {s.id[:8]}; "
                                   f"{old[:8]} is unchanged (/resume goes back to it). The prompt is back in the box "
                                   "to edit and send."), "rewind")
        return
    try:
        result = persistence.rewind(seq, code=action in ("both", "code"),
                                    conversation=action in ("both", "conversation"))
    except (RewindError, OSError) as exc:
        await app.show_output(Text(f"Could not rewind: {exc}", style="red"), "rewind")
        return
    if result.conversation:
        await app.conversation.load_history(history_entries(s.agent.messages, s.tools))
        app.turn = len(persistence.checkpoints)
        app.prompt.load_text(result.prompt)
        app.prompt.move_cursor(app.prompt.document.end)
    await app.conversation.add(_rewind_line(seq, result))


def _rewind_line(seq: int, result: Any) -> Any:
    from claw_tui.ui.widgets.conversation import NoticeLine

    bits = []
    if result.conversation:
        bits.append(f"the conversation ({result.messages_removed} message(s) removed; the prompt is back in the box)")
    if result.restored:
        bits.append(f"{len(result.restored)} file(s): " + ", ".join(result.restored[:5])
                    + (" …" if len(result.restored) > 5 else ""))
    text = f"⏪ Rewound to before prompt #{seq}: " + (" and ".join(bits) if bits else "nothing needed restoring") + "."
    if result.failed:
        text += " Not restored: " + "; ".join(f"{p} ({why})" for p, why in result.failed)
    return NoticeLine(text, "warning" if result.failed else "info")


# -- memory ---------------------------------------------------------------------------


async def add_memory_note(app: ClawApp, text: str) -> None:
    from claw_tui.engine.context import add_memory_note as add_note
    from claw_tui.engine.context import project_memory_file, refresh_system_prompt

    note = text.lstrip("#").strip()
    if not note:
        await app.show_output(Text("Start a line with # to add it to the project's memory: # always run ruff "
                                   "before committing", style="dim"), "memory")
        return
    path = project_memory_file(app.session.workspace)
    try:
        add_note(path, note)
    except OSError as exc:
        await app.show_output(Text(f"Could not write {path}: {exc}", style="red"), "memory")
        return
    refresh_system_prompt(app.session)
    from claw_tui.events import MemoryUpdated

    app.session.bus.publish(MemoryUpdated(path=str(path), how="added"))


async def open_memory_editor(app: ClawApp, path: Any) -> None:
    from claw_tui.engine.context import refresh_system_prompt
    from claw_tui.events import MemoryUpdated
    from claw_tui.ui.screens.memory import MemoryEditor

    def closed(changed: bool | None) -> None:
        if changed:
            refresh_system_prompt(app.session)
            app.session.bus.publish(MemoryUpdated(path=str(path), how="edited"))
        app.prompt.focus()

    app.push_screen(MemoryEditor(path), closed)


class DreamScheduler:
    """Starts memory consolidation when the app has been idle long enough (and it is due)."""

    CHECK_EVERY_S = 15.0

    def __init__(self, app: ClawApp) -> None:
        self.app = app
        self.last_activity = time.monotonic()

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def tick(self) -> None:
        app = self.app
        dreamer = app.dreamer
        s = app.session
        if not dreamer.enabled or dreamer.running or s.agent.busy or s.compactor.running:
            return
        if app.approval.queue or len(app.screen_stack) > 1:
            return
        if time.monotonic() - self.last_activity < dreamer.idle_s:
            return
        if dreamer.not_due() is not None:
            return
        self.touch()
        app.run_worker(dreamer.run(), group="memory-consolidation", exit_on_error=False)
