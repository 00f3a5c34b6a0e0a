"""A session: the bus, the main agent, its tools, policy, ledger and file observer,
wired from a :class:`RunConfig`. The TUI, headless mode and tests all start here.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from claw_tui.bus import EventBus
from claw_tui.config import RunConfig
from claw_tui.engine.agent import Agent, Limits, TurnResult
from claw_tui.engine.cost import CostLedger
from claw_tui.engine.retry import RetryPolicy
from claw_tui.engine.system_prompt import build_system_prompt
from claw_tui.events import ModelChanged, PermissionModeChanged, SessionStarted
from claw_tui.permissions.policy import MODES, PermissionPolicy, rules_from_cli
from claw_tui.providers import catalogue, make_provider
from claw_tui.providers.base import Provider
from claw_tui.tools.base import ShellState, ToolContext
from claw_tui.tools.filestate import FileStateRegistry
from claw_tui.tools.registry import ToolRegistry, default_registry


class Session:
    def __init__(
        self,
        config: RunConfig,
        *,
        bus: EventBus | None = None,
        provider: Provider | None = None,
        tools: ToolRegistry | None = None,
        session_id: str | None = None,
    ) -> None:
        self.config = config
        self.id = session_id or str(uuid.uuid4())
        self.bus = bus or EventBus()
        self.workspace = config.cwd
        self.model = catalogue.resolve(config.model)
        self.provider_name = config.provider or catalogue.guess_provider(self.model)
        self.provider = provider or make_provider(self.provider_name, base_url=config.base_url)
        self.files = FileStateRegistry()
        self.ledger = CostLedger(self.bus)
        deny = rules_from_cli(config.disallowed_tools)
        allow = rules_from_cli(config.allowed_tools)
        extra = tuple(Path(d).expanduser().resolve() for d in config.add_dirs)
        self.policy = PermissionPolicy(
            self.workspace,
            mode=config.permission_mode,
            allow=allow,
            deny=deny,
            extra_dirs=extra,
            local_settings=self.workspace / ".claw" / "settings.local.json",
        )
        registry = tools or default_registry()
        # A tool denied outright is not offered to the model at all.
        registry = registry.without(r.tool for r in deny if r.specifier is None)
        self.tools = registry
        self.ctx = ToolContext(
            workspace=self.workspace,
            bus=self.bus,
            files=self.files,
            shell=ShellState(str(self.workspace)),
            extra_dirs=extra,
        )
        system = config.system_prompt or build_system_prompt(
            self.workspace, tool_names=registry.names(), model=self.model, append=config.append_system_prompt
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
        )
        self.watcher = None
        self.started = False
        self.sub_agents: dict[str, Agent] = {}
        # Providers replaced by /model, closed with the session.
        self._closing: list[Provider] = []

    async def start(self) -> None:
        if self.started:
            return
        self.started = True
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
            )
        )

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
        if mode not in MODES:
            raise ValueError(f"unknown permission mode {mode!r}; choose one of {', '.join(MODES)}")
        self.policy.mode = mode
        if mode != previous:
            self.bus.publish(PermissionModeChanged(mode=mode, previous=previous))

    def set_model(self, name: str) -> str:
        """Switch the main agent's model from its next request on. Returns the resolved id."""
        model = catalogue.resolve(name)
        provider_name = self.config.provider if self.config.provider == "compatible" else None
        provider_name = provider_name or catalogue.guess_provider(model)
        previous = self.model
        if provider_name != self.provider_name:
            old = self.provider
            self.provider = make_provider(provider_name, base_url=None)
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

    async def close(self) -> None:
        for proc in list(self.ctx.processes):
            from claw_tui.tools.bash import kill_process_group

            await kill_process_group(proc)
        if self.watcher is not None:
            await self.watcher.stop()
        for provider in (*self._closing, self.provider):
            await provider.aclose()
        await self.bus.drain()
