"""Retries: which failures, which methods, how long (read from the fake clock's sleeps)."""

from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kisi_client import (
    NO_RETRY,
    KisiRateLimited,
    KisiUnavailable,
    PacerRegistry,
    RetryPolicy,
)
from tests.fakes import FakeClock

from .kisi_fakes import FakeKisi, kisi_error, kisi_json

LOCK = {"id": 7, "name": "Front door"}
RATE_LIMITED = kisi_error(429, "000429", "Too many requests")


def test_429_with_retry_after_waits_exactly_that_long(kisi: FakeKisi, clock: FakeClock) -> None:
    kisi.route(
        "GET",
        "/locks/7",
        kisi_error(429, "000429", "Too many requests", **{"Retry-After": "2"}),
        kisi_json(200, LOCK),
    )

    lock = kisi.client().get_lock(7)

    assert lock.id == 7
    assert clock.sleeps == [2.0]
    assert len(kisi.requests) == 2


def test_429_without_retry_after_backs_off_from_one_second_with_jitter(
    kisi: FakeKisi, clock: FakeClock
) -> None:
    kisi.route("GET", "/locks/7", RATE_LIMITED, RATE_LIMITED, RATE_LIMITED, kisi_json(200, LOCK))

    kisi.client(retry=RetryPolicy(jitter=lambda: 0.5, max_total_wait=60)).get_lock(7)

    # 1 s, 2 s, 4 s, each plus half of the 50 % jitter range.
    assert clock.sleeps == [1.25, 2.5, 5.0]


def test_jitter_spreads_the_wait_between_the_base_and_one_and_a_half_times_it() -> None:
    assert RetryPolicy(jitter=lambda: 0.0).backoff(1) == 1.0
    assert RetryPolicy(jitter=lambda: 0.999).backoff(1) == pytest.approx(1.4995)
    assert RetryPolicy(jitter=lambda: 0.0, max_backoff=8.0).backoff(10) == 8.0


def test_5xx_then_success_is_retried_for_a_get(kisi: FakeKisi, clock: FakeClock) -> None:
    kisi.route("GET", "/locks/7", httpx.Response(503), httpx.Response(502), kisi_json(200, LOCK))

    assert kisi.client().get_lock(7).id == 7
    assert clock.sleeps == [1.25, 2.5]


def test_a_read_timeout_on_a_get_is_retried(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks/7", httpx.ReadTimeout("simulated"), kisi_json(200, LOCK))

    assert kisi.client().get_lock(7).id == 7
    assert len(kisi.requests) == 2


def test_attempts_are_bounded(kisi: FakeKisi, clock: FakeClock) -> None:
    kisi.route("GET", "/locks/7", httpx.Response(503))
    client = kisi.client(retry=RetryPolicy(max_attempts=3, max_total_wait=100, jitter=lambda: 0))

    with pytest.raises(KisiUnavailable):
        client.get_lock(7)

    assert len(kisi.requests) == 3
    assert clock.sleeps == [1.0, 2.0]


def test_a_retry_after_beyond_the_wait_budget_raises_at_once_with_the_wait(
    kisi: FakeKisi, clock: FakeClock
) -> None:
    kisi.route("GET", "/locks/7", kisi_error(429, "000429", "Slow down", **{"Retry-After": "30"}))

    with pytest.raises(KisiRateLimited) as raised:
        kisi.client(retry=RetryPolicy(max_total_wait=10)).get_lock(7)

    assert raised.value.retry_after == 30.0
    assert raised.value.code == "000429"
    assert clock.sleeps == []
    assert len(kisi.requests) == 1


def test_total_wait_is_bounded_across_retries(kisi: FakeKisi, clock: FakeClock) -> None:
    kisi.route("GET", "/locks/7", httpx.Response(503))
    client = kisi.client(retry=RetryPolicy(max_attempts=10, max_total_wait=4, jitter=lambda: 0))

    with pytest.raises(KisiUnavailable):
        client.get_lock(7)

    # 1 + 2 fit in 4 s; the next 4 s would not.
    assert clock.sleeps == [1.0, 2.0]


def test_no_retry_policy_raises_the_first_429(kisi: FakeKisi, clock: FakeClock) -> None:
    kisi.route("GET", "/locks/7", RATE_LIMITED, kisi_json(200, LOCK))

    with pytest.raises(KisiRateLimited):
        kisi.client(retry=NO_RETRY).get_lock(7)

    assert clock.sleeps == []


def test_a_post_is_retried_when_the_connection_never_opened(kisi: FakeKisi) -> None:
    user = {"id": 1, "email": "a@club.test"}
    kisi.route("POST", "/users", httpx.ConnectError("refused"), kisi_json(200, user))

    created = kisi.client().create_user("a@club.test", "A", send_emails=False, marker="bridge")

    assert created.id == 1
    assert len(kisi.sent("POST", "/users")) == 2


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("simulated"), httpx.RemoteProtocolError("dropped"), httpx.Response(500)],
    ids=["read-timeout", "dropped-connection", "500"],
)
def test_a_post_is_not_resent_after_a_failure_that_may_have_executed_it(
    kisi: FakeKisi, failure: Exception | httpx.Response
) -> None:
    kisi.route("POST", "/role_assignments", failure, kisi_json(200, {"id": 5}))

    with pytest.raises(KisiUnavailable) as raised:
        kisi.client().create_group_assignment(1, 2)

    assert raised.value.possibly_executed
    assert len(kisi.sent("POST", "/role_assignments")) == 1


