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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from claw_tui import __version__
from claw_tui.ui.lazy import ev
from claw_tui.ui.widgets.approval import ApprovalPanel
from claw_tui.ui.widgets.conversation import CommandOutput, ConversationView, NoticeLine, ToolCallBlock
from claw_tui.ui.widgets.prompt import PromptInput
from claw_tui.ui.widgets.question import QuestionPrompt
from claw_tui.ui.widgets.status import CostMeter, ModeIndicator
from claw_tui.ui.widgets.todos import TodoList

if TYPE_CHECKING:
    from claw_tui.config import RunConfig
    from claw_tui.providers.base import Provider
    from claw_tui.ui.widgets.diff_pane import DiffPane
    from claw_tui.ui.widgets.side import SideTabs
    from claw_tui.ui.widgets.swarm import SwarmPane


@dataclass(frozen=True)
class StartView:
    """What the first frame shows before the configuration is validated and the engine loaded."""

    cwd: Path
    model: str
    permission_mode: str


def _styles_dir() -> Path:
    """styles/*.tcss: inside the package in a wheel, at the top of a source checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "styles"
    return installed if installed.is_dir() else package.parent / "styles"


STYLES = _styles_dir()
MODE_CYCLE = ("default", "acceptEdits", "plan")
MAX_AGENT_LOG = 5000  # events kept per sub-agent, to replay when its pane is opened


class AgentPane(Vertical):
    """A sub-agent's own conversation, side by side with others."""

    BINDINGS = [Binding("ctrl+w", "close", "Close pane", id="agent_pane.close")]

    def __init__(self, agent_id: str, name: str) -> None:
        super().__init__(classes="agent-pane", id=f"agent-pane-{_safe_id(agent_id)}")
        self.agent_id = agent_id
        self.border_title = f"{name}  (ctrl+w closes, x in the swarm cancels)"
        self.conversation = ConversationView(agent_id)
        self.replaying = False
        self.pending: list[ev.Event] = []

    def compose(self) -> ComposeResult:
        yield self.conversation

    async def action_close(self) -> None:
        await self.remove()


def _slash_provider():  # noqa: ANN202 - imported late: commands import the app's types
    from claw_tui.ui.commands import SlashCommandProvider

    return SlashCommandProvider


def _safe_id(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in value)


THEME_ALIASES = {"dark": "textual-dark", "light": "textual-light"}


def remappable_classes() -> list[type]:
    """Every class whose bindings settings may remap (see claw_tui.ui.keymap)."""
    from claw_tui.ui.widgets.diff_pane import DiffPane
    from claw_tui.ui.widgets.swarm import SwarmPane

    return [ClawApp, AgentPane, ApprovalPanel, DiffPane, SwarmPane, ToolCallBlock]


