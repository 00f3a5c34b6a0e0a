"""The workspace: conversation, diffs, approvals, swarm and cost, on one bus.

The app is a bus subscriber like any other: it draws events and answers
approval requests; it talks to the engine only through the Session's commands
(run, interrupt, set mode, set model, cancel an agent).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static, TabbedContent, TabPane

from claw_tui import __version__
from claw_tui.config import RunConfig
from claw_tui.diffing import FileChange
from claw_tui.events import (
    AgentSpawned,
    AgentStateChanged,
    ApprovalRequested,
    Event,
    FileChanged,
    ModelChanged,
    PermissionModeChanged,
    SessionStarted,
    TurnFinished,
    UsageUpdated,
    UserPromptSubmitted,
)
from claw_tui.providers.base import Provider
from claw_tui.ui.widgets.approval import ApprovalPanel
from claw_tui.ui.widgets.conversation import CommandOutput, ConversationView, NoticeLine, ToolCallBlock
from claw_tui.ui.widgets.diff_pane import DiffPane
from claw_tui.ui.widgets.prompt import PromptInput
from claw_tui.ui.widgets.status import CostMeter, ModeIndicator
from claw_tui.ui.widgets.swarm import SwarmPane

STYLES = Path(__file__).resolve().parent.parent / "styles"
MODE_CYCLE = ("default", "acceptEdits", "plan")
MAX_AGENT_LOG = 5000  # events kept per sub-agent, to replay when its pane is opened


class AgentPane(Vertical):
    """A sub-agent's own conversation, side by side with others."""

    BINDINGS = [Binding("ctrl+w", "close", "Close pane")]

    def __init__(self, agent_id: str, name: str) -> None:
        super().__init__(classes="agent-pane", id=f"agent-pane-{_safe_id(agent_id)}")
        self.agent_id = agent_id
        self.border_title = f"{name}  (ctrl+w closes, x in the swarm cancels)"
        self.conversation = ConversationView(agent_id)

    def compose(self) -> ComposeResult:
        yield self.conversation

    async def action_close(self) -> None:
        await self.remove()


def _slash_provider():  # noqa: ANN202 - imported late: commands import the app's types
    from claw_tui.ui.commands import SlashCommandProvider

    return SlashCommandProvider


def _safe_id(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in value)


