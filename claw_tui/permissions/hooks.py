"""Hooks: commands from the settings that run at fixed points of a session.

The settings format is Claude Code's, so a Claude Code ``settings.json`` works unchanged::

    {"hooks": {"PreToolUse": [{"matcher": "Bash|Edit",
                               "hooks": [{"type": "command", "command": "~/bin/guard.sh", "timeout": 60}]}]}}

Events: PreToolUse, PostToolUse, PostToolUseFailure (a tool ran and failed), UserPromptSubmit,
Stop, SubagentStop, PreCompact, SessionStart, SessionEnd, Notification (an approval waits).
The matcher is matched against the tool name for the three tool events (MCP tools included:
``mcp__server__tool``), the notification type for Notification, the trigger
(``manual``/``auto``) for PreCompact, the source (``startup``/``resume``/``clear``/``compact``)
for SessionStart and the reason for SessionEnd; other events ignore it. ``""``, ``"*"`` or no
matcher match everything; a matcher made of names and ``|`` lists exact names; anything else is
a regular expression that must match the whole value.

A hook gets one JSON object on stdin (``session_id``, ``transcript_path``, ``cwd``,
``permission_mode``, ``hook_event_name`` and the event's own fields: ``tool_name``,
``tool_input``, ``tool_use_id``, ``tool_response``, ``prompt``, ``stop_hook_active``, …). It runs
through bash with the workspace as its working directory, ``CLAW_PROJECT_DIR`` and
``CLAUDE_PROJECT_DIR`` set to the workspace, a timeout (default 60 s; the whole process group is
killed when it runs out) and capped stdout/stderr. The matching hooks of one event run in
parallel; the same command listed twice runs once.

What its exit says:

- **0**: fine. Stdout that is a JSON object is read: ``continue: false`` (+ ``stopReason``)
  stops the agent, ``systemMessage`` is shown to the person, ``decision: "block"`` + ``reason``
  (PostToolUse: the reason goes to the model; Stop/SubagentStop: the model continues with it;
  UserPromptSubmit: the prompt is blocked), and ``hookSpecificOutput`` carries
  ``permissionDecision`` (allow/deny/ask), ``permissionDecisionReason`` and ``updatedInput``
  for PreToolUse and ``additionalContext`` for UserPromptSubmit, SessionStart and PostToolUse.
  Plain stdout of UserPromptSubmit and SessionStart hooks is context for the model too.
- **2**: block. Stderr goes to the model (PreToolUse: the call is refused with it; PostToolUse:
  feedback after the fact; Stop: the model continues with it), or to the person
  (UserPromptSubmit: the prompt is blocked; the other events cannot block).
- **anything else**: an error, shown to the person as a notice; the session goes on.

Where claw is deliberately stricter than Claude Code, because the model's output may be written
by an attacker (prompt injection) and a guard that is not running guards nothing:

- **A PreToolUse hook that times out, crashes, cannot start, exits with a code other than 0 or 2,
  or prints JSON that is malformed, has fields of the wrong type, or is mixed with other text
  blocks the call: PreToolUse fails closed.** (Claude Code lets the call through in those cases.)
- ``permissionDecision: "allow"`` never beats a deny or ask rule, nor plan mode's read-only rule:
  it counts exactly as much as an allow rule for this one call would (see :func:`gate_tool_call`),
  and not at all for an input a hook rewrote (a rewrite is judged by the rules alone).
  ``"deny"`` always wins; ``"ask"`` makes the call asked even where the rules would allow it.
- ``updatedInput`` (fields replace the model's, fields left out keep their values) is validated
  again against the tool's input model and the policy is checked again on it: a deny on either
  the model's input or the rewritten one refuses the call, and the approval prompt shows the
  rewritten input, which is what runs. Two hooks rewriting one call differently block it.
- A Stop hook can keep the agent going at most :data:`MAX_STOP_CONTINUATIONS` times a turn.

Hooks come from the settings layers user → project → local through :func:`effective_hooks`; a
folder that is not trusted contributes none (its project and local hooks are dropped), so folder
trust is one switch. Settings are read when the session starts: a hook the agent writes into the
project's settings later does not run in this session.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from claw_tui.events import (
    MAIN_AGENT,
    ApprovalRequested,
    CompactionStarted,
    ConversationCleared,
    ConversationCompacted,
    HookRan,
    Notice,
)

if TYPE_CHECKING:
    from claw_tui.bus import EventBus, Subscription
    from claw_tui.permissions.policy import Verdict
    from claw_tui.settings import Settings
    from claw_tui.tools.base import Tool, ToolContext, ToolResult

log = logging.getLogger(__name__)

HOOK_EVENTS: tuple[str, ...] = (
    "PreToolUse", "PostToolUse", "PostToolUseFailure", "UserPromptSubmit", "Stop", "SubagentStop",
    "PreCompact", "SessionStart", "SessionEnd", "Notification",
)
TOOL_EVENTS = frozenset({"PreToolUse", "PostToolUse", "PostToolUseFailure"})
# Events whose matcher means something (what it is matched against is documented above).
MATCHED_EVENTS = TOOL_EVENTS | {"Notification", "PreCompact", "SessionStart", "SessionEnd"}
# Events whose additionalContext (or plain stdout, for the first two) reaches the model.
CONTEXT_EVENTS = frozenset({"UserPromptSubmit", "SessionStart", "PostToolUse", "PostToolUseFailure"})
PLAIN_STDOUT_IS_CONTEXT = frozenset({"UserPromptSubmit", "SessionStart"})

DEFAULT_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 24 * 3600.0
STDOUT_CAP = 1024 * 1024
STDERR_CAP = 64 * 1024
# What the model or the person is shown of one hook's message.
MAX_MESSAGE_CHARS = 10_000
# After a hook exits, how long a child of it may keep its output pipes open before the group is killed.
PIPE_GRACE_S = 1.0
MAX_STOP_CONTINUATIONS = 8

_PLAIN_MATCHER = re.compile(r"^[A-Za-z0-9_\-|]+$")
# Words that mark PreToolUse output as a decision even when it is not valid JSON.
_DECISION_KEYS = ('"permissionDecision"', '"decision"', '"updatedInput"', '"continue"')


# -- configuration -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HookCommand:
    command: str
    timeout: float
    scope: str  # user | project | local
    source: str  # the settings file it came from


@dataclass(frozen=True, slots=True)
class HookGroup:
    """One ``{"matcher": ..., "hooks": [...]}`` entry of one event."""

    event: str
    matcher: str
    hooks: tuple[HookCommand, ...]
    names: frozenset[str] | None = None  # an exact-name matcher
    pattern: re.Pattern[str] | None = None  # a regex matcher

    def matches(self, value: str | None) -> bool:
        if self.event not in MATCHED_EVENTS or self.matcher in ("", "*"):
            return True
        if value is None:
            return False
        if self.names is not None:
            return value in self.names
        assert self.pattern is not None
        return self.pattern.fullmatch(value) is not None


@dataclass
class HookConfig:
    groups: dict[str, list[HookGroup]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def commands(self, event: str, value: str | None = None) -> list[HookCommand]:
        """The hooks to run for one occurrence of ``event``; a command listed twice runs once."""
        seen: dict[str, HookCommand] = {}
        for group in self.groups.get(event, ()):
            if group.matches(value):
                for hook in group.hooks:
                    seen.setdefault(hook.command, hook)
        return list(seen.values())

    def counts(self) -> dict[str, int]:
        """Hook commands per event (for /permissions)."""
        return {event: sum(len(g.hooks) for g in groups) for event, groups in self.groups.items() if groups}

    def __bool__(self) -> bool:
        return any(self.groups.values())


def parse_hooks(raw: Any, *, scope: str, source: str) -> tuple[dict[str, list[HookGroup]], list[str]]:
    """The ``hooks`` object of one settings file. Bad entries are reported and skipped."""
    groups: dict[str, list[HookGroup]] = {}
    problems: list[str] = []

    def problem(text: str) -> None:
        problems.append(f"{source}: hooks: {text}; that entry is ignored")

    if not isinstance(raw, dict):
        problem("must be an object of event names")
        return groups, problems
    for event, entries in raw.items():
        if event not in HOOK_EVENTS:
            problem(f"claw does not run {event!r} hooks (it runs {', '.join(HOOK_EVENTS)})")
            continue
        if not isinstance(entries, list):
            problem(f"{event} must be a list of {{matcher, hooks}} objects")
            continue
        for i, entry in enumerate(entries):
            where = f"{event}[{i}]"
            if not isinstance(entry, dict):
                problem(f"{where} must be an object with 'matcher' and 'hooks'")
                continue
            matcher = entry.get("matcher", "")
            if matcher is None:
                matcher = ""
            if not isinstance(matcher, str):
                problem(f"{where}.matcher must be a string")
                continue
            names: frozenset[str] | None = None
            pattern: re.Pattern[str] | None = None
            if matcher not in ("", "*"):
                if _PLAIN_MATCHER.match(matcher):
                    names = frozenset(n for n in matcher.split("|") if n)
                else:
                    try:
                        pattern = re.compile(matcher)
                    except re.error as exc:
                        problem(f"{where}.matcher {matcher!r} is not a valid regular expression ({exc})")
                        continue
            commands = []
            hooks = entry.get("hooks")
            if not isinstance(hooks, list) or not hooks:
                problem(f"{where}.hooks must be a non-empty list")
                continue
            for j, hook in enumerate(hooks):
                here = f"{where}.hooks[{j}]"
                if not isinstance(hook, dict):
                    problem(f"{here} must be an object")
                    continue
                kind = hook.get("type", "command")
                if kind != "command":
                    problem(f"{here}: hook type {kind!r} is not supported by claw (only 'command')")
                    continue
                command = hook.get("command")
                if not isinstance(command, str) or not command.strip():
                    problem(f"{here}.command must be a non-empty string")
                    continue
                timeout = hook.get("timeout", DEFAULT_TIMEOUT_S)
                if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (
                        0 < timeout <= MAX_TIMEOUT_S):
                    problem(f"{here}.timeout must be a number of seconds between 0 and {MAX_TIMEOUT_S:.0f}")
                    continue
                commands.append(HookCommand(command, float(timeout), scope, source))
            if commands:
                groups.setdefault(event, []).append(HookGroup(event, matcher, tuple(commands), names, pattern))
    return groups, problems


def effective_hooks(settings: Settings, trusted: bool = True) -> HookConfig:
    """The hooks in force, from the settings layers user → project → local.

    ``trusted=False``: the project folder is not trusted (issue 5, item 7: folder trust), so
    its project and local settings contribute no hooks: they are commands the folder's author
    chose, and they would run before the person ever looked at the folder. Only the person's
    own (user) hooks run.
    """
    config = HookConfig()
    for layer in settings.layers:
        if layer.data is None:
            continue
        if not trusted and layer.scope != "user":
            continue
        raw = getattr(layer.data, "hooks", None)
        if not raw:
            continue
        groups, problems = parse_hooks(raw, scope=layer.scope, source=str(layer.path))
        for event, found in groups.items():
            config.groups.setdefault(event, []).extend(found)
        config.problems += problems
    return config


# -- one run of one hook -------------------------------------------------------------

Outcome = Literal["ok", "blocked", "error", "timeout"]


@dataclass
class HookRun:
    """What one hook command did."""

    hook: HookCommand
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    timed_out: bool = False
    start_error: str | None = None
    truncated: bool = False

    @property
    def failed(self) -> bool:
        """It did not finish normally: timed out, could not start, died of a signal or exited
        with a code other than 0 and 2."""
        return self.timed_out or self.start_error is not None or self.exit_code not in (0, 2)

    def failure(self) -> str:
        if self.timed_out:
            return f"timed out after {self.hook.timeout:g} s and was killed"
        if self.start_error is not None:
            return f"could not be started ({self.start_error})"
        assert self.exit_code is not None
        if self.exit_code < 0:
            try:
                name = signal.Signals(-self.exit_code).name
            except ValueError:
                name = f"signal {-self.exit_code}"
            what = f"was killed by {name}"
        else:
            what = f"exited with code {self.exit_code}"
        detail = _clip(self.stderr.strip() or self.stdout.strip())
        return f"{what}" + (f": {detail}" if detail else "")


class _CappedReader:
    """Reads a pipe to its end, keeping the first ``cap`` bytes (the rest is drained and dropped,
    so a hook that prints without end cannot fill memory nor stall on a full pipe)."""

    def __init__(self, stream: asyncio.StreamReader | None, cap: int) -> None:
        self.stream = stream
        self.cap = cap
        self.data = bytearray()
        self.truncated = False

    async def run(self) -> None:
        if self.stream is None:
            return
        while True:
            chunk = await self.stream.read(65536)
            if not chunk:
                return
            room = self.cap - len(self.data)
            if room > 0:
                self.data += chunk[:room]
            if len(chunk) > room:
                self.truncated = True

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def _wait_exit(proc: asyncio.subprocess.Process, timeout: float) -> bool:
    """Whether the process exited within ``timeout``.

    Not ``proc.wait()``: on Python 3.11 that also waits for every pipe to close, so a hook
    that leaves a background child holding its stdout would look like it never finished.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.002
    while proc.returncode is None:
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)
    return True


