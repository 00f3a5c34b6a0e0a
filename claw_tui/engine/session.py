"""A session: the bus, the main agent, its tools, policy, ledger and file observer,
wired from a :class:`RunConfig`. The TUI, headless mode and tests all start here.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from claw_tui.bus import EventBus
from claw_tui.config import RunConfig
from claw_tui.engine.agent import Agent, Limits, TurnResult
from claw_tui.engine.cost import CostLedger
from claw_tui.engine.model_client import SessionModelClient
from claw_tui.engine.retry import RetryPolicy
from claw_tui.engine.subagents import SubAgentManager
from claw_tui.engine.system_prompt import build_system_prompt
from claw_tui.events import ConversationCleared, ModelChanged, Notice, PermissionModeChanged, SessionStarted
from claw_tui.lsp.manager import LspManager
from claw_tui.permissions.audit import AuditLog
from claw_tui.permissions.hooks import HookRunner
from claw_tui.permissions.policy import (
    MODE_ALIASES,
    MODES,
    WIDENING_MODES,
    IgnoredRule,
    PermissionPolicy,
    normalize_mode,
    rules_from_cli,
)
from claw_tui.permissions.rules import Rule, RuleError, parse_rule
from claw_tui.permissions.sandbox import Sandbox
from claw_tui.providers import catalogue, make_provider
from claw_tui.providers.base import Provider
from claw_tui.permissions.trust import TrustStore, held_back
from claw_tui.settings import Settings, load_settings
from claw_tui.tools.background import BackgroundShells
from claw_tui.tools.agent import AgentTool
from claw_tui.tools.base import PermissionModes, ShellState, ToolContext
from claw_tui.tools.filestate import FileStateRegistry
from claw_tui.tools.registry import ToolRegistry, default_registry


def _apply_settings(config: RunConfig, settings: Settings, trusted: bool = True) -> RunConfig:
    """Settings fill in what the command line did not say; the command line wins.

    Until the folder is trusted its own files (project and local) may not widen anything: a
    ``defaultMode`` that lets more run and ``additionalDirectories`` wait (permissions/trust.py).
    bypassPermissions is never taken from a folder's files (as in Claude Code)."""
    given = config.model_fields_set
    update: dict = {}
    if "model" not in given and settings.model:
        update["model"] = settings.model
    if "permission_mode" not in given:
        mode = settings_mode(settings, trusted)
        if mode is not None:
            update["permission_mode"] = mode
    dirs = [Path(os.path.expanduser(d)) if os.path.isabs(os.path.expanduser(d)) else config.cwd / d
            for d, layer in settings.additional_directories() if trusted or layer.scope == "user"]
    dirs = [d for d in dirs if d.is_dir()]
    if dirs:
        update["add_dirs"] = [*config.add_dirs, *dirs]
    return config.model_copy(update=update) if update else config


def settings_mode(settings: Settings, trusted: bool) -> str | None:
    """The ``permissions.defaultMode`` in force: the last layer's that may say it."""
    mode = None
    for layer in settings.layers:
        if layer.data is None or layer.data.permissions.default_mode is None:
            continue
        text = layer.data.permissions.default_mode
        name = MODE_ALIASES.get(text, text)
        if name not in MODES:
            settings_problem(settings, layer, f"permissions.defaultMode {text!r} is not a mode ({', '.join(MODES)})")
            continue
        if layer.scope != "user" and name == "bypassPermissions":
            settings_problem(settings, layer, "permissions.defaultMode bypassPermissions is only taken from your "
                                              "user settings or --permission-mode, never from a project's files")
            continue
        if layer.scope != "user" and not trusted and name in WIDENING_MODES:
            continue  # held back until the folder is trusted (listed by /permissions)
        mode = name
    return mode


