"""Client-side pacing: a ``Pacer`` spaces the requests of one API identity; a ``PacerRegistry``
hands every client of the same identity the same pacer, so two clients in one process never add
up to more than the identity's budget. Pacing is per process."""

import hashlib
import threading
import time
from collections.abc import Callable
from typing import ClassVar

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
    """One pacer per identity key. The first request for a key fixes its rate and burst.

    A client's registry names the rate a key gets when its first request names none
    (``default_requests_per_second``); this one has none, so the rate must be named.
    """

    default_requests_per_second: ClassVar[float | None] = None

    def __init__(self, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pacers)

    def pacer_for(
        self, key: str, *, requests_per_second: float | None = None, burst: int = 1
    ) -> Pacer:
        with self._lock:
            pacer = self._pacers.get(key)
            if pacer is None:
                rate = requests_per_second
                if rate is None:
                    rate = self.default_requests_per_second
                if rate is None:
                    raise ValueError(f"name the requests_per_second of the new pacer {key!r}")
                pacer = Pacer(rate, burst=burst, clock=self._clock, sleep=self._sleep)
                self._pacers[key] = pacer
            return pacer


def api_key_digest(api_key: str) -> str:
    """A truncated SHA-256 of an API key: a stable pacer key, useless to recover the key from."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]
