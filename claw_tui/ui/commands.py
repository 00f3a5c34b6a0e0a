"""Slash commands, also offered in the command palette (Ctrl+P).

Each command shows what exists today. Where its engine part belongs to a later
piece of work, it says so plainly instead of
pretending.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from claw_tui import __version__
from claw_tui.custom_commands import CustomCommand, load_custom_commands

if TYPE_CHECKING:
    from claw_tui.ui.app import ClawApp

Handler = Callable[["ClawApp", str], Awaitable[None]]


@dataclass
class SlashCommand:
    name: str
    description: str
    handler: Handler
    argument_hint: str = ""


INIT_PROMPT = """Please analyze this codebase and create a CLAW.md file in the project root, which will be given \
to future coding-agent sessions working in this repository.

What to add:
1. The commands used most often: how to build, lint and run the tests, including how to run a single test.
2. The high-level architecture and structure: the big picture that needs several files to understand.

Do not repeat what is easy to discover, do not list every file, and do not invent sections such as "tips" \
unless they appear in the repository's own docs. If a CLAW.md, CLAUDE.md or AGENTS.md already exists, \
suggest improvements to it instead. Also fold in the important parts of README.md, .cursorrules and \
.github/copilot-instructions.md when they exist."""


def _table(*columns: str) -> Table:
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for c in columns:
        t.add_column(c)
    return t


class CommandRegistry:
    def __init__(self, app: ClawApp) -> None:
        self.app = app
        self.builtins: dict[str, SlashCommand] = {}
        for name, desc, handler, hint in BUILTINS:
            self.builtins[name] = SlashCommand(name, desc, handler, hint)
        self.custom: dict[str, CustomCommand] = {}
        self.warnings: list[str] = []
        self.reload_custom()
        self.watch_mcp()

    def reload_custom(self) -> None:
        custom, warnings = load_custom_commands(self.app.session.workspace)
        self.warnings = list(warnings)
        for name in list(custom):
            if name in self.builtins:
                self.warnings.append(f"Custom command /{name} ({custom[name].source_path}) is hidden by the "
                                     f"built-in /{name}.")
                del custom[name]
        self.custom = custom

    def completions(self) -> list[tuple[str, str]]:
        items = [(c.name, c.description) for c in self.builtins.values()]
        items += [(c.name, f"{c.description} ({c.scope})") for c in self.custom.values()]
        items += [(p.command, f"{p.description} (MCP prompt)") for p in self.mcp_prompts()]
        return sorted(items)

    def mcp_prompts(self) -> list[Any]:
        """Prompts of connected MCP servers, as /mcp__<server>__<prompt> commands."""
        mcp = getattr(self.app.session, "mcp", None)
        return mcp.prompt_commands() if mcp is not None else []

    def watch_mcp(self) -> None:
        """Offer MCP prompts in the prompt's completion as their servers connect."""
        from claw_tui.events import McpServerStatusChanged

        def refresh(_event: Any) -> None:
            from textual.css.query import NoMatches

            try:
                self.app.prompt.commands = self.completions()
            except NoMatches:  # the app is closing
                pass

        self.app.session.bus.subscribe(refresh, event_filter=lambda e: isinstance(e, McpServerStatusChanged),
                                       name="mcp-prompt-commands")

    async def run(self, line: str) -> None:
        name, _, args = line[1:].partition(" ")
        if "\n" in name:
            name, _, rest = name.partition("\n")
            args = rest + args
        args = args.strip()
        if name in self.builtins:
            await self.builtins[name].handler(self.app, args)
            return
        if name in self.custom:
            cmd = self.custom[name]
            await self.app.send_to_agent(cmd.render(args))
            return
        if name.startswith("mcp__") and getattr(self.app.session, "mcp", None) is not None:
            from claw_tui.mcp.tools import McpCallError

            try:
                text = await self.app.session.mcp.run_prompt(name, args)
            except McpCallError as exc:
                await self.app.show_output(Text(str(exc), style="red"), name)
                return
            await self.app.send_to_agent(text)
            return
        await self.app.show_output(Text(f"Unknown command /{name}. Type /help for the list.", style="red"))


# -- the commands --------------------------------------------------------------


