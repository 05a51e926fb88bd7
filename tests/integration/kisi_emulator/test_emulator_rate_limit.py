"""Kisi's 5 requests per second per Kisi user, on the injected clock (no test sleeps)."""

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kisi_emulator import KisiEmulator, RunningEmulator
from tests.fakes import FakeClock

from .conftest import Connect, statuses


@pytest.fixture
def limited(kisi: RunningEmulator, seeded: dict[str, Any]) -> KisiEmulator:
    kisi.emulator.configure(rate_limit=True)
    return kisi.emulator


@pytest.mark.usefixtures("limited")
def test_the_sixth_request_in_a_second_is_429_with_retry_after(club_a: httpx.Client) -> None:
    assert statuses(club_a, 5) == [200] * 5

    response = club_a.get("/user")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["code"] == "000429"
    assert response.json()["error"]


@pytest.mark.usefixtures("limited")
def test_the_window_slides_with_the_clock(club_a: httpx.Client, clock: FakeClock) -> None:
    assert statuses(club_a, 3) == [200] * 3
    clock.advance(0.6)
    assert statuses(club_a, 3) == [200, 200, 429]

    clock.advance(0.4)  # the first three are now a second old

    assert statuses(club_a, 4) == [200, 200, 200, 429]


@pytest.mark.usefixtures("limited")
def test_refused_requests_do_not_use_up_the_next_second(
    club_a: httpx.Client, clock: FakeClock
) -> None:
    assert statuses(club_a, 12) == [200] * 5 + [429] * 7

    clock.advance(1)

    assert statuses(club_a, 6) == [200] * 5 + [429]


@pytest.mark.usefixtures("limited")
def test_two_keys_of_one_user_share_the_limit(connect: Connect, keys: SimpleNamespace) -> None:
    first, second = connect(keys.a), connect(keys.a_second)

    assert statuses(first, 3) + statuses(second, 2) == [200] * 5
    assert first.get("/user").status_code == 429
    assert second.get("/user").status_code == 429


@pytest.mark.usefixtures("limited")
def test_different_users_have_separate_limits(club_a: httpx.Client, club_b: httpx.Client) -> None:
    assert statuses(club_a, 6) == [200] * 5 + [429]

    assert statuses(club_b, 5) == [200] * 5


@pytest.mark.usefixtures("limited")
def test_requests_without_a_valid_key_are_limited_per_address(connect: Connect) -> None:
    anonymous = connect("not-a-key")

    assert statuses(anonymous, 6) == [401] * 5 + [429]


@pytest.mark.usefixtures("limited")
def test_the_control_api_is_not_limited(control: httpx.Client) -> None:
    assert {control.get("/counts").status_code for _ in range(12)} == {200}


def test_the_limit_is_off_when_disabled(club_a: httpx.Client) -> None:
    assert statuses(club_a, 25) == [200] * 25


@pytest.mark.usefixtures("seeded")
def test_the_control_api_switches_the_limit(control: httpx.Client, club_a: httpx.Client) -> None:
    switched_on = control.patch("/config", json={"rate_limit": True})
    limited_statuses = statuses(club_a, 6)
    switched_off = control.patch("/config", json={"rate_limit": False})

    assert switched_on.json()["rate_limit"] is True
    assert limited_statuses[-1] == 429
    assert switched_off.json() == {"rate_limit": False, "fault_seed": 0}
    assert statuses(club_a, 10) == [200] * 10


def test_429s_are_counted(limited: KisiEmulator, club_a: httpx.Client) -> None:
    statuses(club_a, 8)

    counts = limited.counts()

    assert (counts["total"], counts["rate_limited"]) == (8, 3)
    assert counts["by_endpoint"] == {"GET /user": 8}
    assert limited.call_count("GET /user", status=429) == 3