def test_a_post_is_retried_after_a_429(kisi: FakeKisi) -> None:
    kisi.route("POST", "/role_assignments", RATE_LIMITED, kisi_json(200, {"id": 5}))

    assert kisi.client().create_group_assignment(1, 2).id == 5
    assert len(kisi.sent("POST", "/role_assignments")) == 2


def test_retries_are_logged_without_secrets(
    kisi: FakeKisi, caplog: pytest.LogCaptureFixture
) -> None:
    kisi.route("GET", "/locks/7", httpx.Response(503), kisi_json(200, LOCK))

    with caplog.at_level("WARNING", logger="kisi_client"):
        kisi.client().get_lock(7)

    assert any("retrying in 1.25 s" in r.getMessage() for r in caplog.records)


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(max_total_wait=-1)


failures = st.sampled_from(
    [
        lambda: httpx.Response(503),
        lambda: httpx.Response(500),
        lambda: kisi_error(429, "000429", "busy"),
        lambda: kisi_error(429, "000429", "busy", **{"Retry-After": "2"}),
        lambda: httpx.ReadTimeout("simulated"),
        lambda: httpx.ConnectError("refused"),
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    script=st.lists(failures, min_size=1, max_size=12),
    max_attempts=st.integers(min_value=1, max_value=8),
    max_total_wait=st.floats(min_value=0, max_value=20),
    jitter=st.floats(min_value=0, max_value=0.999),
    succeed_at_end=st.booleans(),
)
def test_retries_never_exceed_the_attempt_and_wait_bounds(
    script: list[Callable[[], httpx.Response | Exception]],
    max_attempts: int,
    max_total_wait: float,
    jitter: float,
    succeed_at_end: bool,
) -> None:
    clock = FakeClock()
    kisi = FakeKisi(clock, PacerRegistry(clock=clock.monotonic, sleep=clock.sleep))
    answers = [make() for make in script]
    if succeed_at_end:
        answers.append(kisi_json(200, LOCK))
    kisi.route("GET", "/locks/7", *answers)
    policy = RetryPolicy(
        max_attempts=max_attempts, max_total_wait=max_total_wait, jitter=lambda: jitter
    )
    client = kisi.client(retry=policy, requests_per_second=1000.0)

    try:
        client.get_lock(7)
        succeeded = True
    except (KisiUnavailable, KisiRateLimited):
        succeeded = False

    assert len(kisi.requests) <= max_attempts
    assert sum(clock.sleeps) <= max_total_wait + 1e-9
    if succeeded:
        assert len(kisi.requests) == len(answers)
