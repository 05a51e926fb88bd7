"""Injectable time: the rate limiter, fault windows, timestamps and `valid_from`/`valid_until`
all read the emulator's clock, so tests move time forward instead of sleeping."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def advance(self, seconds: float) -> None:
        """Move time forward (never backward)."""
        ...


def _checked_step(seconds: float) -> timedelta:
    if seconds < 0:
        raise ValueError("a clock only moves forward")
    return timedelta(seconds=seconds)


class SystemClock:
    """Wall-clock time plus an offset that `advance` grows (the CLI's clock: an e2e test can jump
    past a `valid_until` without waiting)."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        step = _checked_step(seconds)
        with self._lock:
            self._offset += step


class ManualClock:
    """Time that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("the start time must be timezone-aware")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        step = _checked_step(seconds)
        with self._lock:
            self._now += step
