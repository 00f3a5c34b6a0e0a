"""The event bus: the one spine between the engine and everything that watches it.

Publishing is synchronous and O(subscribers): each subscriber owns a queue and a
task that drains it, so a slow subscriber (a UI busy drawing) never stalls the
engine. A subscriber that falls behind can ask for its pending text deltas to be
coalesced: it then receives fewer, larger deltas instead of a growing backlog.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from claw_tui.events import (
    ApprovalDecision,
    ApprovalRequested,
    ApprovalResolved,
    Event,
    Question,
    QuestionAnswered,
    QuestionAnswers,
    QuestionAsked,
    TextDelta,
    ThinkingDelta,
    ToolOutputDelta,
)

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None] | None]
EventFilter = Callable[[Event], bool]

_COALESCABLE = frozenset((TextDelta, ThinkingDelta, ToolOutputDelta))


def _mergeable(last: Event, new: Event) -> bool:
    """Whether ``new`` can be appended to ``last`` as one larger delta."""
    kind = type(new)
    if kind is not type(last) or kind not in _COALESCABLE or last.agent_id != new.agent_id:
        return False
    return kind is not ToolOutputDelta or last.call_id == new.call_id  # type: ignore[attr-defined]


class Subscription:
    """One subscriber's queue and the work that empties it.

    A plain (synchronous) handler is run from a ``loop.call_soon`` callback; a
    coroutine handler from a task of its own. Both run after ``publish`` has
    returned, in publish order. The callback path exists because it is several
    times cheaper per event than waking a task, and a 20,000-token answer is
    20,000 events (benchmarks/bench_engine.py measures it).
    """

    def __init__(
        self,
        bus: EventBus,
        handler: Handler,
        *,
        event_filter: EventFilter | None,
        coalesce: bool,
        name: str,
        approver: bool,
    ) -> None:
        self.bus = bus
        self.handler = handler
        self.filter = event_filter
        self.coalesce = coalesce
        self.name = name
        self.approver = approver
        self._pending: deque[Event] = deque()
        # Texts coalesced onto the last pending delta, joined once when it is delivered.
        self._tail_parts: list[str] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self._loop = asyncio.get_running_loop()
        self._is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
            getattr(handler, "__call__", None)
        )
        self._scheduled = False
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        if self._is_async:
            self._wake = asyncio.Event()
            self._task = self._loop.create_task(self._drain(), name=f"bus:{name}")

    def push(self, event: Event) -> None:
        if self._closed or (self.filter is not None and not self.filter(event)):
            return
        pending = self._pending
        if self.coalesce and pending and _mergeable(pending[-1], event):
            self._tail_parts.append(event.text)  # type: ignore[attr-defined]
            return
        if self._tail_parts:
            self._seal_tail()
        pending.append(event)
        if self._is_async:
            self._idle.clear()
            self._wake.set()  # type: ignore[union-attr]
        elif not self._scheduled:
            self._scheduled = True
            self._idle.clear()
            self._loop.call_soon(self._flush)

    def _seal_tail(self) -> None:
        last = self._pending[-1]
        text = last.text + "".join(self._tail_parts)  # type: ignore[attr-defined]
        self._tail_parts.clear()
        self._pending[-1] = dataclasses.replace(last, text=text)  # type: ignore[call-arg]

    def _pop(self) -> Event:
        if self._tail_parts and len(self._pending) == 1:
            self._seal_tail()
        return self._pending.popleft()

    def _flush(self) -> None:
        self._scheduled = False
        while self._pending and not self._closed:
            event = self._pop()
            try:
                result = self.handler(event)
                if inspect.isawaitable(result):
                    # A plain callable that returned an awaitable: run it, but on its own.
                    asyncio.ensure_future(result)
            except Exception:  # a broken subscriber must never break the engine
                log.exception("bus subscriber %s failed on %s", self.name, type(event).__name__)
        self._idle.set()

    async def _drain(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                event = self._pop()
                try:
                    await self.handler(event)  # type: ignore[misc]
                except asyncio.CancelledError:
                    raise
                except Exception:  # a broken subscriber must never break the engine
                    log.exception("bus subscriber %s failed on %s", self.name, type(event).__name__)
            if not self._pending:
                self._idle.set()
            if self._closed:
                return

    @property
    def backlog(self) -> int:
        return len(self._pending)

    async def wait_idle(self) -> None:
        await self._idle.wait()

    def close(self) -> None:
        self._closed = True
        self.bus._subs.discard(self)
        self._idle.set()
        if self._task is not None:
            self._task.cancel()


class EventBus:
    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._sync: list[tuple[Callable[[Event], None], EventFilter | None]] = []

    # -- subscribing -----------------------------------------------------------

    def subscribe(
        self,
        handler: Handler,
        *,
        event_filter: EventFilter | None = None,
        coalesce: bool = False,
        name: str | None = None,
        approver: bool = False,
    ) -> Subscription:
        """Deliver events to ``handler`` from its own task, in publish order.

        ``approver=True`` declares that this subscriber answers approval requests.
        """
        sub = Subscription(
            self,
            handler,
            event_filter=event_filter,
            coalesce=coalesce,
            name=name or getattr(handler, "__qualname__", "subscriber"),
            approver=approver,
        )
        self._subs.add(sub)
        return sub

    def subscribe_sync(self, handler: Callable[[Event], None], event_filter: EventFilter | None = None) -> None:
        """Call ``handler`` inline at publish time. For cheap bookkeeping only."""
        self._sync.append((handler, event_filter))

    async def stream(self, event_filter: EventFilter | None = None) -> AsyncIterator[Event]:
        """Iterate over events as they are published (tests, headless output)."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        sub = self.subscribe(queue.put_nowait, event_filter=event_filter, name="stream")
        try:
            while True:
                yield await queue.get()
        finally:
            sub.close()

    # -- publishing ------------------------------------------------------------

    def publish(self, event: Event) -> None:
        """Hand ``event`` to every subscriber. Never waits."""
        for handler, flt in self._sync:
            if flt is None or flt(event):
                try:
                    handler(event)
                except Exception:
                    log.exception("sync bus subscriber failed on %s", type(event).__name__)
        for sub in tuple(self._subs):
            sub.push(event)

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything published so far."""
        # Yield first so subscribers woken by the last publish get to start.
        await asyncio.sleep(0)
        for sub in tuple(self._subs):
            await sub.wait_idle()

    def close(self) -> None:
        for sub in tuple(self._subs):
            sub.close()

    # -- approvals -------------------------------------------------------------

    @property
    def has_approver(self) -> bool:
        return any(sub.approver for sub in self._subs)

    async def request_approval(
        self,
        *,
        agent_id: str,
        agent_name: str,
        call_id: str,
        tool: str,
        tool_input: dict[str, Any],
        description: str,
        preview: dict[str, Any] | None = None,
        reason: str = "",
    ) -> ApprovalDecision:
        """Publish an approval request and wait for whoever answers it."""
        if not self.has_approver:
            return ApprovalDecision(
                allow=False,
                message="This action needs a person's approval and no one is there to give it.",
                decided_by="nobody",
            )
        future: asyncio.Future[ApprovalDecision] = asyncio.get_running_loop().create_future()
        request_id = uuid.uuid4().hex[:12]
        self.publish(
            ApprovalRequested(
                agent_id=agent_id,
                request_id=request_id,
                call_id=call_id,
                tool=tool,
                input=tool_input,
                description=description,
                agent_name=agent_name,
                future=future,
                preview=preview,
                reason=reason,
            )
        )
        decision = await _answer(future)
        self.publish(
            ApprovalResolved(
                agent_id=agent_id,
                request_id=request_id,
                allow=decision.allow,
                scope=decision.scope,
                decided_by=decision.decided_by,
            )
        )
        return decision

    # -- questions -------------------------------------------------------------

    async def request_question(
        self,
        *,
        agent_id: str,
        agent_name: str,
        call_id: str,
        questions: tuple[Question, ...],
    ) -> QuestionAnswers:
        """Publish questions for the person and wait for whoever answers them.

        The subscribers that answer approvals (``approver=True``) answer questions too.
        """
        if not self.has_approver:
            return QuestionAnswers(
                {}, declined=True, message="No one is there to answer questions.", answered_by="nobody"
            )
        future: asyncio.Future[QuestionAnswers] = asyncio.get_running_loop().create_future()
        request_id = uuid.uuid4().hex[:12]
        self.publish(
            QuestionAsked(
                agent_id=agent_id,
                request_id=request_id,
                questions=questions,
                future=future,
                agent_name=agent_name,
                call_id=call_id,
            )
        )
        answers = await _answer(future)
        self.publish(
            QuestionAnswered(
                agent_id=agent_id, request_id=request_id, declined=answers.declined, answered_by=answers.answered_by
            )
        )
        return answers


async def _answer(future: asyncio.Future[Any]) -> Any:
    """Wait for whoever answers a request. If the asker stops waiting (interrupted, cancelled),
    the request is withdrawn: its future is cancelled, so the prompt showing it goes away."""
    try:
        return await future
    except asyncio.CancelledError:
        if not future.done():
            future.cancel()
        raise
