"""The approval prompt: exactly what will happen, who asks, and the keys to decide.

Requests queue here in arrival order (several agents may ask at once); the first
is shown in full and the rest are listed. A request whose agent stops waiting
(interrupted, cancelled) leaves the queue by itself. An edit with several hunks
can be approved hunk by hunk: the decision then carries the exact content that
results from the approved hunks, so what is written is what was approved.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from claw_tui.ui.lazy import ev
from claw_tui.ui.keymap import display_key

if TYPE_CHECKING:
    from claw_tui.ui.widgets.diff_view import DiffView


def key_line(panel: ApprovalPanel, with_hunks: bool, with_scopes: bool = True) -> Text:
    """The keys to decide, as this person has them mapped (settings keybindings)."""
    keymap = getattr(panel.app, "_keymap", {})
    by_id = {b.id: b for b in panel.BINDINGS if isinstance(b, Binding)}

    def key(binding_id: str) -> str:
        return display_key(keymap, by_id[binding_id])

    if not with_scopes:  # a plan is approved each time, never remembered
        return Text.assemble(
            (key("approval.allow_once"), "bold green"), " approve the plan   ",
            (key("approval.deny"), "bold red"), " keep planning   ",
            (key("approval.deny_and_stop"), "bold red"), " refuse and tell claw what to change",
        )
    line = Text.assemble(
        (key("approval.allow_once"), "bold green"), " allow once   ",
        (key("approval.allow_session"), "bold green"), " allow for this session   ",
        (key("approval.allow_always"), "bold green"), " always allow   ",
        (key("approval.deny"), "bold red"), " deny   ",
        (key("approval.deny_and_stop"), "bold red"), " deny and tell claw what to do",
    )
    if with_hunks:
        line += Text.assemble(
            (f"  {key('approval.previous_hunk')} {key('approval.next_hunk')}", "bold"), " move between hunks  ",
            (key("approval.toggle_hunk"), "bold"), " keep/drop hunk", style="dim")
    return line


class ApprovalPanel(Vertical, can_focus=True):
    BINDINGS = [
        Binding("y", "decide('once')", "Allow once", id="approval.allow_once"),
        Binding("s", "decide('session')", "Allow for session", id="approval.allow_session"),
        Binding("a", "decide('always')", "Always allow", id="approval.allow_always"),
        Binding("n", "deny", "Deny", id="approval.deny"),
        Binding("escape", "deny_and_stop", "Deny, tell claw instead", id="approval.deny_and_stop"),
        Binding("space", "hunk('toggle_cursor_hunk')", "Keep/drop hunk", show=False, id="approval.toggle_hunk"),
        Binding("right_square_bracket", "hunk('next_hunk')", "Next hunk", show=False, id="approval.next_hunk"),
        Binding("left_square_bracket", "hunk('previous_hunk')", "Previous hunk", show=False, id="approval.previous_hunk"),
    ]

    class Decided(Message):
        """A request was answered here (the app returns focus to the prompt)."""

        def __init__(self, request: ev.ApprovalRequested, decision: ev.ApprovalDecision) -> None:
            super().__init__()
            self.request = request
            self.decision = decision

    class QueueChanged(Message):
        def __init__(self, waiting: int) -> None:
            super().__init__()
            self.waiting = waiting

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queue: list[ev.ApprovalRequested] = []
        self._title = Static(classes="approval-title")
        self._body = VerticalScroll(classes="approval-body")
        self._waiting = Static(classes="approval-waiting")
        self._keys = Static(classes="approval-keys")
        self._diff: DiffView | None = None
        self._shown: ev.ApprovalRequested | None = None

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._body
        yield self._waiting
        yield self._keys

    def on_mount(self) -> None:
        self.display = False

    @property
    def current(self) -> ev.ApprovalRequested | None:
        return self.queue[0] if self.queue else None

    async def add(self, request: ev.ApprovalRequested) -> None:
        self.queue.append(request)
        # The agent may stop waiting (interrupt, cancel): then the request leaves the queue.
        request.future.add_done_callback(lambda _f, r=request: self.call_later(self._forget, r))
        await self._refresh()

    async def _forget(self, request: ev.ApprovalRequested) -> None:
        if request in self.queue:
            self.queue.remove(request)
            await self._refresh()

    async def _refresh(self) -> None:
        self.post_message(self.QueueChanged(len(self.queue)))
        req = self.current
        if req is None:
            self.display = False
            self._shown = None
            return
        self.display = True
        others = self.queue[1:]
        if others:
            listing = ", ".join(f"{r.tool} ({r.agent_name})" for r in others[:6])
            more = f" and {len(others) - 6} more" if len(others) > 6 else ""
            self._waiting.update(Text(f"Also waiting: {listing}{more}", style="yellow"))
        self._waiting.display = bool(others)
        if req is self._shown:
            return
        self._shown = req
        who = "the main agent" if req.agent_name == "main" else f"agent {req.agent_name}"
        title = Text.assemble(("⚠ Approval needed", "bold yellow"), f"  {req.tool}  · asked by ", (who, "bold"))
        if req.reason:
            title.append(f"  · why: {req.reason}", style="dim")
        self._title.update(title)
        await self._body.remove_children()
        self._diff = None
        widgets = self._describe(req)
        await self._body.mount_all(widgets)
        self._keys.update(key_line(self, self._diff is not None and len(self._diff.hunks) > 1,
                                   with_scopes=(req.preview or {}).get("kind") != "plan"))
        # Focus once the panel is laid out: keys go to the decision, not to the prompt. A key pressed
        # before that refresh may already have answered it: then the focus must stay where the app put it.
        self.call_after_refresh(self._focus_if_shown, req)

    def _focus_if_shown(self, req: ev.ApprovalRequested) -> None:
        if self.current is req and self.display:
            self.focus()

    def _describe(self, req: ev.ApprovalRequested) -> list[Any]:
        preview = req.preview or {}
        from rich.syntax import Syntax  # on first use: not needed for the first frame

        kind = preview.get("kind")
        out: list[Any] = []
        if kind == "command":
            out.append(Static(Syntax(preview.get("command", ""), "bash", word_wrap=True, theme="monokai"),
                              classes="approval-command"))
            if preview.get("cwd"):
                out.append(Static(Text(f"in {preview['cwd']}", style="dim")))
            if preview.get("note"):
                out.append(Static(Text(str(preview["note"]), style="yellow")))
        elif kind == "diff":
            from claw_tui.ui.widgets.diff_view import DiffView  # on first use: not needed for the first frame

            # A change whose hunks cannot stand alone (a notebook's JSON) is approved whole.
            self._diff = DiffView(preview.get("path", "?"), preview.get("before"), preview.get("after"),
                                  selectable=bool(preview.get("partial", True)), classes="approval-diff")
            out.append(Static(Text(preview.get("path", ""), style="bold")))
            out.append(self._diff)
        elif kind == "url":
            out.append(Static(Text.assemble("URL: ", (preview.get("url", ""), "bold underline"))))
        elif kind == "plan":
            from rich.markdown import Markdown as RichMarkdown

            out.append(Static(Text("The plan to approve (approving leaves plan mode and lets claw act):",
                                   style="bold")))
            out.append(Static(RichMarkdown(str(preview.get("plan", "")), code_theme="monokai"),
                              classes="approval-plan"))
        elif kind == "mcp_server":
            out.append(Static(Text.assemble(("Project MCP server ", "bold"), (str(preview.get("server", "?")), "bold"),
                                            f"  ({preview.get('transport', '?')}, from {preview.get('source', '?')})")))
            if preview.get("reason"):
                out.append(Static(Text(str(preview["reason"]), style="yellow")))
            definition = json.dumps(preview.get("definition", req.input), indent=2, ensure_ascii=False)
            out.append(Static(Syntax(definition, "json", word_wrap=True, theme="monokai")))
        elif kind == "mcp":
            out.append(Static(Text.assemble("MCP server ", (str(preview.get("server", "?")), "bold"), "  tool ",
                                            (str(preview.get("tool", "?")), "bold"))))
            args = json.dumps(preview.get("arguments", req.input), indent=2, ensure_ascii=False)
            out.append(Static(Syntax(args, "json", word_wrap=True, theme="monokai")))
        else:
            args = json.dumps(req.input, indent=2, ensure_ascii=False)
            out.append(Static(Syntax(args, "json", word_wrap=True, theme="monokai")))
        if req.description and kind not in ("command", "diff"):
            out.insert(0, Static(Text(req.description)))
        return out

    # -- deciding --------------------------------------------------------------

    def _resolve(self, decision: ev.ApprovalDecision) -> None:
        req = self.current
        if req is None:
            return
        self.queue.pop(0)
        if not req.future.done():
            req.future.set_result(decision)
        self.post_message(self.Decided(req, decision))
        self.call_later(self._refresh)

    def action_decide(self, scope: str) -> None:
        req = self.current
        if req is None:
            return
        diff = self._diff
        if diff is not None and len(diff.hunks) > 0 and len(diff.accepted_hunks) < len(diff.hunks):
            if not diff.accepted_hunks:
                self._resolve(ev.ApprovalDecision(allow=False, message="the user refused every hunk of this change"))
                return
            from claw_tui.diffing import apply_hunks, hunk_text

            preview = req.preview or {}
            content = apply_hunks(preview.get("before"), preview.get("after"), set(diff.accepted_hunks))
            refused = tuple(hunk_text(h) for h in diff.hunks if h.index not in diff.accepted_hunks)
            # A partial approval is for this change only: no rule is remembered from it.
            self._resolve(ev.ApprovalDecision(allow=True, scope="once", content=content, refused_hunks=refused))
            return
        if (req.preview or {}).get("kind") == "plan":
            # Approving one plan must not approve every later plan: never remembered as a rule.
            scope = "once"
        self._resolve(ev.ApprovalDecision(allow=True, scope=scope))  # type: ignore[arg-type]

    def action_hunk(self, action: str) -> None:
        if self._diff is not None:
            getattr(self._diff, f"action_{action}")()

    def action_deny(self) -> None:
        self._resolve(ev.ApprovalDecision(allow=False, message="the user denied it"))

    def action_deny_and_stop(self) -> None:
        self._resolve(ev.ApprovalDecision(allow=False, message="the user denied it and will say what to do instead",
                                       stop_turn=True))

    def deny_all(self, message: str) -> None:
        """Answer everything still waiting (the app is closing)."""
        while self.queue:
            req = self.queue.pop(0)
            if not req.future.done():
                req.future.set_result(ev.ApprovalDecision(allow=False, message=message))