def _shell() -> str:
    # Hook commands are bash commands in Claude Code's settings ($CLAUDE_PROJECT_DIR/...).
    return shutil.which("bash") or "/bin/sh"


async def run_hook_command(hook: HookCommand, stdin: bytes, *, cwd: Path, env: dict[str, str]) -> HookRun:
    """Run one hook to its end (or its timeout). Never raises except on cancellation, which
    kills the hook's process group first."""
    started = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            _shell(), "-c", hook.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=str(cwd), env=env, start_new_session=True,
        )
    except OSError as exc:
        return HookRun(hook, None, start_error=exc.strerror or str(exc), duration_s=time.monotonic() - started)
    out = _CappedReader(proc.stdout, STDOUT_CAP)
    err = _CappedReader(proc.stderr, STDERR_CAP)

    async def feed() -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin)
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the hook did not read its input: its business
        finally:
            with contextlib.suppress(Exception):
                proc.stdin.close()

    tasks = [asyncio.ensure_future(feed()), asyncio.ensure_future(out.run()), asyncio.ensure_future(err.run())]
    timed_out = False
    try:
        if not await _wait_exit(proc, hook.timeout):
            timed_out = True
            _kill_group(proc)
            await _wait_exit(proc, 5.0)
        _done, pending = await asyncio.wait(tasks, timeout=PIPE_GRACE_S)
        if pending:
            # A child of the hook still holds its pipes: the hook is over, so is its group.
            _kill_group(proc)
            _done, pending = await asyncio.wait(pending, timeout=1.0)
            for task in pending:
                task.cancel()
    except BaseException:
        # Cancelled (the turn was interrupted): the hook's whole process group goes too.
        _kill_group(proc)
        for task in tasks:
            task.cancel()
        raise
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.debug("hook pipe task failed: %r", task.exception())
    return HookRun(
        hook, None if timed_out else proc.returncode, stdout=out.text(), stderr=err.text(),
        duration_s=time.monotonic() - started, timed_out=timed_out, truncated=out.truncated or err.truncated,
    )


