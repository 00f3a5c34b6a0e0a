"""One policy every tool call passes: deny, ask and allow rules, protected paths, then the mode.

The model's tool calls are treated as written by an attacker (a prompt injection in a file, a
web page or a tool result can write them). What the policy cannot allow on its own is asked
of a person through the bus (the engine does that); in headless mode nobody is there, and an
asked call is refused.

The order of the decision, the same in every mode:

1. **deny rules** deny. ``Read(...)`` deny rules also cover the edit tools on the same path
   (an overwrite, a move or a link would defeat them) and the files a Bash line reads.
2. **protected paths** (:class:`~claw_tui.permissions.paths.ProtectedPaths`: the project's
   ``.claw/``, ``.claude/``, ``.mcp.json``, ``.git/`` (hooks, config), ``.vscode/``, ``.idea/``,
   hook scripts and server programs named in settings, claw's user config dir) are never
   written without asking: asked even in acceptEdits, bypassPermissions and denylist, and no
   allow rule changes that (as in Claude Code, whose allow rules do not open ``.claude/``).
   claw's stored credentials are never read without asking.
3. **ask rules** ask.
4. **allow rules** (settings, command line, and what a person allowed this session) allow.
5. the tool's own ``default_permission()`` (Agent, EnterPlanMode, AskUserQuestion … allow;
   ExitPlanMode asks in plan mode).
6. the **mode**:

   ================== ==================================================================
   default            reads inside the workspace run; everything else is asked
   acceptEdits        as default, and edits inside the workspace run (outside: asked)
   plan               read-only tools only; the rest is refused (allow rules included)
   bypassPermissions  everything runs, except 1–3 above and Bash lines claw cannot read
   allowlist          only what allow rules (or 5) allow runs; the rest is refused, never
                      asked (Claude Code calls this mode ``dontAsk``, accepted as an alias)
   denylist           everything runs except deny rules (and 2–3); writes outside the
                      workspace and its additional directories are still asked
   ================== ==================================================================

In allowlist mode every "ask" above becomes a refusal. Claude Code evaluates deny rules first
in every mode, bypassPermissions included, and keeps protected directories asked there; claw
follows it.

Paths are resolved (symlinks, ``..``, ``~``, relative to the agent's cwd) before any rule or
workspace check (:mod:`claw_tui.permissions.paths`). Deny, ask and protected-path checks
match both the real path and the path as written; allow rules and the workspace check look
at the real path only, so a symlink never widens anything.

Bash lines go through :func:`~claw_tui.permissions.rules.bash_verdict` (every simple command
the line runs), with every file the line reads or writes checked here (:class:`_BashPaths`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from claw_tui.permissions.paths import PathPattern, ProtectedPaths, is_within, lexical, resolve, walk_limited
from claw_tui.permissions.rules import (
    EDIT_TOOLS,
    READ_TOOLS,
    Rule,
    bash_verdict,
    domain_rule_matches,
    parse_rule,
)
from claw_tui.permissions.shell import PathAccess, ShellAnalysis, analyze

Mode = Literal["default", "acceptEdits", "plan", "bypassPermissions", "allowlist", "denylist"]
MODES: tuple[str, ...] = ("default", "acceptEdits", "plan", "bypassPermissions", "allowlist", "denylist")
# What Shift+Tab cycles through; bypass and the list modes are only ever chosen explicitly.
CYCLE: tuple[str, ...] = ("default", "acceptEdits", "plan")
# Other names for the modes (Claude Code's), accepted wherever a mode is given.
MODE_ALIASES = {"dontAsk": "allowlist", "manual": "default"}
# Modes that let more run without a person than default does: a folder's own settings may
# only choose them once the folder is trusted (bypassPermissions never: see session.py).
WIDENING_MODES = frozenset({"acceptEdits", "bypassPermissions", "denylist"})
# One line each, for --help, /permissions and the mode indicator.
MODE_HELP = {
    "default": "ask before edits and commands",
    "acceptEdits": "edits inside the workspace run without asking",
    "plan": "read-only: look and plan, change nothing",
    "bypassPermissions": "everything runs without asking (deny rules and protected paths still hold)",
    "allowlist": "only what allow rules name runs; the rest is refused without asking",
    "denylist": "everything runs except what deny rules name (writes outside the workspace are asked)",
}

# A directory read or removed as a whole is walked to see whether it holds a file a rule
# protects; past this many entries claw asks instead.
TREE_LIMIT = 20_000


def normalize_mode(name: str) -> str:
    """The mode ``name`` means (aliases resolved); ValueError naming the choices otherwise."""
    mode = MODE_ALIASES.get(name, name)
    if mode not in MODES:
        raise ValueError(f"unknown permission mode {name!r}; choose one of {', '.join(MODES)}")
    return mode


def subagent_mode(session_mode: str, agent_mode: str | None) -> str:
    """The mode a sub-agent runs in when its type asks for ``agent_mode``: never wider than the
    session's own (plan stays plan, allowlist stays allowlist, only a bypass session grants
    bypass and only bypass or denylist grant denylist)."""
    if agent_mode is None or session_mode == agent_mode:
        return session_mode
    if session_mode == "plan" or agent_mode == "plan":
        return "plan"
    if session_mode == "allowlist":
        return "allowlist"
    if agent_mode == "bypassPermissions" and session_mode != "bypassPermissions":
        return session_mode
    if agent_mode == "denylist" and session_mode not in ("bypassPermissions", "denylist"):
        return session_mode
    return agent_mode


@dataclass(frozen=True, slots=True)
class Verdict:
    behavior: Literal["allow", "deny", "ask"]
    reason: str
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class IgnoredRule:
    """A rule from a folder that is not trusted yet: shown by /permissions, applied once trusted."""

    kind: str  # allow | defaultMode | additionalDirectories | …
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class _Target:
    real: Path
    written: Path  # the lexical form (what the model wrote, made absolute)

    def forms(self) -> tuple[Path, ...]:
        return (self.real,) if self.real == self.written else (self.real, self.written)


Kind = Literal["read", "edit", "other"]


def _kind(tool: Any) -> Kind:
    if tool.name in EDIT_TOOLS or getattr(tool, "category", "") == "edit":
        return "edit"
    if tool.name in READ_TOOLS or getattr(tool, "category", "") == "read":
        return "read"
    return "other"


def _mcp_parts(tool: Any) -> tuple[str, str] | None:
    """(server key, tool key) of an MCP tool, as its name spells them."""
    server = getattr(tool, "server", None)
    remote = getattr(tool, "remote_name", None)
    if server is not None and isinstance(remote, str) and isinstance(getattr(server, "name", None), str):
        from claw_tui.mcp import normalize_name

        return normalize_name(server.name), normalize_name(remote)
    return None


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
        protected: ProtectedPaths | None = None,
    ) -> None:
        self.workspace = Path(os.path.realpath(workspace))
        self.mode = normalize_mode(mode)
        self.allow = list(allow or [])
        self.deny = list(deny or [])
        self.ask = list(ask or [])
        self.session_allow: list[Rule] = []
        self.extra_dirs = tuple(Path(os.path.realpath(d)) for d in extra_dirs)
        self.local_settings = local_settings
        # Widening settings of a folder that is not trusted yet (session.py fills it in).
        self.ignored: list[IgnoredRule] = []
        if protected is None:
            from claw_tui.credentials import credentials_path
            from claw_tui.settings import user_config_dir

            protected = ProtectedPaths((self.workspace, *self.extra_dirs), user_dir=user_config_dir(),
                                       secret_files=(credentials_path(),))
        self.protected = protected

    # -- the workspace -----------------------------------------------------------------

    @property
    def roots(self) -> tuple[Path, ...]:
        return (self.workspace, *self.extra_dirs)

    def set_extra_dirs(self, dirs: Iterable[Path]) -> None:
        self.extra_dirs = tuple(dict.fromkeys(Path(os.path.realpath(d)) for d in dirs))
        self.protected.roots = self.roots
        self.protected.refresh()

    def inside_workspace(self, path: Path) -> bool:
        return is_within(Path(os.path.realpath(path)), self.roots)

    def _targets(self, paths: Iterable[Path | str], cwd: Path | None = None) -> list[_Target]:
        base = cwd or self.workspace
        return [_Target(resolve(p, base), lexical(p, base)) for p in paths]

    # -- path rules --------------------------------------------------------------------

    def _pattern(self, rule: Rule) -> PathPattern:
        return PathPattern(rule.specifier or "", self.workspace, Path(rule.base) if rule.base else None)

    def _path_rule_matches(self, rule: Rule, targets: list[_Target], *, restrictive: bool) -> bool:
        """A Read/Edit rule's path against the call's paths: a deny/ask rule when any form of
        any path matches; an allow rule only when the real form of every path does."""
        if not targets:
            return False
        pattern = self._pattern(rule)

        def hit(path: Path) -> bool:
            if pattern.matches(path, through_links=restrictive):
                return True
            # A directory whose contents the rule covers (Grep/Glob/LS over ``src`` with ``src/**``).
            return path.is_dir() and pattern.matches(path / "_", is_dir=False, through_links=restrictive)

        if restrictive:
            return any(hit(form) for t in targets for form in t.forms())
        return all(hit(t.real) for t in targets)

    def _hardlinked_to_denied(self, real: Path) -> str | None:
        """A second name (hard link) of a file a literal Read deny rule names."""
        try:
            st = real.stat()
        except OSError:
            return None
        if st.st_nlink < 2 or not real.is_file():
            return None
        for rule in self._read_deny_rules():
            literal = self._pattern(rule).literal_path()
            if literal is None:
                continue
            try:
                other = literal.stat()
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                return f"it is a hard link to {literal}, which rule {rule} ({rule.source}) denies"
        return None

    def _read_deny_rules(self) -> list[Rule]:
        return [r for r in self.deny if r.tool in READ_TOOLS and r.specifier is not None]

    def _read_denial(self, target: _Target) -> str | None:
        """Why reading ``target`` is denied by a Read deny rule, or None."""
        for rule in self._read_deny_rules():
            if self._path_rule_matches(rule, [target], restrictive=True):
                return f"denied by rule {rule} ({rule.source})"
        return self._hardlinked_to_denied(target.real)

    def read_denied(self, path: Path | str, cwd: Path | str | None = None) -> bool:
        """Whether Read deny rules cover ``path``: Grep, Glob and LS leave such files out of
        what they list (ToolContext.read_denied), so a denied file never shows up there."""
        rules = self._read_deny_rules()
        if not rules:
            return False
        target = self._targets([path], Path(cwd) if cwd else None)[0]
        return self._read_denial(target) is not None

    # -- matching a rule against a call ------------------------------------------------

    def _applies(self, rule: Rule, tool: Any, params: Any, targets: list[_Target], kind: Kind, *,
                 restrictive: bool) -> bool:
        name = tool.name
        rule_tool = "Agent" if rule.tool == "Task" else rule.tool  # Claude Code's older name
        if rule_tool.startswith("mcp__"):
            return self._mcp_rule_matches(rule_tool, rule.specifier, tool, params, restrictive=restrictive)
        path_rule = False
        if rule_tool == name:
            path_rule = kind in ("read", "edit")
        elif rule_tool == "Read" and name in READ_TOOLS:
            path_rule = True
        elif rule_tool == "Edit" and name in EDIT_TOOLS:
            path_rule = True
        elif rule_tool == "Read" and restrictive and kind == "edit" and rule.specifier is not None:
            # A Read deny also stops writing, moving or linking over the file it protects.
            path_rule = True
        else:
            return False
        spec = rule.specifier
        if spec is None:
            return True
        if path_rule:
            return self._path_rule_matches(rule, targets, restrictive=restrictive)
        if name == "WebFetch":
            return domain_rule_matches(spec, getattr(params, "url", "") or "", for_deny=restrictive)
        if name == "Agent":
            return spec == getattr(params, "subagent_type", None)
        return False

    @staticmethod
    def _mcp_rule_matches(rule_tool: str, spec: str | None, tool: Any, params: Any, *, restrictive: bool) -> bool:
        """``mcp__server``, ``mcp__server__*`` and ``mcp__server__tool`` against one tool.

        Allow rules match the server by its exact name (a server called ``github__x`` is not
        ``mcp__github``); deny and ask rules also match every tool name under the prefix.
        The resource tools count as their server's (``ReadMcpResource`` of a denied server)."""
        if spec is not None:
            return False
        name = tool.name
        if name in ("ReadMcpResource", "ListMcpResources"):
            server = getattr(params, "server", None)
            if not isinstance(server, str) or not server:
                return False
            from claw_tui.mcp import normalize_name

            key = normalize_name(server)
            return rule_tool in (f"mcp__{key}", f"mcp__{key}__*")
        if rule_tool == name:
            return True
        parts = _mcp_parts(tool)
        if parts is not None:
            key, remote = parts
            if rule_tool in (f"mcp__{key}", f"mcp__{key}__*", f"mcp__{key}__{remote}"):
                return True
        elif not restrictive and rule_tool.count("__") == 1 and name.startswith(rule_tool + "__"):
            # A tool without server metadata: its name is all there is.
            return name[len(rule_tool) + 2:].count("__") == 0
        if restrictive:
            prefix = rule_tool[:-1] if rule_tool.endswith("__*") else rule_tool + "__"
            return name.startswith(prefix)
        return False

    def _first(self, rules: Iterable[Rule], tool: Any, params: Any, targets: list[_Target], kind: Kind, *,
               restrictive: bool) -> Rule | None:
        for rule in rules:
            if rule.tool == "Bash" and tool.name != "Bash":
                continue
            if self._applies(rule, tool, params, targets, kind, restrictive=restrictive):
                return rule
        return None

    # -- deciding ----------------------------------------------------------------------

    def check(self, tool: Any, params: Any, paths: list[Path]) -> Verdict:
        """The decision for one call. ``paths``: ``tool.paths(params, ctx)`` (for Bash, the
        directory the command runs in)."""
        # Read once: a sub-agent's view of this policy (engine/subagents.py) answers its own
        # mode here, and every helper below is given it rather than reading it again.
        return self._decide(tool, params, paths, self.mode)

    def _decide(self, tool: Any, params: Any, paths: list[Path], mode: str) -> Verdict:
        if tool.name == "Bash" and isinstance(getattr(params, "command", None), str):
            cwd = Path(paths[0]) if paths else self.workspace
            return self._check_bash(params.command, cwd, mode)
        strict = mode == "allowlist"
        kind = _kind(tool)
        try:
            targets = self._targets(paths)
        except ValueError as exc:
            return Verdict("deny", f"the path cannot be used: {exc}")

        if rule := self._first(self.deny, tool, params, targets, kind, restrictive=True):
            return Verdict("deny", f"denied by rule {rule} ({rule.source})", str(rule))
        # A tool may know better than the mode (Tool.default_permission): ExitPlanMode is asked
        # even in plan mode, where every other non-read-only tool is denied.
        own_default = getattr(tool, "default_permission", None)
        own = own_default(params, mode) if own_default is not None else None
        if mode == "plan" and not tool.read_only and own is None:
            return Verdict("deny", "plan mode allows read-only tools only, whatever rules say; present the plan "
                                   "instead of acting")
        if kind in ("read", "edit"):  # a second name of a file a Read deny rule protects
            for t in targets:
                why = self._hardlinked_to_denied(t.real)
                if why:
                    return Verdict("deny", why)
        if kind == "edit":
            for t in targets:
                why = next(filter(None, (self.protected.why(f) for f in t.forms())), None)
                if why:
                    return self._asked(f"{why}; it is never written without asking, in any mode", strict)
        if kind == "read" or tool.read_only:
            for t in targets:
                why = next(filter(None, (self.protected.secret(f) for f in t.forms())), None)
                if why:
                    return self._asked(f"{why}; it is never read without asking", strict)
        if rule := self._first(self.ask, tool, params, targets, kind, restrictive=True):
            return self._asked(f"rule {rule} ({rule.source}) asks", strict, str(rule))
        if rule := self._first([*self.allow, *self.session_allow], tool, params, targets, kind, restrictive=False):
            return Verdict("allow", f"allowed by rule {rule} ({rule.source})", str(rule))
        if own == "allow":
            return Verdict("allow", f"{tool.name} changes nothing outside claw")
        if own == "ask":
            return self._asked(f"{tool.name} needs a person's decision", strict)
        return self._by_mode(tool, targets, kind, mode)

    def _asked(self, reason: str, strict: bool, rule: str | None = None) -> Verdict:
        if strict:
            return Verdict("deny", f"allowlist mode refuses what it would ask: {reason}", rule)
        return Verdict("ask", reason, rule)

    def _by_mode(self, tool: Any, targets: list[_Target], kind: Kind, mode: str) -> Verdict:
        inside = all(is_within(t.real, self.roots) for t in targets)
        if mode == "bypassPermissions":
            return Verdict("allow", "bypassPermissions mode")
        if mode == "allowlist":
            return Verdict("deny", f"allowlist mode: no allow rule names this {tool.name} call, so it is refused "
                                   "(add an allow rule, or switch mode)")
        if mode == "denylist":
            if kind == "edit" and not inside:
                return Verdict("ask", "denylist mode: writes outside the workspace are asked")
            return Verdict("allow", "denylist mode: no deny rule names it")
        if mode == "plan":
            if tool.read_only and inside:
                return Verdict("allow", "read-only tool in plan mode")
            if tool.read_only:
                return Verdict("ask", "plan mode: reads outside the workspace are asked")
            return Verdict("deny", "plan mode allows read-only tools only; present the plan instead of acting")
        if tool.read_only:
            if inside:
                return Verdict("allow", "read-only tool inside the workspace")
            return Verdict("ask", "reads outside the workspace are asked")
        if mode == "acceptEdits" and kind == "edit":
            if inside:
                return Verdict("allow", "acceptEdits mode: edits inside the workspace")
            return Verdict("ask", "writes outside the workspace are asked even in acceptEdits mode")
        return Verdict("ask", f"{tool.name} needs approval in {mode} mode")

    # -- Bash --------------------------------------------------------------------------

    def _check_bash(self, command: str, cwd: Path, mode: str) -> Verdict:
        strict = mode == "allowlist"
        analysis = analyze(command)
        paths = _BashPaths(self, cwd, mode, analysis)
        verdict = bash_verdict(command, [*self.allow, *self.session_allow], self.deny, self.ask, check_path=paths)
        rule = str(verdict.rule) if verdict.rule is not None else None
        reason = verdict.reason
        if verdict.rule is None and verdict.behavior in ("deny", "ask"):
            reason = paths.explain(verdict.behavior) or reason  # which file, and why
        if verdict.behavior == "deny":
            return Verdict("deny", reason, rule)
        if mode == "plan":  # read-only tools only: no command runs, whatever the rules say
            return Verdict("deny", "plan mode allows read-only tools only, whatever rules say; present the plan "
                                   "instead of running commands")
        # `git config …` writes .git/config (or ~/.gitconfig) without naming it: a protected write.
        if any(any(d.startswith("git config changes") for d in c.dangerous) for c in analysis.commands):
            return self._asked("the command changes git configuration (.git/config is protected: git runs "
                               "programs it names); it is never run without asking, in any mode", strict)
        if verdict.behavior == "ask":
            return self._asked(reason, strict, rule)
        if verdict.behavior == "allow":
            return Verdict("allow", verdict.reason, rule)
        if not analysis.ok:
            # Nobody can tell what it would run or write, protected paths included.
            return self._asked(f"claw cannot analyse this command line ({analysis.unparseable}), so it is asked "
                               "in every mode", strict)
        if mode in ("bypassPermissions", "denylist"):
            return Verdict("allow", f"{mode} mode")
        if mode == "allowlist":
            return Verdict("deny", f"allowlist mode: {verdict.reason}; the command is refused without asking "
                                   "(add a Bash allow rule, or switch mode)")
        return Verdict("ask", f"Bash needs approval in {mode} mode ({verdict.reason})")

    # -- remembering -------------------------------------------------------------------

    def suggest_rule(self, tool: Any, params: Any) -> Rule:
        """The narrowest sensible rule that would allow this call again."""
        name = tool.name
        if name == "Bash":
            return Rule("Bash", suggest_bash_spec(getattr(params, "command", "") or ""), "session")
        if name == "WebFetch":
            from claw_tui.permissions.rules import url_host

            host = url_host(getattr(params, "url", "") or "")
            return Rule("WebFetch", f"domain:{host}", "session") if host else Rule(name, None, "session")
        if name.startswith("mcp__"):
            return Rule(name, None, "session")
        kind = _kind(tool)
        value = (getattr(params, "file_path", None) or getattr(params, "notebook_path", None)
                 or getattr(params, "path", None))
        if kind in ("edit", "read") and isinstance(value, str) and value:
            real = resolve(value, self.workspace)
            spec = _path_spec(real, self.workspace)
            if kind == "read" and real.is_dir() and not spec.endswith("**"):
                spec = spec.rstrip("/") + "/**"
            return Rule("Edit" if kind == "edit" else "Read", spec, "session")
        if name == "Agent" and isinstance(getattr(params, "subagent_type", None), str):
            return Rule("Agent", params.subagent_type, "session")
        return Rule(name, None, "session")

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
        if not isinstance(perms, dict):
            perms = data["permissions"] = {}
        allow = perms.setdefault("allow", [])
        if not isinstance(allow, list):
            allow = perms["allow"] = []
        if rule not in allow:
            allow.append(rule)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, path)

    # -- for /permissions ----------------------------------------------------------------

    def rules_in_force(self) -> list[tuple[str, Rule]]:
        """(behaviour, rule) in the order they are consulted."""
        return ([("deny", r) for r in self.deny] + [("ask", r) for r in self.ask]
                + [("allow", r) for r in self.allow] + [("allow", r) for r in self.session_allow])


