"""Run configuration: what one claw run was asked to do.

Settings files (claw_tui.settings: user → project → local) fill in what the
command line leaves out (engine/session.py); the command line always wins.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from claw_tui.providers.catalogue import DEFAULT_MODEL


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cwd: Path = Field(default_factory=Path.cwd)
    model: str = DEFAULT_MODEL
    provider: str | None = None  # anthropic | openai | compatible; None: from the model's name
    base_url: str | None = None
    permission_mode: str = "default"
    # --trust: this run trusts the folder (its own settings, hooks, MCP servers and env apply)
    # without asking and without remembering it (permissions/trust.py).
    trust: bool = False
    allowed_tools: list[str] = Field(default_factory=list)
    disallowed_tools: list[str] = Field(default_factory=list)
    add_dirs: list[Path] = Field(default_factory=list)
    max_turns: int | None = None
    max_budget_usd: float | None = None
    append_system_prompt: str | None = None
    system_prompt: str | None = None
    max_tokens: int = 16000
    thinking: bool = True
    max_retries: int = 8
    retry_base_delay: float = 1.0
    watch: bool = True
    # How deep sub-agents may nest (the main agent is depth 0); 0: no sub-agents at all.
    max_agent_depth: int = Field(default=2, ge=0, le=8)
    # Sessions (engine/persistence.py): continue a stored session by id (or unique prefix),
    # or the latest one in this directory; fork it into a new session id instead of
    # appending to it; persist=False keeps the session in memory only.
    resume: str | None = None
    continue_session: bool = False
    fork_session: bool = False
    persist: bool = True
    # MCP servers given on the command line (--mcp-config FILE or JSON, explicitly, so trusted),
    # and --strict-mcp-config: use only those, not .mcp.json or the user's own.
    mcp_config: list[str] = Field(default_factory=list)
    strict_mcp_config: bool = False
    # Seconds; None: MCP_TIMEOUT / MCP_TOOL_TIMEOUT (milliseconds, as Claude Code reads them), else 10 and 600.
    mcp_startup_timeout: float | None = Field(default=None, gt=0)
    mcp_tool_timeout: float | None = Field(default=None, gt=0)

    @field_validator("cwd")
    @classmethod
    def _cwd_exists(cls, v: Path) -> Path:
        v = v.expanduser().resolve()
        if not v.is_dir():
            raise ValueError(f"working directory does not exist: {v}")
        return v

    @field_validator("permission_mode")
    @classmethod
    def _known_mode(cls, v: str) -> str:
        from claw_tui.permissions.policy import normalize_mode

        return normalize_mode(v)  # aliases (dontAsk) become the mode's own name

    @field_validator("max_turns")
    @classmethod
    def _positive_turns(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("max_turns must be at least 1")
        return v

    @field_validator("max_budget_usd")
    @classmethod
    def _positive_budget(cls, v: float | None) -> float | None:
        if v is not None and v <= 0:
            raise ValueError("max_budget_usd must be more than 0")
        return v