class ClawApp(App[int]):
    TITLE = "claw"
    COMMANDS = App.COMMANDS | {_slash_provider}
    CSS_PATH = sorted(str(p) for p in STYLES.glob("*.tcss"))
    BINDINGS = [
        Binding("escape", "interrupt", "Interrupt", show=False),
        Binding("shift+tab", "cycle_mode", "Cycle permission mode", priority=True),
        Binding("ctrl+b", "toggle_side", "Diffs/swarm pane"),
        Binding("ctrl+t", "next_side_tab", "Diffs ↔ swarm"),
        Binding("f2", "maximize_focused", "Zoom pane", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        config: RunConfig,
        *,
        first_prompt: str | None = None,
        provider: Provider | None = None,
        session_id: str | None = None,
    ) -> None:
        super().__init__()
        from claw_tui.engine.session import Session

        self.config = config
        self.session = Session(config, provider=provider, session_id=session_id)
        self.first_prompt = first_prompt
        self.turn = 0
        self.queued: list[str] = []
        self.agent_log: dict[str, list[Event]] = defaultdict(list)
        self.agent_costs: dict[str, float] = {}
        self.context = (0, None)
        self.started_modes = MODE_CYCLE + (("bypassPermissions",) if config.permission_mode == "bypassPermissions"
                                           else ())
        self.last_answer = ""
        self._notified_at = 0.0
        self._shut_down = False

    # -- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ConversationView("main", id="conversation")
                yield Horizontal(id="agent-panes")
            with TabbedContent(id="side", initial="diffs-tab"):
                with TabPane("Diffs", id="diffs-tab"):
                    yield DiffPane(id="diffs")
                with TabPane("Swarm", id="swarm-tab"):
                    yield SwarmPane(id="swarm")
        yield ApprovalPanel(id="approval")
        yield Static(id="queued")
        yield PromptInput(workspace=self.session.workspace, id="prompt")
        with Horizontal(id="statusbar"):
            yield ModeIndicator(id="mode")
            yield CostMeter(id="cost")

    @property
    def conversation(self) -> ConversationView:
        return self.query_one("#conversation", ConversationView)

    @property
    def diffs(self) -> DiffPane:
        return self.query_one("#diffs", DiffPane)

    @property
    def swarm(self) -> SwarmPane:
        return self.query_one("#swarm", SwarmPane)

    @property
    def approval(self) -> ApprovalPanel:
        return self.query_one("#approval", ApprovalPanel)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    async def on_mount(self) -> None:
        from claw_tui.ui.commands import CommandRegistry

        self.commands_registry = CommandRegistry(self)
        self.prompt.commands = self.commands_registry.completions()
        self.query_one("#agent-panes").display = False
        self.query_one("#queued", Static).display = False
        self._update_topbar()
        self.query_one("#mode", ModeIndicator).show(self.session.policy.mode)
        self._update_cost()
        # The UI answers approvals; a UI busy drawing gets text deltas coalesced.
        self.session.bus.subscribe(self._on_event, coalesce=True, approver=True, name="ui")
        await self.session.start()
        for warning in self.commands_registry.warnings:
            await self.conversation.add(NoticeLine(warning, "warning"))
        self.prompt.focus()
        if self.first_prompt:
            await self.submit(self.first_prompt)

    def _update_topbar(self) -> None:
        cwd = str(self.session.workspace)
        home = str(Path.home())
        if cwd.startswith(home):
            cwd = "~" + cwd[len(home):]
        t = Text.assemble(("claw", "bold"), f" {__version__}  ", (cwd, "cyan"), "  ",
                          (self.session.model, "magenta"), (f" ({self.session.provider_name})", "dim"))
        self.query_one("#topbar", Static).update(t)

    # -- events from the bus ---------------------------------------------------

    async def _on_event(self, event: Event) -> None:
        try:
            await self._dispatch(event)
        except Exception as exc:  # drawing one event must never stop the UI from drawing the next
            self.log.error(f"UI failed on {type(event).__name__}: {exc!r}")
            if not isinstance(exc, asyncio.CancelledError):
                try:
                    await self.conversation.add(NoticeLine(f"(display error on {type(event).__name__}: {exc})",
                                                           "error"))
                except Exception:
                    pass

    async def _dispatch(self, event: Event) -> None:
        kind = type(event)
        agent = event.agent_id
        if kind is ApprovalRequested:
            await self.approval.add(event)  # type: ignore[arg-type]
            self._alert(event)  # type: ignore[arg-type]
            if agent != "main":
                self.swarm.handle(AgentStateChanged(agent_id=agent, state="waiting_approval"))
            return
        if kind is FileChanged:
            e: FileChanged = event  # type: ignore[assignment]
            self.diffs.add_change(FileChange(path=e.path, before=e.before, after=e.after, by=e.by, turn=self.turn,
                                             agent_id=e.agent_id, call_id=e.call_id, tool=e.tool))
            return
        if kind is UserPromptSubmitted and agent == "main":
            self.turn += 1
        elif kind is UsageUpdated:
            e2: UsageUpdated = event  # type: ignore[assignment]
            self.agent_costs[agent] = e2.agent_cost_usd
            if agent == "main":
                self.context = (e2.context_tokens, e2.context_window)
            self._update_cost()
        elif kind is PermissionModeChanged:
            self.query_one("#mode", ModeIndicator).show(event.mode)  # type: ignore[attr-defined]
        elif kind in (ModelChanged, SessionStarted):
            self._update_topbar()
        if agent == "main":
            await self.conversation.handle(event)
            if kind is TurnFinished:
                self.last_answer = event.result or self.last_answer  # type: ignore[attr-defined]
                self._next_queued()
            return
        # A sub-agent's event: the swarm row, its log, and any open pane of it.
        if kind is AgentSpawned or agent in self.swarm.rows:
            self.swarm.handle(event)
        if kind is not UsageUpdated:
            log = self.agent_log[agent]
            if len(log) < MAX_AGENT_LOG:
                log.append(event)
        for pane in self.query(AgentPane):
            if pane.agent_id == agent:
                await pane.conversation.handle(event)

    def _alert(self, request: ApprovalRequested) -> None:
        """A terminal bell and a desktop notification (OSC 9 and OSC 777) when an approval waits."""
        self.bell()
        now = time.monotonic()
        if now - self._notified_at < 2:  # one notification for a burst of requests
            return
        self._notified_at = now
        body = f"{request.agent_name} asks to run {request.tool}"
        driver = getattr(self, "_driver", None)
        if driver is None or self.is_headless:
            return
        clean = body.replace("\x1b", "").replace("\x07", "").replace(";", ",")
        try:
            driver.write(f"\x1b]9;claw: {clean}\x07\x1b]777;notify;claw;{clean}\x07")
        except Exception:
            pass

    def _update_cost(self) -> None:
        ledger = self.session.ledger
        u = ledger.total_usage
        from claw_tui.providers import catalogue

        priced = all(catalogue.lookup(m) is not None for m in ledger.by_model) if ledger.by_model else (
            catalogue.lookup(self.session.model) is not None)
        tokens, window = self.context
        if window is None:
            info = catalogue.lookup(self.session.model)
            window = info.context_window if info else None
        self.query_one("#cost", CostMeter).show(
            tokens_in=u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
            tokens_out=u.output_tokens,
            cache_read=u.cache_read_input_tokens,
            cache_write=u.cache_creation_input_tokens,
            session_cost=ledger.total_cost,
            agent_costs=self.agent_costs,
            context_tokens=tokens,
            context_window=window,
            budget=self.config.max_budget_usd,
            priced=priced,
        )

    # -- the prompt ------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _prompt_submitted(self, message: PromptInput.Submitted) -> None:
        await self.submit(message.text)

    async def submit(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if text.startswith("/") and not text.startswith("//"):
            await self.commands_registry.run(text)
            return
        await self.send_to_agent(text)

    async def send_to_agent(self, text: str) -> None:
        if self.session.agent.busy or self.queued:
            self.queued.append(text)
            self._show_queue()
            return
        self._run_turn(text)

    @work(group="turn", exit_on_error=False)
    async def _run_turn(self, text: str) -> None:
        try:
            await self.session.run(text)
        except Exception as exc:  # the engine reports its own errors as events; this is the last resort
            await self.conversation.add(NoticeLine(f"Error: {type(exc).__name__}: {exc}", "error"))
            self._next_queued()

    def _next_queued(self) -> None:
        if self.queued and not self.session.agent.busy:
            text = self.queued.pop(0)
            self._show_queue()
            self._run_turn(text)
        else:
            self._show_queue()

    def _show_queue(self) -> None:
        queued = self.query_one("#queued", Static)
        queued.display = bool(self.queued)
        if self.queued:
            lines = [Text.assemble(("⏳ queued: ", "yellow"), q.splitlines()[0][:100]) for q in self.queued]
            queued.update(Text("\n").join(lines))

    # -- actions ---------------------------------------------------------------

    def action_interrupt(self) -> None:
        if self.session.agent.busy:
            self.session.interrupt()
            # Prompts queued behind the interrupted turn stay queued: the person decides.

    def action_cycle_mode(self) -> None:
        modes = self.started_modes
        current = self.session.policy.mode
        nxt = modes[(modes.index(current) + 1) % len(modes)] if current in modes else modes[0]
        self.session.set_permission_mode(nxt)

    def action_toggle_side(self) -> None:
        side = self.query_one("#side")
        side.display = not side.display

    def action_next_side_tab(self) -> None:
        tabs = self.query_one("#side", TabbedContent)
        tabs.active = "swarm-tab" if tabs.active == "diffs-tab" else "diffs-tab"

    def action_maximize_focused(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused)

    def show_side(self, tab: str) -> None:
        side = self.query_one("#side", TabbedContent)
        side.display = True
        side.active = tab

    @on(ToolCallBlock.JumpToDiff)
    def _jump_to_diff(self, message: ToolCallBlock.JumpToDiff) -> None:
        self.show_side("diffs-tab")
        if self.diffs.show_call(message.call_id):
            self.diffs.focus()

    @on(DiffPane.JumpToCall)
    def _jump_to_call(self, message: DiffPane.JumpToCall) -> None:
        if not self.conversation.scroll_to_call(message.call_id):
            for pane in self.query(AgentPane):
                if pane.conversation.scroll_to_call(message.call_id):
                    return
            self.notify("That tool call is no longer on screen.", severity="warning")

    @on(ApprovalPanel.Decided)
    def _approval_decided(self, message: ApprovalPanel.Decided) -> None:
        req = message.request
        if req.agent_id != "main" and req.agent_id in self.swarm.rows:
            self.swarm.handle(AgentStateChanged(agent_id=req.agent_id, state="running"))
        if not self.approval.queue:
            self.prompt.focus()

    @on(SwarmPane.OpenAgent)
    async def _open_agent(self, message: SwarmPane.OpenAgent) -> None:
        await self.open_agent_pane(message.agent_id, message.name)

    async def open_agent_pane(self, agent_id: str, name: str) -> AgentPane:
        for pane in self.query(AgentPane):
            if pane.agent_id == agent_id:
                pane.conversation.focus()
                return pane
        panes = self.query_one("#agent-panes")
        panes.display = True
        pane = AgentPane(agent_id, name)
        await panes.mount(pane)
        for event in list(self.agent_log.get(agent_id, ())):
            await pane.conversation.handle(event)
        return pane

    def on_descendant_blur(self) -> None:
        panes = self.query_one("#agent-panes")
        if panes.display and not list(self.query(AgentPane)):
            panes.display = False

    @on(SwarmPane.CancelAgent)
    def _cancel_agent(self, message: SwarmPane.CancelAgent) -> None:
        if not self.session.cancel_agent(message.agent_id):
            self.notify(f"{message.agent_id} is not running.", severity="warning")

    async def show_output(self, body: Any, title: str = "") -> None:
        await self.conversation.add(CommandOutput(body, title))
        self.conversation.scroll_end(animate=False)

    async def action_quit(self) -> None:
        await self.shutdown()
        self.exit(0)

    async def on_unmount(self) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        for panel in self.query(ApprovalPanel):
            panel.deny_all("claw is closing")
        self.session.interrupt()
        for agent_id in list(self.session.sub_agents):
            self.session.cancel_agent(agent_id)
        try:
            await asyncio.wait_for(self.session.close(), timeout=5)
        except (asyncio.TimeoutError, Exception):
            pass
