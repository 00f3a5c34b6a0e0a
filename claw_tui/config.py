"""Run configuration: what one claw run was asked to do.

Settings files (user → project → local) layer under this in a later change;
the command line always wins.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_MODEL = "claude-sonnet-5-5"


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cwd: Path = Field(default_factory=Path.cwd)
    model: str = DEFAULT_MODEL
    provider: str | None = None  # anthropic | openai | compatible; None: from the model's name
    base_url: str | None = None
    permission_mode: str = "default"
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

    @field_validator("cwd")
    @classmethod
    def _cwd_exists(cls, v: Path) -> Path:
        v = v.expanduser().resolve()
        if not v.is_dir():
            raise ValueError(f"working directory does not exist: {v}")
        return v

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
