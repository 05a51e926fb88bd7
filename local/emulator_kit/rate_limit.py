"""A rate limit per identity: at most `limit` accepted requests in any sliding 1 s window."""

import threading
from collections import deque
from collections.abc import Hashable

from emulator_kit.clock import Clock

REQUESTS_PER_SECOND = 5
WINDOW_SECONDS = 1.0


class SlidingWindowLimiter:
    """At most `limit` accepted requests per identity in any 1 s window (a rejected request
    does not use up budget). Time comes from the injected clock."""

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
