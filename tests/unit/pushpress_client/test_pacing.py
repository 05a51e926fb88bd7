"""Pacing per API key, on a fake clock: spacing is read from the clock, never measured."""

import itertools

import httpx
import pytest

from pushpress_client import (
    DEFAULT_REQUESTS_PER_SECOND,
    Pacer,
    PacerRegistry,
    pacer_key_for_api_key,
)
from tests.fakes import FakeClock

from .fakes import API_KEY, COMPANY_ID, FakePushPress

COMPANY = httpx.Response(200, json={"id": COMPANY_ID})


def test_requests_are_spaced_at_the_default_conservative_rate(
    pushpress: FakePushPress, clock: FakeClock
) -> None:
    pushpress.route("GET", "/company", COMPANY)
    client = pushpress.client()

    for _ in range(4):
        client.get_company()

    times = pushpress.request_times
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps == pytest.approx([1 / DEFAULT_REQUESTS_PER_SECOND] * 3)


def test_two_clients_of_one_key_share_the_budget(pushpress: FakePushPress) -> None:
    pushpress.route("GET", "/company", COMPANY)
    first = pushpress.client(requests_per_second=4.0)
    second = pushpress.client(requests_per_second=4.0)

    first.get_company()
    second.get_company()
    first.get_company()

    times = pushpress.request_times
    assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx([0.25, 0.25])


def test_clients_of_different_keys_do_not_wait_for_each_other(
    pushpress: FakePushPress, pacers: PacerRegistry
) -> None:
    pushpress.route("GET", "/company", COMPANY)

    pushpress.client().get_company()
    pushpress.client(pacer_key="another-key").get_company()

    assert pushpress.request_times[0] == pushpress.request_times[1]
    assert len(pacers) == 2


def test_an_idle_pacer_does_not_wait(clock: FakeClock) -> None:
    pacer = Pacer(2.0, clock=clock.monotonic, sleep=clock.sleep)
    pacer.acquire()
    clock.advance(10)

    assert pacer.acquire() == 0.0
    assert clock.sleeps == []


def test_a_burst_goes_out_at_once_then_requests_are_spaced(clock: FakeClock) -> None:
    pacer = Pacer(5.0, burst=3, clock=clock.monotonic, sleep=clock.sleep)

    waits = [pacer.acquire() for _ in range(5)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.2, 0.2])


def test_the_pacer_key_is_a_hash_not_the_key() -> None:
    key = pacer_key_for_api_key(API_KEY)

    assert API_KEY not in key
    assert key == pacer_key_for_api_key(API_KEY)
    assert key != pacer_key_for_api_key(API_KEY + "x")


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_bad_pacing_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        Pacer(rate, burst=burst)
