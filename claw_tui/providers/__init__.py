"""Model providers. Nothing here imports an SDK until a request goes out."""

from __future__ import annotations

from claw_tui.providers.base import Provider

PROVIDERS = ("anthropic", "openai", "compatible")


def make_provider(name: str, *, base_url: str | None = None, api_key: str | None = None) -> Provider:
    if api_key is None:
        from claw_tui.credentials import env_key, stored_key

        # A key in the environment wins; otherwise the one stored by the first-run setup.
        if env_key(name) is None:
            api_key = stored_key(name)
    if name == "anthropic":
        from claw_tui.providers.anthropic import AnthropicProvider

        return AnthropicProvider(api_key=api_key, base_url=base_url)
    if name == "openai":
        from claw_tui.providers.openai import OpenAIProvider

        return OpenAIProvider(api_key=api_key, base_url=base_url)
    if name == "compatible":
        from claw_tui.providers.openai import OpenAIProvider

        if not base_url:
            import os

            base_url = os.environ.get("OPENAI_BASE_URL")
        if not base_url:
            raise ValueError("--provider compatible needs --base-url (or OPENAI_BASE_URL), e.g. http://localhost:11434/v1")
        return OpenAIProvider(api_key=api_key, base_url=base_url, compatible=True)
    raise ValueError(f"unknown provider {name!r}; choose one of {', '.join(PROVIDERS)}")
