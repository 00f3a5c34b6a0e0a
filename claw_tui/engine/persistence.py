"""A session's life on disk: recording, resuming, forking, checkpoints and rewind.

:class:`SessionPersistence` is a bus subscriber. It is subscribed *synchronously*
(``bus.subscribe_sync``): a record is on disk by the time ``publish`` returns, so
the assistant message that asks for a tool call is stored before the tool runs,
and a tool call that was running when claw died is known on resume (it is answered
as interrupted, never run again). Each record is one small ``write(2)``; syncing
to the platter happens on a background thread (see :mod:`claw_tui.engine.store`).

The main agent's transcript is mirrored message by message from ``Agent.messages``
(so the interrupt note the agent appends is stored too); sub-agents' messages are
stored from their events, with their agent id, and are not restored on resume.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claw_tui import __version__
from claw_tui.engine.cost import Totals
from claw_tui.engine.store import (
    DEFAULT_CLEANUP_DAYS,
    MAX_TOOL_END_CHARS,
    BlobStore,
    Checkpoint,
    FileRecord,
    LoadedSession,
    SessionWriter,
    blob_dir,
    cleanup_sessions,
    find_session,
    load_session,
    project_dir,
    title_of,
    write_meta,
)
from claw_tui.events import (
    AgentSpawned,
    AssistantMessageCompleted,
    ConversationCleared,
    ConversationCompacted,
    ConversationRewound,
    Event,
    FileChanged,
    ModelChanged,
    Notice,
    PermissionModeChanged,
    SessionResumed,
    SessionStarted,
    TodosUpdated,
    ToolCallFinished,
    ToolCallStarted,
    ToolResultsSent,
    TurnFinished,
    UsageUpdated,
    UserPromptSubmitted,
)
from claw_tui.providers.base import Message, ToolResultBlock

if TYPE_CHECKING:
    from claw_tui.engine.session import Session

log = logging.getLogger(__name__)

MAIN = "main"


@dataclass
class FileRestore:
    """What rewinding does to one file."""

    path: str
    content: str | None  # None: the file did not exist then and is deleted
    error: str | None = None  # why it cannot be restored
    changed_since: bool = False  # it changed after the agent's last write (by you, a command, …)


@dataclass
class RewindResult:
    prompt: str
    restored: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    messages_removed: int = 0
    conversation: bool = False


class RewindError(ValueError):
    pass


class SessionPersistence:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.enabled = bool(getattr(session.config, "persist", True))
        self.writer: SessionWriter | None = None
        self.path: Path = project_dir(session.workspace) / f"{session.id}.jsonl"
        self.blobs = BlobStore(blob_dir(self.path) if self.enabled else None)
        self.checkpoints: list[Checkpoint] = []
        self.files: list[FileRecord] = []
        self.next_seq = 1
        self.current_seq = 0
        self.created = time.time()
        self.first_prompt = ""
        self.forked_from: str | None = None
        self.loaded: LoadedSession | None = None
        self._written_main = 0
        self._failed = False
        self._closed = False
        config = session.config
        wanted = getattr(config, "resume", None)
        path: Path | None = None
        if wanted is not None or getattr(config, "continue_session", False):
            path = find_session(session.workspace, wanted or None)
        if self.enabled:
            self._cleanup(path)
        if path is not None:
            loaded = load_session(path)
            if getattr(config, "fork_session", False):
                self._adopt(loaded, fork_at=len(loaded.messages))
            else:
                self._adopt(loaded)
        session.bus.subscribe_sync(self._on_event)

    # -- resuming ------------------------------------------------------------------

    @property
    def resumed(self) -> bool:
        return self.loaded is not None

    def _cleanup(self, resuming: Path | None) -> None:
        """Remove sessions older than cleanupPeriodDays (default 30), never the one being resumed."""
        days = self.session.settings.cleanup_period_days
        days = DEFAULT_CLEANUP_DAYS if days is None else max(0, days)
        keep = {self.session.id}
        if resuming is not None:
            keep.add(resuming.stem)
        try:
            removed = cleanup_sessions(days, keep=keep)
        except OSError as exc:
            self._notice("warning", f"Sessions: could not clean up old sessions ({exc})")
            return
        if removed:
            self._notice("info", f"Sessions: removed {len(removed)} session(s) older than {days} days "
                                 "(cleanupPeriodDays).")

    def _notice(self, level: str, text: str) -> None:
        self.session._startup_notices.append(Notice(level=level, text=text))  # type: ignore[arg-type]

    def _adopt(self, loaded: LoadedSession, *, fork_at: int | None = None, announce: bool = True,
               writer: SessionWriter | None = None) -> None:
        """Make ``loaded`` this session's state (or a fork of it, cut after ``fork_at`` messages).

        Continuing a stored session (not a fork) appends to its file: that file is opened (and
        locked) first, so a session open in another claw is refused before anything changes.
        """
        s = self.session
        if writer is None and fork_at is None and self.enabled:
            writer = SessionWriter(loaded.path)
        for note in loaded.notices:
            self._notice("warning", f"Session {loaded.id[:8]}: {note}")
        forked = fork_at is not None
        if forked:
            cut = _cut_point(loaded.messages, fork_at)  # type: ignore[arg-type]
            del loaded.messages[cut:]
            loaded.checkpoints = [cp for cp in loaded.checkpoints if cp.at is not None and cp.at < cut]
            loaded.files = []
            loaded.turn_open = False
            loaded.tool_results.clear()
            loaded.by_model, loaded.by_agent = {}, {}
            loaded.context_tokens = 0
        added = loaded.repair()
        interrupted = sum(1 for m in added for b in m.content
                          if isinstance(b, ToolResultBlock) and b.is_error
                          and b.tool_use_id not in loaded.tool_results)
        if forked:
            self.forked_from = loaded.id
            s.id = str(uuid.uuid4())
            self.path = project_dir(s.workspace) / f"{s.id}.jsonl"
            self.created = time.time()
        else:
            s.id = loaded.id
            self.path = loaded.path
            self.created = loaded.created or time.time()
        self.blobs = BlobStore(blob_dir(self.path) if self.enabled else None)
        self.loaded = loaded
        self.first_prompt = loaded.first_prompt
        self.checkpoints = list(loaded.checkpoints)
        self.files = list(loaded.files)
        self.next_seq = loaded.next_seq
        self.current_seq = self.checkpoints[-1].seq if self.checkpoints else 0
        s.agent.messages[:] = loaded.messages
        s.ctx.todos[:] = loaded.todos
        ledger = s.ledger
        ledger.by_model.clear()
        ledger.by_agent.clear()
        for src, dst in ((loaded.by_model, ledger.by_model), (loaded.by_agent, ledger.by_agent)):
            for key, t in src.items():
                dst[key] = Totals(t.usage, t.cost_usd, t.requests)
        self._restore_mode(loaded.permission_mode)
        if not self.enabled:
            self._written_main = len(s.agent.messages)
        elif forked:
            self._open_writer()  # a header naming the session it came from, then the conversation
            self._write_transcript(s.agent.messages)
            if s.ctx.todos:
                self._append({"t": "todos", "todos": list(s.ctx.todos)})
            self._write_meta()
        else:
            self._use_writer(writer)  # type: ignore[arg-type]
            self._written_main = len(s.agent.messages) - len(added)
            if added:
                self._sync_main()
                self._append({"t": "turn", "outcome": "interrupted", "recovered": True})
                self._write_meta()
        if announce:
            what = f"Forked session {loaded.id[:8]} into {s.id[:8]}" if forked else f"Resumed session {s.id[:8]}"
            text = f"{what}: {len(s.agent.messages)} messages, ${ledger.total_cost:.4f} so far."
            if interrupted:
                text += (f" {interrupted} tool call(s) were running when claw stopped: they are marked interrupted "
                         "and were not run again.")
            self._notice("info", text)
            # First: the UI redraws the conversation on it, and the notices must come after.
            s._startup_notices.insert(0, SessionResumed(  # type: ignore[arg-type]
                session_id=s.id, messages=len(s.agent.messages), forked_from=self.forked_from,
                interrupted_calls=interrupted))

    def _restore_mode(self, mode: str | None) -> None:
        s = self.session
        explicit = getattr(s, "explicit_options", None)
        if mode is None or mode == s.policy.mode:
            return
        if explicit is not None and "permission_mode" in explicit:
            return  # the command line said which mode
        if mode == "bypassPermissions" and s.policy.mode != "bypassPermissions":
            self._notice("warning", "The resumed session ran with bypassPermissions; that is not restored. Start "
                                    "claw with --permission-mode bypassPermissions to use it again.")
            return
        from claw_tui.permissions.policy import MODES

        if mode in MODES:
            s.policy.mode = mode

    def switch_to(self, session_id: str) -> None:
        """Continue another stored session of this project in place of this one (/resume)."""
        s = self.session
        if any(a.busy for a in s.agents.values()):
            raise RuntimeError("the agent is working; interrupt it first")
        path = find_session(s.workspace, session_id)
        if path == self.path:
            return  # already this one
        loaded = load_session(path)
        writer = SessionWriter(path) if self.enabled else None  # refused here if another claw has it open
        self._close_writer()
        s._startup_notices = []
        self._adopt(loaded, writer=writer)
        self._publish_startup()

    def fork(self, at: int | None = None) -> str:
        """Continue in a new session holding this conversation up to message ``at`` (all of it when None);
        this session stays as it is. Returns the new session's id."""
        s = self.session
        if any(a.busy for a in s.agents.values()):
            raise RuntimeError("the agent is working; interrupt it first")
        loaded = LoadedSession(id=s.id, path=self.path, cwd=str(s.workspace), created=self.created,
                               messages=list(s.agent.messages), todos=list(s.ctx.todos),
                               permission_mode=s.policy.mode, checkpoints=[Checkpoint(c.seq, c.text, c.at, c.ts)
                                                                           for c in self.checkpoints],
                               next_seq=self.next_seq, first_prompt=self.first_prompt)
        self._close_writer()
        s._startup_notices = []
        self._adopt(loaded, fork_at=len(loaded.messages) if at is None else at)
        self._publish_startup()
        return s.id

    def _publish_startup(self) -> None:
        s = self.session
        for event in s._startup_notices:
            s.bus.publish(event)
        s._startup_notices = []

    # -- writing -------------------------------------------------------------------

    def _header(self) -> dict[str, Any]:
        s = self.session
        header = {"t": "session", "v": 1, "id": s.id, "cwd": str(s.workspace), "model": s.model,
                  "provider": s.provider_name, "mode": s.policy.mode, "claw": __version__, "ts": self.created}
        if self.forked_from:
            header["forked_from"] = self.forked_from
        return header

    def _open_writer(self, existing: bool = False) -> None:
        self._use_writer(SessionWriter(self.path), existing=existing)

    def _use_writer(self, writer: SessionWriter, existing: bool = True) -> None:
        self.writer = writer
        if self.writer.torn_bytes:
            self._notice("warning", f"Session {self.session.id[:8]}: a record cut off mid-write "
                                    f"({self.writer.torn_bytes} bytes) was dropped from the end of the file.")
        if not existing or self.writer.size == 0:
            self._append(self._header())

    def _ensure_writer(self) -> bool:
        if not self.enabled or self._failed or self._closed:
            return False
        if self.writer is None:
            self._open_writer()
        return True

    def _append(self, record: dict[str, Any]) -> None:
        if self.writer is None:
            return
        record.setdefault("ts", time.time())
        self.writer.append(record)

    def _write_transcript(self, messages: list[Message]) -> None:
        marks = {cp.at: cp for cp in self.checkpoints if cp.at is not None}
        for i, msg in enumerate(messages):
            cp = marks.get(i)
            if cp is not None:
                self._append({"t": "prompt", "seq": cp.seq, "text": cp.text, "ts": cp.ts})
            self._append({"t": "msg", "m": msg.to_dict()})
        self._written_main = len(messages)

    def _sync_main(self, upto: int | None = None) -> None:
        msgs = self.session.agent.messages
        end = len(msgs) if upto is None else upto
        if end < self._written_main:
            # Shrunk without an event saying how (should not happen): store the whole transcript.
            self._append({"t": "reset", "m": [m.to_dict() for m in msgs]})
            self._written_main = len(msgs)
            return
        for msg in msgs[self._written_main:end]:
            self._append({"t": "msg", "m": msg.to_dict()})
        self._written_main = max(self._written_main, end)

    def _write_meta(self) -> None:
        if self.writer is None:
            return
        s = self.session
        write_meta(self.path, {
            "id": s.id, "cwd": str(s.workspace), "title": title_of(self.first_prompt),
            "first_prompt": self.first_prompt[:500], "created": self.created, "updated": time.time(),
            "messages": len(s.agent.messages), "prompts": len(self.checkpoints), "cost": s.ledger.total_cost,
            "model": s.model, "size": self.writer.size, "forked_from": self.forked_from,
        })

    # -- events --------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is None:
            return
        try:
            handler(self, event)
        except Exception as exc:  # a full disk must not stop the agent; say so once
            log.exception("session store failed on %s", type(event).__name__)
            if not self._failed:
                self._failed = True
                self.session.bus.publish(Notice(level="error", text=(
                    f"This session can no longer be saved ({type(exc).__name__}: {exc}); it continues in memory "
                    f"only. File: {self.path}")))

    def _on_started(self, e: SessionStarted) -> None:
        if self.writer is not None:
            self._append({"t": "start", "model": e.model, "provider": e.provider, "mode": e.permission_mode,
                          "claw": __version__})

    # Each handler keeps the in-memory state (checkpoints, files) whether or not the
    # session is stored; _append writes only when there is a file to write to.

    def _on_prompt(self, e: UserPromptSubmitted) -> None:
        self._ensure_writer()
        if e.agent_id != MAIN:
            self._append({"t": "msg", "a": e.agent_id, "m": Message.user(e.text).to_dict()})
            return
        msgs = self.session.agent.messages
        at = len(msgs) - 1
        self._sync_main(at)
        seq = self.next_seq
        self.next_seq += 1
        self.current_seq = seq
        self.checkpoints.append(Checkpoint(seq, e.text, at, e.ts))
        if not self.first_prompt:
            self.first_prompt = e.text
        self._append({"t": "prompt", "seq": seq, "text": e.text, "ts": e.ts})
        self._sync_main()

    def _on_message(self, e: AssistantMessageCompleted | ToolResultsSent) -> None:
        self._ensure_writer()
        if e.agent_id == MAIN:
            self._sync_main()
        else:
            self._append({"t": "msg", "a": e.agent_id, "m": e.message.to_dict()})

    def _on_turn(self, e: TurnFinished) -> None:
        self._ensure_writer()
        if e.agent_id == MAIN:
            self._sync_main()
            self._append({"t": "turn", "outcome": e.outcome})
            self._write_meta()
        else:
            self._append({"t": "turn", "a": e.agent_id, "outcome": e.outcome})

    def _on_tool_start(self, e: ToolCallStarted) -> None:
        if self._ensure_writer():
            self._append(_agent({"t": "tool", "id": e.call_id, "name": e.tool}, e.agent_id))

    def _on_tool_end(self, e: ToolCallFinished) -> None:
        if not self._ensure_writer():
            return
        record = _agent({"t": "tool_end", "id": e.call_id, "err": e.is_error}, e.agent_id)
        if e.agent_id == MAIN:
            record["c"] = e.content[:MAX_TOOL_END_CHARS]
        self._append(record)

    def _on_usage(self, e: UsageUpdated) -> None:
        if not self._ensure_writer():
            return
        record = _agent({"t": "usage", "model": e.model, "u": e.usage.to_dict(), "cost": e.cost_usd}, e.agent_id)
        if e.agent_id == MAIN:
            record["ctx"] = e.context_tokens
            record["win"] = e.context_window
        self._append(record)

    def _on_todos(self, e: TodosUpdated) -> None:
        if self._ensure_writer():
            self._append(_agent({"t": "todos", "todos": list(e.todos)}, e.agent_id))

    def _on_mode(self, e: PermissionModeChanged) -> None:
        if self.writer is not None:
            self._append({"t": "mode", "mode": e.mode})

    def _on_model(self, e: ModelChanged) -> None:
        if self.writer is not None:
            self._append({"t": "model", "model": e.model, "provider": e.provider})

    def _on_agent(self, e: AgentSpawned) -> None:
        if self._ensure_writer():
            self._append({"t": "agent", "a": e.agent_id, "name": e.name, "parent": e.parent_id, "task": e.task,
                          "type": e.agent_type, "model": e.model})

    def _on_file(self, e: FileChanged) -> None:
        if e.by != "agent":
            return
        self._ensure_writer()
        before = self.blobs.put(e.before) if e.before is not None else None
        after = BlobStore.digest(e.after) if e.after is not None else None
        rec = FileRecord(self.current_seq, e.path, before, after, e.agent_id, e.ts)
        self.files.append(rec)
        self._append(_agent({"t": "file", "seq": rec.seq, "path": e.path, "before": before, "after": after,
                             "id": e.call_id, "tool": e.tool}, e.agent_id))

    def _on_compacted(self, e: ConversationCompacted) -> None:
        for cp in self.checkpoints:
            cp.at = None
        self._ensure_writer()
        self._append({"t": "compact", "trigger": e.trigger, "summary": e.summary, "summarised": e.summarised,
                      "kept": e.kept, "fallback": e.fallback, "m": [m.to_dict() for m in e.messages]})
        self._written_main = len(e.messages)
        self._write_meta()

    def _on_cleared(self, e: ConversationCleared) -> None:
        for cp in self.checkpoints:
            cp.at = None
        self._written_main = 0
        if self.writer is not None:
            self._append({"t": "clear"})
            self._write_meta()

    def _on_rewound(self, e: ConversationRewound) -> None:
        if e.at is not None:
            self._written_main = e.at
        if self.writer is not None and e.at is not None:
            self._append({"t": "rewind", "seq": e.seq, "at": e.at})
            self._write_meta()

    # -- checkpoints and rewind -------------------------------------------------------

    def rewind_plan(self, seq: int) -> list[FileRestore]:
        """What restoring the code to just before prompt ``seq`` would do, file by file."""
        first: dict[str, FileRecord] = {}
        last: dict[str, FileRecord] = {}
        for rec in self.files:
            if rec.seq >= seq:
                first.setdefault(rec.path, rec)
            last[rec.path] = rec
        plan: list[FileRestore] = []
        for path, rec in first.items():
            try:
                content = None if rec.before is None else self.blobs.get(rec.before)
                error = None
            except LookupError as exc:
                content, error = None, str(exc)
            plan.append(FileRestore(path, content, error, _changed_since(Path(path), last[path].after_sha)))
        return plan

    def rewind(self, seq: int, *, code: bool = True, conversation: bool = True) -> RewindResult:
        """Go back to just before prompt ``seq``: the files the agent changed since, the conversation, or both."""
        s = self.session
        if any(a.busy for a in s.agents.values()):
            raise RewindError("the agent is working; interrupt it first")
        cp = next((c for c in self.checkpoints if c.seq == seq), None)
        if cp is None:
            raise RewindError(f"there is no checkpoint {seq}")
        if conversation and cp.at is None:
            raise RewindError("the conversation before that prompt was compacted or cleared; only the code can be "
                              "restored to it")
        result = RewindResult(prompt=cp.text, conversation=conversation)
        if code:
            for item in self.rewind_plan(seq):
                if item.error:
                    result.failed.append((item.path, item.error))
                    continue
                try:
                    _restore_file(Path(item.path), item.content)
                except OSError as exc:
                    result.failed.append((item.path, exc.strerror or str(exc)))
                    continue
                result.restored.append(item.path)
                s.files.observe_change(item.path, None if item.content is None else item.content.encode("utf-8"))
        at: int | None = None
        if conversation:
            at = cp.at
            msgs = s.agent.messages
            result.messages_removed = len(msgs) - at  # type: ignore[operator]
            del msgs[at:]
            self.checkpoints = [c for c in self.checkpoints if c.seq < seq]
            self.current_seq = self.checkpoints[-1].seq if self.checkpoints else 0
        s.bus.publish(ConversationRewound(seq=seq, prompt=cp.text, at=at, restored_files=tuple(result.restored),
                                          failed_files=tuple(p for p, _ in result.failed)))
        return result

    # -- the end -------------------------------------------------------------------

    def _close_writer(self) -> None:
        if self.writer is not None:
            try:
                self._write_meta()
            except OSError:
                pass
            self.writer.close()
            self.writer = None

    def close(self) -> None:
        self._close_writer()
        self._closed = True


