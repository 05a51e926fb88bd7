"""Retries on 429, 5xx and timeouts with backoff and Retry-After; no retry on other errors.
Waits are read from the fake clock, never measured."""

import itertools

import httpx
import pytest

from pushpress_client import (
    NO_RETRY,
    PushPressAuthError,
    PushPressBadRequest,
    PushPressError,
    PushPressNotFound,
    PushPressRateLimited,
    PushPressUnavailable,
    RetryPolicy,
)
from pushpress_client.transport import parse_retry_after
from tests.fakes import FakeClock

from .fakes import COMPANY_ID, FakePushPress, error

COMPANY = httpx.Response(200, json={"id": COMPANY_ID})


def test_a_429_is_retried_after_the_retry_after_it_names(
    pushpress: FakePushPress, clock: FakeClock
) -> None:
    pushpress.route("GET", "/company", error(429, "slow down", **{"Retry-After": "3"}), COMPANY)
    client = pushpress.client(requests_per_second=1000)

    assert client.get_company().id == COMPANY_ID
    assert len(pushpress.requests) == 2
    assert pushpress.request_times[1] - pushpress.request_times[0] == pytest.approx(3.0)


def test_an_http_date_retry_after_is_honoured() -> None:
    from datetime import UTC, datetime

    now = datetime(2025, 3, 14, 9, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Fri, 14 Mar 2025 09:00:07 GMT", now=now) == pytest.approx(7.0)
    assert parse_retry_after("Fri, 14 Mar 2025 08:59:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_retried_with_exponential_backoff(
    pushpress: FakePushPress, clock: FakeClock, status: int
) -> None:
    pushpress.route("GET", "/company", error(status), error(status), error(status), COMPANY)
    client = pushpress.client(
        requests_per_second=1000, retry=RetryPolicy(initial_backoff=1.0, jitter=lambda: 0.0)
    )

    client.get_company()

    times = pushpress.request_times
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps == pytest.approx([1.0, 2.0, 4.0])


def test_jitter_adds_up_to_half_the_backoff(pushpress: FakePushPress) -> None:
    policy = RetryPolicy(initial_backoff=2.0, max_backoff=8.0, jitter=lambda: 1.0)

    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [3.0, 6.0, 12.0, 12.0]


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("simulated"), httpx.ConnectError("refused"), httpx.RemoteProtocolError("x")],
    ids=["read-timeout", "connect", "protocol"],
)
def test_transport_failures_are_retried(pushpress: FakePushPress, failure: Exception) -> None:
    pushpress.route("GET", "/company", failure, COMPANY)

    assert pushpress.client().get_company().id == COMPANY_ID
    assert len(pushpress.requests) == 2


def test_the_last_failure_is_raised_when_attempts_run_out(pushpress: FakePushPress) -> None:
    pushpress.route("GET", "/company", error(503, "down"))
    client = pushpress.client(retry=RetryPolicy(max_attempts=3, jitter=lambda: 0.0))

    with pytest.raises(PushPressUnavailable) as raised:
        client.get_company()

    assert len(pushpress.requests) == 3
    assert raised.value.status_code == 503
    assert raised.value.possibly_executed


def test_a_retry_after_beyond_the_wait_budget_is_raised_at_once(pushpress: FakePushPress) -> None:
    pushpress.route("GET", "/company", error(429, "later", **{"Retry-After": "3600"}))

    with pytest.raises(PushPressRateLimited) as raised:
        pushpress.client().get_company()

    assert len(pushpress.requests) == 1
    assert raised.value.retry_after == 3600.0


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, PushPressBadRequest),
        (401, PushPressAuthError),
        (403, PushPressAuthError),
        (404, PushPressNotFound),
        (422, PushPressBadRequest),
    ],
)
def test_client_errors_are_not_retried(
    pushpress: FakePushPress, status: int, kind: type[PushPressError]
) -> None:
    pushpress.route("GET", "/company", error(status, "refused"), COMPANY)

    with pytest.raises(kind) as raised:
        pushpress.client().get_company()

    assert len(pushpress.requests) == 1
    assert raised.value.message == "refused"


def test_no_retry_policy_sends_once(pushpress: FakePushPress) -> None:
    pushpress.route("GET", "/company", error(503), COMPANY)

    with pytest.raises(PushPressUnavailable):
        pushpress.client(retry=NO_RETRY).get_company()
    assert len(pushpress.requests) == 1


def test_a_connection_that_never_opened_did_not_execute(pushpress: FakePushPress) -> None:
    pushpress.route("GET", "/company", httpx.ConnectError("refused"))

    with pytest.raises(PushPressUnavailable) as raised:
        pushpress.client(retry=NO_RETRY).get_company()

    assert not raised.value.possibly_executed


def test_the_retry_wait_holds_off_every_client_of_the_same_key(
    pushpress: FakePushPress, clock: FakeClock
) -> None:
    pushpress.route("GET", "/company", error(429, "slow", **{"Retry-After": "5"}), COMPANY)
    first = pushpress.client(requests_per_second=1000)
    second = pushpress.client(requests_per_second=1000)
    assert first.pacer is second.pacer

    first.get_company()
    second.get_company()

    assert pushpress.request_times[2] >= pushpress.request_times[0] + 5.0


def test_a_retry_is_logged_without_the_key(
    pushpress: FakePushPress, caplog: pytest.LogCaptureFixture
) -> None:
    pushpress.route("GET", "/company", error(502), COMPANY)

    with caplog.at_level("WARNING", logger="pushpress_client"):
        pushpress.client().get_company()

    assert any("retrying" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "options", [{"max_attempts": 0}, {"max_total_wait": -1.0}, {"initial_backoff": -1.0}]
)
def test_bad_policies_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**options)  # type: ignore[arg-type]