def _path_spec(real: Path, workspace: Path) -> str:
    """A path as a rule specifier: ``./rel`` inside the workspace, ``//abs`` elsewhere."""
    try:
        rel = real.relative_to(workspace).as_posix()
    except ValueError:
        return "/" + real.as_posix()
    return "./" + rel if rel != "." else "./**"


# Commands a prefix rule would grant far more than the one call a person approved: shells and
# interpreters (any code), wrappers and privilege tools (any command), and commands whose
# whole point is to delete, overwrite, send or fetch.
_NO_PREFIX = frozenset(
    {
        "sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "busybox", "python", "python2", "python3",
        "pypy", "pypy3", "perl", "ruby", "node", "nodejs", "deno", "bun", "php", "lua", "Rscript", "osascript",
        "pwsh", "eval", "exec", "source", ".", "env", "sudo", "doas", "su", "xargs", "find", "fd", "nohup",
        "nice", "timeout", "time", "watch", "command", "builtin", "stdbuf", "setsid", "chronic", "ionice",
        "rm", "rmdir", "dd", "shred", "mkfs", "chmod", "chown", "chgrp", "mv", "cp", "ln", "install", "truncate",
        "curl", "wget", "ssh", "scp", "sftp", "rsync", "nc", "ncat", "socat", "telnet", "ftp", "kill", "pkill",
        "killall", "shutdown", "reboot", "crontab", "at", "systemctl", "launchctl", "docker", "podman",
        "kubectl", "alias", "trap", "awk", "gawk", "sed", "tee", "git",
    }
)
# git is prefix-granted per subcommand only when the subcommand only reads.
_GIT_READING = frozenset({"status", "diff", "log", "show", "blame", "branch", "describe", "rev-parse", "ls-files",
                          "shortlog", "grep", "remote", "tag", "config-get"})