class ClawApp(App[int]):
    TITLE = "claw"
    COMMANDS = App.COMMANDS | {_slash_provider}
    CSS_PATH = sorted(str(p) for p in STYLES.glob("*.tcss"))
    BINDINGS = [
        Binding("escape", "interrupt", "Interrupt", show=False, id="claw.interrupt"),
        Binding("shift+tab", "cycle_mode", "Mode", priority=True, id="claw.cycle_mode"),
        Binding("ctrl+b", "toggle_side", "Side pane", id="claw.toggle_side"),
        Binding("ctrl+t", "next_side_tab", "Next tab", id="claw.next_side_tab"),
        Binding("f2", "maximize_focused", "Zoom", id="claw.zoom"),
        Binding("f12", "toggle_mouse", "Mouse", priority=True, id="claw.toggle_mouse"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="claw.quit"),
    ]

    def __init__(
        self,
        config: RunConfig | None,
        *,
        start: StartView | None = None,
        make_config: Callable[[], RunConfig] | None = None,
        first_prompt: str | None = None,
        provider: Provider | None = None,
        session_id: str | None = None,
        pick_session: bool = False,
        trusted: bool | None = None,
        defer_engine: bool = False,
        tune_gc: bool = False,
    ) -> None:
        super().__init__()
        # The claw command tunes the garbage collector (gc_policy.py); tests, which run many
        # apps in one process, leave it alone.
        self.tune_gc = tune_gc
        self._gc_settled_after_turn = False
        # claw itself passes no config but how to make one: RunConfig (pydantic) is built with
        # the engine, after the first frame; ``start`` is what that frame shows meanwhile.
        self.config: Any = config
        self._make_config = make_config
        if start is None:
            assert config is not None, "ClawApp needs a config, or a start view and make_config"
            start = StartView(cwd=config.cwd, model=config.model, permission_mode=config.permission_mode)
        self.start = start
        # claw --resume without an id: the session picker opens first.
        self.pick_session = pick_session
        self.first_prompt = first_prompt
        self.turn = 0
        self.queued: list[str] = []
        self.agent_log: dict[str, list[ev.Event]] = defaultdict(list)
        self.agent_costs: dict[str, float] = {}
        self.context = (0, None)
        self.last_answer = ""
        self.last_copied: str | None = None
        self.mouse_released = False
        self._notified_at = 0.0
        self._shut_down = False
        self.startup_problems: list[str] = []
        self.startup_error: str | None = None
        # Text typed and sent before the engine finished loading (defer_engine): sent once it has.
        self._early_input: list[str] = []
        self._session_args = {"provider": provider, "session_id": session_id, "trusted": trusted}
        self.session: Any = None
        if defer_engine:
            # claw itself: the first frame comes before the engine (tools, permissions,
            # providers: ~0.5 s of imports) is loaded in a thread; only the look is read now.
            from claw_tui.ui.look import read_look

            self._apply_look(read_look(start.cwd), report=False)
        else:
            self._build_session()

    def _build_session(self) -> None:
        from claw_tui.engine.memory import MemoryConsolidator
        from claw_tui.engine.session import Session
        from claw_tui.ui.sessions import DreamScheduler

        # trusted None: --trust, else the trust store; an untrusted folder with settings of its
        # own gets the trust dialog before the session starts (ui/trust.py).
        self.session = Session(self.config, **self._session_args)
        # Memory consolidation when the app has been idle a while (ui/sessions.py).
        self.dreamer = MemoryConsolidator(self.session)
        self.idle = DreamScheduler(self)
        # Shift+Tab cycles default → acceptEdits → plan, plus the mode claw started in when it is
        # another one (bypassPermissions, allowlist, denylist: only ever chosen explicitly).
        start_mode = self.session.policy.mode
        self.started_modes = MODE_CYCLE + ((start_mode,) if start_mode not in MODE_CYCLE else ())
        self._apply_look(self.session.settings)

    @property
    def ready(self) -> bool:
        """Whether the engine is loaded (always, unless the app was built with defer_engine)."""
        return self.session is not None

    def _apply_look(self, settings: Any, report: bool = True) -> None:
        """Theme and keymap from settings; a bad entry is reported and the rest applies."""
        from claw_tui.ui.keymap import binding_ids, check_keymap

        problems: list[str] = []
        theme = settings.theme
        if theme:
            name = THEME_ALIASES.get(theme, theme)
            if name in self.available_themes:
                self.theme = name
            else:
                problems.append(
                    f"theme {theme!r} is not a theme; use dark, light or a theme name from Ctrl+P → Change theme "
                    f"(e.g. {', '.join(sorted(self.available_themes)[:4])})")
        keymap, errors = {}, []
        if settings.keybindings:  # (the known ids need the side pane's classes: loaded only then)
            keymap, errors = check_keymap(settings.keybindings, binding_ids(remappable_classes()))
        problems.extend(errors)
        if report:
            self.startup_problems.extend(problems)
        if keymap:
            self.set_keymap(keymap)

    # -- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ConversationView("main", id="conversation")
                yield Horizontal(id="agent-panes")
            # The side pane's tabs are mounted into it just after the first frame (_mount_side):
            # they are half the cost of that frame, and the prompt need not wait for them.
            yield Vertical(id="side")
        yield TodoList(id="todos")
        yield Vertical(id="questions")
        yield ApprovalPanel(id="approval")
        yield Static(id="queued")
        yield PromptInput(workspace=self.start.cwd, id="prompt")
        with Horizontal(id="statusbar"):
            yield ModeIndicator(id="mode")
            yield Static(id="mouse-state")
            yield CostMeter(id="cost")
        yield Footer(id="footer")

    @property
    def conversation(self) -> ConversationView:
        return self.query_one("#conversation", ConversationView)

    # The side pane's widgets, by id: their classes load with the side pane, after the first frame.
    @property
    def diffs(self) -> DiffPane:
        return self.query_one("#diffs")  # type: ignore[return-value]

    @property
    def swarm(self) -> SwarmPane:
        return self.query_one("#swarm")  # type: ignore[return-value]

    @property
    def approval(self) -> ApprovalPanel:
        return self.query_one("#approval", ApprovalPanel)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    async def on_mount(self) -> None:
        self.query_one("#agent-panes").display = False
        self.query_one("#queued", Static).display = False
        self.query_one("#mouse-state", Static).display = False
        self.query_one("#questions").display = False
        if self.session is None:
            # The first frame: the prompt takes typing while the engine loads.
            self._update_topbar()
            self.query_one("#mode", ModeIndicator).show(self.start.permission_mode)
            self.prompt.focus()
            self.call_after_refresh(self._after_first_frame)
            return
        await self._mount_side()
        await self._session_built()

    async def _after_first_frame(self) -> None:
        await self._mount_side()
        # Only now: the import thread holds the interpreter lock for long stretches and would
        # hold the first paint (and the side pane's) back with it.
        self._load_engine()

    async def _mount_side(self) -> None:
        """The side pane's tabs: diffs, swarm, background shells. Mounted before the engine can
        publish anything they show."""
        from claw_tui.ui.widgets.side import SideTabs

        await self.query_one("#side").mount(SideTabs())

    def _side_tabs(self) -> SideTabs | None:
        """The side pane's tabs, or None in the moment before they are mounted."""
        return next(iter(self.query("#side-tabs")), None)  # type: ignore[return-value]

    @work(thread=True, exit_on_error=False, group="engine")
    def _load_engine(self) -> None:
        """Import the engine off the event loop, then build the session on it."""
        try:
            if self.config is None and self._make_config is not None:
                self.config = self._make_config()
            import claw_tui.engine.memory  # noqa: F401
            import claw_tui.engine.session  # noqa: F401
            import claw_tui.ui.commands  # noqa: F401
            import claw_tui.ui.sessions  # noqa: F401
        except SystemExit as exc:  # invalid options: the message claw prints without a UI
            self.call_from_thread(self._engine_failed, str(exc.code).removeprefix("claw: "))
            return
        except Exception as exc:  # an install problem: shown, and claw exits
            self.call_from_thread(self._engine_failed, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._engine_loaded)

    @work(thread=True, exit_on_error=False, group="preload")
    def _preload_answer_modules(self) -> None:
        """What the first streamed answer needs, imported before it comes: Textual's
        MarkdownStream (in its Markdown module), Rich's Markdown and markdown-it. Imported by
        that answer's first delta they held the loop for 60-70 ms, and keys typed then with it."""
        import markdown_it  # noqa: F401
        import rich.markdown  # noqa: F401
        import textual.widgets._markdown  # noqa: F401

    async def _engine_loaded(self) -> None:
        try:
            self._build_session()
        except ValueError as exc:  # a bad rule, mode or provider setting: as claw says it without a UI
            self._engine_failed(str(exc))
            return
        await self._session_built()

    def _engine_failed(self, message: str) -> None:
        self.startup_error = message
        self.exit(2)

    async def _session_built(self) -> None:
        from claw_tui.ui.commands import CommandRegistry

        self.commands_registry = CommandRegistry(self)
        self.prompt.commands = self.commands_registry.completions()
        self._update_topbar()
        self.query_one("#mode", ModeIndicator).show(self.session.policy.mode)
        self._update_cost()
        # The UI answers approvals; a UI busy drawing gets text deltas coalesced.
        self.session.bus.subscribe(self._on_event, coalesce=True, approver=True, name="ui")
        self._preload_answer_modules()
        if self.tune_gc:
            from claw_tui.ui import gc_policy

            gc_policy.tune()
            gc_policy.settle()  # the engine and the first frame: loaded, and here for good
        if self.session.persistence.resumed:
            # Drawn before the first frame (claw -c, --resume): the person sees their conversation at once.
            from claw_tui.ui.sessions import show_restored

            await show_restored(self)
        if self.session.needs_trust_prompt:
            # Nothing of the folder's own runs before the person has answered: the session (its
            # hooks, MCP servers) starts once the dialog is dismissed.
            from claw_tui.ui.trust import TrustScreen

            self.push_screen(TrustScreen(str(self.session.workspace), self.session.held_back), self._trust_answered)
            return
        await self._start_session()

    def _trust_answered(self, choice: str | None) -> None:
        if choice in ("trust", "session"):
            try:
                self.session.set_trusted(True, remember=choice == "trust")
            except OSError as exc:  # the trust store could not be written: trusted for now, say so
                self.session.set_trusted(True)
                self.notify(f"Could not remember the trust ({exc}); trusted for this session only.",
                            severity="warning")
            self.query_one("#mode", ModeIndicator).show(self.session.policy.mode)
        else:
            note = self.session.trust_notice()
            if note:
                self.startup_problems.append(note[0].upper() + note[1:])
        self.call_later(self._start_session)

    async def _start_session(self) -> None:
        await self.session.start()
        self.set_interval(self.idle.CHECK_EVERY_S, self.idle.tick)
        if self.pick_session:
            from claw_tui.ui.sessions import open_session_picker

            await open_session_picker(self)
        for warning in self.commands_registry.warnings:
            await self.conversation.add(NoticeLine(warning, "warning"))
        for problem in self.startup_problems:
            await self.conversation.add(NoticeLine(f"Settings: {problem}", "error"))
        if not self.approval.queue and not isinstance(self.focused, QuestionPrompt):
            self.prompt.focus()
        if self.first_prompt:
            await self.submit(self.first_prompt)
        early, self._early_input = self._early_input, []
        if early:
            self.queued.clear()  # they were only shown there while the engine loaded
            self._show_queue()
        for text in early:
            await self.submit(text)

    def _update_topbar(self) -> None:
        cwd = str(self.start.cwd)
        home = str(Path.home())
        if cwd.startswith(home):
            cwd = "~" + cwd[len(home):]
        if self.session is None:
            model, provider = self.start.model or "…", "starting…"
        else:
            model, provider = self.session.model, self.session.provider_name
        t = Text.assemble(("claw", "bold"), f" {__version__}  ", (cwd, "cyan"), "  ",
                          (model, "magenta"), (f" ({provider})", "dim"))
        self.query_one("#topbar", Static).update(t)

    # -- events from the bus ---------------------------------------------------

    async def _on_event(self, event: ev.Event) -> None:
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

    async def _dispatch(self, event: ev.Event) -> None:
        from claw_tui.ui.sessions import SESSION_EVENTS, handle_event

        kind = type(event)
        agent = event.agent_id
        if agent == "main":
            self.idle.touch()
        if kind in SESSION_EVENTS:
            await handle_event(self, event)
            if kind is ev.ConversationCompacted:
                self._next_queued()  # prompts sent while it compacted
            return
        if kind is ev.ApprovalRequested:
            await self.approval.add(event)  # type: ignore[arg-type]
            self._alert(event)  # type: ignore[arg-type]
            if agent != "main":
                self.swarm.handle(ev.AgentStateChanged(agent_id=agent, state="waiting_approval"))
            return
        if kind is ev.QuestionAsked:
            await self._ask(event)  # type: ignore[arg-type]
            return
        if kind is ev.TodosUpdated:
            if agent == "main":
                self.query_one("#todos", TodoList).update_todos(event.todos)  # type: ignore[attr-defined]
            return
        if kind in (ev.BackgroundShellStarted, ev.BackgroundShellFinished):
            self.query_one("#shells").handle(event)  # type: ignore[attr-defined]
            self._update_shells_tab()
            return
        if kind is ev.FileChanged:
            from claw_tui.diffing import FileChange

            e: ev.FileChanged = event  # type: ignore[assignment]
            self.diffs.add_change(FileChange(path=e.path, before=e.before, after=e.after, by=e.by, turn=self.turn,
                                             agent_id=e.agent_id, call_id=e.call_id, tool=e.tool))
            return
        if kind is ev.UserPromptSubmitted and agent == "main":
            self.turn += 1
        elif kind is ev.UsageUpdated:
            e2: ev.UsageUpdated = event  # type: ignore[assignment]
            self.agent_costs[agent] = e2.agent_cost_usd
            if agent == "main":
                self.context = (e2.context_tokens, e2.context_window)
            self._update_cost()
        elif kind is ev.PermissionModeChanged:
            self.query_one("#mode", ModeIndicator).show(event.mode)  # type: ignore[attr-defined]
        elif kind in (ev.ModelChanged, ev.SessionStarted):
            self._update_topbar()
        if agent == "main":
            await self.conversation.handle(event)
            if kind is ev.TurnFinished:
                self.last_answer = event.result or self.last_answer  # type: ignore[attr-defined]
                if self.tune_gc and not self._gc_settled_after_turn and not self.queued:
                    # The first request imported the provider's SDK: it stays too. While the
                    # person reads the answer, not while they type.
                    from claw_tui.ui import gc_policy

                    self._gc_settled_after_turn = True
                    gc_policy.settle()
                self._next_queued()
            return
        # A sub-agent's event: the swarm row, its log, and any open pane of it.
        if kind is ev.AgentSpawned or agent in self.swarm.rows:
            self.swarm.handle(event)
        if kind is not ev.UsageUpdated:
            log = self.agent_log[agent]
            if len(log) < MAX_AGENT_LOG:
                log.append(event)
        for pane in self.query(AgentPane):
            if pane.agent_id == agent:
                if pane.replaying:  # its history is still being drawn: this comes after it
                    pane.pending.append(event)
                else:
                    await pane.conversation.handle(event)

    async def _ask(self, request: ev.QuestionAsked) -> None:
        """An agent's questions, above the prompt; several wait their turn in order."""
        holder = self.query_one("#questions", Vertical)
        prompt = QuestionPrompt(request)
        await holder.mount(prompt)
        holder.display = True
        self._alert_text(f"{request.agent_name} asks you a question")
        if len(holder.children) == 1:
            prompt.focus()

    @on(QuestionPrompt.Resolved)
    @on(QuestionPrompt.Withdrawn)
    async def _question_done(self, message: QuestionPrompt.Resolved | QuestionPrompt.Withdrawn) -> None:
        holder = self.query_one("#questions", Vertical)
        for widget in list(holder.children):
            if isinstance(widget, QuestionPrompt) and widget.request is message.request:
                await widget.remove()
        remaining = [w for w in holder.children if isinstance(w, QuestionPrompt)]
        holder.display = bool(remaining)
        if remaining:
            remaining[0].focus()
        elif not self.approval.queue:
            self.prompt.focus()

    def _update_shells_tab(self) -> None:
        self._side_tabs().show_shell_count(self.query_one("#shells").running)  # type: ignore[union-attr,attr-defined]

    def _alert(self, request: ev.ApprovalRequested) -> None:
        """A terminal bell and a desktop notification (OSC 9 and OSC 777) when an approval waits."""
        self._alert_text(f"{request.agent_name} asks to run {request.tool}")

    def _alert_text(self, body: str) -> None:
        self.bell()
        now = time.monotonic()
        if now - self._notified_at < 2:  # one notification for a burst of requests
            return
        self._notified_at = now
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

    @on(PromptInput.RewindRequested)
    async def _rewind_requested(self) -> None:
        if self.ready and not self.session.agent.busy:
            from claw_tui.ui.sessions import open_rewind

            await open_rewind(self)

    async def submit(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if self.session is None or not self.session.started:
            # Typed before the engine finished loading: sent, in order, once it has.
            self._early_input.append(text)
            self.queued.append(text)
            self._show_queue()
            return
        self.idle.touch()
        if text.startswith("/") and not text.startswith("//"):
            await self.commands_registry.run(text)
            return
        if text.startswith("#"):
            from claw_tui.ui.sessions import add_memory_note

            await add_memory_note(self, text)
            return
        await self.send_to_agent(text)

    async def send_to_agent(self, text: str) -> None:
        if self.session.agent.busy or self.queued or self.session.compactor.running:
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
        if self.ready and self.session.agent.busy:
            self.session.interrupt()
            # Prompts queued behind the interrupted turn stay queued: the person decides.

    def action_cycle_mode(self) -> None:
        if not self.ready:
            return
        modes = self.started_modes
        current = self.session.policy.mode
        nxt = modes[(modes.index(current) + 1) % len(modes)] if current in modes else modes[0]
        self.session.set_permission_mode(nxt)

    def action_toggle_mouse(self) -> None:
        """Release the mouse so the terminal's own selection works; press again to take it back."""
        driver = getattr(self, "_driver", None)
        self.mouse_released = not self.mouse_released
        if driver is not None and not self.is_headless:
            try:
                if self.mouse_released:
                    driver._disable_mouse_support()
                else:
                    driver._enable_mouse_support()
            except Exception as exc:  # a driver without mouse support: say so, change nothing
                self.mouse_released = False
                self.notify(f"Could not change mouse capture: {exc}", severity="warning")
                return
        state = self.query_one("#mouse-state", Static)
        state.display = self.mouse_released
        if self.mouse_released:
            from claw_tui.ui.keymap import display_key

            key = display_key(self._keymap, next(b for b in self.BINDINGS if isinstance(b, Binding)
                                                 and b.id == "claw.toggle_mouse"))
            state.update(Text(f" mouse released: select with the terminal · {key} takes it back ",
                              style="bold black on yellow"))

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 (works over ssh) and the native clipboard program too, where there is one."""
        super().copy_to_clipboard(text)
        self.last_copied = text
        lines = text.count("\n") + 1
        self.notify(f"Copied {len(text):,} characters ({lines} line{'s' if lines != 1 else ''}).", timeout=2)
        if not self.is_headless:
            self._copy_native(text)

    @work(thread=True, group="clipboard", exit_on_error=False)
    def _copy_native(self, text: str) -> None:
        from claw_tui.clipboard import copy_native

        copy_native(text)

    def action_toggle_side(self) -> None:
        side = self.query_one("#side")
        side.display = not side.display

    def action_next_side_tab(self) -> None:
        tabs = self._side_tabs()
        if tabs is not None:
            tabs.next_tab()

    def action_maximize_focused(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused)

    def show_side(self, tab: str) -> None:
        self.query_one("#side").display = True
        self.query_one("#side-tabs").active = tab  # type: ignore[attr-defined]

    @on(ToolCallBlock.JumpToDiff)
    def _jump_to_diff(self, message: ToolCallBlock.JumpToDiff) -> None:
        if self.diffs.show_call(message.call_id):
            self.show_side("diffs-tab")
            self.diffs.focus()
            return
        display = message.display or {}
        if display.get("kind") == "diff":
            # A diff the tool showed without changing a file (GitDiff, GitShow): in a view of its own.
            from claw_tui.ui.widgets.diff_view import DiffScreen

            self.push_screen(DiffScreen(str(display.get("path", "")), display.get("before"), display.get("after")))

    def on_diff_pane_jump_to_call(self, message: DiffPane.JumpToCall) -> None:
        if not self.conversation.scroll_to_call(message.call_id):
            for pane in self.query(AgentPane):
                if pane.conversation.scroll_to_call(message.call_id):
                    return
            self.notify("That tool call is no longer on screen.", severity="warning")

    @on(ApprovalPanel.Decided)
    def _approval_decided(self, message: ApprovalPanel.Decided) -> None:
        req = message.request
        if req.agent_id != "main" and req.agent_id in self.swarm.rows:
            self.swarm.handle(ev.AgentStateChanged(agent_id=req.agent_id, state="running"))
        if not self.approval.queue:
            self.prompt.focus()

    async def on_swarm_pane_open_agent(self, message: SwarmPane.OpenAgent) -> None:
        await self.open_agent_pane(message.agent_id, message.name)

    async def open_agent_pane(self, agent_id: str, name: str) -> AgentPane:
        for pane in self.query(AgentPane):
            if pane.agent_id == agent_id:
                pane.conversation.focus()
                return pane
        panes = self.query_one("#agent-panes")
        panes.display = True
        pane = AgentPane(agent_id, name)
        history = list(self.agent_log.get(agent_id, ()))
        pane.replaying = True
        await panes.mount(pane)
        # Events that arrive while the history is drawn wait, so the pane keeps their order.
        for event in history:
            await pane.conversation.handle(event)
        while pane.pending:
            await pane.conversation.handle(pane.pending.pop(0))
        pane.replaying = False
        return pane

    def on_descendant_blur(self) -> None:
        # Blurs come from dialogs' widgets too, while their screen (without the panes) is shown.
        panes = next(iter(self.query("#agent-panes")), None)
        if panes is not None and panes.display and not list(self.query(AgentPane)):
            panes.display = False

    def on_swarm_pane_cancel_agent(self, message: SwarmPane.CancelAgent) -> None:
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
        if self.session is None:  # closed before the engine had loaded: nothing started
            return
        self.session.interrupt()
        for agent_id in list(self.session.sub_agents):
            self.session.cancel_agent(agent_id)
        try:
            await asyncio.wait_for(self.session.close(reason="prompt_input_exit"), timeout=5)
        except (asyncio.TimeoutError, Exception):
            pass
