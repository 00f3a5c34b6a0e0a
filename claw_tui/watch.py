"""The file observer: every change in the workspace, by the agent or anyone else.

watchfiles reports changes (debounced); gitignored paths and .git are left out.
A change whose content matches what the agent itself wrote was already
published by the tool that wrote it; anything else is published here as made
by someone else, and marks the file stale so Edit will not overwrite it blind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from claw_tui.bus import EventBus
from claw_tui.events import FileChanged
from claw_tui.tools._text import BINARY_SNIFF
from claw_tui.tools.filestate import MAX_REMEMBERED_BYTES, FileStateRegistry
from claw_tui.tools.walk import ALWAYS_SKIPPED, _dir_spec, initial_specs, is_ignored

log = logging.getLogger(__name__)


class FileWatcher:
    def __init__(self, root: Path, bus: EventBus, files: FileStateRegistry, *, debounce_ms: int = 50) -> None:
        self.root = root
        self.bus = bus
        self.files = files
        self.debounce_ms = debounce_ms
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    def ignored(self, path: Path) -> bool:
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return True
        if any(part in ALWAYS_SKIPPED for part in rel.parts) or ".claw-tmp-" in path.name:
            return True
        parent = path.parent
        specs = initial_specs(parent)
        own = _dir_spec(parent)
        if own is not None:
            specs = (*specs, (parent, own))
        return bool(specs) and is_ignored(specs, path, path.is_dir())

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="file-watcher")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 2)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            except Exception:
                log.exception("file watcher failed while stopping")

    async def _run(self) -> None:
        import watchfiles

        def keep(change: watchfiles.Change, path: str) -> bool:
            return not self.ignored(Path(path))

        try:
            watcher = watchfiles.awatch(
                self.root,
                watch_filter=keep,
                debounce=self.debounce_ms,
                step=20,
                stop_event=self._stop,
                yield_on_timeout=False,
                rust_timeout=500,
            )
            self.ready.set()
            async for changes in watcher:
                for change, raw in sorted(changes, key=lambda c: c[1]):
                    await self._handle(change, Path(raw))
        except Exception:
            log.exception("the file watcher stopped")
        finally:
            self.ready.set()

    async def _handle(self, change: object, path: Path) -> None:
        data: bytes | None = None
        if path.is_dir():
            return
        if path.exists():
            with contextlib.suppress(OSError):
                size = path.stat().st_size
                if size <= MAX_REMEMBERED_BYTES:
                    data = await asyncio.to_thread(path.read_bytes)
        elif not self.files.has_read(path) and self.files.remembered_text(path) is None:
            # A file nobody knew about came and went: still worth a line in the diff pane.
            pass
        made_by_agent, before = self.files.observe_change(path, data)
        if made_by_agent:
            return
        after = None
        if data is not None and b"\0" not in data[:BINARY_SNIFF]:
            after = data.decode("utf-8", errors="replace")
        if data is None and path.exists():
            return  # too large to diff; the staleness mark above is what matters
        self.bus.publish(FileChanged(path=str(path), by="external", before=before, after=after))
