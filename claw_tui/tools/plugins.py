"""Plugin tools from the ``claw.tools`` entry-point group.

A package adds tools to claw by declaring, in its pyproject.toml::

    [project.entry-points."claw.tools"]
    wordcount = "my_package.tools:WordCountTool"      # a Tool subclass
    more = "my_package.tools:make_tools"              # or a callable returning Tool(s)

Plugin tools are ordinary tools: their pydantic Input is their schema, and every call
passes the same permission policy and raises the same events as a built-in one (an
"execute" tool is asked about). A plugin that fails to import, returns something
that is not a tool, or reuses a taken name is left out with a message for a Notice:
a broken plugin never stops claw.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Iterable
from typing import Any, get_args

from pydantic import BaseModel

from claw_tui.tools.base import Category, Tool

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "claw.tools"
# What both providers accept as a tool name.
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CATEGORIES = frozenset(get_args(Category))


def _origin(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    where = f" from {dist.name} {dist.version}" if dist is not None else ""
    return f"plugin {ep.name!r} ({ep.value}{where})"


def _instances(obj: Any) -> list[Any]:
    """The tools an entry point's object stands for."""
    if isinstance(obj, type):
        if not issubclass(obj, Tool):
            raise TypeError(f"{obj.__qualname__} is a class but not a claw Tool subclass")
        return [obj()]
    if isinstance(obj, Tool):
        return [obj]
    if callable(obj):
        made = obj()
        if isinstance(made, Tool):
            return [made]
        if isinstance(made, Iterable) and not isinstance(made, (str, bytes, dict)):
            return list(made)
        raise TypeError(f"calling it returned {type(made).__name__}, not a Tool or a list of Tools")
    raise TypeError(f"it is a {type(obj).__name__}, not a Tool subclass or a callable returning tools")


def check_tool(tool: Any) -> str | None:
    """Why ``tool`` cannot be offered to the model, or None when it can."""
    if not isinstance(tool, Tool):
        return f"{tool!r} is not a claw Tool"
    name = getattr(tool, "name", None)
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        return f"tool name {name!r} is not 1-64 letters, digits, _ or -"
    description = getattr(tool, "description", None)
    if not isinstance(description, str) or not description.strip():
        return f"tool {name} has no description"
    schema = getattr(tool, "Input", None)
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        return f"tool {name} has no pydantic Input model"
    if getattr(tool, "category", None) not in CATEGORIES:
        return f"tool {name} has category {getattr(tool, 'category', None)!r}, not one of {', '.join(sorted(CATEGORIES))}"
    if not inspect.iscoroutinefunction(tool.run):
        return f"tool {name}'s run() is not an async function"
    try:
        tool.spec()
    except Exception as exc:
        return f"tool {name}'s input schema cannot be built: {exc}"
    return None


def load_plugin_tools(taken: Iterable[str], *, group: str = ENTRY_POINT_GROUP) -> tuple[list[Tool], list[str]]:
    """Tools from installed plugins, and the problems found (one line each, for Notices).

    ``taken``: names already in use (the built-in tools); a plugin tool may not reuse one.
    """
    from importlib.metadata import entry_points

    names = set(taken)
    tools: list[Tool] = []
    problems: list[str] = []
    try:
        found = list(entry_points(group=group))
    except Exception as exc:  # a broken installed distribution must not stop claw
        return [], [f"could not list plugins: {type(exc).__name__}: {exc}"]
    seen: set[tuple[str, str]] = set()
    for ep in found:
        if (ep.name, ep.value) in seen:  # the same distribution on sys.path twice
            continue
        seen.add((ep.name, ep.value))
        origin = _origin(ep)
        try:
            candidates = _instances(ep.load())
        except (Exception, SystemExit) as exc:
            log.warning("%s failed", origin, exc_info=True)
            problems.append(f"{origin} was not loaded: {type(exc).__name__}: {exc}")
            continue
        for tool in candidates:
            why = check_tool(tool)
            if why is not None:
                problems.append(f"{origin} was not loaded: {why}")
                continue
            if tool.name in names:
                problems.append(f"{origin} was refused: a tool named {tool.name} already exists")
                continue
            names.add(tool.name)
            tools.append(tool)
    return tools, problems