# -- what the hooks of one event decided ------------------------------------------------


@dataclass
class HookResult:
    """The combined result of every hook that ran for one occurrence of an event."""

    event: str
    runs: list[HookRun] = field(default_factory=list)
    # Exit 2 or decision "block" (or, for PreToolUse, a hook that failed: fail closed).
    blocked: bool = False
    messages: list[str] = field(default_factory=list)  # why it was blocked
    # PreToolUse: deny > ask > allow over every hook.
    permission_decision: Literal["allow", "deny", "ask"] | None = None
    permission_reasons: list[str] = field(default_factory=list)
    updated_input: dict[str, Any] | None = None
    additional_context: list[str] = field(default_factory=list)
    # PostToolUse (exit 2 / decision block): feedback for the model about a call that already ran.
    feedback: list[str] = field(default_factory=list)
    # ``continue: false``: the agent stops after this.
    stopped: bool = False
    stop_reasons: list[str] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        return bool(self.runs)

    @property
    def reason(self) -> str:
        return "\n".join(m for m in self.messages if m) or "no reason given"

    @property
    def stop_reason(self) -> str:
        return "\n".join(r for r in self.stop_reasons if r) or f"a {self.event} hook stopped the agent"


_RANK = {"allow": 1, "ask": 2, "deny": 3}


