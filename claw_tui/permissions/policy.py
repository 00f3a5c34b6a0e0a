"""One policy every tool call passes: mode plus allow / ask / deny rules.

Deny beats ask beats allow. What the policy cannot allow on its own is asked
of a person through the bus (the engine does that); in headless mode nobody is
there, and the call is refused with a result that says how to allow it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from claw_tui.permissions.rules import (
    EDIT_TOOLS,
    READ_TOOLS,
    Rule,
    bash_rule_matches,
    domain_rule_matches,
    parse_rule,
    path_rule_matches,
)

Mode = Literal["default", "acceptEdits", "plan", "bypassPermissions"]
MODES: tuple[str, ...] = ("default", "acceptEdits", "plan", "bypassPermissions")
# What Shift+Tab cycles through; bypass is only ever chosen explicitly.
CYCLE: tuple[str, ...] = ("default", "acceptEdits", "plan")


@dataclass(frozen=True, slots=True)
class Verdict:
    behavior: Literal["allow", "deny", "ask"]
    reason: str
    rule: str | None = None


class PermissionPolicy:
    def __init__(
        self,
        workspace: Path,
        *,
        mode: str = "default",
        allow: list[Rule] | None = None,
        deny: list[Rule] | None = None,
        ask: list[Rule] | None = None,
        extra_dirs: tuple[Path, ...] = (),
        local_settings: Path | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown permission mode {mode!r}; choose one of {', '.join(MODES)}")
        self.workspace = Path(os.path.realpath(workspace))
        self.mode = mode
        self.allow = list(allow or [])
        self.deny = list(deny or [])
        self.ask = list(ask or [])
        self.session_allow: list[Rule] = []
        self.extra_dirs = tuple(Path(os.path.realpath(d)) for d in extra_dirs)
        self.local_settings = local_settings

    # -- matching --------------------------------------------------------------

    def inside_workspace(self, path: Path) -> bool:
        real = Path(os.path.realpath(path))
        return any(real == d or d in real.parents for d in (self.workspace, *self.extra_dirs))

    def _rule_matches(self, rule: Rule, tool: Any, params: Any, paths: list[Path], *, for_deny: bool) -> bool:
        name = tool.name
        if rule.tool != name:
            covers = (rule.tool == "Edit" and name in EDIT_TOOLS) or (rule.tool == "Read" and name in READ_TOOLS)
            mcp_server = rule.tool.startswith("mcp__") and rule.tool.count("__") == 1 and name.startswith(rule.tool + "__")
            if not (covers or mcp_server):
                return False
        spec = rule.specifier
        if spec is None:
            return True
        if name == "Bash":
            return bash_rule_matches(spec, getattr(params, "command", ""), for_deny=for_deny)
        if rule.tool in ("Edit", "Read") or name in EDIT_TOOLS or name in READ_TOOLS:
            return any(path_rule_matches(rule, p, self.workspace) for p in paths)
        if name == "WebFetch":
            return domain_rule_matches(spec, getattr(params, "url", ""))
        if name == "Agent":
            return spec == getattr(params, "subagent_type", None)
        return False

    def _first(self, rules: list[Rule], tool: Any, params: Any, paths: list[Path], *, for_deny: bool) -> Rule | None:
        for rule in rules:
            if self._rule_matches(rule, tool, params, paths, for_deny=for_deny):
                return rule
        return None

    # -- deciding --------------------------------------------------------------

    def check(self, tool: Any, params: Any, paths: list[Path]) -> Verdict:
        real = [Path(os.path.realpath(p)) for p in paths]
        if rule := self._first(self.deny, tool, params, real, for_deny=True):
            return Verdict("deny", f"denied by rule {rule} ({rule.source})", str(rule))
        if rule := self._first(self.ask, tool, params, real, for_deny=True):
            return Verdict("ask", f"rule {rule} ({rule.source}) asks", str(rule))
        if rule := self._first(self.allow + self.session_allow, tool, params, real, for_deny=False):
            return Verdict("allow", f"allowed by rule {rule} ({rule.source})", str(rule))
        if self.mode == "bypassPermissions":
            return Verdict("allow", "bypassPermissions mode")
        inside = all(self.inside_workspace(p) for p in real)
        if self.mode == "plan":
            if tool.read_only and inside:
                return Verdict("allow", "read-only tool in plan mode")
            if tool.read_only:
                return Verdict("ask", "plan mode: reads outside the workspace are asked")
            return Verdict("deny", "plan mode allows read-only tools only; present the plan instead of acting")
        if tool.read_only:
            if inside:
                return Verdict("allow", "read-only tool inside the workspace")
            return Verdict("ask", "reads outside the workspace are asked")
        if self.mode == "acceptEdits" and tool.category == "edit":
            if inside:
                return Verdict("allow", "acceptEdits mode: edits inside the workspace")
            return Verdict("ask", "writes outside the workspace are asked even in acceptEdits mode")
        return Verdict("ask", f"{tool.name} needs approval in {self.mode} mode")

    # -- remembering -----------------------------------------------------------

    def suggest_rule(self, tool: Any, params: Any) -> Rule:
        """The narrowest rule that would allow this call again."""
        if tool.name == "Bash":
            return Rule("Bash", getattr(params, "command", "").strip(), "session")
        return Rule(tool.name, None, "session")

    def remember(self, rule: Rule, scope: str) -> None:
        """Allow ``rule`` for the session, or always (saved to local settings)."""
        self.session_allow.append(rule)
        if scope == "always" and self.local_settings is not None:
            self._save_local_rule(str(rule))

    def _save_local_rule(self, rule: str) -> None:
        path = self.local_settings
        assert path is not None
        try:
            data = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, json.JSONDecodeError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        perms = data.setdefault("permissions", {})
        allow = perms.setdefault("allow", [])
        if rule not in allow:
            allow.append(rule)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, path)


def rules_from_cli(values: list[str], source: str = "cli") -> list[Rule]:
    from claw_tui.permissions.rules import split_rule_list

    return [parse_rule(v, source=source) for v in split_rule_list(values)]