async def cmd_help(app: ClawApp, args: str) -> None:
    reg = app.commands_registry
    t = _table("command", "what it does")
    for c in sorted(reg.builtins.values(), key=lambda c: c.name):
        t.add_row(f"/{c.name} {c.argument_hint}".strip(), c.description)
    for c in sorted(reg.custom.values(), key=lambda c: c.name):
        t.add_row(f"/{c.name} {c.argument_hint or ''}".strip(), f"{c.description} ({c.scope}: {c.source_path})")
    keys = Text.assemble(
        ("Keys  ", "bold"),
        "Enter send · Shift+Enter / Ctrl+J newline · ↑/↓ history · @ files · / commands · Esc interrupt · "
        "Esc Esc on an empty prompt: rewind · # at the start of a prompt: a note to memory · "
        "Shift+Tab permission mode · Ctrl+P palette · Ctrl+B side pane · Ctrl+T next side tab (diffs, swarm, shells) · F2 zoom · "
        "d on a tool call: its diff · g in diffs: back to the call · drag to select, Ctrl+C copies · "
        "F12 releases the mouse for the terminal's own selection · Ctrl+Q quit  "
        "(remap in settings \"keybindings\"; these are the defaults)",
    )
    await app.show_output(Group(t, Text(), keys), "help")


async def cmd_clear(app: ClawApp, args: str) -> None:
    if app.session.agent.busy:
        await app.show_output(Text("The agent is working: press Esc to interrupt it first.", style="yellow"))
        return
    app.session.clear()
    app.queued.clear()
    app._show_queue()
    await app.conversation.clear()
    await app.show_output(Text("Conversation cleared. The next prompt starts fresh (costs so far are kept).",
                               style="dim"))


async def cmd_compact(app: ClawApp, args: str) -> None:
    from claw_tui.engine.compaction import CompactionError

    if app.session.agent.busy:
        await app.show_output(Text("The agent is working: compact when it is done (or press Esc first).",
                                   style="yellow"), "compact")
        return

    async def run() -> None:
        try:
            await app.session.compactor.compact(args)
        except CompactionError as exc:
            await app.show_output(Text(f"Nothing compacted: {exc}.", style="yellow"), "compact")
            app._next_queued()

    # In the background: the summary takes a model call; prompts sent meanwhile wait for it.
    app.run_worker(run(), group="compact", exit_on_error=False)


async def cmd_model(app: ClawApp, args: str) -> None:
    from claw_tui.providers import catalogue

    if args:
        try:
            model = app.session.set_model(args.split()[0])
        except Exception as exc:
            await app.show_output(Text(f"Could not switch model: {exc}", style="red"))
            return
        info = catalogue.lookup(model)
        note = "" if info else " (not in the price catalogue: its cost is counted as $0)"
        await app.show_output(Text(f"Model set to {model} ({app.session.provider_name}){note}."), "model")
        return
    t = _table("model", "provider", "context", "$ in / out / cache w / cache r per Mtok")
    for m in catalogue.all_models():
        mark = "● " if m.id == app.session.model else "  "
        t.add_row(mark + m.id, m.provider, f"{m.context_window:,}",
                  f"{m.input:g} / {m.output:g} / {m.cache_write:g} / {m.cache_read:g}")
    await app.show_output(Group(Text(f"Current: {app.session.model}. Switch with /model NAME.\n"), t), "model")