class _Verdict:
    """One hook run's reading (before it is merged into the event's :class:`HookResult`)."""

    def __init__(self) -> None:
        self.outcome: Outcome = "ok"
        self.decision: str | None = None
        self.reason = ""
        self.notice: tuple[str, str] | None = None  # (level, text) for the person
        self.system_message: str | None = None


def _clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _label(hook: HookCommand) -> str:
    cmd = hook.command.strip().splitlines()[0] if hook.command.strip() else hook.command
    return cmd if len(cmd) <= 80 else cmd[:77] + "…"


def _interpret(event: str, run: HookRun, result: HookResult) -> _Verdict:
    """Fold one run into ``result`` by the rules of the module docstring."""
    v = _Verdict()
    name = f"{event} hook `{_label(run.hook)}`"
    fail_closed = event == "PreToolUse"

    def closed(why: str) -> None:
        v.outcome = "blocked"
        v.decision = "deny"
        v.reason = f"the {name} {why}; a PreToolUse hook that fails blocks the call"
        result.blocked = True
        result.messages.append(v.reason)
        v.notice = ("warning", f"{name} {why}: the tool call was blocked.")

    if run.failed:
        v.outcome = "timeout" if run.timed_out else "error"
        if fail_closed:
            closed(run.failure())
            if run.timed_out:
                v.outcome = "timeout"
        else:
            v.reason = run.failure()
            v.notice = ("warning", f"{name} {run.failure()}")
        return v

    if run.exit_code == 2:
        message = _clip(run.stderr.strip()) or f"the {name} exited with code 2 without saying why"
        v.reason = message
        if event in ("PostToolUse", "PostToolUseFailure"):
            v.outcome, v.decision = "blocked", "block"
            result.feedback.append(message)
        elif event in ("PreToolUse", "UserPromptSubmit", "Stop", "SubagentStop"):
            v.outcome, v.decision = "blocked", "deny" if event == "PreToolUse" else "block"
            result.blocked = True
            result.messages.append(message)
        else:
            # SessionStart, SessionEnd, PreCompact, Notification cannot block: the person reads it.
            v.notice = ("warning", f"{name}: {message}")
        return v

    # Exit 0.
    text = run.stdout.strip()
    data: Any = None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            why = f"printed JSON that is not valid ({exc.msg} at line {exc.lineno})"
            if run.truncated:
                why += f"; its output was cut at {STDOUT_CAP} bytes"
            if fail_closed:
                closed(why)
            else:
                v.outcome, v.reason = "error", why
                v.notice = ("warning", f"{name} {why}; its output is ignored")
            return v
    if not isinstance(data, dict):
        if fail_closed and any(k in text for k in _DECISION_KEYS):
            # A guard that printed a log line before its JSON: what it decided cannot be read,
            # and reading it as "no decision" would let the call through.
            closed("printed a decision that is not one JSON object on stdout")
            return v
        if text and event in PLAIN_STDOUT_IS_CONTEXT:
            result.additional_context.append(_clip(text))
        return v

    problems: list[str] = []

    def field_of(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], label: str) -> Any:
        value = obj.get(key)
        if value is not None and not isinstance(value, kind):
            problems.append(f"'{label}' has the wrong type")
            return None
        return value

    cont = field_of(data, "continue", bool, "continue")
    stop_reason = field_of(data, "stopReason", str, "stopReason")
    system_message = field_of(data, "systemMessage", str, "systemMessage")
    decision = field_of(data, "decision", str, "decision")
    reason = field_of(data, "reason", str, "reason") or ""
    specific = field_of(data, "hookSpecificOutput", dict, "hookSpecificOutput") or {}
    permission = field_of(specific, "permissionDecision", str, "hookSpecificOutput.permissionDecision")
    permission_reason = field_of(specific, "permissionDecisionReason", str,
                                 "hookSpecificOutput.permissionDecisionReason") or ""
    updated = field_of(specific, "updatedInput", dict, "hookSpecificOutput.updatedInput")
    context = field_of(specific, "additionalContext", str, "hookSpecificOutput.additionalContext")

    if event == "PreToolUse":
        # The older top-level form: decision approve/block.
        if permission is None and decision is not None:
            permission = {"approve": "allow", "block": "deny"}.get(decision, decision)
            permission_reason = permission_reason or reason
        if permission is not None and permission not in _RANK:
            problems.append(f"permissionDecision {permission!r} is not allow, deny or ask")
        if problems:
            closed("printed JSON claw cannot use (" + "; ".join(problems) + ")")
            return v
        if permission is not None:
            v.decision = permission
            v.reason = permission_reason
            if result.permission_decision is None or _RANK[permission] > _RANK[result.permission_decision]:
                result.permission_decision = permission  # type: ignore[assignment]
            if permission_reason:
                result.permission_reasons.append(permission_reason)
            if permission == "deny":
                v.outcome = "blocked"
        if updated is not None and permission != "deny":
            if result.updated_input is not None and result.updated_input != updated:
                closed("rewrote the input differently from another PreToolUse hook")
                return v
            result.updated_input = updated
    else:
        if problems:
            v.outcome, v.reason = "error", "; ".join(problems)
            v.notice = ("warning", f"{name} printed JSON claw cannot use ({v.reason}); its output is ignored")
            return v
        if decision == "block":
            v.outcome, v.decision, v.reason = "blocked", "block", reason
            message = _clip(reason) or f"the {name} blocked without saying why"
            if event in ("PostToolUse", "PostToolUseFailure"):
                result.feedback.append(message)
            elif event in ("UserPromptSubmit", "Stop", "SubagentStop"):
                result.blocked = True
                result.messages.append(message)
        if context and event in CONTEXT_EVENTS:
            result.additional_context.append(_clip(context))
    if cont is False:
        result.stopped = True
        v.decision = v.decision or "stop"
        result.stop_reasons.append(_clip(stop_reason or ""))
    if system_message:
        v.system_message = _clip(system_message)
    return v


