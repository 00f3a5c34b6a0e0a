"""Slash commands, also offered in the command palette (Ctrl+P).

Each command shows what exists today. Where its engine part belongs to a later
piece of work (sessions, compaction, MCP), it says so plainly instead of
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


MEMORY_FILES = ("CLAW.md", "CLAUDE.md", "AGENTS.md", "CLAUDE.local.md", ".claw/CLAW.md", ".claude/CLAUDE.md")

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
        return sorted(items)

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
        "Shift+Tab permission mode · Ctrl+P palette · Ctrl+B side pane · Ctrl+T diffs↔swarm · F2 zoom · "
        "d on a tool call: its diff · g in diffs: back to the call · Ctrl+Q quit",
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
    msgs = app.session.agent.messages
    tokens, window = app.context
    share = f"{100 * tokens / window:.0f}% of the {window:,}-token window" if window else f"{tokens:,} tokens"
    await app.show_output(Text(
        f"Not available yet: compaction (summarising older turns with the model) is part of the sessions and "
        f"context work that has not landed in this build. The conversation is {len(msgs)} messages, "
        f"{share}. /clear starts fresh.", style="yellow"), "compact")


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
    from claw_tui.permissions.policy import MODES

    policy = app.session.policy
    if args:
        mode = args.split()[0]
        if mode not in MODES:
            await app.show_output(Text(f"Unknown mode {mode!r}; choose one of {', '.join(MODES)}.", style="red"))
            return
        app.session.set_permission_mode(mode)
    t = _table("behaviour", "rule", "from")
    for label, rules in (("deny", policy.deny), ("ask", getattr(policy, "ask", [])), ("allow", policy.allow)):
        for r in rules:
            t.add_row(label, str(r), getattr(r, "source", ""))
    head = Text.assemble(("Mode: ", "bold"), policy.mode, f"   (modes: {', '.join(MODES)}; /permissions MODE "
                         "or Shift+Tab switches)\n")
    body = t if t.row_count else Text("No rules yet. 'a' (always allow) on an approval saves one to "
                                      ".claw/settings.local.json.", style="dim")
    await app.show_output(Group(head, body), "permissions")


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
    ws = app.session.workspace
    files = [ws / ".claw" / "settings.json", ws / ".claw" / "settings.local.json", ws / ".claude" / "settings.json"]
    lines = [Text("Effective configuration of this run:", style="bold"),
             Text(json.dumps(cfg, indent=2)), Text("\nSettings files:", style="bold")]
    for f in files:
        lines.append(Text(f"  {'✓' if f.exists() else '·'} {f}", style="" if f.exists() else "dim"))
    lines.append(Text("Permission rules from these files are read; other settings keys come with the settings "
                      "work that has not landed yet. Edit the files directly for now.", style="dim"))
    await app.show_output(Group(*lines), "config")


async def cmd_memory(app: ClawApp, args: str) -> None:
    ws = app.session.workspace
    found = [ws / name for name in MEMORY_FILES if (ws / name).is_file()]
    lines: list[Any] = []
    if found:
        lines.append(Text("Memory files in this project:", style="bold"))
        lines += [Text(f"  {p}") for p in found]
    else:
        lines.append(Text("No CLAW.md, CLAUDE.md or AGENTS.md here. /init writes one.", style="dim"))
    lines.append(Text("Not yet read into the model's context: memory discovery and editing arrive with the "
                      "sessions and context work.", style="yellow"))
    await app.show_output(Group(*lines), "memory")


async def cmd_init(app: ClawApp, args: str) -> None:
    await app.send_to_agent(INIT_PROMPT + (f"\n\nAlso: {args}" if args else ""))


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
    await app.show_output(Text("Not available yet: sessions are not stored in this build, so there is nothing to "
                               "resume. Stored sessions, /resume and claw -c arrive with the sessions work.",
                               style="yellow"), "resume")


async def cmd_session(app: ClawApp, args: str) -> None:
    s = app.session
    n = len(s.agent.messages)
    await app.show_output(Text(f"Session {s.id}: {n} messages, {app.turn} prompts, ${s.ledger.total_cost:.4f}. "
                               "It lives in memory only: storing and resuming sessions is not in this build yet."),
                          "session")


async def cmd_agents(app: ClawApp, args: str) -> None:
    app.show_side("swarm-tab")
    rows = app.swarm.rows
    if rows:
        t = _table("agent", "state", "task")
        for r in rows.values():
            t.add_row(r.name, r.state, r.task)
        body: Any = t
    else:
        body = Text("No sub-agents in this session. The Agent tool that spawns them is not in this build yet; "
                    "the swarm pane shows them live once it is.", style="dim")
    await app.show_output(body, "agents")


async def cmd_mcp(app: ClawApp, args: str) -> None:
    ws = app.session.workspace
    cfg = ws / ".mcp.json"
    lines: list[Any] = [Text("Not available yet: this build has no MCP client, so no server is started.",
                             style="yellow")]
    if cfg.is_file():
        try:
            servers = json.loads(cfg.read_text()).get("mcpServers", {})
            lines.append(Text(f"{cfg} names {len(servers)} server(s): {', '.join(servers) or '-'} "
                              "(not connected)."))
        except (OSError, ValueError) as exc:
            lines.append(Text(f"{cfg} could not be read: {exc}", style="red"))
    await app.show_output(Group(*lines), "mcp")


async def cmd_copy(app: ClawApp, args: str) -> None:
    text = app.last_answer
    if not text:
        await app.show_output(Text("Nothing to copy yet.", style="dim"))
        return
    app.copy_to_clipboard(text)
    await app.show_output(Text(f"Copied the last answer ({len(text):,} characters) to the clipboard."))


async def cmd_quit(app: ClawApp, args: str) -> None:
    await app.action_quit()


BUILTINS: list[tuple[str, str, Handler, str]] = [
    ("help", "Show commands and keys", cmd_help, ""),
    ("clear", "Start a fresh conversation", cmd_clear, ""),
    ("compact", "Summarise the conversation to free context", cmd_compact, "[instructions]"),
    ("model", "Show or switch the model", cmd_model, "[name]"),
    ("permissions", "Show rules; switch permission mode", cmd_permissions, "[mode]"),
    ("cost", "Tokens and cost per model and per agent", cmd_cost, ""),
    ("status", "Version, model, directory, mode, git", cmd_status, ""),
    ("config", "Show the effective configuration", cmd_config, ""),
    ("memory", "Show the project's memory files", cmd_memory, ""),
    ("init", "Write a CLAW.md for this project", cmd_init, "[notes]"),
    ("diff", "Show the files changed this session", cmd_diff, ""),
    ("export", "Write the conversation as Markdown or JSON", cmd_export, "[file.md|file.json]"),
    ("version", "Show claw's version", cmd_version, ""),
    ("resume", "Resume an earlier session", cmd_resume, "[id]"),
    ("session", "About this session", cmd_session, ""),
    ("agents", "Sub-agents of this session", cmd_agents, ""),
    ("mcp", "MCP servers and their status", cmd_mcp, ""),
    ("copy", "Copy the last answer to the clipboard", cmd_copy, ""),
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

