"""Pacing per Kisi identity, on a fake clock: spacing is read from the clock, never measured."""

import pytest

from kisi_client import Pacer, PacerRegistry, pacer_key_for_api_key
from tests.fakes import FakeClock

from .kisi_fakes import API_KEY, FakeKisi, kisi_json

LOCK = {"id": 7, "name": "Front door"}


def pacer_on(clock: FakeClock, requests_per_second: float, burst: int = 1) -> Pacer:
    return Pacer(requests_per_second, burst=burst, clock=clock.monotonic, sleep=clock.sleep)


def test_requests_in_a_row_are_spaced_by_the_interval(clock: FakeClock) -> None:
    pacer = pacer_on(clock, 5.0)
    start = clock.monotonic()

    granted_at = []
    for _ in range(4):
        pacer.acquire()
        granted_at.append(clock.monotonic() - start)

    assert granted_at == pytest.approx([0.0, 0.2, 0.4, 0.6])


def test_an_idle_pacer_does_not_wait(clock: FakeClock) -> None:
    pacer = pacer_on(clock, 4.0)
    pacer.acquire()
    clock.advance(10)

    assert pacer.acquire() == 0.0
    assert clock.sleeps == []


def test_a_request_waits_only_for_the_rest_of_the_interval(clock: FakeClock) -> None:
    pacer = pacer_on(clock, 4.0)
    pacer.acquire()
    clock.advance(0.1)

    assert pacer.acquire() == pytest.approx(0.15)


def test_a_burst_goes_out_at_once_then_requests_are_spaced(clock: FakeClock) -> None:
    pacer = pacer_on(clock, 5.0, burst=3)

    waits = [pacer.acquire() for _ in range(5)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.2, 0.2])


def test_hold_off_delays_the_next_request(clock: FakeClock) -> None:
    pacer = pacer_on(clock, 5.0)
    pacer.acquire()

    pacer.hold_off(3.0)

    assert pacer.acquire() == pytest.approx(3.0)


def test_hold_off_never_shortens_a_wait_already_due(clock: FakeClock) -> None:
    pacer = pacer_on(clock, 0.1)  # one request every 10 s
    pacer.acquire()

    pacer.hold_off(1.0)

    assert pacer.acquire() == pytest.approx(10.0)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (5.0, 0)])
def test_a_pacer_refuses_nonsense(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        Pacer(rate, burst=burst)


def test_the_registry_gives_one_pacer_per_identity(pacers: PacerRegistry) -> None:
    first = pacers.pacer_for("kisi-user:1", requests_per_second=4.0)

    assert pacers.pacer_for("kisi-user:1", requests_per_second=4.0) is first
    assert pacers.pacer_for("kisi-user:2") is not first
    assert len(pacers) == 2


def test_the_first_request_for_an_identity_sets_its_rate(pacers: PacerRegistry) -> None:
    first = pacers.pacer_for("kisi-user:1", requests_per_second=2.0)

    assert pacers.pacer_for("kisi-user:1", requests_per_second=5.0).requests_per_second == 2.0
    assert first.requests_per_second == 2.0


def test_two_clients_of_one_identity_share_its_pace(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, LOCK))
    worker = kisi.client(pacer_key="kisi-user:42", requests_per_second=4.0)
    admin = kisi.client(pacer_key="kisi-user:42", requests_per_second=4.0)

    for _ in range(3):
        worker.get_lock(7)
        admin.get_lock(7)

    assert worker.pacer is admin.pacer
    gaps = [b - a for a, b in zip(kisi.request_times, kisi.request_times[1:], strict=False)]
    assert gaps == pytest.approx([0.25] * 5)


def test_clients_of_different_identities_are_paced_apart(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, LOCK))
    one = kisi.client(pacer_key="kisi-user:1")
    other = kisi.client(pacer_key="kisi-user:2")

    one.get_lock(7)
    other.get_lock(7)

    assert one.pacer is not other.pacer
    assert kisi.request_times[0] == kisi.request_times[1]


def test_the_default_identity_is_a_hash_of_the_key_not_the_key(kisi: FakeKisi) -> None:
    client = kisi.client()

    assert client.pacer_key == pacer_key_for_api_key(API_KEY)
    assert API_KEY not in client.pacer_key
    assert client.pacer_key != pacer_key_for_api_key(API_KEY + "x")
    assert kisi.client().pacer is client.pacer
