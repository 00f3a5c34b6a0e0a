"""The audit log: every permission decision of a session, one JSON line each, append-only.

Where: ``<data dir>/audit/<session id>.jsonl`` (the data dir is
``platformdirs.user_data_dir("claw")``, or ``CLAW_DATA_DIR``). A resumed session appends to
its own file.

What: one line per :class:`~claw_tui.events.PermissionDecided` (``"kind": "permission"``) and
one per hook that decided something or failed (``"kind": "hook"``, from
:class:`~claw_tui.events.HookRan`)::

    {"v": 1, "kind": "permission", "time": "2026-05-01T10:00:00.123Z", "session_id": "…",
     "agent_id": "main", "call_id": "…", "tool": "Bash", "input_sha256": "…",
     "input_preview": "npm test", "decision": "allow", "reason": "…", "rule": "Bash(npm test:*)",
     "decided_by": "policy", "mode": "default"}

``input_sha256`` is the SHA-256 of the input's canonical JSON (keys sorted, no spaces,
UTF-8), so a line can be matched against the exact input that was decided on without
the log holding it; ``input_preview`` is a short, redacted excerpt for people.

How: the log is a synchronous bus subscriber, so a decision is on disk (one ``write(2)``
of one complete line to a file opened with ``O_APPEND``) before the tool runs; a crash
leaves at most a torn last line, never a damaged earlier one, and readers skip a torn line.
Each line goes through :func:`claw_tui.redact.redact` as a whole after it is serialised
(its patterns keep JSON valid), and the preview is redacted before it is cut short, so
a secret cannot survive as a prefix too short to recognise. The file and its directory are
private to the user (0600/0700).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claw_tui.bus import EventBus
from claw_tui.events import Event, HookRan, Notice, PermissionDecided
from claw_tui.redact import redact
from claw_tui.settings_files import user_data_dir

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
PREVIEW_CHARS = 160
# How much of the end of the file recent_decisions() reads.
TAIL_BYTES = 512 * 1024


def audit_dir() -> Path:
    return user_data_dir() / "audit"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def input_digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def input_preview(tool: str, value: Any, limit: int = PREVIEW_CHARS) -> str:
    """A short, one-line, redacted excerpt of a tool input."""
    if isinstance(value, dict):
        for key in ("command", "file_path", "notebook_path", "path", "url", "pattern", "query", "prompt"):
            if isinstance(value.get(key), str):
                text = value[key]
                break
        else:
            text = canonical_json(value)
    elif value is None:
        text = ""
    else:
        text = canonical_json(value)
    # Redact the whole text first: cut first, a key could be left too short to recognise.
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _now_iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    """Writes a session's decisions to its audit file (subscribe with :meth:`attach`)."""

    def __init__(
        self,
        *,
        session_id: Callable[[], str],
        mode: Callable[[], str] = lambda: "",
        directory: Path | None = None,
    ) -> None:
        self.session_id = session_id
        self.mode = mode
        self._directory = directory
        self._bus: EventBus | None = None
        self._warned = False
        self._checked: set[Path] = set()
        self.lines_written = 0

    @property
    def path(self) -> Path:
        sid = self.session_id()
        # A session id is a uuid or a stored one; anything else must not name a path.
        safe = "".join(c for c in sid if c.isalnum() or c in "-_")[:80] or "session"
        return (self._directory or audit_dir()) / f"{safe}.jsonl"

    def attach(self, bus: EventBus) -> None:
        self._bus = bus
        # Synchronous: the line is written when the decision is published, before the tool runs.
        bus.subscribe_sync(self._on_event, lambda e: isinstance(e, (PermissionDecided, HookRan)))

    # -- records ---------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, PermissionDecided):
            self.write(self.permission_record(event))
        elif isinstance(event, HookRan) and (event.decision is not None or event.outcome != "ok"):
            self.write(self.hook_record(event))

    def _base(self, kind: str, event: Event) -> dict[str, Any]:
        return {"v": FORMAT_VERSION, "kind": kind, "time": _now_iso(event.ts), "session_id": self.session_id(),
                "agent_id": event.agent_id}

    def permission_record(self, e: PermissionDecided) -> dict[str, Any]:
        return {
            **self._base("permission", e),
            "call_id": e.call_id,
            "tool": e.tool,
            "input_sha256": input_digest(e.input) if e.input is not None else None,
            "input_preview": input_preview(e.tool, e.input),
            "decision": e.behavior,
            "reason": e.reason,
            "rule": e.rule,
            "decided_by": e.decided_by,
            "mode": e.mode,
        }

    def hook_record(self, e: HookRan) -> dict[str, Any]:
        return {
            **self._base("hook", e),
            "call_id": e.call_id,
            "tool": e.tool,
            "hook_event": e.hook_event,
            "command": e.command,
            "scope": e.scope,
            "outcome": e.outcome,
            "exit_code": e.exit_code,
            "decision": e.decision,
            "reason": e.reason,
            "input_rewritten": e.input_rewritten,
            "decided_by": "hook",
            "mode": self.mode(),
        }

    def write(self, record: dict[str, Any]) -> None:
        line = redact(json.dumps(record, ensure_ascii=False, default=str)) + "\n"
        data = line.encode("utf-8")
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0),
                         0o600)
            try:
                if path not in self._checked:
                    # A line torn by an earlier crash stays a line of its own (readers skip it)
                    # instead of swallowing the first new one.
                    self._checked.add(path)
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        data = b"\n" + data
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
            finally:
                os.close(fd)
            self.lines_written += 1
        except OSError as exc:
            log.warning("audit log %s: %s", path, exc)
            if not self._warned and self._bus is not None:
                self._warned = True
                self._bus.publish(Notice(level="error", text=f"The audit log cannot be written ({path}: "
                                                             f"{exc.strerror or exc}); decisions are not recorded."))

    # -- reading ---------------------------------------------------------------------

    def recent_decisions(self, n: int = 20) -> list[dict[str, Any]]:
        """The last ``n`` records of this session's log, oldest first (torn lines skipped)."""
        return read_records(self.path, n)


def read_records(path: Path, n: int | None = None) -> list[dict[str, Any]]:
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            start = max(0, size - TAIL_BYTES) if n is not None else 0
            fh.seek(start)
            raw = fh.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("audit log %s: %s", path, exc)
        return []
    lines = raw.split(b"\n")
    if start > 0:
        lines = lines[1:]  # the first line was cut by the tail read
    records = []
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue  # a line torn by a crash
        if isinstance(record, dict):
            records.append(record)
    return records[-n:] if n is not None else records