async def cmd_permissions(app: ClawApp, args: str) -> None:
    """/permissions [MODE | trust]: the mode, the rules in force and where each came from, what an
    untrusted folder's settings would add, the protected paths, and the recent decisions."""
    from claw_tui.permissions.policy import CYCLE, MODE_HELP, MODES, normalize_mode

    session = app.session
    policy = session.policy
    word = args.split()[0] if args.split() else ""
    if word == "trust":
        if session.trusted:
            await app.show_output(Text("This folder is already trusted."), "permissions")
            return
        session.set_trusted(True, remember=True)
        await app.show_output(Text(f"Trusted {session.workspace}; its settings, hooks and MCP servers now apply."),
                              "permissions")
        return
    if word:
        try:
            mode = normalize_mode(word)
        except ValueError:
            await app.show_output(Text(f"Unknown mode {word!r}; choose one of {', '.join(MODES)}.", style="red"))
            return
        session.set_permission_mode(mode)
        # A mode chosen explicitly stays reachable with Shift+Tab.
        if mode not in CYCLE and mode not in app.started_modes:
            app.started_modes = (*app.started_modes, mode)
    head = Text.assemble(("Mode: ", "bold"), (policy.mode, "bold magenta"), f" — {MODE_HELP.get(policy.mode, '')}\n",
                         (f"Modes: {', '.join(MODES)}. /permissions MODE switches; Shift+Tab cycles "
                          f"{' → '.join(app.started_modes)}.\n", "dim"),
                         ("Order: deny rules, protected paths, ask rules, allow rules, then the mode.\n", "dim"))
    t = _table("behaviour", "rule", "from")
    for label, rule in policy.rules_in_force():
        source = getattr(rule, "source", "")
        t.add_row(Text(label, style={"deny": "red", "ask": "yellow", "allow": "green"}.get(label, "")), str(rule),
                  "this session" if source == "session" else source)
    body = t if t.row_count else Text("No rules yet. 'a' (always allow) on an approval saves one to "
                                      ".claw/settings.local.json.", style="dim")
    parts: list[Any] = [head, body]
    ignored = getattr(policy, "ignored", [])
    if ignored:
        it = _table("held back", "value", "from")
        for item in ignored:
            it.add_row(item.kind, item.text, item.source)
        parts += [Text("\nNot applied: this folder is not trusted (/permissions trust trusts it)", style="bold yellow"),
                  it]
    elif not session.trusted:
        parts.append(Text("\nThis folder is not trusted; it has no settings that wait for trust.", style="dim"))
    protected = getattr(policy, "protected", None)
    if protected is not None:
        pt = _table("protected path", "why")
        for path, why in protected.listing():
            pt.add_row(path, why)
        parts += [Text("\nProtected paths: never written without asking, in any mode", style="bold"), pt]
    hooks = getattr(session, "hooks", None)
    counts = hooks.config.counts() if hooks is not None else {}
    if counts:
        parts.append(Text.assemble(("\nHooks: ", "bold"), ", ".join(f"{e} ({n})" for e, n in counts.items())))
    parts.append(_recent_decisions(app))
    await app.show_output(Group(*parts), "permissions")


def _recent_decisions(app: ClawApp, n: int = 15) -> Any:
    """The last decisions of this session's audit log: why each call was allowed or refused."""
    audit = getattr(app.session, "audit", None)
    recent = audit.recent_decisions(n) if audit is not None else []
    if not recent:
        return Text("\nNo decisions yet this session.", style="dim")
    t = _table("time", "agent", "tool", "input", "decision", "rule / who")
    for r in recent:
        when = str(r.get("time", ""))[11:19]
        if r.get("kind") == "hook":
            decision = r.get("decision") or r.get("outcome", "")
            who = f"{r.get('hook_event', 'hook')} hook ({r.get('scope', '')}): {r.get('reason', '')}"
            t.add_row(when, r.get("agent_id", ""), r.get("tool") or "", "", str(decision), Text(who[:120]))
            continue
        decision = str(r.get("decision", ""))
        style = "green" if decision == "allow" else "red"
        who = r.get("rule") or r.get("reason", "")
        t.add_row(when, r.get("agent_id", ""), r.get("tool", ""), Text(str(r.get("input_preview", ""))[:60]),
                  Text(decision, style=style), Text(f"{who} [{r.get('decided_by', '')}]"[:120]))
    return Group(Text("\nRecent decisions", style="bold"), t)


async def cmd_cost(app: ClawApp, args: str) -> None:
    ledger = app.session.ledger
    t = _table("", "requests", "input", "output", "cache write", "cache read", "cost")
    for label, table in (("model", ledger.by_model), ("agent", ledger.by_agent)):
        for key, tot in table.items():
            u = tot.usage
            t.add_row(f"{label}: {key}", str(tot.requests), f"{u.input_tokens:,}", f"{u.output_tokens:,}",
                      f"{u.cache_creation_input_tokens:,}", f"{u.cache_read_input_tokens:,}", f"${tot.cost_usd:.4f}")
    total = Text.assemble(("Total: ", "bold"), f"${ledger.total_cost:.4f}")
    if app.config.max_budget_usd is not None:
        total.append(f"   budget ${app.config.max_budget_usd:.2f}, "
                     f"${max(0.0, app.config.max_budget_usd - ledger.total_cost):.2f} left")
    await app.show_output(Group(t, total) if t.row_count else Text("No model requests yet: $0.00."), "cost")


