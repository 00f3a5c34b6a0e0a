"""The event classes, for the UI's modules, imported on first use.

claw_tui.events defines some 45 frozen dataclasses, and making them costs ~35 ms
(dataclasses generate their methods with exec). The first frame draws no event, so the
UI reads them through ``ev.Name``: the module is imported with the engine, in the thread
that loads it after the first frame, or at the latest when the first event is drawn.
"""

from __future__ import annotations

from typing import Any


class _Events:
    def __getattr__(self, name: str) -> Any:
        import claw_tui.events as module

        value = getattr(module, name)
        setattr(self, name, value)  # from now on a plain attribute
        return value


ev: Any = _Events()