_SIMPLE_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+=/-]*$")


def suggest_bash_spec(command: str) -> str:
    """A Bash rule specifier for "don't ask again": ``first two words:*`` when that is safe
    (one plain command, no dangerous option, not a shell, interpreter, wrapper or deleting
    command), else the exact command line."""
    line = command.strip()
    analysis = analyze(command)
    if not analysis.ok or len(analysis.commands) != 1 or analysis.sets_dangerous_env or analysis.writes:
        return line
    cmd = analysis.commands[0]
    if (cmd.dangerous or cmd.dangerous_env or cmd.assignments or cmd.name_dynamic or cmd.transparent
            or cmd.opaque or cmd.via or not cmd.words):
        return line
    words: list[str] = []
    for w in cmd.words[:2]:
        if w.dynamic or w.text.startswith("-") or not _SIMPLE_WORD.match(w.text):
            break
        words.append(w.text)
    if not words:
        return line
    name = words[0].rsplit("/", 1)[-1]
    if name == "git":
        if len(words) < 2 or words[1] not in _GIT_READING:
            return line
    elif name in _NO_PREFIX:
        return line
    return " ".join(words) + ":*"


# -- the files a Bash line touches --------------------------------------------------------

_DYNAMIC_CHARS = re.compile(r"[$`]")
_GLOB = re.compile(r"[*?\[]|\{[^}]*,[^}]*\}")
_STATIC_VARS = re.compile(r"\$(?:\{(PWD|HOME)\}|(PWD|HOME)\b)")
_RANK = {None: 0, "allow": 0, "ask": 1, "deny": 2}