async def cmd_status(app: ClawApp, args: str) -> None:
    from claw_tui.engine.system_prompt import git_summary

    s = app.session
    t = _table("", "")
    rows = [
        ("version", __version__),
        ("session", s.id),
        ("directory", str(s.workspace)),
        ("model", f"{s.model} ({s.provider_name})"),
        ("base URL", s.config.base_url or "(the provider's default)"),
        ("permission mode", s.policy.mode),
        ("tools", ", ".join(s.tools.names())),
        ("file watcher", "on" if s.watcher is not None else "off"),
        ("git", git_summary(s.workspace).strip() or "not a git repository"),
        ("platform", f"{platform.system()} {platform.release()}, Python {platform.python_version()}"),
    ]
    for k, v in rows:
        t.add_row(Text(k, style="bold"), v)
    await app.show_output(t, "status")


async def cmd_config(app: ClawApp, args: str) -> None:
    cfg = app.config.model_dump(mode="json")
    lines = [Text("Effective configuration of this run:", style="bold"),
             Text(json.dumps(cfg, indent=2)), Text("\nSettings files, lowest layer first (later ones win):",
                                                  style="bold")]
    for layer in app.session.settings.layers:
        f = layer.path
        state = "✗" if layer.error else "✓" if f.exists() else "·"
        lines.append(Text(f"  {state} {layer.scope:<7} {f}", style="" if f.exists() else "dim"))
        if layer.error:
            lines.append(Text(f"      {layer.error}", style="red"))
    lines.append(Text("The command line wins over every file. /permissions shows the rules in force and the "
                      "project settings held back until the folder is trusted. Edit the files and restart claw "
                      "to apply them.", style="dim"))
    await app.show_output(Group(*lines), "config")


async def cmd_memory(app: ClawApp, args: str) -> None:
    from claw_tui.engine.context import SCOPE_LABEL, discover_context, memory_targets
    from claw_tui.ui.sessions import open_memory_editor

    words = args.split()
    targets = memory_targets(app.session.workspace)
    if words and words[0] == "edit":
        which = words[1] if len(words) > 1 else "project"
        if which not in targets:
            await app.show_output(Text(f"/memory edit {which}: choose one of {', '.join(targets)}.", style="red"),
                                  "memory")
            return
        await open_memory_editor(app, targets[which])
        return
    if words and words[0] in ("consolidate", "dream"):
        await app.show_output(Text("Consolidating memory in the background (the swarm pane shows it); a proposed "
                                   "change opens as a diff to accept or reject.", style="dim"), "memory")
        app.run_worker(app.dreamer.run(force=True), group="memory-consolidation", exit_on_error=False)
        return
    if words:
        await app.show_output(Text("Usage: /memory (list), /memory edit [project|local|user], /memory consolidate.",
                                   style="red"), "memory")
        return
    found = discover_context(app.session.workspace)
    lines: list[Any] = []
    if found.files:
        t = _table("file", "kind", "characters")
        for f in found.files:
            kind = f"imported by {f.imported_by.name}" if f.imported_by else SCOPE_LABEL[f.scope]
            size = f"{f.chars:,}" + (" (cut)" if f.truncated else "")
            t.add_row(str(f.path), kind, size)
        lines += [Text("Memory the agent reads (in this order):", style="bold"), t]
    else:
        lines.append(Text("No memory files yet: no CLAW.md, CLAUDE.md or AGENTS.md here or in your config dir. "
                          "/init writes one.", style="dim"))
    for note in found.notices:
        lines.append(Text(f"⚠ {note}", style="yellow"))
    lines.append(Text(f"\n/memory edit [{'|'.join(targets)}] opens one in an editor ({targets['project']} by "
                      "default); a prompt starting with # adds a line to it; /memory consolidate folds this "
                      "session into it.", style="dim"))
    await app.show_output(Group(*lines), "memory")


