"""The session's model, offered to tools that ask it something themselves.

WebFetch hands a fetched page and a question to a small, fast model; WebSearch
sends a one-shot request with the provider's server-side search tool. Both go
through the provider the session uses, so they need no key of their own, and
their usage is counted in the session's cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from claw_tui.providers import catalogue
from claw_tui.providers.base import Message, ModelRequest, ModelResponse, ProviderError, Usage

if TYPE_CHECKING:
    from claw_tui.engine.session import Session

# The small, fast model of each provider family, by catalogue alias. A provider
# that is not here ("compatible": a local server whose models the catalogue does
# not know) answers with the session's own model.
SMALL_MODEL_ALIASES = {"anthropic": "haiku", "openai": "luna"}


def small_model_for(provider_name: str, model: str) -> str:
    """The provider's small model, or ``model`` itself when there is none or it is no cheaper."""
    alias = SMALL_MODEL_ALIASES.get(provider_name)
    small = catalogue.lookup(alias) if alias else None
    if small is None or small.provider != provider_name:
        return model
    current = catalogue.lookup(model)
    if current is not None and current.output <= small.output:
        return model
    return small.id


class SessionModelClient:
    """Reads the session's provider and model on every call, so /model switches carry over."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def provider_name(self) -> str:
        return self._session.provider_name

    @property
    def model(self) -> str:
        return self._session.model

    @property
    def small_model(self) -> str:
        return small_model_for(self.provider_name, self.model)

    def connection(self) -> tuple[str | None, str | None]:
        provider = self._session.provider
        return getattr(provider, "api_key", None), getattr(provider, "base_url", None)

    async def complete(self, prompt: str, *, small: bool = True, system: str = "", agent_id: str = "main",
                       max_tokens: int = 4096) -> str:
        model = self.small_model if small else self.model
        request = ModelRequest(model=model, system=system, messages=[Message.user(prompt)], max_tokens=max_tokens)
        response: ModelResponse | None = None
        async for event in self._session.provider.stream(request):
            if isinstance(event, ModelResponse):
                response = event
        if response is None:
            raise ProviderError(f"{model} sent no response", kind="incomplete_stream")
        self.record_usage(agent_id, response.model, response.usage)
        return response.message.text

    def record_usage(self, agent_id: str, model: str, usage: Any) -> None:
        # Counted apart from the agent's own requests ("main:tools"): the UI reads
        # the agent's context fill from its UsageUpdated events, and a helper
        # request's input says nothing about the agent's context window.
        if not isinstance(usage, Usage):
            return
        self._session.ledger.record(f"{agent_id}:tools", model, usage)
