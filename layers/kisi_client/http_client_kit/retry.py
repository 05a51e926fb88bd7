"""When and how long to wait before sending a failed request again."""

import random
from collections.abc import Callable
from dataclasses import dataclass

from http_client_kit.errors import HttpApiError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with jittered exponential backoff.

    Retried: the errors marked ``retryable`` (a 429, which the API did not execute; a 5xx, a
    timeout, a connection failure). A non-idempotent request (POST) is retried only when it
    provably was not executed: a 429 or a connection that never opened. ``Retry-After`` is
    honoured as sent; without it the n-th retry waits ``initial_backoff * 2**(n-1)`` (capped at
    ``max_backoff``) plus up to 50 % jitter. When the next wait would take the total over
    ``max_total_wait`` the error is raised at once, so a caller that retries later (an SQS
    worker, the next sync) gets it quickly.

    The defaults are the Kisi client's; a client with other defaults subclasses this with its
    own (``pushpress_client.RetryPolicy``).
    """

    max_attempts: int = 4
    max_total_wait: float = 10.0
    initial_backoff: float = 1.0
    max_backoff: float = 8.0
    jitter: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.max_total_wait, self.initial_backoff, self.max_backoff) < 0:
            raise ValueError("waits must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Wait before the ``retry_number``-th retry (1-based) when the API named no wait."""
        base = min(self.max_backoff, self.initial_backoff * 2.0 ** (retry_number - 1))
        return base * (1.0 + 0.5 * self.jitter())

    def delay_before_retry(
        self, error: HttpApiError, *, attempts_made: int, waited: float, idempotent: bool
    ) -> float | None:
        """Seconds to wait before attempt ``attempts_made + 1``, or None to raise ``error``."""
        if not error.retryable:
            return None
        if attempts_made >= self.max_attempts:
            return None
        if error.possibly_executed and not idempotent:
            return None
        delay = error.retry_after if error.retry_after is not None else self.backoff(attempts_made)
        if waited + delay > self.max_total_wait:
            return None
        return delay