async def cmd_init(app: ClawApp, args: str) -> None:
    from claw_tui.engine.context import project_memory_file, refresh_system_prompt
    from claw_tui.events import MemoryUpdated

    if app.session.agent.busy:
        await app.show_output(Text("The agent is working: run /init when it is done.", style="yellow"), "init")
        return
    target = app.session.workspace / "CLAW.md"

    def snapshot() -> tuple[float, int] | None:
        path = project_memory_file(app.session.workspace)
        try:
            st = path.stat()
        except OSError:
            return None
        return st.st_mtime, st.st_size

    before = snapshot()

    async def run() -> None:
        await app.session.run(INIT_PROMPT + (f"\n\nAlso: {args}" if args else ""))
        after = snapshot()
        if after is not None and after != before:
            refresh_system_prompt(app.session)
            app.session.bus.publish(MemoryUpdated(path=str(project_memory_file(app.session.workspace)), how="init"))
        elif after is None:
            await app.show_output(Text(f"No memory file was written ({target} does not exist): the model did not "
                                       "write it, or the write was refused.", style="yellow"), "init")

    app.run_worker(run(), group="turn", exit_on_error=False)


async def cmd_diff(app: ClawApp, args: str) -> None:
    app.show_side("diffs-tab")
    n = app.diffs.count
    await app.show_output(Text(f"{n} file change{'s' if n != 1 else ''} this session, in the Diffs pane "
                               "(v: unified/split, g: back to the tool call)."), "diff")
    app.diffs.focus()


async def cmd_export(app: ClawApp, args: str) -> None:
    from claw_tui.export import export_conversation

    target = args.split()[0] if args else ""
    try:
        path = export_conversation(app.session, target)
    except OSError as exc:
        await app.show_output(Text(f"Could not export: {exc}", style="red"))
        return
    await app.show_output(Text(f"Conversation written to {path}"), "export")


async def cmd_version(app: ClawApp, args: str) -> None:
    await app.show_output(Text(f"claw {__version__}"))


async def cmd_resume(app: ClawApp, args: str) -> None:
    from claw_tui.ui.sessions import open_session_picker, resume_session

    if app.session.agent.busy:
        await app.show_output(Text("The agent is working: press Esc to interrupt it, then resume.", style="yellow"),
                              "resume")
        return
    if args.strip():
        await resume_session(app, args.split()[0])
    else:
        await open_session_picker(app)


async def cmd_session(app: ClawApp, args: str) -> None:
    s = app.session
    p = s.persistence
    t = _table("", "")
    stored = str(p.path) if p.writer is not None else (
        "not stored (persistence is off)" if not p.enabled else f"{p.path} (written from the first prompt on)")
    rows = [("id", s.id), ("file", stored), ("messages", str(len(s.agent.messages))),
            ("prompts", str(len(p.checkpoints))), ("cost", f"${s.ledger.total_cost:.4f}")]
    if p.forked_from:
        rows.append(("forked from", p.forked_from))
    if p.loaded is not None and p.loaded.compactions:
        rows.append(("compactions", str(p.loaded.compactions)))
    for k, v in rows:
        t.add_row(Text(k, style="bold"), v)
    hint = Text("claw -c continues the latest session here; claw --resume ID (or /resume) any other; /rewind goes "
                "back to before a prompt; /fork continues in a copy.", style="dim")
    await app.show_output(Group(t, hint), "session")


async def cmd_rewind(app: ClawApp, args: str) -> None:
    from claw_tui.ui.sessions import open_rewind

    await open_rewind(app)


async def cmd_fork(app: ClawApp, args: str) -> None:
    if app.session.agent.busy:
        await app.show_output(Text("The agent is working: fork when it is done.", style="yellow"), "fork")
        return
    old = app.session.id
    try:
        new = app.session.persistence.fork()
    except (RuntimeError, ValueError, OSError) as exc:
        await app.show_output(Text(f"Could not fork: {exc}", style="red"), "fork")
        return
    await app.show_output(Text(f"Now in session {new[:8]}, a copy of {old[:8]} (which stays as it was; /resume "
                               "goes back to it)."), "fork")