# -- the runner ----------------------------------------------------------------------


class HookRunner:
    """Runs a session's hooks. Shared by the main agent and its sub-agents."""

    def __init__(
        self,
        settings: Settings | None,
        *,
        workspace: Path,
        bus: EventBus,
        session_id: Callable[[], str],
        transcript_path: Callable[[], str | None] = lambda: None,
        permission_mode: Callable[[], str] = lambda: "default",
        trusted: Callable[[], bool] = lambda: True,
        model: Callable[[], str] = lambda: "",
        config: HookConfig | None = None,
    ) -> None:
        self.settings = settings
        self.workspace = Path(workspace)
        self.bus = bus
        self.session_id = session_id
        self.transcript_path = transcript_path
        self.permission_mode = permission_mode
        self.trusted = trusted
        self.model = model
        self._fixed = config
        self._configs: dict[bool, HookConfig] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._subscription: Subscription | None = None
        # Context for the model from hooks that ran outside a turn (SessionStart): the main
        # agent takes it with the next prompt.
        self.pending_context: list[str] = []

    # -- configuration -------------------------------------------------------------

    @property
    def config(self) -> HookConfig:
        if self._fixed is not None:
            return self._fixed
        trusted = bool(self.trusted())
        if trusted not in self._configs:
            self._configs[trusted] = effective_hooks(self.settings, trusted) if self.settings else HookConfig()
        return self._configs[trusted]

    @property
    def problems(self) -> list[str]:
        return self.config.problems

    def has(self, event: str, value: str | None = None) -> bool:
        return bool(self.config.commands(event, value))

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["CLAW_PROJECT_DIR"] = env["CLAUDE_PROJECT_DIR"] = str(self.workspace)
        return env

    # -- running -------------------------------------------------------------------

    async def run(
        self,
        event: str,
        fields: dict[str, Any] | None = None,
        *,
        matcher_value: str | None = None,
        agent_id: str = MAIN_AGENT,
        call_id: str | None = None,
        tool: str | None = None,
    ) -> HookResult:
        """Run every hook of ``event`` that matches, in parallel, and combine what they said."""
        result = HookResult(event)
        hooks = self.config.commands(event, matcher_value)
        if not hooks:
            return result
        payload = {
            "session_id": self.session_id(),
            "transcript_path": self.transcript_path(),
            "cwd": str(self.workspace),
            "permission_mode": self.permission_mode(),
            "hook_event_name": event,
            **(fields or {}),
        }
        if agent_id != MAIN_AGENT:
            payload.setdefault("agent_id", agent_id)
        stdin = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
        env = self._env()
        runs = await asyncio.gather(*(run_hook_command(h, stdin, cwd=self.workspace, env=env) for h in hooks))
        result.runs = list(runs)
        for run in runs:
            verdict = _interpret(event, run, result)
            self.bus.publish(HookRan(
                agent_id=agent_id, hook_event=event, command=run.hook.command, scope=run.hook.scope,
                outcome=verdict.outcome, exit_code=run.exit_code, duration_s=run.duration_s,
                decision=verdict.decision, reason=_clip(verdict.reason, 2000), call_id=call_id, tool=tool,
                input_rewritten=event == "PreToolUse" and verdict.decision != "deny" and _rewrote(run),
            ))
            if verdict.notice is not None:
                level, text = verdict.notice
                self.bus.publish(Notice(agent_id=agent_id, level=level, text=text))  # type: ignore[arg-type]
            if verdict.system_message:
                self.bus.publish(Notice(agent_id=agent_id, level="info",
                                        text=f"{event} hook: {verdict.system_message}"))
        if result.stopped:
            self.bus.publish(Notice(agent_id=agent_id, level="warning",
                                    text=f"{event} hook stopped the agent: {result.stop_reason}"))
        return result

    # -- the events the engine raises --------------------------------------------------

    async def user_prompt_submit(self, prompt: str, *, agent_id: str = MAIN_AGENT) -> HookResult:
        result = await self.run("UserPromptSubmit", {"prompt": prompt}, agent_id=agent_id)
        if result.blocked:
            self.bus.publish(Notice(agent_id=agent_id, level="warning",
                                    text=f"A UserPromptSubmit hook blocked your prompt: {result.reason}"))
        return result

    async def stop(self, *, agent_id: str, agent_name: str, subagent: bool, active: bool) -> str | None:
        """Stop/SubagentStop: the text the model continues with, or None to let it stop."""
        event = "SubagentStop" if subagent else "Stop"
        fields: dict[str, Any] = {"stop_hook_active": active}
        if subagent:
            fields.update(agent_id=agent_id, agent_name=agent_name)
        result = await self.run(event, fields, agent_id=agent_id)
        if result.stopped or not result.blocked:
            return None
        return f"{event} hook feedback:\n{result.reason}"

    async def post_tool_use(
        self, *, tool_name: str, tool_input: dict[str, Any], call_id: str, result: ToolResult, agent_id: str,
    ) -> tuple[ToolResult, HookResult]:
        """PostToolUse (or PostToolUseFailure for a failed call): the result with any feedback
        and context the hooks give the model appended."""
        failed = result.is_error
        event = "PostToolUseFailure" if failed else "PostToolUse"
        if not self.has(event, tool_name):
            return result, HookResult(event)
        fields: dict[str, Any] = {"tool_name": tool_name, "tool_input": tool_input, "tool_use_id": call_id}
        if failed:
            fields.update(error=result.content, is_interrupt=False)
        else:
            fields["tool_response"] = {"content": result.content, "is_error": False, "summary": result.summary}
        hooks = await self.run(event, fields, matcher_value=tool_name, agent_id=agent_id, call_id=call_id,
                               tool=tool_name)
        notes = [f"[{event} hook feedback] {m}" for m in hooks.feedback]
        notes += [f"[{event} hook context] {c}" for c in hooks.additional_context]
        if notes:
            result = dataclasses.replace(result, content="\n\n".join([result.content, *notes]))
        return result, hooks

    async def session_start(self, source: str, *, model: str) -> HookResult:
        result = await self.run("SessionStart", {"source": source, "model": model}, matcher_value=source)
        self.pending_context += result.additional_context
        return result

    async def session_end(self, reason: str) -> HookResult:
        return await self.run("SessionEnd", {"reason": reason}, matcher_value=reason)

    # -- events raised elsewhere (approvals, compaction, /clear) ---------------------------

    def attach(self) -> None:
        """Run Notification, PreCompact and SessionStart (clear/compact) hooks from the bus."""
        if self._subscription is not None:
            return
        kinds = (ApprovalRequested, CompactionStarted, ConversationCleared, ConversationCompacted)
        self._subscription = self.bus.subscribe(self._on_event, event_filter=lambda e: isinstance(e, kinds),
                                                name="hooks")

    async def _on_event(self, event: Any) -> None:
        if not self.config:
            return
        if isinstance(event, ApprovalRequested):
            message = f"claw needs your permission to use {event.tool}"
            if event.agent_name and event.agent_name != MAIN_AGENT:
                message += f" ({event.agent_name})"
            self._spawn(self.run("Notification", {"message": message, "title": "claw",
                                                  "notification_type": "permission_prompt"},
                                 matcher_value="permission_prompt", agent_id=event.agent_id))
        elif isinstance(event, CompactionStarted):
            # Claude Code runs PreCompact before compacting; claw learns of it from the bus, so
            # the hook runs while the summary is being written (it cannot block compaction either way).
            self._spawn(self.run("PreCompact", {"trigger": event.trigger, "custom_instructions": ""},
                                 matcher_value=event.trigger))
        elif isinstance(event, ConversationCleared):
            self._spawn(self._cleared())
        elif isinstance(event, ConversationCompacted):
            self._spawn(self.session_start("compact", model=self.model()))

    async def _cleared(self) -> None:
        await self.session_end("clear")
        await self.session_start("clear", model=self.model())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def aclose(self, timeout: float = 5.0) -> None:
        """Let hooks started from the bus finish (briefly), then stop them."""
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        if self._background:
            _done, pending = await asyncio.wait(set(self._background), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)


