"""Memory consolidation (claw's "autoDream"): what a session learned, folded into the
project's memory file by a background sub-agent, offered to the person as a diff.

It runs when the app has been idle for a while (``autoDreamIdleMinutes``, default 10)
after a session with prompts in it; with nothing new in this session, it looks at the
previous session of the project instead (so what was learned in a session that has
ended is not lost). At most once per ``autoDreamIntervalHours`` (default 24) per
project, across every claw process: the lock file
``<data dir>/projects/<project>/memory-consolidation.lock`` is held (``flock``) while
it runs and records when it last ran. ``autoDreamEnabled: false`` turns it off.

The sub-agent has no tools: it is given the memory file and the session's
transcript, and answers with the whole new file. Nothing is written until the
person accepts the diff.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from claw_tui.engine.compaction import render_for_summary
from claw_tui.engine.context import MAX_FILE_CHARS, project_memory_file, refresh_system_prompt
from claw_tui.engine.store import list_sessions, load_session, project_dir
from claw_tui.events import AgentSpawned, AgentStateChanged, MemoryProposed, MemoryUpdated
from claw_tui.providers.base import Message

if TYPE_CHECKING:
    from claw_tui.engine.session import Session

DEFAULT_INTERVAL_HOURS = 24.0
DEFAULT_IDLE_MINUTES = 10.0
MAX_TRANSCRIPT_CHARS = 200_000
LOCK_NAME = "memory-consolidation.lock"

DREAM_SYSTEM = """You maintain a software project's memory file: the standing instructions and facts \
(CLAW.md) that every future coding-agent session in the project reads first. You are given the current file \
and the transcript of a recent session. Fold into the file what that session established that future sessions \
need: build and test commands that worked, conventions, architecture facts, the developer's stated preferences \
and corrections, pitfalls found. Then tidy the whole file:
- deduplicate: one statement per fact;
- resolve contradictions in favour of the most recent evidence;
- prune items the transcript shows are stale or wrong;
- keep it short and factual; no session narrative, no secrets, nothing speculative.
Keep the file's existing structure and wording where it is still right."""

DREAM_REQUEST = """Current memory file ({path}):
<current>
{current}
</current>

Transcript of the session:
<transcript>
{transcript}
</transcript>

Answer with:
<changes>
- one line per change you made and why
</changes>
<memory>
the complete new content of the memory file
</memory>
If nothing should change, answer with <changes>none</changes> and no <memory> block."""


@dataclass
class MemoryProposal:
    path: Path
    before: str | None
    after: str
    summary: str


def _between(text: str, tag: str) -> str | None:
    start = text.rfind(f"<{tag}>")
    end = text.rfind(f"</{tag}>")
    if start < 0 or end < start:
        return None
    return text[start + len(tag) + 2:end].strip("\n")


