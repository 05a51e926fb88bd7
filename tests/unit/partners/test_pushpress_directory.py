"""PushPressDirectory (access_core/pushpress/directory.py) against the PushPress emulator answering
in-process (no socket): what each method reads, the events it maps, the calls it costs, and the
client's errors raised as the domain's PlatformError kinds."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from access_core.domain.events import MembershipStatus, MembershipUpserted
from access_core.domain.ports import (
    PlatformAuthError,
    PlatformDirectory,
    PlatformError,
    PlatformUnavailable,
)
from access_core.pushpress.directory import PushPressDirectory
from pushpress_client import NO_RETRY, PacerRegistry, PushPressClient
from pushpress_emulator import PushPressEmulator
from pushpress_emulator.testing import in_process_transport

READ_AT = datetime(2026, 11, 2, 3, 15, tzinfo=UTC)
Ids = dict[str, Any]  # the emulator's answer to a seed: {"id", "plans": {ref: id}, ...}
API_KEY = "pushpress-test-key-0123456789abcdef"
SEED = {
    "companies": [
        {
            "ref": "club",
            "name": "Test Barbell",
            "api_keys": [API_KEY],
            "plans": [
                {"ref": "24h", "name": "Unlimited 24/7", "allow_24_hour_access": True},
                {"ref": "classes", "name": "Classes only"},
            ],
            "customers": [
                {"ref": "ann", "email": "Ann@Example.com", "first": "Ann", "last": "Lee"},
                {"ref": "ben", "email": "ben@example.com", "first": "Ben"},
                {"ref": "cy", "email": "cy@example.com", "first": "Cy"},
                {"ref": "dee", "email": "dee@example.com", "first": "Dee"},
            ],
            "enrollments": [
                {"ref": "ann_24h", "customer": "ann", "plan": "24h", "status": "active"},
                {
                    "ref": "ben_24h",
                    "customer": "ben",
                    "plan": "24h",
                    "status": "pendcancel",
                    "end_date": "2026-11-30",
                },
                {"ref": "cy_old", "customer": "cy", "plan": "24h", "status": "canceled"},
                {"ref": "cy_classes", "customer": "cy", "plan": "classes", "status": "active"},
            ],
        }
    ]
}


@pytest.fixture
def emulator() -> PushPressEmulator:
    return PushPressEmulator(rate_limit=False)


@pytest.fixture
def ids(emulator: PushPressEmulator) -> Ids:
    seeded: Ids = emulator.seed(SEED)["companies"]["club"]
    return seeded


def directory_for(
    emulator: PushPressEmulator,
    *,
    api_key: str = API_KEY,
    access_plan_ids: set[str] | None = None,
    page_size: int = 100,
) -> PushPressDirectory:
    client = PushPressClient(
        api_key,
        base_url="http://pushpress.invalid/v3",
        pacers=PacerRegistry(),
        requests_per_second=1000,
        retry=NO_RETRY,
        page_size=page_size,
        http_client=httpx.Client(transport=in_process_transport(emulator)),
    )
    return PushPressDirectory(client, clock=lambda: READ_AT, access_plan_ids=access_plan_ids)


def test_it_is_a_platform_directory_listing_the_granting_statuses_daily(
    emulator: PushPressEmulator, ids: Ids
) -> None:
    directory: PlatformDirectory = directory_for(emulator)
    assert directory.granting_statuses == ("active", "pendcancel")
    account = directory.check_credentials()
    assert (account.account_id, account.name) == (ids["id"], "Test Barbell")
    assert directory.calls_made == 1


def test_member_facts_reads_the_customer_and_its_enrollments(
    emulator: PushPressEmulator, ids: Ids
) -> None:
    directory = directory_for(emulator)
    ann = ids["customers"]["ann"]

    facts = directory.member_facts(ann)

    assert facts.read_at == READ_AT
    assert facts.profile is not None
    assert (facts.profile.email, facts.profile.name) == ("ann@example.com", "Ann Lee")
    assert facts.membership is not None
    assert facts.membership.status is MembershipStatus.ACTIVE
    assert facts.membership.plan_id == ids["plans"]["24h"]
    assert facts.membership.updated_at == facts.profile.updated_at == READ_AT
    assert [e.type for e in facts.events()] == ["member.profile_updated", "membership.upserted"]
    assert directory.calls_made == 2  # GET /customers/{id}, GET /enrollments?customerId=


def test_member_facts_by_enrollment_id(emulator: PushPressEmulator, ids: Ids) -> None:
    directory = directory_for(emulator)
    facts = directory.member_facts(
        ids["customers"]["ben"], enrollment_id=ids["enrollments"]["ben_24h"]
    )
    assert facts.membership is not None
    assert facts.membership.status is MembershipStatus.PENDING_CANCEL
    assert facts.membership.cancellation_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert emulator.call_count("GET /v3/enrollments/{uuid}") == 1


def test_of_several_enrollments_the_access_plan_decides(
    emulator: PushPressEmulator, ids: Ids
) -> None:
    cy = ids["customers"]["cy"]
    by_status = directory_for(emulator).member_facts(cy).membership
    by_plan = directory_for(emulator, access_plan_ids={ids["plans"]["24h"]}).member_facts(cy)
    assert by_status is not None
    assert (by_status.status, by_status.plan_id) == (
        MembershipStatus.ACTIVE,
        ids["plans"]["classes"],
    )
    assert by_plan.membership is not None
    assert by_plan.membership.status is MembershipStatus.CANCELLED


def test_a_customer_without_enrollments_has_an_ended_membership(
    emulator: PushPressEmulator, ids: Ids
) -> None:
    facts = directory_for(emulator).member_facts(ids["customers"]["dee"])
    assert facts.membership is not None
    assert (facts.membership.status, facts.membership.plan_id) == (MembershipStatus.CANCELLED, None)


def test_a_deleted_customer_is_a_deleted_member_after_one_call(
    emulator: PushPressEmulator, ids: Ids
) -> None:
    directory = directory_for(emulator)
    ann = ids["customers"]["ann"]
    emulator.delete_customer(ids["id"], ann)

    facts = directory.member_facts(ann)

    assert facts.deleted is not None
    assert facts.events() == [facts.deleted]
    assert directory.calls_made == 1


def test_listings_page_by_page_with_a_next_page(emulator: PushPressEmulator, ids: Ids) -> None:
    directory = directory_for(emulator, page_size=2)

    first = directory.list_enrollments(status="active")
    second = directory.list_enrollments(status="active", page=first.next_page or 0)

    assert (first.listed, first.page, first.next_page) == (2, 1, 2)
    assert all(isinstance(e, MembershipUpserted) for e in first.events)
    assert {e.member_id for e in first.events} == {
        ids["customers"]["ann"],
        ids["customers"]["cy"],
    }
    assert (second.listed, second.next_page) == (0, None)
    customers = directory.list_customers()
    assert {e.email for e in customers.events} >= {"ann@example.com", "ben@example.com"}
    assert all(e.updated_at == READ_AT for e in customers.events)


def test_a_revoked_key_is_an_auth_error(emulator: PushPressEmulator, ids: Ids) -> None:
    emulator.revoke_api_key(API_KEY)
    directory = directory_for(emulator)
    calls: tuple[Callable[[], object], ...] = (
        directory.check_credentials,
        lambda: directory.member_facts(ids["customers"]["ann"]),
        directory.list_enrollments,
        directory.list_customers,
    )
    for call in calls:
        with pytest.raises(PlatformAuthError) as caught:
            call()
        assert API_KEY not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize("fault", [{"kind": "outage"}, {"kind": "rate_limit", "retry_after": 7}])
def test_an_outage_or_throttling_is_unavailable_retry_later(
    emulator: PushPressEmulator, ids: Ids, fault: dict[str, Any]
) -> None:
    emulator.inject_fault(**fault)
    with pytest.raises(PlatformUnavailable) as caught:
        directory_for(emulator).list_enrollments(status="active")
    assert not isinstance(caught.value, PlatformAuthError)
    if fault["kind"] == "rate_limit":
        assert caught.value.retry_after == 7


def test_other_failures_are_platform_errors_not_auth_errors(
    emulator: PushPressEmulator, ids: Ids
) -> None:
    with pytest.raises(PlatformError) as caught:
        directory_for(emulator).list_enrollments(status="not-a-status")
    assert type(caught.value) is PlatformError


def test_the_directory_shows_no_key() -> None:
    client = PushPressClient(API_KEY, base_url="http://pushpress.invalid/v3")
    assert API_KEY not in repr(PushPressDirectory(client, clock=lambda: READ_AT))