def _agent(record: dict[str, Any], agent_id: str) -> dict[str, Any]:
    if agent_id != MAIN:
        record["a"] = agent_id
    return record


def _cut_point(messages: list[Message], at: int) -> int:
    """Where a fork "from message ``at``" cuts: after the message, and after its tool results
    when it asked for tools (a call is never separated from its result)."""
    at = max(0, min(at, len(messages)))
    if 0 < at < len(messages) and messages[at - 1].role == "assistant" and messages[at - 1].tool_uses:
        nxt = messages[at]
        if any(isinstance(b, ToolResultBlock) for b in nxt.content):
            return at + 1
    return at


def _changed_since(path: Path, after_sha: str | None) -> bool:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return after_sha is not None
    except OSError:
        return True
    if after_sha is None:
        return True
    try:
        return BlobStore.digest(data.decode("utf-8", "surrogatepass")) != after_sha
    except UnicodeDecodeError:
        return True


def _restore_file(path: Path, content: str | None) -> None:
    from claw_tui.tools._text import atomic_write

    if content is None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        return
    atomic_write(path, content.encode("utf-8", "surrogatepass"))


_HANDLERS = {
    SessionStarted: SessionPersistence._on_started,
    UserPromptSubmitted: SessionPersistence._on_prompt,
    AssistantMessageCompleted: SessionPersistence._on_message,
    ToolResultsSent: SessionPersistence._on_message,
    TurnFinished: SessionPersistence._on_turn,
    ToolCallStarted: SessionPersistence._on_tool_start,
    ToolCallFinished: SessionPersistence._on_tool_end,
    UsageUpdated: SessionPersistence._on_usage,
    TodosUpdated: SessionPersistence._on_todos,
    PermissionModeChanged: SessionPersistence._on_mode,
    ModelChanged: SessionPersistence._on_model,
    AgentSpawned: SessionPersistence._on_agent,
    FileChanged: SessionPersistence._on_file,
    ConversationCompacted: SessionPersistence._on_compacted,
    ConversationCleared: SessionPersistence._on_cleared,
    ConversationRewound: SessionPersistence._on_rewound,
}