class MemoryConsolidator:
    _ids = itertools.count(1)

    def __init__(self, session: Session) -> None:
        self.session = session
        st = session.settings
        enabled = getattr(st, "auto_dream_enabled", None)
        self.enabled = True if enabled is None else bool(enabled)
        hours = getattr(st, "auto_dream_interval_hours", None)
        self.interval_s = (DEFAULT_INTERVAL_HOURS if hours is None else float(hours)) * 3600
        idle = getattr(st, "auto_dream_idle_minutes", None)
        self.idle_s = (DEFAULT_IDLE_MINUTES if idle is None else float(idle)) * 60
        self.lock_path = project_dir(session.workspace) / LOCK_NAME
        self.running = False
        # Prompts of this session already folded in (so an idle app does not dream twice over the same work).
        self.consolidated_prompts = 0

    # -- when ------------------------------------------------------------------------

    def last_run(self) -> float:
        try:
            return float(json.loads(self.lock_path.read_text(encoding="utf-8")).get("last_run", 0))
        except (OSError, ValueError, TypeError, AttributeError):
            return 0.0

    def not_due(self, now: float | None = None) -> str | None:
        """Why consolidation should not run now, or None when it should."""
        if not self.enabled:
            return "memory consolidation is off (autoDreamEnabled)"
        if self.running:
            return "it is already running"
        now = time.time() if now is None else now
        last = self.last_run()
        if last and now - last < self.interval_s:
            return f"it ran {int((now - last) // 60)} minutes ago (at most once every {self.interval_s / 3600:g} h)"
        return None

    def transcript(self) -> tuple[list[Message], str] | None:
        """What to learn from: this session's new work, else the project's previous session."""
        s = self.session
        prompts = len(s.persistence.checkpoints)
        if prompts > self.consolidated_prompts and s.agent.messages:
            return list(s.agent.messages), s.id
        last = self.last_run()
        for info in list_sessions(s.workspace):
            if info.id == s.id or info.updated <= last or info.prompts == 0:
                continue
            try:
                return load_session(info.path).messages, info.id
            except OSError:
                continue
        return None

    @contextlib.contextmanager
    def _lock(self) -> Iterator[bool]:
        """Hold the project's consolidation lock (False: another claw holds it)."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except ImportError:  # no flock (Windows): the interval alone guards it
                pass
            except OSError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the flock

    def _stamp(self, now: float) -> None:
        data = json.dumps({"last_run": now, "pid": os.getpid(), "session": self.session.id})
        fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data.encode())
        finally:
            os.close(fd)

    # -- running ---------------------------------------------------------------------

    async def run(self, *, force: bool = False) -> MemoryProposal | None:
        """Consolidate if due (``force``: whatever the interval). Publishes MemoryProposed
        and returns the proposal when the file should change."""
        if self.running or (not force and self.not_due() is not None):
            return None
        source = self.transcript()
        if source is None:
            return None
        messages, source_id = source
        with self._lock() as held:
            if not held:
                return None
            now = time.time()
            if not force and self.not_due(now) is not None:
                return None
            # Stamped before the run, so a failing model does not make every idle minute retry it.
            self._stamp(now)
            self.running = True
            try:
                proposal = await self._dream(messages)
            finally:
                self.running = False
        if source_id == self.session.id:
            self.consolidated_prompts = len(self.session.persistence.checkpoints)
        if proposal is not None:
            self.session.bus.publish(MemoryProposed(path=str(proposal.path), before=proposal.before,
                                                    after=proposal.after, summary=proposal.summary))
        return proposal

    async def _dream(self, messages: list[Message]) -> MemoryProposal | None:
        from claw_tui.engine.agent import Agent, Limits

        s = self.session
        path = project_memory_file(s.workspace)
        try:
            before: str | None = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            before = None
        except (OSError, UnicodeDecodeError):
            return None
        agent_id = f"memory-{next(self._ids)}"
        name = "memory consolidation"
        agent = Agent(
            provider=s.provider, model=s.model, tools=s.tools.subset(()), policy=s.policy, bus=s.bus,
            ledger=s.ledger, ctx=s.ctx, system_prompt=DREAM_SYSTEM, agent_id=agent_id, name=name,
            limits=Limits(max_turns=1), retry=s.agent.retry, max_tokens=min(8_000, s.config.max_tokens),
            thinking=False, parent_id="main",
        )
        prompt = DREAM_REQUEST.format(path=path.name, current=before or "(the file does not exist yet)",
                                      transcript=render_for_summary(messages, MAX_TRANSCRIPT_CHARS))
        s.bus.publish(AgentSpawned(agent_id=agent_id, parent_id="main", name=name,
                                   task="fold what this session learned into the memory file", model=s.model,
                                   agent_type="memory"))
        s.bus.publish(AgentStateChanged(agent_id=agent_id, state="running"))
        s.sub_agents[agent_id] = agent
        try:
            result = await agent.run(prompt)
        finally:
            s.sub_agents.pop(agent_id, None)
        if result.outcome != "success":
            s.bus.publish(AgentStateChanged(agent_id=agent_id, state="failed", detail=result.error or result.outcome))
            return None
        answer = result.result
        after = _between(answer, "memory")
        summary = (_between(answer, "changes") or "").strip()
        if after is None or not after.strip() or len(after) > 2 * MAX_FILE_CHARS:
            detail = "no change" if after is None else "the proposed file was unusable"
            s.bus.publish(AgentStateChanged(agent_id=agent_id, state="done", detail=detail))
            return None
        after = after.rstrip("\n") + "\n"
        if before is not None and after.strip() == before.strip():
            s.bus.publish(AgentStateChanged(agent_id=agent_id, state="done", detail="no change"))
            return None
        s.bus.publish(AgentStateChanged(agent_id=agent_id, state="done", detail="proposed a change"))
        return MemoryProposal(path, before, after, summary)

    def accept(self, proposal: MemoryProposal) -> None:
        """Write the proposed file (it must not have changed since) and reload memory."""
        from claw_tui.tools._text import atomic_write

        try:
            now: str | None = proposal.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            now = None
        if (now or "") != (proposal.before or ""):
            raise ValueError(f"{proposal.path} changed since the proposal was made; nothing was written")
        atomic_write(proposal.path, proposal.after.encode("utf-8"))
        refresh_system_prompt(self.session)
        self.session.bus.publish(MemoryUpdated(path=str(proposal.path), how="consolidated"))
