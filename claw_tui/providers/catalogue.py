"""The model catalogue: context windows and prices per million tokens.

The data lives in ``models.json`` beside this module (with its sources), so a
price change is a data change. Lookups accept ids, short aliases and dated
snapshots (``claude-sonnet-4-5-20250929`` → ``claude-sonnet-4-5``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from claw_tui.providers.base import Usage

# The model claw uses when neither the command line, the settings nor the first-run setup name one.
DEFAULT_MODEL = "claude-sonnet-5-5"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    provider: str
    context_window: int
    max_output: int
    input: float
    output: float
    cache_write: float
    cache_read: float
    thinking: str = "none"  # none | enabled | adaptive | reasoning
    aliases: tuple[str, ...] = ()
    notes: str = ""

    def cost(self, usage: Usage) -> float:
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_creation_input_tokens * self.cache_write
            + usage.cache_read_input_tokens * self.cache_read
        ) / 1_000_000


@lru_cache(maxsize=1)
def _load() -> dict[str, ModelInfo]:
    data = json.loads((Path(__file__).with_name("models.json")).read_text(encoding="utf-8"))
    table: dict[str, ModelInfo] = {}
    for m in data["models"]:
        info = ModelInfo(
            id=m["id"],
            provider=m["provider"],
            context_window=int(m["context_window"]),
            max_output=int(m.get("max_output") or 8192),
            input=float(m["input"]),
            output=float(m["output"]),
            cache_write=float(m.get("cache_write", m["input"])),
            cache_read=float(m.get("cache_read", m["input"])),
            thinking=m.get("thinking", "none"),
            aliases=tuple(m.get("aliases", ())),
            notes=m.get("notes", ""),
        )
        table[info.id] = info
        for alias in info.aliases:
            table.setdefault(alias, info)
    return table


_DATED = re.compile(r"^(?P<base>.+?)[-@](?:\d{8}|\d{4}-\d{2}-\d{2})$")


def lookup(model: str) -> ModelInfo | None:
    table = _load()
    if model in table:
        return table[model]
    m = _DATED.match(model)
    if m and m.group("base") in table:
        return table[m.group("base")]
    # Provider-qualified names used by compatible servers: "anthropic/claude-…", "openai/gpt-…"
    if "/" in model:
        return lookup(model.rsplit("/", 1)[1])
    return None


def resolve(model: str) -> str:
    """The full id for an alias ("sonnet" → "claude-sonnet-…"), else the name as given."""
    info = _load().get(model)
    return info.id if info is not None and model in info.aliases else model


def all_models() -> list[ModelInfo]:
    seen: dict[str, ModelInfo] = {}
    for info in _load().values():
        seen.setdefault(info.id, info)
    return list(seen.values())


def guess_provider(model: str) -> str:
    info = lookup(model)
    if info is not None:
        return info.provider
    return "anthropic" if model.startswith("claude") else "openai"
