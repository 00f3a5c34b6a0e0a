"""Permission rules in Claude Code's syntax: ``Tool`` or ``Tool(specifier)``.

- ``Bash(npm test)`` exact command, ``Bash(git status:*)`` command prefix.
- ``Read(./.env)``, ``Edit(src/**)``: gitignore-style path patterns; ``//abs/path``
  is absolute, ``~/path`` is under the home directory, anything else is relative
  to the directory the rule came from (the workspace for command-line rules).
  Edit rules cover every tool that edits files; Read rules every tool that reads.
- ``WebFetch(domain:example.com)``, ``mcp__server`` / ``mcp__server__tool``, ``Agent(type)``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pathspec

# Which tools a path rule for the key tool covers.
EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "NotebookRead"})

_RULE = re.compile(r"^(?P<tool>[A-Za-z0-9_\-]+)(?:\((?P<spec>.*)\))?$", re.DOTALL)


class RuleError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Rule:
    tool: str
    specifier: str | None
    source: str = "cli"
    base: str | None = None  # directory relative path patterns are anchored to

    def __str__(self) -> str:
        return f"{self.tool}({self.specifier})" if self.specifier is not None else self.tool


def parse_rule(text: str, *, source: str = "cli", base: str | None = None) -> Rule:
    m = _RULE.match(text.strip())
    if not m:
        raise RuleError(f"not a permission rule: {text!r} (expected Tool or Tool(specifier))")
    spec = m.group("spec")
    if spec is not None:
        spec = spec.strip()
        if spec in ("", "*"):
            spec = None  # Bash(*) and Bash() mean the whole tool
    return Rule(m.group("tool"), spec, source, base)


def split_rule_list(values: list[str]) -> list[str]:
    """--allowedTools takes rules separated by spaces or commas, outside parentheses."""
    out: list[str] = []
    for value in values:
        depth = 0
        current = []
        for ch in value:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
            if depth == 0 and ch in ", ":
                if current:
                    out.append("".join(current))
                current = []
                continue
            current.append(ch)
        if current:
            out.append("".join(current))
    return [r for r in (s.strip() for s in out) if r]


# Until the full shell analysis lands, a prefix or exact Bash rule only ever matches
# a single plain command: anything that could chain or substitute another is left to ask.
_SHELL_META = re.compile(r"[;&|`$<>(){}\n\\*?\[\]!#~]")


def bash_rule_matches(spec: str, command: str, *, for_deny: bool) -> bool:
    command = command.strip()
    if for_deny:
        # Deny rules must catch the command anywhere in a chain: check every segment
        # and fail closed on anything we cannot split with confidence.
        segments = re.split(r"&&|\|\||[;&|\n]|\$\(|`", command)
        return any(_bash_spec_matches(spec, seg.strip().lstrip("({ ")) for seg in segments if seg.strip())
    if _SHELL_META.search(command):
        return False
    return _bash_spec_matches(spec, command)


def _bash_spec_matches(spec: str, command: str) -> bool:
    if spec.endswith(":*"):
        prefix = spec[:-2].strip()
        return command == prefix or command.startswith(prefix + " ")
    return command == spec


def path_rule_matches(rule: Rule, path: Path, workspace: Path) -> bool:
    spec = rule.specifier or ""
    if spec.startswith("//"):
        anchor, pattern = Path("/"), spec[2:]
    elif spec.startswith("~/"):
        anchor, pattern = Path(os.path.expanduser("~")), spec[2:]
    else:
        anchor = Path(rule.base) if rule.base else workspace
        pattern = spec[2:] if spec.startswith("./") else spec.lstrip("/")
        # "/src/**" in a settings file means relative to that file's directory.
        if spec.startswith("/") and not spec.startswith("//"):
            pattern = "/" + pattern
    anchor = Path(os.path.realpath(anchor))
    try:
        rel = path.relative_to(anchor).as_posix()
    except ValueError:
        return False
    matcher = pathspec.GitIgnoreSpec.from_lines([pattern])
    return matcher.match_file(rel) or (path.is_dir() and matcher.match_file(rel + "/"))


def domain_rule_matches(spec: str, url: str) -> bool:
    from urllib.parse import urlsplit

    if not spec.startswith("domain:"):
        return False
    want = spec[len("domain:") :].lower()
    host = (urlsplit(url).hostname or "").lower()
    if want.startswith("*."):
        return host.endswith(want[1:])
    return host == want
