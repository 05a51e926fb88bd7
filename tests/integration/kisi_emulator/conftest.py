"""An emulator on a free loopback port per test, on the tests' clock (nothing here sleeps to
move time) and the rate limit off unless a test builds its own; two seeded clubs."""

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kisi_emulator import RunningEmulator
from kisi_emulator.testing import kisi_headers, running_emulator
from tests.fakes import FakeClock

KEY_A = "club-a-key-first"
KEY_A_SECOND = "club-a-key-second"
KEY_B = "club-b-key-only"

CLUBS_SEED: dict[str, Any] = {
    "admins": [
        {"ref": "owner_a", "email": "owner@club-a.example", "name": "Owner A"},
        {"ref": "owner_b", "email": "owner@club-b.example", "name": "Owner B"},
    ],
    "organizations": [
        {
            "ref": "a",
            "name": "Club A",
            "api_keys": [
                {"key": KEY_A, "admin": "owner_a"},
                {"key": KEY_A_SECOND, "admin": "owner_a"},
            ],
            "places": [{"ref": "hall", "name": "Hall"}, {"ref": "annex", "name": "Annex"}],
            "locks": [
                {"ref": "front", "name": "Front Door", "place": "hall", "description": "street"},
                {"ref": "back", "name": "Back Door", "place": "hall"},
                {"ref": "shed", "name": "Garden Shed", "place": "annex"},
            ],
            "groups": [
                {"ref": "members", "name": "Members", "place": "hall", "locks": ["front", "back"]},
                {"ref": "staff", "name": "Staff"},
            ],
            "users": [
                {"ref": "ann", "email": "Ann.Smith@example.com", "name": "Ann Smith"},
                {
                    "ref": "joanna",
                    "email": "joanna@example.com",
                    "name": "Jo",
                    "notes": "likes ann",
                },
            ],
            "role_assignments": [{"user": "ann", "group": "members"}],
        },
        {
            "ref": "b",
            "name": "Club B",
            "api_keys": [{"key": KEY_B, "admin": "owner_b"}],
            "places": [{"ref": "b_hall", "name": "B Hall"}],
            "locks": [{"ref": "b_door", "name": "B Door", "place": "b_hall"}],
            "groups": [{"ref": "b_members", "name": "B Members"}],
            "users": [{"ref": "bob", "email": "bob@example.com", "name": "Bob"}],
        },
    ],
}

Connect = Callable[..., httpx.Client]


def statuses(client: httpx.Client, count: int, path: str = "/user") -> list[int]:
    """The status codes of `count` GETs of `path`, in order."""
    return [client.get(path).status_code for _ in range(count)]


@pytest.fixture
def keys() -> SimpleNamespace:
    """The seeded API keys: two of Owner A in Club A, one of Owner B in Club B."""
    return SimpleNamespace(a=KEY_A, a_second=KEY_A_SECOND, b=KEY_B)


@pytest.fixture
def kisi(clock: FakeClock) -> Iterator[RunningEmulator]:
    with running_emulator(clock=clock) as running:
        yield running


@pytest.fixture
def seeded(kisi: RunningEmulator) -> dict[str, Any]:
    ids: dict[str, Any] = kisi.emulator.seed(CLUBS_SEED)
    return ids


@pytest.fixture
def ids_a(seeded: dict[str, Any]) -> dict[str, Any]:
    ids: dict[str, Any] = seeded["organizations"]["a"]
    return ids


@pytest.fixture
def ids_b(seeded: dict[str, Any]) -> dict[str, Any]:
    ids: dict[str, Any] = seeded["organizations"]["b"]
    return ids


@pytest.fixture
def connect(kisi: RunningEmulator) -> Iterator[Connect]:
    """`connect(key)` -> an httpx client for the emulator sending Kisi's headers with `key`."""
    clients: list[httpx.Client] = []

    def make(
        api_key: str | None = KEY_A, base_url: str | None = None, **options: Any
    ) -> httpx.Client:
        headers = kisi_headers(api_key) if api_key else {}
        options.setdefault("timeout", 5.0)
        # Plain HTTP on loopback: skipping the CA bundle saves ~0.1 s per client.
        options.setdefault("verify", False)
        client = httpx.Client(base_url=base_url or kisi.base_url, headers=headers, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def club_a(connect: Connect, seeded: dict[str, Any]) -> httpx.Client:
    return connect(KEY_A)


@pytest.fixture
def club_b(connect: Connect, seeded: dict[str, Any]) -> httpx.Client:
    return connect(KEY_B)


@pytest.fixture
def control(connect: Connect, kisi: RunningEmulator) -> httpx.Client:
    return connect(None, base_url=kisi.control_url)