class _BashPaths:
    """``check_path`` for :func:`bash_verdict`: every file a Bash line reads or writes against
    the path rules, the protected paths and the workspace, in the given mode.

    Reads: Read deny rules deny (also for a directory read as a whole that holds a denied
    file); claw's credentials and, outside the bypass and denylist modes, files outside the
    workspace (unless a Read allow rule names them) are asked.
    Writes: Edit and Read deny rules deny; protected paths are asked in every mode; outside the
    workspace is asked (bypassPermissions aside) unless an Edit allow rule names it; a
    redirect (``> file``) inside the workspace is asked in default, plan and allowlist modes
    unless an Edit allow rule names it (a Bash rule grants the command, not where its output
    goes). A path computed at run time is asked whenever it could matter.
    """

    def __init__(self, policy: PermissionPolicy, cwd: Path, mode: str, analysis: ShellAnalysis) -> None:
        self.policy = policy
        self.cwd = Path(os.path.realpath(cwd))
        self.mode = mode
        self.cache: dict[PathAccess, str | None] = {}
        self.reasons: dict[PathAccess, str] = {}
        self.bases = _cd_bases(analysis, self.cwd) if analysis.changes_directory else [self.cwd]
        # A bare ``Bash`` allow rule grants every command and wherever it writes or reads
        # (deny rules and protected paths aside): the sandbox, not a prompt, confines it then.
        self.all_bash = any(r.tool == "Bash" and r.specifier is None for r in [*policy.allow, *policy.session_allow])

    def __call__(self, access: PathAccess) -> Literal["allow", "ask", "deny"] | None:
        if access not in self.cache:
            self.cache[access] = self._decide(access)
        return self.cache[access]  # type: ignore[return-value]

    # What each path may be.
    def _candidates(self, access: PathAccess) -> list[_Target] | None:
        """Every path ``access`` may name, or None when that cannot be known statically."""
        text = access.path
        if access.dynamic and _DYNAMIC_CHARS.search(_STATIC_VARS.sub("", text)):
            return None  # a computed part other than $PWD and $HOME
        needs_cwd = not text.startswith(("/", "~")) or any(
            (m.group(1) or m.group(2)) == "PWD" for m in _STATIC_VARS.finditer(text))
        if text.startswith(("$HOME", "${HOME}")):
            needs_cwd = False
        if needs_cwd and self.bases is None:
            return None  # relative to a directory the line changes to in a way claw cannot follow
        home = os.path.expanduser("~")
        out: list[_Target] = []
        for base in self.bases or [self.cwd]:
            expanded = _STATIC_VARS.sub(lambda m: str(base) if (m.group(1) or m.group(2)) == "PWD" else home, text)
            names = [expanded]
            if expanded.startswith("~"):
                names.append("./" + expanded)  # quoted, "~" is a plain directory name
            for name in names:
                if access.dynamic and _GLOB.search(name):
                    matches = _glob(name, base)
                    if matches is None:
                        return None
                    out += [_Target(resolve(m, base), lexical(m, base)) for m in matches]
                out.append(_Target(resolve(name, base), lexical(name, base)))
        return out

    def _decide(self, access: PathAccess) -> Literal["ask", "deny"] | None:
        p = self.policy
        try:
            candidates = self._candidates(access)
        except ValueError:
            candidates = None
        if candidates is None:
            why = "its value is only known when the command runs"
            if access.access == "write":
                self.reasons[access] = f"{why}, and it could be a protected path or outside the workspace"
                return "ask"
            if p._read_deny_rules() or self.mode not in ("bypassPermissions", "denylist"):
                self.reasons[access] = f"{why}, and it could be a file a rule protects or outside the workspace"
                return "ask"
            return None
        worst: Literal["ask", "deny"] | None = None
        for target in candidates:
            got, why = self._read(target, access) if access.access == "read" else self._write(target, access)
            if _RANK[got] > _RANK[worst]:
                worst = got
                self.reasons[access] = why
            if worst == "deny":
                break
        return worst

    def explain(self, behavior: str) -> str | None:
        """Why the first path that got ``behavior`` got it."""
        for access, got in self.cache.items():
            if got == behavior and access in self.reasons:
                what = "writes" if access.access == "write" else "reads"
                return f"the command {what} {access.path}: {self.reasons[access]}"
        return None

    def _read(self, t: _Target, access: PathAccess) -> tuple[Literal["ask", "deny"] | None, str]:
        p = self.policy
        why = p._read_denial(t)
        if why:
            return "deny", f"{t.real} is {why}" if why.startswith("denied") else why
        if access.recursive and t.real.is_dir():
            found = self._tree(t.real, p._read_deny_rules())
            if found == "found":
                return "deny", f"{t.real} holds files Read deny rules protect (the Grep tool leaves them out)"
            if found == "too big":
                return "ask", f"{t.real} is too big to check for files Read deny rules protect"
        secret = next(filter(None, (p.protected.secret(f) for f in t.forms())), None)
        if secret:
            return "ask", secret
        if self.mode not in ("bypassPermissions", "denylist") and not self.all_bash and not is_within(t.real, p.roots):
            read_allow = [r for r in [*p.allow, *p.session_allow] if r.tool == "Read" and r.specifier]
            if not any(p._path_rule_matches(r, [t], restrictive=False) for r in read_allow):
                return "ask", f"{t.real} is outside the workspace"
        return None, ""

    def _write(self, t: _Target, access: PathAccess) -> tuple[Literal["ask", "deny"] | None, str]:
        p = self.policy
        denying = [r for r in p.deny if r.specifier is not None and r.tool in (*READ_TOOLS, *EDIT_TOOLS)]
        for rule in denying:
            if p._path_rule_matches(rule, [t], restrictive=True):
                return "deny", f"{t.real} is denied by rule {rule} ({rule.source})"
        why = p._hardlinked_to_denied(t.real)
        if why:
            return "deny", why
        if access.recursive and t.real.is_dir():
            found = self._tree(t.real, denying)
            if found == "found":
                return "deny", f"{t.real} holds files deny rules protect"
            if found == "too big":
                return "ask", f"{t.real} is too big to check for files deny rules protect"
            inside = p.protected.inside(t.real)
            if inside:
                return "ask", f"{inside}; it is never written without asking, in any mode"
        protected = next(filter(None, (p.protected.why(f) for f in t.forms())), None)
        if protected:
            return "ask", f"{protected}; it is never written without asking, in any mode"
        edit_allow = [r for r in [*p.allow, *p.session_allow] if r.tool in EDIT_TOOLS and r.specifier]
        allowed = self.all_bash or any(p._path_rule_matches(r, [t], restrictive=False) for r in edit_allow)
        if not is_within(t.real, p.roots):
            if self.mode == "bypassPermissions" or allowed:
                return None, ""
            return "ask", f"{t.real} is outside the workspace"
        if access.origin == "redirect" and self.mode in ("default", "plan", "allowlist") and not allowed:
            return "ask", "a Bash rule allows the command, not where its output is written (an Edit rule would)"
        return None, ""

    def _tree(self, directory: Path, rules: list[Rule]) -> Literal["clear", "found", "too big"]:
        """Whether a directory read or removed as a whole holds a file one of ``rules`` covers."""
        p = self.policy
        relevant = [r for r in rules if p._pattern(r).may_match_inside(directory)]
        if not relevant:
            return "clear"
        entries = walk_limited(directory, TREE_LIMIT)
        if entries is None:
            return "too big"
        for entry in entries:
            t = _Target(entry, entry)
            if any(p._path_rule_matches(r, [t], restrictive=True) for r in relevant):
                return "found"
        return "clear"