def _rewrote(run: HookRun) -> bool:
    try:
        data = json.loads(run.stdout.strip()) if run.exit_code == 0 and run.stdout.strip().startswith("{") else None
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and isinstance(data.get("hookSpecificOutput"), dict) and isinstance(
        data["hookSpecificOutput"].get("updatedInput"), dict)


# -- PreToolUse and the policy ---------------------------------------------------------


@dataclass
class CallGate:
    """What the policy and the PreToolUse hooks decided about one tool call."""

    verdict: Verdict
    decided_by: str  # policy | hook
    params: Any  # what runs (the hooks' rewrite, validated)
    tool_input: dict[str, Any]  # the same, as JSON (shown in the approval prompt)
    rewritten: bool = False
    note: str = ""  # for the approval prompt: why a hook asks, that it rewrote the input
    stop_reason: str | None = None  # continue: false


def _hook_allow_applies(policy: Any, tool: Tool, params: Any, paths: list[Path]) -> bool:
    """Whether a hook's "allow" may skip the person for this call.

    It may only where an allow rule for exactly this call would: deny and ask rules still
    decide, and so does every check the policy makes whatever the rules say. Plan mode is
    read-only whatever any hook says.
    """
    if policy.mode == "plan" and not getattr(tool, "read_only", False):
        return False
    suggest = getattr(policy, "suggest_rule", None)
    allow_list = getattr(policy, "session_allow", None)
    if suggest is None or not isinstance(allow_list, list):
        return False
    rule = suggest(tool, params)
    # check() is synchronous: no other task sees the rule while it is in the list.
    allow_list.append(rule)
    try:
        verdict = policy.check(tool, params, paths)
    finally:
        for i in range(len(allow_list) - 1, -1, -1):
            if allow_list[i] is rule:
                del allow_list[i]
                break
    return verdict.behavior == "allow"