async def cmd_agents(app: ClawApp, args: str) -> None:
    app.show_side("swarm-tab")
    rows = app.swarm.rows
    if rows:
        t = _table("agent", "state", "task")
        for r in rows.values():
            t.add_row(r.name, r.state, r.task)
        body: Any = t
    else:
        body = Text("No sub-agents in this session yet. When the agent uses its Agent tool, each sub-agent is a "
                    "row in the Swarm pane, live: Enter opens its conversation, x cancels it.", style="dim")
    await app.show_output(body, "agents")


async def cmd_sandbox(app: ClawApp, args: str) -> None:
    """/sandbox: the Bash sandbox's backend (or why there is none), what is writable, protected
    paths, network and allowed domains (claw_tui/permissions/sandbox.py)."""
    sandbox = getattr(app.session, "sandbox", None)
    if sandbox is None:
        await app.show_output(Text("This session has no Bash sandbox.", style="yellow"), "sandbox")
        return
    t = _table("", "")
    for key, value in sandbox.describe():
        unsafe = "UNSANDBOXED" in value or "NOT enforced" in value or key == "gap"
        t.add_row(Text(key, style="bold"), Text(value, style="yellow" if unsafe else ""))
    foot = Text("Settings: the \"sandbox\" key of .claw/settings.json (enabled, failIfUnavailable, excludedCommands, "
                "network.allowedDomains: [\"*\"] for network, network.allowAllUnixSockets, filesystem.allowWrite, "
                "filesystem.denyWrite).", style="dim")
    await app.show_output(Group(t, foot), "sandbox")


async def cmd_mcp(app: ClawApp, args: str) -> None:
    """/mcp: every server's status, tools and last error; /mcp reconnect NAME; /mcp tools NAME."""
    mcp = app.session.mcp
    words = args.split()
    if mcp is None:
        await app.show_output(Text("No MCP servers are configured. Add one with `claw mcp add NAME -- COMMAND` "
                                   "(or a .mcp.json in the project, or --mcp-config).", style="dim"), "mcp")
        return
    if words and words[0] == "reconnect":
        if len(words) != 2:
            await app.show_output(Text("Usage: /mcp reconnect NAME", style="red"), "mcp")
            return
        try:
            message = await mcp.reconnect(words[1])
        except KeyError:
            message = f"No MCP server named {words[1]!r}: {', '.join(mcp.servers) or 'none'}."
        await app.show_output(Text(message), "mcp")
        return
    if words and words[0] == "tools" and len(words) == 2 and words[1] in mcp.servers:
        server = mcp.servers[words[1]]
        t = _table("tool", "description")
        for tool in server.tools:
            t.add_row(tool.name, (tool.description.splitlines() or [""])[0][:100])
        await app.show_output(t if server.tools else Text(f"{words[1]} offers no tools ({server.status})."), "mcp")
        return
    if words:
        await app.show_output(Text("Usage: /mcp (status), /mcp tools NAME, /mcp reconnect NAME", style="red"), "mcp")
        return
    styles = {"connected": "green", "failed": "red", "config error": "red", "refused": "yellow",
              "restarting": "yellow", "unsupported": "dim", "waiting for folder trust": "yellow"}
    t = _table("server", "status", "tools", "scope · transport", "last error")
    for server in mcp.status_rows():
        status = Text(server.status + (f" ({server.detail})" if server.detail else ""),
                      style=styles.get(server.status, ""))
        names = ", ".join(tool.remote_name for tool in server.tools)
        tools = f"{len(server.tools)}: {names}" if server.tools else "-"
        error = server.last_error if server.status != "connected" else ""
        if server.status == "needs authorization" and server.auth_url:
            error = f"sign in at {server.auth_url}"
        t.add_row(server.name, status, tools[:120], f"{server.spec.scope} · {server.spec.type}", error or "")
    hints = Text("/mcp reconnect NAME restarts one · /mcp tools NAME lists its tools · server prompts run as "
                 "/mcp__server__prompt", style="dim")
    await app.show_output(Group(t, Text(), hints), "mcp")


