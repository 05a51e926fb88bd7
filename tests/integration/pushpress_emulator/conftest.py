"""A PushPress emulator on a free loopback port per test, on a manual clock that the client's
pacer also reads (its sleeps move the clock), so pacing, Retry-After and webhook ages are
exercised without sleeping. The rate limit is off unless a test turns it on."""

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from pushpress_client import PacerRegistry, PushPressClient, RetryPolicy
from pushpress_emulator import ManualClock, PushPressEmulator, RunningEmulator, start_emulator
from pushpress_emulator.testing import WebhookReceiver

KEY = "pp-club-key-0001"
SHARED_KEY = "pp-shared-key-for-two-clubs"
OTHER_KEY = "pp-other-club-key"
MEMBERS = 130

SEED: dict[str, Any] = {
    "companies": [
        {
            "ref": "club",
            "name": "Riverside Barbell",
            "api_keys": [KEY, SHARED_KEY],
            "plans": [
                {"ref": "24h", "name": "Unlimited + 24/7", "allow_24_hour_access": True},
                {"ref": "classes", "name": "Classes Only"},
            ],
            "customers": [
                {
                    "ref": "maya",
                    "email": "Maya.Okafor@Example.com",
                    "first": "Maya",
                    "last": "Okafor",
                },
                {"ref": "coach", "email": "coach@example.com", "first": "Kim", "role": "coach"},
                *({"ref": f"m{n}", "email": f"member{n}@example.com"} for n in range(MEMBERS - 2)),
            ],
            "enrollments": [
                {"ref": "maya_24h", "customer": "maya", "plan": "24h", "start_date": "2025-01-06"},
                {"ref": "m0_classes", "customer": "m0", "plan": "classes", "status": "paused"},
                {
                    "ref": "m1_24h",
                    "customer": "m1",
                    "plan": "24h",
                    "status": "pendcancel",
                    "end_date": "2025-04-30",
                },
            ],
        },
        {"ref": "other", "name": "Other Club", "api_keys": [OTHER_KEY, SHARED_KEY]},
    ]
}

MakeClient = Callable[..., PushPressClient]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> PushPressEmulator:
    return PushPressEmulator(clock=clock, rate_limit=False)


@pytest.fixture
def served(emulator: PushPressEmulator) -> Iterator[RunningEmulator]:
    with start_emulator(emulator=emulator) as running:
        yield running


@pytest.fixture
def ids(emulator: PushPressEmulator) -> SimpleNamespace:
    seeded = emulator.seed(SEED)
    club, other = seeded["companies"]["club"], seeded["companies"]["other"]
    return SimpleNamespace(
        club=club["id"],
        other=other["id"],
        customers=club["customers"],
        plans=club["plans"],
        enrollments=club["enrollments"],
    )


@pytest.fixture
def pacers(clock: ManualClock) -> PacerRegistry:
    return PacerRegistry(clock=lambda: clock.now().timestamp(), sleep=clock.advance)


@pytest.fixture
def make_client(served: RunningEmulator, pacers: PacerRegistry) -> Iterator[MakeClient]:
    """``make_client(key=KEY, **options)``: a client of the emulator over real HTTP."""
    pools: list[httpx.Client] = []

    def make(api_key: str = KEY, **options: Any) -> PushPressClient:
        pool = httpx.Client(timeout=5.0)
        pools.append(pool)
        options.setdefault("base_url", served.api_url)
        options.setdefault("pacers", pacers)
        options.setdefault("retry", RetryPolicy(jitter=lambda: 0.0))
        return PushPressClient(api_key, http_client=pool, **options)

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running
