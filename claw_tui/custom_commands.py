"""Custom slash commands from Markdown files, as Claude Code defines them.

``.claw/commands/*.md`` and ``.claude/commands/*.md`` in the project, and the
same under the user's config dirs; sub-directories namespace the name
(``frontend/component.md`` is ``/frontend:component``). Project commands win
over user ones. The body is the prompt; ``$ARGUMENTS`` and ``$1``…``$9`` take
what follows the command.

The frontmatter is the small ``key: value`` subset these files use; parsed by
hand because no YAML library is a dependency and a broken header must not hide
the command (it loads, with a warning).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from claw_tui.settings_files import user_config_dir

_POSITIONAL = re.compile(r"\$([1-9])")


@dataclass
class CustomCommand:
    name: str
    description: str
    body: str
    source_path: Path
    scope: Literal["project", "user"]
    argument_hint: str | None = None
    allowed_tools: list[str] = field(default_factory=list)
    model: str | None = None

    def render(self, arguments: str) -> str:
        arguments = arguments.strip()
        try:
            positional = shlex.split(arguments)
        except ValueError:  # unbalanced quotes: still usable, split on whitespace
            positional = arguments.split()
        text = self.body
        has_args = "$ARGUMENTS" in text
        text = text.replace("$ARGUMENTS", arguments)
        text = _POSITIONAL.sub(lambda m: positional[int(m.group(1)) - 1] if int(m.group(1)) <= len(positional)
                               else "", text)
        if arguments and not has_args and not _POSITIONAL.search(self.body):
            text = f"{text.rstrip()}\n\n{arguments}"
        return text.strip()


def user_command_dirs() -> list[Path]:
    return [Path.home() / ".claude" / "commands", user_config_dir() / "commands"]


def _parse_frontmatter(text: str) -> tuple[dict[str, str], str, str | None]:
    """(fields, body, warning)."""
    if not text.startswith("---"):
        return {}, text, None
    lines = text.splitlines()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return {}, text, "frontmatter has no closing '---'; the whole file is used as the prompt"
    fields: dict[str, str] = {}
    warning = None
    for line in lines[1:end]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            warning = f"frontmatter line not understood: {line.strip()!r}"
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        fields[key.strip().lower()] = value
    return fields, "\n".join(lines[end + 1:]), warning


def _tools(value: str) -> list[str]:
    value = value.strip().strip("[]")
    if not value:
        return []
    # "Bash(git add:*), Bash(git status:*)": commas inside parentheses stay.
    out, depth, cur = [], 0, ""
    for ch in value:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip().strip("'\""))
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip().strip("'\""))
    return out


def _load_dir(root: Path, scope: Literal["project", "user"], into: dict[str, CustomCommand],
              warnings: list[str]) -> None:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root).with_suffix("")
        name = ":".join(rel.parts)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            warnings.append(f"custom command {path} could not be read: {exc}")
            continue
        fields, body, warning = _parse_frontmatter(text)
        if warning:
            warnings.append(f"custom command {path}: {warning}")
        description = fields.get("description", "")
        if not description:
            first = next((ln.strip().lstrip("#").strip() for ln in body.splitlines() if ln.strip()), "")
            description = first if len(first) <= 60 else first[:59] + "…"
        into[name] = CustomCommand(
            name=name,
            description=description or "(custom command)",
            body=body.strip(),
            source_path=path,
            scope=scope,
            argument_hint=fields.get("argument-hint") or None,
            allowed_tools=_tools(fields.get("allowed-tools", "")),
            model=fields.get("model") or None,
        )


def load_custom_commands(workspace: Path, user_dirs: list[Path] | None = None
                         ) -> tuple[dict[str, CustomCommand], list[str]]:
    commands: dict[str, CustomCommand] = {}
    warnings: list[str] = []
    for d in user_command_dirs() if user_dirs is None else user_dirs:
        _load_dir(d, "user", commands, warnings)
    for d in (workspace / ".claude" / "commands", workspace / ".claw" / "commands"):
        _load_dir(d, "project", commands, warnings)
    return commands, warnings