def settings_rules(settings: Settings, kind: str, *, trusted: bool = True) -> list[Rule]:
    """The rules of one kind from the settings layers. ``trusted=False`` leaves out the folder's
    own (project and local) rules; call it so for allow rules only: deny and ask rules apply
    whatever the trust."""
    rules = []
    for text, layer in settings.rules(kind):  # type: ignore[arg-type]
        if not trusted and layer.scope != "user":
            continue
        try:
            rules.append(parse_rule(text, source=f"{layer.scope} settings {layer.path}",
                                    base=str(_rule_base(layer))))
        except RuleError as exc:
            settings_problem(settings, layer, str(exc))
    return rules


def _rule_base(layer) -> Path:  # noqa: ANN001
    """What ``/path`` and ``./path`` in a layer's rules are relative to: the project root for a
    project's files (the folder holding .claw or .claude), the home directory for the user's."""
    if layer.scope == "user":
        return Path(os.path.expanduser("~"))
    return Path(layer.path).parent.parent


def settings_command_files(settings: Settings, workspace: Path) -> list[Path]:
    """Files inside the project that settings run as programs (hook commands, language servers,
    the project's MCP servers): protected from writes like the settings themselves."""
    import json
    import shlex

    commands: list[str] = []
    for layer in settings.layers:
        data = layer.data
        if data is None:
            continue
        hooks = data.hooks if isinstance(data.hooks, dict) else {}
        for groups in hooks.values():
            for group in groups if isinstance(groups, list) else []:
                for hook in (group.get("hooks") if isinstance(group, dict) else None) or []:
                    if isinstance(hook, dict) and isinstance(hook.get("command"), str):
                        commands.append(hook["command"])
        lsp = (getattr(data, "model_extra", None) or {}).get("lsp")
        servers = lsp.get("servers") if isinstance(lsp, dict) else None
        for argv in (servers or {}).values() if isinstance(servers, dict) else []:
            if isinstance(argv, list):
                commands.append(" ".join(shlex.quote(str(a)) for a in argv))
    try:
        mcp = json.loads((workspace / ".mcp.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        mcp = None
    servers = mcp.get("mcpServers") if isinstance(mcp, dict) else None
    for spec in servers.values() if isinstance(servers, dict) else []:
        if isinstance(spec, dict):
            argv = [spec.get("command"), *(spec.get("args") or [])]
            commands.append(" ".join(shlex.quote(str(a)) for a in argv if isinstance(a, str)))
    found: list[Path] = []
    for command in commands:
        text = command.replace("${CLAUDE_PROJECT_DIR}", str(workspace)).replace("$CLAUDE_PROJECT_DIR", str(workspace))
        text = text.replace("${CLAW_PROJECT_DIR}", str(workspace)).replace("$CLAW_PROJECT_DIR", str(workspace))
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.split()
        for word in words:
            word = word.strip("\"'")
            if not word or word.startswith("-") or "$" in word:
                continue
            candidate = Path(os.path.expanduser(word))
            candidate = candidate if candidate.is_absolute() else workspace / candidate
            if candidate.is_file():
                found.append(candidate)
    return list(dict.fromkeys(found))


def settings_problem(settings: Settings, layer, message: str) -> None:  # noqa: ANN001
    """A bad entry inside an otherwise valid settings file: reported, the entry skipped."""
    note = f"{layer.path}: {message}; that entry is ignored"
    if note not in settings.warnings:
        settings.warnings.append(note)


class Session:
    def __init__(
        self,
        config: RunConfig,
        *,
        bus: EventBus | None = None,
        provider: Provider | None = None,
        tools: ToolRegistry | None = None,
        session_id: str | None = None,
        settings: Settings | None = None,
        trusted: bool | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings(config.cwd)
        # Folder trust (permissions/trust.py): until the person trusts this folder, its own
        # settings may only make claw stricter. None: --trust, else the trust store decides.
        self.trust_store = TrustStore()
        if trusted is None:
            trusted = bool(config.trust) or self.trust_store.is_trusted(config.cwd)
        self._trusted = bool(trusted)
        # What the folder has that waits for trust (the trust dialog and /permissions list it).
        self.held_back = held_back(self.settings, config.cwd)
        # What the command line itself said (before settings fill in): a resumed session's
        # stored permission mode gives way only to an explicit one.
        self.explicit_options = frozenset(config.model_fields_set)
        self._config_given = config
        config = _apply_settings(config, self.settings, self._trusted)
        self.config = config
        self.id = session_id or str(uuid.uuid4())
        self.bus = bus or EventBus()
        self.workspace = config.cwd
        self.model = catalogue.resolve(config.model)
        self.provider_name = config.provider or catalogue.guess_provider(self.model)
        # A provider given by the caller is used as it is; otherwise the base URL and key may come
        # from settings ``env`` (the user's always, a project's only once it is trusted).
        self._own_provider = provider is None
        self.provider = provider or self._make_provider(self.provider_name, config.base_url)
        self.files = FileStateRegistry()
        self.ledger = CostLedger(self.bus)
        # Deny and ask rules apply from every layer at once; allow rules from the folder's own
        # files only once it is trusted (self._apply_trust swaps them in).
        deny = settings_rules(self.settings, "deny") + rules_from_cli(config.disallowed_tools)
        ask = settings_rules(self.settings, "ask")
        allow = settings_rules(self.settings, "allow", trusted=self._trusted) + rules_from_cli(config.allowed_tools)
        extra = tuple(Path(d).expanduser().resolve() for d in config.add_dirs)
        from claw_tui.credentials import credentials_path
        from claw_tui.permissions.paths import ProtectedPaths
        from claw_tui.settings import user_config_dir

        self.policy = PermissionPolicy(
            self.workspace,
            mode=config.permission_mode,
            allow=allow,
            deny=deny,
            ask=ask,
            extra_dirs=extra,
            local_settings=self.workspace / ".claw" / "settings.local.json",
            protected=ProtectedPaths((self.workspace, *extra), user_dir=user_config_dir(),
                                     files=tuple(settings_command_files(self.settings, self.workspace)),
                                     secret_files=(credentials_path(),)),
        )
        self.policy.ignored = self._ignored()
        # Every permission decision, one line each, on disk before the tool runs (permissions/audit.py).
        self.audit = AuditLog(session_id=lambda: self.id, mode=lambda: self.policy.mode)
        self.audit.attach(self.bus)
        # Hooks from the settings (permissions/hooks.py). Folder trust (issue 5, item 7) is this
        # one switch: while self.trusted is False, effective_hooks() drops project and local hooks.
        self.hooks = HookRunner(
            self.settings, workspace=self.workspace, bus=self.bus, session_id=lambda: self.id,
            transcript_path=self._transcript_path, permission_mode=lambda: self.policy.mode,
            trusted=lambda: self.trusted, model=lambda: self.model,
        )
        # Told once the session starts (subscribers attach after the session is built).
        self._startup_notices: list[Notice] = []
        registry = tools or default_registry()
        if tools is None:
            # Tools from installed plugins (the claw.tools entry points), then Agent, whose
            # description lists the sub-agent types (built-in and .claw/agents/*.md files).
            from claw_tui.tools.plugins import load_plugin_tools

            plugin_tools, problems = load_plugin_tools([*registry.names(), AgentTool.name])
            for tool in plugin_tools:
                registry.add(tool)
            self._startup_notices += [Notice(level="warning", text=f"Plugins: {p}") for p in problems]
            if plugin_tools:
                self._startup_notices.append(Notice(level="info", text="Plugin tools: " + ", ".join(
                    t.name for t in plugin_tools)))
        self.subagents = SubAgentManager(self, max_depth=config.max_agent_depth, known_tools=set(registry.names()))
        self._startup_notices += [Notice(level="warning", text=f"Agents: {p}") for p in self.subagents.problems]
        if tools is None and config.max_agent_depth > 0:
            registry.add(AgentTool(self.subagents.describe_types()))
        # A tool denied outright is not offered to the model at all.
        registry = registry.without(r.tool for r in deny if r.specifier is None)
        self.tools = registry
        # MCP tools arrive once their servers are up (claw_tui/mcp); whole-tool deny rules
        # (mcp__server, mcp__server__tool) keep them out the same way.
        self._deny_whole = [r.tool for r in deny if r.specifier is None]
        self._mcp_tools: dict[str, list[str]] = {}
        self.mcp = None  # McpManager, built in start() when any MCP server is configured
        # Folder trust: project .mcp.json servers wait while self.trusted is False.
        # How a new or changed project MCP server is approved: "ask" a person through the bus
        # (the UI), "refuse" (headless: nobody to ask), "accept" (headless with --trust).
        self.mcp_approval_mode = "ask"
        # The Bash sandbox: workspace and extra directories writable, the rest read-only.
        # Project settings loosen it only once the folder is trusted: on a change of trust call
        # self.sandbox.configure(self.settings.sandbox_for(self.trusted)).
        self.sandbox = Sandbox(self.workspace, extra_dirs=extra, settings=self.settings.sandbox_for(self.trusted),
                               bus=self.bus)
        self._startup_notices += self.sandbox.startup_notices()
        self.ctx = ToolContext(
            workspace=self.workspace,
            bus=self.bus,
            files=self.files,
            shell=ShellState(str(self.workspace)),
            extra_dirs=extra,
            model_client=SessionModelClient(self),
            background=BackgroundShells(self.bus),
            # Language servers start on first use (LSP tool, diagnostics after an edit).
            lsp=LspManager.from_settings(self.workspace, self._settings_view()),
            sandbox=self.sandbox,
            subagents=self.subagents,
            scratchpad=self.subagents.scratchpad,
            modes=PermissionModes(get=lambda: self.policy.mode, set=self.set_permission_mode,
                                  before_plan=lambda: self.mode_before_plan),
            # Grep, Glob and LS leave out what Read deny rules cover.
            read_denied=self.policy.read_denied,
        )
        # The modes the folder's own agent files ask for wait for trust like its settings.
        self._agent_types = dict(self.subagents.types)
        self._filter_agent_types()
        # Where ExitPlanMode returns to: the mode before plan mode was entered.
        self.mode_before_plan = "default"
        # Memory files (CLAW.md, CLAUDE.md, AGENTS.md …) go into the system prompt; what was cut is told.
        from claw_tui.engine.context import discover_context

        self.memory_context = discover_context(self.workspace)
        self._startup_notices += [Notice(level="warning", text=f"Memory: {n}") for n in self.memory_context.notices]
        system = config.system_prompt or build_system_prompt(
            self.workspace, tool_names=registry.names(), model=self.model, append=config.append_system_prompt,
            context=self.memory_context,
        )
        if config.system_prompt and config.append_system_prompt:
            system += "\n" + config.append_system_prompt
        self.agent = Agent(
            provider=self.provider,
            model=self.model,
            tools=registry,
            policy=self.policy,
            bus=self.bus,
            ledger=self.ledger,
            ctx=self.ctx,
            system_prompt=system,
            limits=Limits(config.max_turns, config.max_budget_usd),
            retry=RetryPolicy(max_retries=config.max_retries, base_delay=config.retry_base_delay),
            max_tokens=config.max_tokens,
            thinking=config.thinking,
            hooks=self.hooks,
        )
        self.watcher = None
        self.started = False
        self.sub_agents: dict[str, Agent] = {}
        # Providers replaced by /model, closed with the session.
        self._closing: list[Provider] = []
        # Stored on disk as it happens (resumed from disk when the config says so), and compacted
        # when the context fills up (engine/persistence.py, engine/compaction.py).
        from claw_tui.engine.compaction import Compactor
        from claw_tui.engine.persistence import SessionPersistence

        self.persistence = SessionPersistence(self)
        self.compactor = Compactor(self)

    async def start(self, *, wait_for_mcp: bool = False) -> None:
        """Announce the session and start its MCP servers in the background.

        ``wait_for_mcp`` (headless): wait until every server has connected or failed before
        SessionStarted, so the first request already offers their tools."""
        if self.started:
            return
        self.started = True
        try:
            self._start_mcp()
        except Exception as exc:  # MCP trouble costs its servers, never the session
            import logging

            logging.getLogger(__name__).exception("starting MCP servers failed")
            self.bus.publish(Notice(level="error", text=f"MCP servers were not started: {type(exc).__name__}: {exc}"))
        if wait_for_mcp and self.mcp is not None:
            await self.mcp.wait_ready()
        if self.config.watch:
            from claw_tui.watch import FileWatcher

            self.watcher = FileWatcher(self.workspace, self.bus, self.files)
            self.watcher.start()
        self.bus.publish(
            SessionStarted(
                session_id=self.id,
                cwd=str(self.workspace),
                model=self.model,
                provider=self.provider_name,
                tools=tuple(self.tools.names()),
                permission_mode=self.policy.mode,
                mcp_servers=tuple((s.name, s.status) for s in self.mcp.servers.values()) if self.mcp else (),
            )
        )
        for problem in [*self.settings.errors, *self.settings.warnings]:
            self.bus.publish(Notice(level="warning", text=f"Settings: {problem}"))
        for notice in self._startup_notices:
            self.bus.publish(notice)
        for problem in self.hooks.problems:
            self.bus.publish(Notice(level="warning", text=f"Hooks: {problem}"))
        self.hooks.attach()
        resumed = bool(getattr(getattr(self, "persistence", None), "resumed", False))
        await self.hooks.session_start("resume" if resumed else "startup", model=self.model)

    def _transcript_path(self) -> str | None:
        """Where this session's transcript is stored (what hooks get as transcript_path)."""
        store = getattr(self, "persistence", None)
        if store is None or not getattr(store, "enabled", False):
            return None
        return str(store.path)

    # -- MCP servers -------------------------------------------------------------

    def _start_mcp(self) -> None:
        from claw_tui.mcp.config import load_config

        plugin_servers: dict = {}
        problems: list[str] = []
        if not self.config.strict_mcp_config:
            from importlib.metadata import entry_points

            # The SDK is imported only when a plugin really offers an in-process server.
            if list(entry_points(group="claw.mcp_servers")):
                from claw_tui.mcp.transports import plugin_sdk_servers

                plugin_servers, problems = plugin_sdk_servers()
        cfg = load_config(self.workspace, cli=self.config.mcp_config, strict=self.config.strict_mcp_config,
                          plugin_servers=plugin_servers)
        cfg.problems += problems
        if not cfg.servers and not cfg.problems:
            return
        from claw_tui.mcp.manager import McpManager

        self.mcp = McpManager(
            cfg, workspace=self.workspace, bus=self.bus, on_tools=self._set_mcp_tools,
            trusted=lambda: self.trusted, approval_mode=lambda: self.mcp_approval_mode,  # type: ignore[arg-type,return-value]
            sdk_servers=plugin_servers, startup_timeout=self.config.mcp_startup_timeout,
            tool_timeout=self.config.mcp_tool_timeout,
        )
        self.mcp.start()

    def _set_mcp_tools(self, owner: str, tools: list) -> None:
        """Replace the tools one MCP server offers (owner "" : the resource tools)."""
        for name in self._mcp_tools.pop(owner, []):
            self.tools.remove(name)
        added = []
        for tool in tools:
            denied = any(rule == tool.name or (rule.startswith("mcp__") and rule.count("__") == 1
                                               and tool.name.startswith(rule + "__"))
                         for rule in self._deny_whole)
            if denied or self.tools.get(tool.name) is not None:
                continue
            self.tools.add(tool)
            added.append(tool.name)
        self._mcp_tools[owner] = added

    async def run(self, prompt: str) -> TurnResult:
        await self.start()
        return await self.agent.run(prompt)

    def interrupt(self) -> bool:
        return self.agent.interrupt()

    # -- commands from the UI --------------------------------------------------

    @property
    def agents(self) -> dict[str, Agent]:
        """Running agents by id: the main agent and, once spawned, its sub-agents."""
        return {self.agent.agent_id: self.agent, **self.sub_agents}

    def cancel_agent(self, agent_id: str) -> bool:
        """Stop one agent's work. Returns False when there is no such running agent."""
        agent = self.agents.get(agent_id)
        return agent.interrupt() if agent is not None else False

    def set_permission_mode(self, mode: str) -> None:
        previous = self.policy.mode
        mode = normalize_mode(mode)  # ValueError naming the modes
        self.policy.mode = mode
        if mode == "plan" and previous != "plan":
            self.mode_before_plan = previous
        if mode != previous:
            self.bus.publish(PermissionModeChanged(mode=mode, previous=previous))

    # -- folder trust ------------------------------------------------------------------

    @property
    def trusted(self) -> bool:
        """Whether this folder's own settings, hooks and MCP servers count (permissions/trust.py)."""
        return self._trusted

    @trusted.setter
    def trusted(self, value: bool) -> None:
        if bool(value) != self._trusted:
            self._trusted = bool(value)
            self._apply_trust()

    @property
    def needs_trust_prompt(self) -> bool:
        """The folder is not trusted and has something that waits for trust: ask the person."""
        return not self._trusted and bool(self.held_back)

    def set_trusted(self, value: bool = True, *, remember: bool = False) -> None:
        """Trust the folder (for this session, or ``remember`` it in the trust store) and apply
        what waited: allow rules, mode, extra directories, hooks, MCP servers, env, sandbox."""
        if remember and value:
            self.trust_store.trust(self.workspace)
        was = self._trusted
        self.trusted = value
        if self.mcp is not None and value:
            self.mcp.trust_changed()
        if value and not was and self.held_back:
            self.bus.publish(Notice(level="info", text=(
                f"Folder trusted{' and remembered' if remember else ' for this session'}: its settings now apply "
                f"({len(self.held_back)} held back until now).")))

    def trust_notice(self) -> str | None:
        """One line saying what an untrusted folder's settings had that was not applied."""
        if not self.needs_trust_prompt:
            return None
        kinds = ", ".join(dict.fromkeys(h.kind for h in self.held_back))
        return (f"this folder ({self.workspace}) is not trusted, so its own settings were not applied: {kinds}. "
                "Run with --trust, or open it once in claw and trust it.")

    def _ignored(self) -> list[IgnoredRule]:
        if self._trusted:
            return []
        return [IgnoredRule(h.kind, h.text, h.source) for h in self.held_back]

    def _settings_view(self) -> Settings:
        """The settings with the folder's own layers left out while it is not trusted (for the
        parts that run programs: language servers)."""
        if self._trusted:
            return self.settings
        return Settings([layer for layer in self.settings.layers if layer.scope == "user"],
                        warnings=self.settings.warnings)

    def settings_env(self) -> dict[str, str]:
        """Settings ``env``: the user's, and the folder's own once it is trusted."""
        merged: dict[str, str] = {}
        for layer in self.settings.layers:
            if layer.data is not None and (self._trusted or layer.scope == "user"):
                merged.update({k: str(v) for k, v in layer.data.env.items()})
        return merged

    def _make_provider(self, name: str, base_url: str | None) -> Provider:
        """A provider whose base URL and key may come from settings ``env`` (never from an
        untrusted folder's: its key would go wherever the folder says)."""
        env = self.settings_env()
        prefix = "ANTHROPIC" if name == "anthropic" else "OPENAI"
        key = env.get(f"{prefix}_API_KEY") or (env.get("ANTHROPIC_AUTH_TOKEN") if name == "anthropic" else None)
        return make_provider(name, base_url=base_url or env.get(f"{prefix}_BASE_URL") or None, api_key=key or None)

    def _filter_agent_types(self) -> None:
        """Agent files of an untrusted folder may not give their agents a wider permission mode."""
        types = dict(self._agent_types)
        if not self._trusted:
            import dataclasses

            for name, agent_type in types.items():
                source = str(agent_type.source)
                if agent_type.permission_mode in WIDENING_MODES and source.startswith(str(self.workspace) + os.sep):
                    types[name] = dataclasses.replace(agent_type, permission_mode=None)
        self.subagents.types = types

    def _apply_trust(self) -> None:
        """Re-apply the settings after the trust changed."""
        config = _apply_settings(self._config_given, self.settings, self._trusted)
        cli_allow = rules_from_cli(config.allowed_tools)
        self.policy.allow = settings_rules(self.settings, "allow", trusted=self._trusted) + cli_allow
        self.policy.ignored = self._ignored()
        if "permission_mode" not in self.explicit_options and self.policy.mode == self.config.permission_mode \
                and config.permission_mode != self.policy.mode:
            self.set_permission_mode(config.permission_mode)
        self.config = self.config.model_copy(update={"permission_mode": config.permission_mode,
                                                     "add_dirs": config.add_dirs})
        extra = tuple(Path(d).expanduser().resolve() for d in config.add_dirs)
        self.policy.set_extra_dirs(extra)
        self.ctx.extra_dirs = extra
        self.sandbox.roots = tuple(dict.fromkeys(d for d in (self.workspace, *extra) if d.is_dir()))
        self.sandbox.configure(self.settings.sandbox_for(self._trusted))
        if self.ctx.lsp is not None:
            from claw_tui.lsp.servers import ServerRegistry, servers_from_settings

            self.ctx.lsp.registry = ServerRegistry(servers_from_settings(self._settings_view())[0])
        self._filter_agent_types()
        if self._own_provider:
            replacement = self._make_provider(self.provider_name, self.config.base_url)
            if (getattr(replacement, "base_url", None), getattr(replacement, "api_key", None)) != (
                    getattr(self.provider, "base_url", None), getattr(self.provider, "api_key", None)):
                self._closing.append(self.provider)
                self.provider = replacement
                self.agent.provider = replacement

    def set_model(self, name: str) -> str:
        """Switch the main agent's model from its next request on. Returns the resolved id."""
        model = catalogue.resolve(name)
        provider_name = self.config.provider if self.config.provider == "compatible" else None
        provider_name = provider_name or catalogue.guess_provider(model)
        previous = self.model
        if provider_name != self.provider_name:
            old = self.provider
            self.provider = self._make_provider(provider_name, None)
            self.provider_name = provider_name
            self.agent.provider = self.provider
            self._closing.append(old)
        self.model = model
        self.agent.model = model
        self.bus.publish(ModelChanged(model=model, provider=provider_name, previous=previous))
        return model

    def clear(self) -> None:
        """Forget the conversation (the /clear command); files and costs stay as they are."""
        if self.agent.busy:
            raise RuntimeError("the agent is working; interrupt it first")
        self.agent.messages.clear()
        self.bus.publish(ConversationCleared())

    async def close(self, reason: str = "other") -> None:
        """End the session. ``reason`` is what SessionEnd hooks are told (clear, logout,
        prompt_input_exit, other)."""
        if self.started:
            await self.hooks.session_end(reason)
        # Background shells die with the session (their BackgroundShellFinished goes out first).
        if self.ctx.background is not None:
            await self.ctx.background.close()
        if self.ctx.lsp is not None:
            await self.ctx.lsp.close()
        self.sandbox.close()
        for proc in list(self.ctx.processes):
            from claw_tui.tools.bash import kill_process_group

            await kill_process_group(proc)
        for sub in list(self.sub_agents.values()):
            sub.interrupt()
            for proc in list(sub.ctx.processes):
                from claw_tui.tools.bash import kill_process_group

                await kill_process_group(proc)
        await self.subagents.aclose()
        if self.mcp is not None:
            await self.mcp.close()
        if self.watcher is not None:
            await self.watcher.stop()
        for provider in (*self._closing, self.provider):
            await provider.aclose()
        await self.hooks.aclose()
        await self.bus.drain()
        self.persistence.close()
