"""What the agent knows about files: which it has read, and what it wrote.

Edit and Write refuse to touch a file the agent has not read, or one that
changed on disk since it read it (someone else's edit would be lost). The file
observer reports changes here; a change whose content matches what the agent
itself wrote is the agent's, anything else is someone else's.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

# Text kept per file so a diff of someone else's change can be drawn.
MAX_REMEMBERED_BYTES = 2 * 1024 * 1024


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(slots=True)
class FileRecord:
    mtime_ns: int
    size: int
    sha: str
    text: str | None  # last content the agent saw or wrote, when small enough
    stale: bool = False


class FileStateRegistry:
    def __init__(self) -> None:
        self._records: dict[str, FileRecord] = {}
        # Hashes of content the agent wrote, per path: the observer's attribution.
        self._agent_writes: dict[str, set[str]] = {}

    @staticmethod
    def _key(path: Path | str) -> str:
        return os.path.normpath(str(path))

    def record(self, path: Path | str, data: bytes) -> None:
        """The agent has seen ``data`` as the whole current content of ``path``."""
        key = self._key(path)
        try:
            st = os.stat(key)
        except OSError:
            return
        text = None
        if len(data) <= MAX_REMEMBERED_BYTES:
            text = data.decode("utf-8", errors="replace")
        self._records[key] = FileRecord(st.st_mtime_ns, st.st_size, digest(data), text)

    def record_agent_write(self, path: Path | str, data: bytes) -> None:
        key = self._key(path)
        self._agent_writes.setdefault(key, set()).add(digest(data))
        self.record(key, data)

    def has_read(self, path: Path | str) -> bool:
        return self._key(path) in self._records

    def remembered_text(self, path: Path | str) -> str | None:
        rec = self._records.get(self._key(path))
        return rec.text if rec else None

    def staleness(self, path: Path | str) -> str | None:
        """Why the agent may not overwrite ``path`` now, or None if it may."""
        key = self._key(path)
        rec = self._records.get(key)
        if rec is None:
            return "File has not been read yet. Read it first before writing to it."
        message = (
            "File has been modified since it was read, either by the user or by another program. "
            "Read it again before attempting to write it."
        )
        if rec.stale:
            return message
        try:
            st = os.stat(key)
        except OSError:
            return "File has been deleted since it was read."
        if st.st_mtime_ns == rec.mtime_ns and st.st_size == rec.size:
            return None
        # mtime moved: compare content, a touch without a change is harmless.
        try:
            data = Path(key).read_bytes()
        except OSError as exc:
            return f"File cannot be read: {exc.strerror}"
        if digest(data) == rec.sha:
            rec.mtime_ns, rec.size = st.st_mtime_ns, st.st_size
            return None
        return message

    def observe_change(self, path: Path | str, data: bytes | None) -> tuple[bool, str | None]:
        """The observer saw ``path`` change to ``data`` (None: deleted).

        Returns (made_by_agent, text_before) and remembers the new content.
        """
        key = self._key(path)
        rec = self._records.get(key)
        before = rec.text if rec else None
        if data is not None and digest(data) in self._agent_writes.get(key, ()):
            return True, before
        if rec is not None:
            if data is None or digest(data) != rec.sha:
                rec.stale = True
            if data is not None and len(data) <= MAX_REMEMBERED_BYTES:
                rec.text = data.decode("utf-8", errors="replace")
        return False, before
