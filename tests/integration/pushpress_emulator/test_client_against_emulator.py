"""The PushPress client over real HTTP against the emulator on loopback: auth and companies,
listings as PushPress pages them, the rate limit, and every injectable fault. No test sleeps
to move time except the timeout test, which waits for the client's short read timeout."""

from types import SimpleNamespace

import httpx
import pytest

from pushpress_client import (
    NO_RETRY,
    CustomerRole,
    EnrollmentStatus,
    PushPressAuthError,
    PushPressBadRequest,
    PushPressNotFound,
    PushPressRateLimited,
    PushPressUnavailable,
    RetryPolicy,
)
from pushpress_emulator import EmulatorRequest, PushPressEmulator

from .conftest import KEY, MEMBERS, OTHER_KEY, SHARED_KEY, MakeClient


def test_a_key_is_validated_as_its_company(ids: SimpleNamespace, make_client: MakeClient) -> None:
    company = make_client().validate_credentials()

    assert company.id == ids.club
    assert company.name == "Riverside Barbell"


def test_an_unknown_or_revoked_key_is_refused(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    with pytest.raises(PushPressAuthError) as unknown:
        make_client("not-a-key").validate_credentials()
    emulator.revoke_api_key(OTHER_KEY)
    with pytest.raises(PushPressAuthError):
        make_client(OTHER_KEY).validate_credentials()

    assert unknown.value.status_code == 401
    assert "not-a-key" not in str(unknown.value)


def test_a_key_of_two_companies_must_name_one(
    ids: SimpleNamespace, make_client: MakeClient
) -> None:
    with pytest.raises(PushPressBadRequest, match="company-id"):
        make_client(SHARED_KEY).get_company()

    assert make_client(SHARED_KEY, company_id=ids.club).get_company().id == ids.club
    assert make_client(SHARED_KEY, company_id=ids.other).get_company().id == ids.other
    with pytest.raises(PushPressAuthError) as foreign:
        make_client(OTHER_KEY, company_id=ids.club).get_company()
    assert foreign.value.status_code == 403


def test_every_customer_is_listed_although_the_server_caps_the_page_size(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    # Asked for 150 a page; the emulator serves at most 100: pages of 100, 30, then empty.
    client = make_client(page_size=150)

    customers = list(client.iter_customers())

    assert len(customers) == MEMBERS
    assert len({c.id for c in customers}) == MEMBERS
    assert emulator.call_count("GET /v3/customers") == 3


def test_customers_are_filtered_by_email_ignoring_case_and_by_role(
    ids: SimpleNamespace, make_client: MakeClient
) -> None:
    client = make_client()

    (maya,) = client.iter_customers(email="maya.okafor@example.com")
    coaches = list(client.iter_customers(role=CustomerRole.COACH))

    assert maya.id == ids.customers["maya"]
    assert maya.full_name == "Maya Okafor"
    assert [c.email for c in coaches] == ["coach@example.com"]


def test_a_customer_an_enrollment_and_a_plan_are_read_by_id(
    ids: SimpleNamespace, make_client: MakeClient
) -> None:
    client = make_client()

    customer = client.get_customer(ids.customers["maya"])
    enrollment = client.get_enrollment(ids.enrollments["m1_24h"])
    plan = client.get_plan(ids.plans["24h"])

    assert customer.email == "Maya.Okafor@Example.com"
    assert enrollment.known_status is EnrollmentStatus.PENDING_CANCEL
    assert enrollment.end_date == "2025-04-30"
    assert enrollment.lists_24_hour_access
    assert plan.allows_24_hour_access
    assert not client.get_plan(ids.plans["classes"]).allows_24_hour_access
    with pytest.raises(PushPressNotFound):
        client.get_customer("usr_missing")
    with pytest.raises(PushPressNotFound):
        make_client(OTHER_KEY).get_customer(ids.customers["maya"])


def test_enrollments_are_filtered_by_customer_and_status(
    ids: SimpleNamespace, make_client: MakeClient
) -> None:
    client = make_client()

    paused = list(client.iter_enrollments(status=EnrollmentStatus.PAUSED))
    mayas = list(client.iter_enrollments(customer_id=ids.customers["maya"]))
    everyone = list(client.iter_enrollments())

    assert [e.id for e in paused] == [ids.enrollments["m0_classes"]]
    assert [e.id for e in mayas] == [ids.enrollments["maya_24h"]]
    assert len(everyone) == 3


def test_a_client_paced_by_default_meets_no_429(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    emulator.configure(rate_limit=True)
    client = make_client()

    for _ in range(20):
        client.get_company()

    assert emulator.call_count(status=429) == 0
    assert emulator.call_count("GET /v3/company", status=200) == 20


def test_a_client_too_fast_for_the_limit_is_throttled_and_recovers(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    emulator.configure(rate_limit=True)
    client = make_client(requests_per_second=50.0)

    for _ in range(20):
        client.get_company()

    assert emulator.call_count(status=429) > 0
    assert emulator.call_count("GET /v3/company", status=200) == 20
    assert client.total_requests == 20 + emulator.call_count(status=429)


def test_a_short_outage_is_ridden_out_by_retries(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    emulator.inject_fault(kind="outage", max_requests=2)

    assert make_client().get_company().id == ids.club
    assert emulator.call_count(status=503) == 2


def test_a_lasting_outage_is_raised_once_attempts_run_out(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    emulator.inject_fault(kind="outage")

    with pytest.raises(PushPressUnavailable) as raised:
        make_client(retry=RetryPolicy(max_attempts=3, jitter=lambda: 0.0)).get_company()

    assert raised.value.status_code == 503
    assert emulator.call_count(status=503) == 3


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_on_one_path_are_retried(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator, status: int
) -> None:
    emulator.inject_fault(kind="error", status=status, path_prefix="/customers", max_requests=1)
    client = make_client()

    assert len(list(client.iter_customers())) == MEMBERS
    assert client.get_company().id == ids.club
    assert emulator.call_count(status=status) == 1


def test_a_429_storm_is_waited_out_as_retry_after_says(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    emulator.inject_fault(kind="rate_limit", retry_after=2, max_requests=3)
    start = emulator.clock.now()

    make_client().get_company()

    assert emulator.call_count(status=429) == 3
    assert (emulator.clock.now() - start).total_seconds() >= 6


def test_a_429_storm_longer_than_the_wait_budget_is_raised(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    emulator.inject_fault(kind="rate_limit", retry_after=60)

    with pytest.raises(PushPressRateLimited) as raised:
        make_client().get_company()

    assert raised.value.retry_after == 60.0


def test_a_slow_answer_is_still_an_answer(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    emulator.inject_fault(kind="latency", latency_ms=50, max_requests=1)

    assert make_client().get_company().id == ids.club


def test_an_answer_held_past_the_timeout_is_unavailable(
    ids: SimpleNamespace, make_client: MakeClient, emulator: PushPressEmulator
) -> None:
    emulator.inject_fault(kind="timeout", hold_seconds=5, max_requests=1)
    client = make_client(retry=NO_RETRY, timeout=httpx.Timeout(0.3, connect=2.0))
    try:
        with pytest.raises(PushPressUnavailable) as raised:
            client.get_company()
    finally:
        emulator.clear_faults()

    assert "ReadTimeout" in str(raised.value)
    assert raised.value.possibly_executed
    assert KEY not in repr(raised.value)


def test_probabilistic_faults_repeat_with_the_same_seed(ids: SimpleNamespace) -> None:
    def statuses(seed: int) -> list[int]:
        emulator = PushPressEmulator(rate_limit=False, fault_seed=seed)
        emulator.seed({"companies": [{"api_keys": ["k"]}]})
        emulator.inject_fault(kind="error", probability=0.5)
        request = EmulatorRequest("GET", "/v3/company", headers={"api-key": "k"})
        return [emulator.handle(request).status for _ in range(30)]

    assert statuses(7) == statuses(7)
    assert set(statuses(7)) == {200, 500}
