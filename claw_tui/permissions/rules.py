"""Permission rules in Claude Code's syntax: ``Tool`` or ``Tool(specifier)``.

- ``Bash(npm test)`` exact command, ``Bash(git status:*)`` (or ``Bash(git status *)``) command
  prefix, matched on words against every command the line would run (see ``bash_verdict``).
- ``Read(./.env)``, ``Edit(src/**)``: gitignore-style path patterns; ``//abs/path``
  is absolute, ``~/path`` is under the home directory, anything else is relative
  to the directory the rule came from (the workspace for command-line rules).
  Edit rules cover every tool that edits files; Read rules every tool that reads.
- ``WebFetch(domain:example.com)``, ``mcp__server`` / ``mcp__server__tool``, ``Agent(type)``.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple


from claw_tui.permissions.shell import PathAccess, SimpleCommand, analyze, parse_words

# Which tools a path rule for the key tool covers.
EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "NotebookRead", "LSP", "GitStatus", "GitDiff", "GitLog",
                        "GitShow", "GitBlame"})

# A tool name; MCP rules may end in ``__*`` (every tool of the server).
_RULE = re.compile(r"^(?P<tool>[A-Za-z0-9_\-]+(?:__\*)?)(?:\((?P<spec>.*)\))?$", re.DOTALL)


class RuleError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Rule:
    tool: str
    specifier: str | None
    source: str = "cli"
    base: str | None = None  # what ``/path`` patterns are relative to (the settings file's project)

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


# -- Bash rules -----------------------------------------------------------------
#
# A Bash rule is matched against what the line would run (permissions/shell.py), not its
# text: `Bash(git status:*)` covers the simple command `git status ...` wherever it appears,
# on word boundaries, and nothing else on the line.
#
#   bash_verdict(command, allow, deny, ask, check_path=None) -> BashVerdict(behavior, reason, rule)
#
# is the whole decision for one Bash call. Deny beats ask beats allow:
# - deny: a deny rule matches if ANY simple command matches it, including ones inside
#   wrappers and substitutions (`bash -c "rm ..."`, `$(rm ...)`, `find -exec rm`, `xargs rm`,
#   `sudo rm`, `/bin/rm`). A command whose name (or a word the rule names) is computed at
#   run time *may* match: that is asked, as is a line that cannot be analysed while any
#   Bash deny or ask rule exists.
# - allow: EVERY simple command must be covered by some allow rule: exactly (all words
#   equal) or by a prefix rule (`Bash(npm run test:*)`: the first words equal, literally).
#   A prefix rule never covers a command with dangerous options (`git -c`, `find -exec`,
#   `sed -i`...), dangerous variables (`PATH=... git status`) or a computed command name;
#   wrappers like `timeout`/`nohup`/`bash -c` need no rule of their own (what they run does),
#   `sudo`/`doas`/`su` do. A line that cannot be analysed is never allowed; one identical
#   to an exact rule's text is (the person approved exactly that text).
# - paths: `check_path(PathAccess) -> "allow" | "ask" | "deny" | None` is asked about every
#   file the line reads or writes (redirects, `cat .env`, `cp x dst`, `grep -r . `...; see
#   ShellAnalysis.paths) so Read/Edit rules apply to Bash. Without it, a line that writes
#   a file through a redirect (`> file`) is not allowed by Bash rules alone.
# - behavior None: no rule decided; the caller falls back to its mode.
#
# Deny rules match words in order, so name commands rather than options: `Bash(rm:*)`
# catches every rm, `Bash(rm -rf:*)` does not catch `rm -r -f` or `rm -fr`.


@dataclass(frozen=True, slots=True)
class BashSpec:
    """The command part of a Bash rule: ``git diff:*`` (or ``git diff *``) is the prefix
    ``git diff``; an unquoted ``*`` inside a word is a wildcard for that one word
    (``Bash(git push origin feat-*)``)."""

    text: str
    words: tuple[str, ...]
    prefix: bool
    patterns: tuple[bool, ...]  # which words hold a wildcard

    def word_matches(self, k: int, word: str) -> bool:
        return fnmatch.fnmatchcase(word, self.words[k]) if self.patterns[k] else word == self.words[k]


@functools.lru_cache(maxsize=256)
def parse_bash_spec(spec: str) -> BashSpec | None:
    text = spec.strip()
    prefix = text.endswith(":*")
    if prefix:
        text = text[:-2].rstrip()
    words = list(parse_words(text) or ()) if text else []
    if words and words[-1].text == "*" and words[-1].dynamic:
        prefix, words = True, words[:-1]
    if not words or any(w.dynamic and ("$" in w.text or "`" in w.text) for w in words):
        return None  # names no plain command: matches only a line identical to it
    return BashSpec(spec.strip(), tuple(w.text for w in words), prefix, tuple(w.dynamic for w in words))


def _allows(spec: BashSpec, cmd: SimpleCommand) -> bool:
    if not cmd.words or cmd.name_dynamic or cmd.dangerous_env or cmd.opaque:
        return False
    n = len(spec.words)
    if len(cmd.words) < n or any(w.dynamic for w in cmd.words[:n]):
        return False
    if not all(spec.word_matches(k, cmd.words[k].text) for k in range(n)):
        return False
    if spec.prefix or any(spec.patterns):
        return not cmd.dangerous
    # An exact rule was approved for exactly these words, dangerous options included.
    return len(cmd.words) == n and not cmd.appends_args


def _denies(spec: BashSpec, cmd: SimpleCommand) -> Literal["match", "maybe", None]:
    """Whether a deny/ask rule covers the command; "maybe" when a word it names is computed
    or the command runs code nobody can see (`curl ... | sh`, `eval "$x"`)."""
    if not cmd.words:
        return None
    if cmd.opaque:
        return "maybe"
    uncertain = False
    for k, want in enumerate(spec.words):
        if k >= len(cmd.words):
            return "maybe" if cmd.appends_args else None
        word = cmd.words[k]
        got = word.text
        expands = "$" in got or "`" in got or "{" in got
        if k == 0 and "/" not in want and not (word.dynamic and expands):
            got = got.rsplit("/", 1)[-1]  # /bin/rm is rm, /bin/r? may be
        if not word.dynamic:
            if not spec.word_matches(k, got):
                return None
            continue
        if expands and word.splittable:
            return "maybe"  # may become any number of words
        if not expands and not spec.patterns[k] and not fnmatch.fnmatchcase(want, got):
            return None  # a glob that cannot produce the word
        uncertain = True
    if not spec.prefix and len(cmd.words) != len(spec.words):
        return None
    return "maybe" if uncertain else "match"


class BashVerdict(NamedTuple):
    behavior: Literal["allow", "deny", "ask"] | None  # None: no rule decides, use the mode
    reason: str
    rule: Rule | None = None


PathCheck = Callable[[PathAccess], Literal["allow", "ask", "deny"] | None]


def _bash_rules(rules: Iterable[Rule | str]) -> list[Rule]:
    out = []
    for rule in rules:
        if isinstance(rule, str):
            rule = parse_rule(rule)
        if rule.tool == "Bash":
            out.append(rule)
    return out


def bash_verdict(command: str, allow_rules: Iterable[Rule | str], deny_rules: Iterable[Rule | str],
                 ask_rules: Iterable[Rule | str], *, check_path: PathCheck | None = None) -> BashVerdict:
    """Decide a Bash call from the rules (see the comment above). Non-Bash rules are ignored."""
    allow, deny, ask = _bash_rules(allow_rules), _bash_rules(deny_rules), _bash_rules(ask_rules)
    analysis = analyze(command)
    line = command.strip()

    for behavior, rules in (("deny", deny), ("ask", ask)):
        for rule in rules:
            if rule.specifier is None or rule.specifier.strip() == line:
                return BashVerdict(behavior, _rule_reason(behavior, rule, line), rule)
        if not analysis.ok:
            continue
        maybe: tuple[Rule, SimpleCommand] | None = None
        for rule in rules:
            spec = parse_bash_spec(rule.specifier or "")
            if spec is None:
                continue
            for cmd in analysis.commands:
                got = _denies(spec, cmd)
                if got == "match":
                    return BashVerdict(behavior, _rule_reason(behavior, rule, cmd.display()), rule)
                if got == "maybe" and maybe is None:
                    maybe = (rule, cmd)
        if check_path is not None:
            for access in analysis.paths:
                if check_path(access) == behavior:
                    what = "writes" if access.access == "write" else "reads"
                    return BashVerdict(behavior, f"the command {what} {access.path}", None)
        if maybe is not None:
            rule, cmd = maybe
            why = cmd.dangerous[0] if cmd.opaque and cmd.dangerous else "it is computed at run time"
            verb = "denies" if behavior == "deny" else "asks about"
            return BashVerdict("ask", f"`{_short(cmd.display())}` may be what rule {rule} ({rule.source}) {verb}: "
                                      f"{why}", rule)
    if not analysis.ok and (any(r.specifier for r in deny) or ask):
        return BashVerdict("ask", f"the command could not be checked against the deny rules: {analysis.unparseable}")

    for rule in allow:
        if rule.specifier is None or rule.specifier.strip() == line:
            return BashVerdict("allow", f"allowed by rule {rule} ({rule.source})", rule)
    if not analysis.ok:
        return BashVerdict(None, f"the command could not be analysed: {analysis.unparseable}")
    if analysis.sets_dangerous_env:
        return BashVerdict(None, f"the command sets {', '.join(analysis.sets_dangerous_env)}, which changes what "
                                 "later commands run")
    used: list[Rule] = []
    for cmd in analysis.commands:
        if _needs_no_rule(cmd):
            continue
        rule = next((r for r in allow if (s := parse_bash_spec(r.specifier or "")) and _allows(s, cmd)), None)
        if rule is None:
            return BashVerdict(None, _not_allowed_reason(cmd))
        if rule not in used:
            used.append(rule)
    if not used:
        return BashVerdict(None, "no allow rule covers the command")
    writes = [p for p in analysis.paths if p.origin == "redirect" and p.access == "write"]
    if check_path is None and writes:
        return BashVerdict(None, f"the command writes {writes[0].path}; Bash rules alone do not allow writing files")
    names = ", ".join(str(r) for r in used)
    return BashVerdict("allow", f"allowed by rule{'s' if len(used) > 1 else ''} {names} "
                                f"({', '.join(dict.fromkeys(r.source for r in used))})", used[0])


# Commands with no effect but their exit status: `[ -f x ] && npm test` needs no rule for `[`.
_NO_EFFECT = frozenset({"true", "false", ":", "[", "test"})


def _needs_no_rule(cmd: SimpleCommand) -> bool:
    """Wrappers (what they run is judged instead), bare assignments and no-op tests."""
    if cmd.dangerous or cmd.dangerous_env:
        return False
    return cmd.transparent or not cmd.words or (not cmd.name_dynamic and cmd.name in _NO_EFFECT)


def _rule_reason(behavior: str, rule: Rule, what: str) -> str:
    verb = "denied" if behavior == "deny" else "asked"
    return f"{verb} by rule {rule} ({rule.source}): `{_short(what)}`"


def _not_allowed_reason(cmd: SimpleCommand) -> str:
    what = _short(cmd.display())
    if cmd.name_dynamic:
        return f"`{what}`: its command name is computed at run time"
    if cmd.dangerous_env:
        return f"`{what}` sets {', '.join(cmd.dangerous_env)}"
    if cmd.dangerous:
        return f"`{what}`: {cmd.dangerous[0]}"
    return f"no allow rule covers `{what}`"


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bash_rule_matches(spec: str, command: str, *, for_deny: bool) -> bool:
    """One rule against one command line, for callers that test rules one at a time.

    Deny (and ask) rules: True when any simple command matches, and also — failing closed,
    since this yes/no API cannot ask — when one may match (a computed command name) or the
    line cannot be analysed. Allow rules: True only when this single rule covers every simple
    command and the line writes no file through a redirect. `bash_verdict` is the full
    decision: several allow rules together, asking instead of denying when unsure, path rules.
    """
    line = command.strip()
    if spec.strip() == line:
        return True
    analysis = analyze(command)
    parsed = parse_bash_spec(spec)
    if for_deny:
        if not analysis.ok:
            return True
        return parsed is not None and any(_denies(parsed, c) is not None for c in analysis.commands)
    if parsed is None or not analysis.ok or analysis.sets_dangerous_env:
        return False
    if any(p.origin == "redirect" and p.access == "write" for p in analysis.paths):
        return False
    relevant = [c for c in analysis.commands if not _needs_no_rule(c)]
    return bool(relevant) and all(_allows(parsed, c) for c in relevant)


def path_rule_matches(rule: Rule, path: Path, workspace: Path) -> bool:
    """Whether a Read/Edit rule's path pattern covers ``path`` (an absolute path, resolved by the
    caller; see claw_tui/permissions/paths.py for the syntax and for symlinked rule paths)."""
    from claw_tui.permissions.paths import PathPattern

    if rule.specifier is None:
        return True
    return PathPattern(rule.specifier, workspace, Path(rule.base) if rule.base else None).matches(path)


_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def url_host(url: str) -> str | None:
    """The host a URL names, lower-cased, without a trailing dot, IDNA-encoded; None when the URL
    has credentials, no host, or a host that is not a plain DNS name or IP address (a backslash,
    a percent sign or a space in it could make the fetcher and this check disagree)."""
    import ipaddress
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return None
    if not host or parts.username is not None or parts.password is not None:
        return None
    host = host.rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return host if _HOST.match(host) else None


def domain_rule_matches(spec: str, url: str, *, for_deny: bool = False) -> bool:
    """``domain:example.com`` (that host) or ``domain:*.example.com`` (its subdomains).

    A URL whose host cannot be read plainly never matches an allow rule, and always matches a
    deny or ask rule: failing closed both ways."""
    if not spec.startswith("domain:"):
        return False
    want = spec[len("domain:"):].strip().rstrip(".").lower()
    try:
        want = want.encode("idna").decode("ascii") if not want.startswith("*.") else \
            "*." + want[2:].encode("idna").decode("ascii")
    except UnicodeError:
        return for_deny
    host = url_host(url)
    if host is None:
        return for_deny
    if want.startswith("*."):
        return host.endswith(want[1:])
    return host == want
