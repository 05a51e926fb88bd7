"""Client-side pacing under PushPress's rate limit, which PushPress does not publish.

PushPress documents that it answers 429 when it throttles (the SDK's ``RateLimited`` error) but
states no number (see docs/pushpress-api.md). This client therefore paces each API key at a
conservative ``DEFAULT_REQUESTS_PER_SECOND`` of our own choosing, honours ``Retry-After`` on
429s, and lets the caller change the rate once PushPress confirms a figure.

A ``Pacer`` spaces the requests of one identity; a ``PacerRegistry`` hands every client of the
same identity the same pacer, so two clients in one process never add up to more than its
budget. Pacing is per process.
"""

import hashlib
import threading
import time
from collections.abc import Callable

# Our choice, not PushPress's: PushPress publishes no limit. 2 requests/s (120/min) is below the
# published limits of comparable club-management APIs, and a daily sync listing 100 records a
# page reads 12,000 records a minute at that pace.
DEFAULT_REQUESTS_PER_SECOND = 2.0
# Waits shorter than this are floating-point residue of the slot arithmetic, not pacing.
_NEGLIGIBLE_WAIT = 1e-6

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Pacer:
    """Spaces requests at ``requests_per_second``, allowing bursts of ``burst`` requests.

    A generic cell rate algorithm: each request reserves the next free slot under a lock, then
    sleeps until its slot outside the lock.
    """

    def __init__(
        self,
        requests_per_second: float,
        *,
        burst: int = 1,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.requests_per_second = requests_per_second
        self.burst = burst
        self._interval = 1.0 / requests_per_second
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._next_slot: float | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Pacer(requests_per_second={self.requests_per_second}, burst={self.burst})"

    def acquire(self) -> float:
        """Wait until a request may be sent; return the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = now if self._next_slot is None else max(self._next_slot, now)
            wait = slot - self._tolerance - now
            if wait < _NEGLIGIBLE_WAIT:
                wait = 0.0
            self._next_slot = slot + self._interval
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold_off(self, seconds: float) -> None:
        """Send nothing more for ``seconds`` (e.g. after a 429), for every user of this pacer."""
        with self._lock:
            resume_at = self._clock() + seconds + self._tolerance
            if self._next_slot is None or self._next_slot < resume_at:
                self._next_slot = resume_at


class PacerRegistry:
    """One pacer per identity key. The first request for a key fixes its rate and burst."""

    def __init__(self, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pacers)

    def pacer_for(
        self, key: str, *, requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND, burst: int = 1
    ) -> Pacer:
        with self._lock:
            pacer = self._pacers.get(key)
            if pacer is None:
                pacer = Pacer(
                    requests_per_second, burst=burst, clock=self._clock, sleep=self._sleep
                )
                self._pacers[key] = pacer
            return pacer


SHARED_PACERS = PacerRegistry()


def pacer_key_for_api_key(api_key: str) -> str:
    """The pacer key of an API key: a truncated SHA-256, stable and useless to recover the key.

    PushPress does not say what its limit is counted per; the API key is the narrowest identity
    every request carries (a multi-company key shares one budget across its companies).
    """
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return f"pushpress-api-key-sha256:{digest}"