def code_blocks(markdown: str) -> list[str]:
    """The fenced and indented code blocks of a Markdown text, in order."""
    from markdown_it import MarkdownIt

    return [t.content for t in MarkdownIt("commonmark").parse(markdown) if t.type in ("fence", "code_block")]


async def cmd_copy(app: ClawApp, args: str) -> None:
    text = app.last_answer
    if not text:
        await app.show_output(Text("Nothing to copy yet: there is no answer in this session.", style="dim"))
        return
    words = args.split()
    if not words:
        app.copy_to_clipboard(text)
        await app.show_output(Text(f"Copied the last answer ({len(text):,} characters) to the clipboard."))
        return
    if words[0] != "code" or len(words) > 2 or (len(words) == 2 and not words[1].isdigit()):
        await app.show_output(Text("Usage: /copy (the last answer), /copy code (its last code block), "
                                   "/copy code N (its Nth code block).", style="red"))
        return
    blocks = code_blocks(text)
    if not blocks:
        await app.show_output(Text("The last answer has no code block. /copy copies the whole answer.",
                                   style="yellow"))
        return
    n = int(words[1]) if len(words) == 2 else len(blocks)
    if not 1 <= n <= len(blocks):
        await app.show_output(Text(f"The last answer has {len(blocks)} code block(s); pick 1–{len(blocks)}.",
                                   style="red"))
        return
    app.copy_to_clipboard(blocks[n - 1])
    await app.show_output(Text(f"Copied code block {n} of {len(blocks)} ({len(blocks[n - 1]):,} characters)."))


async def cmd_quit(app: ClawApp, args: str) -> None:
    await app.action_quit()


BUILTINS: list[tuple[str, str, Handler, str]] = [
    ("help", "Show commands and keys", cmd_help, ""),
    ("clear", "Start a fresh conversation", cmd_clear, ""),
    ("compact", "Summarise the conversation to free context", cmd_compact, "[instructions]"),
    ("model", "Show or switch the model", cmd_model, "[name]"),
    ("permissions", "Show rules; switch permission mode; trust this folder", cmd_permissions, "[mode|trust]"),
    ("cost", "Tokens and cost per model and per agent", cmd_cost, ""),
    ("status", "Version, model, directory, mode, git", cmd_status, ""),
    ("config", "Show the effective configuration", cmd_config, ""),
    ("memory", "Show, edit or consolidate the memory files", cmd_memory, "[edit [project|local|user]]"),
    ("init", "Write a CLAW.md for this project", cmd_init, "[notes]"),
    ("diff", "Show the files changed this session", cmd_diff, ""),
    ("export", "Write the conversation as Markdown or JSON", cmd_export, "[file.md|file.json]"),
    ("version", "Show claw's version", cmd_version, ""),
    ("resume", "Resume an earlier session", cmd_resume, "[id]"),
    ("session", "About this session", cmd_session, ""),
    ("rewind", "Go back to before a prompt: code, conversation or both", cmd_rewind, ""),
    ("fork", "Continue in a copy of this session", cmd_fork, ""),
    ("agents", "Sub-agents of this session", cmd_agents, ""),
    ("mcp", "MCP servers and their status", cmd_mcp, ""),
    ("sandbox", "The Bash sandbox: backend, writable paths, network", cmd_sandbox, ""),
    ("copy", "Copy the last answer, or one of its code blocks", cmd_copy, "[code [N]]"),
    ("exit", "Quit claw", cmd_quit, ""),
]


class SlashCommandProvider(Provider):
    """The slash commands in Textual's command palette."""

    def _commands(self) -> list[tuple[str, str]]:
        app = self.app
        reg = getattr(app, "commands_registry", None)
        return reg.completions() if reg is not None else []

    async def discover(self) -> Hits:
        for name, desc in self._commands():
            yield DiscoveryHit(f"/{name}", partial(self._run, name), help=desc)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, desc in self._commands():
            score = matcher.match(f"/{name}")
            if score > 0:
                yield Hit(score, matcher.highlight(f"/{name}"), partial(self._run, name), help=desc)

    async def _run(self, name: str) -> None:
        await self.app.submit(f"/{name}")  # type: ignore[attr-defined]

