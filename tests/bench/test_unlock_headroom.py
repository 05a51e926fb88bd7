"""Why the worker stays at 4 requests/s (bench/rate_limit.py measures the rest): against Kisi's
limit (the emulator's sliding 1 s window of 5 per Kisi user), a worker paced at that rate leaves
every second room for one unlock sent from another process, at any moment; a faster worker does
not, and the unlock that finds no room gets a 429 and waits a second at the door."""

import pytest

from access_core.kisi.gateway import WORKER_REQUESTS_PER_SECOND
from kisi_emulator.rate_limit import SlidingWindowLimiter
from tests.fakes import FakeClock


def unlocks_refused(worker_rate: float, offset: float, seconds: int = 30) -> int:
    """A worker sending at `worker_rate` (its pacer's spacing) and one unlock a second, `offset`
    into each second: how many unlocks Kisi refuses."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(clock)
    events = [(n / worker_rate, "worker") for n in range(int(seconds * worker_rate))]
    events += [(s + offset, "unlock") for s in range(seconds)]
    refused = 0
    now = 0.0
    for at, who in sorted(events):
        clock.advance(at - now)
        now = at
        if not limiter.allow("kisi-user") and who == "unlock":
            refused += 1
    return refused


@pytest.mark.parametrize("offset", [0.0, 0.01, 0.1, 0.13, 0.26, 0.5, 0.77, 0.99])
def test_the_worker_rate_leaves_one_unlock_a_second(offset: float) -> None:
    assert WORKER_REQUESTS_PER_SECOND <= 4.0
    assert unlocks_refused(WORKER_REQUESTS_PER_SECOND, offset) == 0


def test_a_worker_at_four_and_a_half_requests_a_second_would_refuse_unlocks() -> None:
    refused = sum(unlocks_refused(4.5, offset / 10) for offset in range(10))

    assert refused > 0
