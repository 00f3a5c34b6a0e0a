"""When and how long to wait before retrying a failed model call."""

from __future__ import annotations

import random
from dataclasses import dataclass

from claw_tui.providers.base import ProviderError


@dataclass
class RetryPolicy:
    max_retries: int = 8
    base_delay: float = 1.0
    max_delay: float = 32.0
    # A server may ask for a long wait; we honour it up to this.
    max_retry_after: float = 120.0

    def should_retry(self, error: ProviderError, attempt: int) -> bool:
        return error.retryable and attempt <= self.max_retries

    def delay(self, error: ProviderError, attempt: int) -> float:
        if error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after)
        # Full jitter: spread retries of many clients (and sub-agents) apart.
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)