async def gate_tool_call(
    hooks: HookRunner | None,
    policy: Any,
    tool: Tool,
    params: Any,
    raw_input: dict[str, Any],
    ctx: ToolContext,
    *,
    agent_id: str,
    call_id: str,
) -> CallGate:
    """The permission decision for one tool call: the policy, then the PreToolUse hooks.

    Deny beats everything: a deny from the policy (on the model's input or on a hook's
    rewrite of it) or from any hook refuses the call. A hook's "ask" makes it asked; its
    "allow" counts as an allow rule for this call would (:func:`_hook_allow_applies`).
    """
    from pydantic import ValidationError

    from claw_tui.permissions.policy import Verdict

    first = policy.check(tool, params, tool.paths(params, ctx))
    if hooks is None or not hooks.has("PreToolUse", tool.name):
        return CallGate(first, "policy", params, raw_input)
    result = await hooks.run(
        "PreToolUse", {"tool_name": tool.name, "tool_input": raw_input, "tool_use_id": call_id},
        matcher_value=tool.name, agent_id=agent_id, call_id=call_id, tool=tool.name,
    )
    stop = result.stop_reason if result.stopped else None
    if first.behavior == "deny":
        return CallGate(first, "policy", params, raw_input, stop_reason=stop)
    if result.blocked:
        return CallGate(Verdict("deny", f"blocked by a PreToolUse hook: {result.reason}"), "hook", params, raw_input,
                        stop_reason=stop)
    reasons = "; ".join(result.permission_reasons)
    if result.permission_decision == "deny":
        return CallGate(Verdict("deny", f"a PreToolUse hook denied it: {reasons or 'no reason given'}"), "hook",
                        params, raw_input, stop_reason=stop)
    if stop is not None:
        return CallGate(Verdict("deny", f"a PreToolUse hook stopped the agent: {stop}"), "hook", params, raw_input,
                        stop_reason=stop)
    verdict, tool_input, rewritten, notes = first, raw_input, False, []
    if result.updated_input is not None:
        merged = {**raw_input, **result.updated_input}
        if merged != raw_input:
            try:
                params = tool.parse(merged)
            except ValidationError as exc:
                errors = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(input)'}: {e['msg']}"
                                   for e in exc.errors())
                return CallGate(Verdict("deny", f"a PreToolUse hook rewrote the input into one that is not valid "
                                                f"for {tool.name} ({errors})"), "hook", params, raw_input)
            tool_input, rewritten = merged, True
            # The rules decide on what will run, not on what the model asked for.
            verdict = policy.check(tool, params, tool.paths(params, ctx))
            notes.append("A PreToolUse hook rewrote this call's input: what is shown is what will run.")
            hooks.bus.publish(Notice(agent_id=agent_id, level="info",
                                     text=f"A PreToolUse hook rewrote the {tool.name} call: "
                                          f"{_short(tool, raw_input)} → {_short(tool, merged)}"))
            if verdict.behavior == "deny":
                return CallGate(verdict, "policy", params, tool_input, rewritten=True)
    decided_by = "policy"
    if result.permission_decision == "ask":
        notes.append(f"A PreToolUse hook asks for your decision{': ' + reasons if reasons else ''}.")
        if verdict.behavior == "allow":
            verdict = Verdict("ask", f"a PreToolUse hook asks: {reasons or 'no reason given'}")
    elif result.permission_decision == "allow" and verdict.behavior == "ask":
        # A rewritten call is judged by the rules alone: a hook that rewrites every command
        # (a wrapper, say) and allows what it wrote would otherwise allow anything the model sends.
        if not rewritten and _hook_allow_applies(policy, tool, params, tool.paths(params, ctx)):
            verdict = Verdict("allow", f"allowed by a PreToolUse hook{': ' + reasons if reasons else ''}")
            decided_by = "hook"
        else:
            notes.append("A PreToolUse hook allowed this call, but a hook's allow cannot override this rule or "
                         "mode, nor allow an input it rewrote.")
    return CallGate(verdict, decided_by, params, tool_input, rewritten=rewritten, note="\n".join(notes))


def _short(tool: Tool, tool_input: dict[str, Any]) -> str:
    for key in ("command", "file_path", "path", "pattern", "url"):
        value = tool_input.get(key)
        if isinstance(value, str):
            return value if len(value) <= 120 else value[:117] + "…"
    text = json.dumps(tool_input, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "…"