def _glob(pattern: str, base: Path) -> list[str] | None:
    """What bash would expand a glob word to (no dotglob, no extglob), or None when unsure."""
    if re.search(r"[@!+]\(", pattern) or "**" in pattern:
        return None
    from wcmatch import glob as wc

    try:
        found = wc.glob(pattern, root_dir=str(base), flags=wc.BRACE, limit=10_000)
    except Exception:  # a pattern wcmatch rejects: nobody can say what bash does with it
        return None
    return list(found)


def _cd_bases(analysis: ShellAnalysis, cwd: Path) -> list[Path] | None:
    """The directories relative paths of a line that changes directory may be relative to:
    the cwd and every static ``cd``/``pushd`` target (each relative to the ones before), or None
    when a directory change cannot be followed (computed targets, ``cd -``, ``popd``, ``git -C``)."""
    bases = [cwd]
    followed = False
    for cmd in analysis.commands:
        if not cmd.words or cmd.name_dynamic:
            continue
        name = cmd.name
        if name in ("popd",):
            return None
        if name in ("git", "env") and any(w.text == "-C" or w.text.startswith("-C") for w in cmd.words[1:]):
            return None
        if name not in ("cd", "pushd"):
            continue
        args = [w for w in cmd.words[1:] if not (w.text.startswith("-") and w.text not in ("-",) and not w.dynamic)]
        if not args:
            target = os.path.expanduser("~")
        else:
            word = args[0]
            if word.dynamic or word.text == "-":
                return None
            target = word.text
        new = [resolve(target, b) for b in bases]
        bases = list(dict.fromkeys([*bases, *new]))
        followed = True
        if len(bases) > 32:
            return None
    return bases if followed else None


def rules_from_cli(values: list[str], source: str = "cli") -> list[Rule]:
    from claw_tui.permissions.rules import split_rule_list

    return [parse_rule(v, source=source) for v in split_rule_list(values)]
