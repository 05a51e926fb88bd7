"""A rate limit for the emulated API. PushPress publishes none (docs/pushpress-api.md); the
emulator enforces ``REQUESTS_PER_SECOND`` per API key in a sliding 1 s window, so that a client
that does not pace itself meets 429s, and answers them with ``Retry-After: 1``."""

import threading
from collections import deque
from collections.abc import Hashable

from pushpress_emulator.clock import Clock

REQUESTS_PER_SECOND = 5
WINDOW_SECONDS = 1.0


class SlidingWindowLimiter:
    """At most ``limit`` accepted requests per identity in any 1 s window (a refused request
    uses no budget). Time comes from the injected clock."""

    def __init__(self, clock: Clock, limit: int = REQUESTS_PER_SECOND) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._clock = clock
        self.limit = limit
        self._accepted: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, identity: Hashable) -> bool:
        now = self._clock.now().timestamp()
        with self._lock:
            accepted = self._accepted.setdefault(identity, deque())
            while accepted and accepted[0] <= now - WINDOW_SECONDS:
                accepted.popleft()
            if len(accepted) >= self.limit:
                return False
            accepted.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._accepted.clear()
