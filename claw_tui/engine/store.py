"""Sessions on disk: one append-only JSONL transcript per session.

Layout under the user data dir (``platformdirs.user_data_dir("claw")``;
``CLAW_DATA_DIR`` overrides it, tests use that)::

    projects/<project key>/<session id>.jsonl       the transcript, one record a line
    projects/<project key>/<session id>.meta.json   title, counts, cost: what /resume lists
    projects/<project key>/<session id>/blobs/<sha256>
                                                     file contents from before the agent changed
                                                     them (checkpoints for /rewind)

Durability: a record is one ``write(2)`` of one complete line to a file opened
with ``O_APPEND``, so a process killed at any moment leaves at most its last line
torn, never an earlier one; the loader skips a torn last line and says so, and a
writer reopening the file cuts the torn bytes off before appending. ``fdatasync``
runs on a background thread shortly after writes (a power cut, not a kill, is
what it guards against), so the engine never waits on the disk.

Every line and every blob goes through :func:`claw_tui.redact.redact` first.
File contents that hold a secret are not written at all: they are kept in memory
for this process only (a rewind after a restart says it cannot restore them).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claw_tui.providers.base import Message, ToolResultBlock, Usage
from claw_tui.redact import has_secret, redact
from claw_tui.settings_files import user_data_dir, write_private

FORMAT_VERSION = 1
MAX_BLOB_BYTES = 2 * 1024 * 1024
# What a tool_end record keeps of a result (only needed when a crash comes between a
# tool finishing and the results being sent; the full result is in the next message).
MAX_TOOL_END_CHARS = 100_000
DEFAULT_CLEANUP_DAYS = 30

# Told to the model in place of a tool result that never came: claw stopped (closed,
# killed, crashed) while the call was running. It is never run again on resume.
INTERRUPTED_BY_STOP = (
    "Interrupted: claw stopped (it was closed or crashed) while this tool call was running, so it did not "
    "finish and it was NOT run again when the session was resumed. Its effects may be partly applied: check "
    "the current state before trying again."
)
# Appended after a prompt whose turn never finished (claw stopped while the model was answering).
TURN_CUT_SHORT = "[claw stopped before this turn finished; the work above may be incomplete]"


# -- where things live -----------------------------------------------------------


# Kept under its old name for the modules that import it from here.
data_dir = user_data_dir


def project_key(cwd: Path | str) -> str:
    """A directory name for a project: readable, unique per absolute path."""
    text = str(Path(cwd).expanduser().resolve())
    readable = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[-60:] or "root"
    return f"{readable}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def projects_dir() -> Path:
    return data_dir() / "projects"


def project_dir(cwd: Path | str) -> Path:
    return projects_dir() / project_key(cwd)


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


def valid_session_id(session_id: str) -> bool:
    return bool(_ID.match(session_id))


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def atomic_write_text(path: Path, text: str) -> None:
    write_private(path, text)


# -- writing ---------------------------------------------------------------------


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return str(obj)


def _redact_values(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_values(v) for k, v in value.items()}
    return value


def encode_record(record: dict[str, Any]) -> bytes:
    # One physical line per record: json.dumps escapes newlines.
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    # Redacting the serialised line is one pass instead of a walk over every string. The
    # patterns keep JSON valid; should one ever not (a secret ending in an escape), the
    # record is redacted value by value instead, so a line is never lost to redaction.
    redacted = redact(line)
    if redacted != line:
        try:
            json.loads(redacted)
        except ValueError:
            plain = json.loads(line)
            redacted = json.dumps(_redact_values(plain), ensure_ascii=False, separators=(",", ":"))
    return (redacted + "\n").encode("utf-8")


def repair_tail(path: Path) -> int:
    """Cut a torn last line (no trailing newline) off ``path``. Returns the bytes removed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with open(path, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return 0
        # Walk back to the last newline (in chunks: the torn line may be long).
        pos = size
        keep = 0
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            fh.seek(pos)
            chunk = fh.read(step)
            idx = chunk.rfind(b"\n")
            if idx >= 0:
                keep = pos + idx + 1
                break
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
        return size - keep


class _Syncer(threading.Thread):
    """fdatasync's a file descriptor soon after it is written, off the event loop."""

    def __init__(self, fd: int) -> None:
        super().__init__(name="claw-session-fsync", daemon=True)
        self.fd = fd
        self._cv = threading.Condition()
        self._dirty = False
        self._stopping = False

    def request(self) -> None:
        with self._cv:
            self._dirty = True
            self._cv.notify()

    def run(self) -> None:
        while True:
            with self._cv:
                while not self._dirty and not self._stopping:
                    self._cv.wait()
                if not self._dirty and self._stopping:
                    return
                self._dirty = False
            try:
                os.fdatasync(self.fd)
            except OSError:
                return
            # Coalesce bursts: at most ~20 syncs a second.
            time.sleep(0.05)

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()
        self.join(2)


class SessionBusy(ValueError):
    """Another claw process is writing this session right now."""


class SessionWriter:
    """Appends records to one session's transcript.

    Holds an advisory lock on the file while open: two claw processes appending to one
    transcript would interleave two conversations (the second is told to fork instead).
    A killed process's lock goes with it.
    """

    def __init__(self, path: Path, *, sync: bool = True) -> None:
        self.path = path
        _private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # no flock on this platform
            pass
        except OSError:
            os.close(fd)
            raise SessionBusy(f"session {path.stem} is open in another claw right now; continue it there, or "
                              "start from it with --fork-session") from None
        self.torn_bytes = repair_tail(path)
        self._fd: int | None = fd
        self._lock = threading.Lock()
        self._syncer: _Syncer | None = None
        if sync:
            self._syncer = _Syncer(self._fd)
            self._syncer.start()
        self.size = os.fstat(self._fd).st_size

    @property
    def closed(self) -> bool:
        return self._fd is None

    def append(self, record: dict[str, Any]) -> None:
        data = encode_record(record)
        with self._lock:
            if self._fd is None:
                raise ValueError(f"session file {self.path} is closed")
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            self.size += len(data)
        if self._syncer is not None:
            self._syncer.request()

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is None:
            return
        if self._syncer is not None:
            self._syncer.stop()
        try:
            os.fsync(fd)
        except OSError:
            pass
        os.close(fd)


class BlobStore:
    """Content-addressed file contents for checkpoints (``<session dir>/blobs``)."""

    def __init__(self, directory: Path | None) -> None:
        # None: nothing goes to disk (a session that is not stored).
        self.directory = directory
        # Contents that hold a secret, or are too large to keep: this process only.
        self._memory: dict[str, str] = {}

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def put(self, text: str) -> dict[str, Any]:
        sha = self.digest(text)
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > MAX_BLOB_BYTES:
            self._memory[sha] = text
            return {"sha": sha, "mem": "too large to keep on disk"}
        if has_secret(text):
            self._memory[sha] = text
            return {"sha": sha, "mem": "holds a secret, so it is not written to disk"}
        if self.directory is None:
            self._memory[sha] = text
            return {"sha": sha, "mem": "this session is not stored"}
        path = self.directory / sha
        if not path.exists():
            # Content-addressed: a blob torn by a crash is written again on the next use, no fsync needed.
            write_private(path, data, sync=False)
        return {"sha": sha}

    def get(self, ref: dict[str, Any]) -> str:
        """The content a ref names. Raises LookupError (with the reason) when it is gone."""
        sha = ref.get("sha", "")
        if sha in self._memory:
            return self._memory[sha]
        if ref.get("mem"):
            raise LookupError(f"its earlier content was not saved to disk ({ref['mem']}) and claw has restarted "
                              "since")
        if self.directory is None or not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise LookupError("its checkpoint record is damaged")
        try:
            return (self.directory / sha).read_bytes().decode("utf-8", "surrogatepass")
        except OSError as exc:
            raise LookupError(f"its saved copy cannot be read ({exc.strerror or exc})") from exc


# -- reading ---------------------------------------------------------------------


def iter_records(path: Path, notices: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """The records of a transcript, in order. A torn or damaged line is skipped with a notice."""
    notes = notices if notices is not None else []
    with open(path, "rb") as fh:
        data = fh.read()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            notes.append(f"line {number} of {path.name} is damaged and was skipped")
            continue
        if isinstance(record, dict):
            yield record
    if tail.strip():
        try:
            record = json.loads(tail)
        except (json.JSONDecodeError, UnicodeDecodeError):
            notes.append(f"the last line of {path.name} was cut off mid-write (claw was stopped while writing it) "
                         f"and was skipped ({len(tail)} bytes)")
        else:
            if isinstance(record, dict):
                yield record


@dataclass
class Checkpoint:
    """The state just before a main-agent prompt: where /rewind can go back to."""

    seq: int
    text: str
    at: int | None  # index of the prompt's message in the transcript; None: compacted away
    ts: float


@dataclass
class FileRecord:
    seq: int  # the checkpoint (prompt) during whose turn the agent changed the file
    path: str
    before: dict[str, Any] | None  # a blob ref; None: the file did not exist
    after_sha: str | None  # None: the change deleted the file
    agent: str
    ts: float


@dataclass
class LedgerTotals:
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    requests: int = 0


@dataclass
class LoadedSession:
    id: str
    path: Path
    cwd: str = ""
    created: float = 0.0
    updated: float = 0.0
    model: str | None = None
    provider: str | None = None
    permission_mode: str | None = None
    forked_from: dict[str, Any] | None = None
    messages: list[Message] = field(default_factory=list)
    todos: list[dict[str, Any]] = field(default_factory=list)
    by_model: dict[str, LedgerTotals] = field(default_factory=dict)
    by_agent: dict[str, LedgerTotals] = field(default_factory=dict)
    context_tokens: int = 0
    context_window: int | None = None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    next_seq: int = 1
    # Main-agent tool calls that started and the results of those that finished.
    tool_results: dict[str, tuple[str, bool]] = field(default_factory=dict)
    turn_open: bool = False
    compactions: int = 0
    first_prompt: str = ""
    title: str = ""
    notices: list[str] = field(default_factory=list)
    sub_agent_messages: int = 0

    @property
    def cost_usd(self) -> float:
        return sum(t.cost_usd for t in self.by_model.values())

    def repair(self) -> list[Message]:
        """Make the transcript valid to continue; returns the messages appended.

        A tool call that never got a result is answered with its recorded result if it
        had finished, else as interrupted (it is never run again). A prompt whose turn
        never finished gets a note saying so.
        """
        added: list[Message] = []
        msgs = self.messages
        if msgs and msgs[-1].role == "assistant" and msgs[-1].tool_uses:
            blocks = []
            for call in msgs[-1].tool_uses:
                done = self.tool_results.get(call.id)
                if done is not None:
                    blocks.append(ToolResultBlock(call.id, done[0], done[1]))
                else:
                    blocks.append(ToolResultBlock(call.id, INTERRUPTED_BY_STOP, True))
            added.append(Message("user", list(blocks)))
        if self.turn_open:
            added.append(Message.user(TURN_CUT_SHORT))
        msgs.extend(added)
        self.turn_open = False
        return added


def _totals(table: dict[str, LedgerTotals], key: str, usage: Usage, cost: float) -> None:
    t = table.setdefault(key, LedgerTotals())
    t.usage = t.usage + usage
    t.cost_usd += cost
    t.requests += 1


def _usage(d: dict[str, Any] | None) -> Usage:
    d = d or {}
    return Usage(int(d.get("input_tokens", 0)), int(d.get("output_tokens", 0)),
                 int(d.get("cache_creation_input_tokens", 0)), int(d.get("cache_read_input_tokens", 0)))


def load_session(path: Path) -> LoadedSession:
    """Rebuild a session's state from its transcript."""
    loaded = LoadedSession(id=path.stem, path=path)
    notices = loaded.notices
    msgs = loaded.messages
    for rec in iter_records(path, notices):
        kind = rec.get("t")
        agent = rec.get("a", "main")
        ts = float(rec.get("ts", 0) or 0)
        if ts:
            loaded.updated = max(loaded.updated, ts)
        try:
            if kind == "msg":
                if agent != "main":
                    loaded.sub_agent_messages += 1
                    continue
                msgs.append(Message.from_dict(rec["m"]))
            elif kind == "prompt":
                if agent != "main":
                    continue
                seq = int(rec["seq"])
                text = str(rec.get("text", ""))
                loaded.checkpoints.append(Checkpoint(seq, text, len(msgs), ts))
                loaded.next_seq = max(loaded.next_seq, seq + 1)
                loaded.turn_open = True
                loaded.tool_results.clear()
                if not loaded.first_prompt:
                    loaded.first_prompt = text
            elif kind == "turn":
                if agent == "main":
                    loaded.turn_open = False
            elif kind == "tool_end":
                if agent == "main":
                    loaded.tool_results[rec["id"]] = (str(rec.get("c", "")), bool(rec.get("err", False)))
            elif kind == "usage":
                usage = _usage(rec.get("u"))
                cost = float(rec.get("cost", 0.0))
                _totals(loaded.by_model, str(rec.get("model", "?")), usage, cost)
                _totals(loaded.by_agent, str(agent), usage, cost)
                if agent == "main":
                    loaded.context_tokens = int(rec.get("ctx", usage.context_tokens))
                    loaded.context_window = rec.get("win")
            elif kind == "todos":
                if agent == "main":
                    loaded.todos = [dict(t) for t in rec.get("todos", []) if isinstance(t, dict)]
            elif kind == "mode":
                loaded.permission_mode = rec.get("mode")
            elif kind == "model":
                loaded.model, loaded.provider = rec.get("model"), rec.get("provider")
            elif kind == "file":
                loaded.files.append(FileRecord(int(rec.get("seq", 0)), str(rec["path"]), rec.get("before"),
                                               rec.get("after"), str(agent), ts))
            elif kind == "compact":
                msgs[:] = [Message.from_dict(m) for m in rec.get("m", [])]
                loaded.compactions += 1
                for cp in loaded.checkpoints:
                    cp.at = None
                loaded.tool_results.clear()
            elif kind == "rewind":
                at = int(rec["at"])
                seq = int(rec["seq"])
                del msgs[at:]
                loaded.checkpoints = [cp for cp in loaded.checkpoints if cp.seq < seq]
                loaded.turn_open = False
            elif kind == "clear":
                msgs.clear()
                for cp in loaded.checkpoints:
                    cp.at = None
                loaded.turn_open = False
            elif kind == "reset":
                msgs[:] = [Message.from_dict(m) for m in rec.get("m", [])]
            elif kind == "session":
                loaded.id = str(rec.get("id", loaded.id))
                loaded.cwd = str(rec.get("cwd", ""))
                loaded.created = ts
                loaded.model = rec.get("model")
                loaded.provider = rec.get("provider")
                loaded.permission_mode = rec.get("mode")
                loaded.forked_from = rec.get("forked_from")
            elif kind == "start":
                loaded.model = rec.get("model", loaded.model)
                loaded.provider = rec.get("provider", loaded.provider)
        except (KeyError, TypeError, ValueError) as exc:
            notices.append(f"a {kind!r} record of {path.name} is malformed ({exc!r}) and was skipped")
    loaded.title = title_of(loaded.first_prompt)
    return loaded


def title_of(prompt: str) -> str:
    line = next((ln.strip() for ln in prompt.splitlines() if ln.strip()), "")
    return line if len(line) <= 80 else line[:79] + "…"


# -- listing -----------------------------------------------------------------------


@dataclass
class SessionInfo:
    id: str
    path: Path
    cwd: str
    title: str
    first_prompt: str
    created: float
    updated: float
    messages: int
    prompts: int
    cost_usd: float
    model: str | None = None

    def matches(self, query: str) -> bool:
        q = query.lower().strip()
        return not q or q in self.title.lower() or q in self.first_prompt.lower() or self.id.startswith(q)


def meta_path(jsonl: Path) -> Path:
    return jsonl.with_name(jsonl.stem + ".meta.json")


def blob_dir(jsonl: Path) -> Path:
    return jsonl.with_name(jsonl.stem) / "blobs"


def write_meta(jsonl: Path, info: dict[str, Any]) -> None:
    atomic_write_text(meta_path(jsonl), redact(json.dumps(info, ensure_ascii=False)))


def info_from_loaded(loaded: LoadedSession) -> SessionInfo:
    st = loaded.path.stat()
    return SessionInfo(
        id=loaded.id, path=loaded.path, cwd=loaded.cwd, title=loaded.title, first_prompt=loaded.first_prompt[:500],
        created=loaded.created or st.st_mtime, updated=st.st_mtime, messages=len(loaded.messages),
        prompts=len(loaded.checkpoints), cost_usd=loaded.cost_usd, model=loaded.model,
    )


def session_info(jsonl: Path) -> SessionInfo | None:
    """What /resume shows of one session: from its meta file when that is current, else by reading it."""
    try:
        st = jsonl.stat()
    except OSError:
        return None
    try:
        meta = json.loads(meta_path(jsonl).read_text(encoding="utf-8"))
        if meta.get("size") == st.st_size:
            return SessionInfo(
                id=jsonl.stem, path=jsonl, cwd=str(meta.get("cwd", "")), title=str(meta.get("title", "")),
                first_prompt=str(meta.get("first_prompt", "")), created=float(meta.get("created", st.st_mtime)),
                updated=st.st_mtime, messages=int(meta.get("messages", 0)), prompts=int(meta.get("prompts", 0)),
                cost_usd=float(meta.get("cost", 0.0)), model=meta.get("model"),
            )
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    try:
        return info_from_loaded(load_session(jsonl))
    except OSError:
        return None


def list_sessions(cwd: Path | str) -> list[SessionInfo]:
    """This project's sessions, most recently used first."""
    directory = project_dir(cwd)
    try:
        files = [p for p in directory.glob("*.jsonl") if p.is_file()]
    except OSError:
        return []
    infos = [i for i in (session_info(p) for p in files) if i is not None]
    return sorted(infos, key=lambda i: i.updated, reverse=True)


class SessionNotFound(ValueError):
    """No such stored session (the message says what there is instead)."""


def find_session(cwd: Path | str, wanted: str | None) -> Path:
    """The transcript of session ``wanted`` (an id or a unique prefix of one) in this
    project, or of the most recent session when ``wanted`` is None."""
    directory = project_dir(cwd)
    if wanted is None:
        # The most recently written transcript: by mtime alone, without reading any of them.
        latest: tuple[float, Path] | None = None
        for path in directory.glob("*.jsonl") if directory.is_dir() else ():
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if latest is None or mtime > latest[0]:
                latest = (mtime, path)
        if latest is None:
            raise SessionNotFound(f"no earlier session in {cwd} to continue")
        return latest[1]
    wanted = wanted.strip()
    if not valid_session_id(wanted):
        raise SessionNotFound(f"{wanted!r} is not a session id")
    exact = directory / f"{wanted}.jsonl"
    if exact.is_file():
        return exact
    matches = sorted(directory.glob(f"{wanted}*.jsonl")) if directory.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise SessionNotFound(f"{wanted!r} matches {len(matches)} sessions; give more of the id")
    # Somewhere else? Say where, instead of resuming it in the wrong directory.
    for other in projects_dir().glob(f"*/{wanted}*.jsonl"):
        try:
            cwd_there = load_session(other).cwd
        except OSError:
            continue
        raise SessionNotFound(f"session {other.stem} belongs to {cwd_there or other.parent.name}; run claw there "
                              "to resume it")
    raise SessionNotFound(f"no session {wanted!r} in {cwd} (claw --resume lists them)")


# -- cleanup -----------------------------------------------------------------------


def remove_session(jsonl: Path) -> None:
    for p in (jsonl, meta_path(jsonl)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
    shutil.rmtree(jsonl.with_name(jsonl.stem), ignore_errors=True)


def cleanup_sessions(days: float, *, keep: set[str] = frozenset(), now: float | None = None) -> list[str]:
    """Remove sessions last written more than ``days`` ago (every project). Returns their ids."""
    cutoff = (now or time.time()) - days * 86400
    removed: list[str] = []
    root = projects_dir()
    try:
        projects = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return removed
    for project in projects:
        for jsonl in project.glob("*.jsonl"):
            if jsonl.stem in keep:
                continue
            try:
                if jsonl.stat().st_mtime >= cutoff:
                    continue
            except OSError:
                continue
            remove_session(jsonl)
            removed.append(jsonl.stem)
        try:
            if not any(project.iterdir()):
                project.rmdir()
        except OSError:
            pass
    # The permission audit logs (permissions/audit.py) age out with the sessions they belong to.
    try:
        audits = list((data_dir() / "audit").glob("*.jsonl"))
    except OSError:
        audits = []
    for audit in audits:
        try:
            if audit.stem not in keep and audit.stat().st_mtime < cutoff:
                audit.unlink()
        except OSError:
            pass
    return removed
