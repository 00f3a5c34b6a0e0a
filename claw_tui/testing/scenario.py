"""Scenarios: a prompt, the files of a small project, and the scripted responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).with_name("scenarios")


def substitute(value: Any, cwd: str) -> Any:
    """Replace ``{cwd}`` in every string of a scenario (paths in tool inputs)."""
    if isinstance(value, str):
        return value.replace("{cwd}", cwd)
    if isinstance(value, list):
        return [substitute(v, cwd) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, cwd) for k, v in value.items()}
    return value


def load(name: str, cwd: Path) -> dict[str, Any]:
    data = json.loads((SCENARIOS / f"{name}.json").read_text(encoding="utf-8"))
    return substitute(data, str(cwd))


def write_files(scenario: dict[str, Any], cwd: Path) -> None:
    for rel, content in scenario.get("files", {}).items():
        path = cwd / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def text(t: str, **extra: Any) -> dict[str, Any]:
    return {"blocks": [{"type": "text", "text": t}], **extra}


def tool(name: str, text_before: str | None = None, **tool_input: Any) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if text_before:
        blocks.append({"type": "text", "text": text_before})
    blocks.append({"type": "tool_use", "name": name, "input": tool_input})
    return {"blocks": blocks}


def tools(*calls: tuple[str, dict[str, Any]], text_before: str | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if text_before:
        blocks.append({"type": "text", "text": text_before})
    blocks.extend({"type": "tool_use", "name": n, "input": i} for n, i in calls)
    return {"blocks": blocks}
