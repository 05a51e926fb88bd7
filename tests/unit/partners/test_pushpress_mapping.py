"""The one PushPress mapping (access_core/pushpress/mapping.py): pushpress_client records into
canonical events, and the webhook adapter giving the same events for the same records."""

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_core.domain.events import (
    MAX_ID_LENGTH,
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipStatus,
    MembershipUpserted,
)
from access_core.ingest.platforms import ADAPTERS
from access_core.pushpress.mapping import (
    ENROLLMENT_STATUSES,
    GRANTING_ENROLLMENT_STATUSES,
    UnmappableRecord,
    member_deleted,
    membership_ended,
    membership_from_enrollment,
    profile_from_customer,
    pull_event_id,
)
from pushpress_client import Customer, Enrollment, EnrollmentStatus

READ_AT = datetime(2026, 11, 2, 3, 15, tzinfo=UTC)
CREATED = 1762053300  # 2025-11-02T03:15:00Z
ADAPTER = ADAPTERS["pushpress"]
SETTINGS = settings(max_examples=150, deadline=None)


def enrollment(**fields: str) -> Enrollment:
    data = {"id": "sub_1", "customerId": "usr_1", "planId": "plan_24h", "status": "active"}
    return Enrollment.model_validate(data | fields)


def test_the_statuses_that_can_grant_are_listed_daily() -> None:
    assert GRANTING_ENROLLMENT_STATUSES == (
        EnrollmentStatus.ACTIVE,
        EnrollmentStatus.PENDING_CANCEL,
    )


def test_a_pulled_enrollment_is_a_membership_versioned_by_the_read_time() -> None:
    event = membership_from_enrollment(
        enrollment(status="pendcancel", endDate="2026-11-30"), event_id="e-1", updated_at=READ_AT
    )
    assert event == MembershipUpserted(
        event_id="e-1",
        updated_at=READ_AT,
        member_id="usr_1",
        plan_id="plan_24h",
        status=MembershipStatus.PENDING_CANCEL,
        cancellation_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert event.email is None  # the customer's stream carries it


@pytest.mark.parametrize("status", ["pending", "", "suspended"])
def test_a_pulled_enrollment_with_an_unknown_status_is_unmappable_never_granted(
    status: str,
) -> None:
    with pytest.raises(UnmappableRecord) as caught:
        membership_from_enrollment(enrollment(status=status), event_id="e", updated_at=READ_AT)
    assert [p.field for p in caught.value.problems] == ["status"]


def test_an_unreadable_end_date_of_a_pending_cancel_is_named() -> None:
    with pytest.raises(UnmappableRecord) as caught:
        membership_from_enrollment(
            enrollment(status="pendcancel", endDate="soon"), event_id="e", updated_at=READ_AT
        )
    assert [p.field for p in caught.value.problems] == ["endDate"]


def test_a_customer_is_a_profile_and_without_an_email_unmappable() -> None:
    customer = Customer.model_validate(
        {"id": "usr_1", "email": " Ann@Example.COM", "name": {"first": "Ann", "last": "Lee"}}
    )
    assert profile_from_customer(customer, event_id="e", updated_at=READ_AT) == (
        MemberProfileUpdated(
            event_id="e",
            updated_at=READ_AT,
            member_id="usr_1",
            email="ann@example.com",
            name="Ann Lee",
        )
    )
    for email in (None, "not-an-email"):
        with pytest.raises(UnmappableRecord) as caught:
            profile_from_customer(
                Customer(id="usr_1", email=email), event_id="e", updated_at=READ_AT
            )
        assert [p.field for p in caught.value.problems] == ["email"]


def test_an_ended_membership_and_a_deleted_customer() -> None:
    ended = membership_ended(event_id="e", updated_at=READ_AT, customer_id="usr_1")
    assert (ended.status, ended.plan_id, ended.email) == (MembershipStatus.CANCELLED, None, None)
    deleted = member_deleted("usr_1", event_id="e", updated_at=READ_AT)
    assert deleted == MembershipDeleted(event_id="e", updated_at=READ_AT, member_id="usr_1")


def test_an_embedded_contact_must_be_the_member() -> None:
    with pytest.raises(UnmappableRecord) as caught:
        membership_ended(
            event_id="e",
            updated_at=READ_AT,
            customer_id="usr_1",
            contact=Customer(id="usr_2", email="b@example.com"),
        )
    assert [p.field for p in caught.value.problems] == ["customer.id"]


@pytest.mark.parametrize(
    "record_id", ["sub_1", "5f0c6a9e-1b2d-4c3e-8f7a-9b0c1d2e3f40", "with space", "x" * 300, "é/ü"]
)
def test_pull_event_ids_are_valid_event_ids_and_stable(record_id: str) -> None:
    event_id = pull_event_id("enrollment", record_id, READ_AT)
    assert len(event_id) <= MAX_ID_LENGTH
    assert re.fullmatch(r"[\w.:@-]+", event_id)
    assert event_id == pull_event_id("enrollment", record_id, READ_AT)
    assert event_id != pull_event_id("enrollment", record_id + "0", READ_AT)
    assert event_id.endswith(f"@{int(READ_AT.timestamp())}")


# --- one mapping: the webhook adapter and the pull agree ---------------------------------------

ids = st.text(alphabet="abcdef0123456789_-", min_size=1, max_size=24)
statuses = st.sampled_from(sorted(ENROLLMENT_STATUSES)).flatmap(
    lambda s: st.sampled_from([s, s.upper(), f" {s} "])
)
end_dates = st.one_of(
    st.none(),
    st.dates(min_value=datetime(2001, 1, 1).date(), max_value=datetime(2098, 1, 1).date()).map(str),
    st.just("2026-05-13T18:00:00-05:00"),
)
enrollment_data = st.fixed_dictionaries(
    {"id": ids, "customerId": ids, "status": statuses},
    optional={"planId": ids, "endDate": end_dates, "companyId": ids},
)
customer_data = st.fixed_dictionaries(
    {
        "id": ids,
        "email": st.emails().filter(lambda e: len(e) < 200),
        "name": st.fixed_dictionaries(
            {}, optional={"first": st.text(max_size=30), "last": st.text(max_size=30)}
        ),
    }
)


@SETTINGS
@given(
    data=enrollment_data,
    event_type=st.sampled_from(["enrollment.created", "enrollment.status.changed"]),
)
def test_the_adapter_and_the_pull_map_an_enrollment_alike(
    data: dict[str, str | None], event_type: str
) -> None:
    translation = ADAPTER.translate({"event": event_type, "created": CREATED, "data": data})
    [from_webhook] = translation.events
    created = datetime.fromtimestamp(CREATED, UTC)
    pulled = membership_from_enrollment(
        Enrollment.model_validate(data), event_id=from_webhook.event_id, updated_at=created
    )
    assert from_webhook == pulled


@SETTINGS
@given(data=customer_data)
def test_the_adapter_and_the_pull_map_a_customer_alike(data: dict[str, object]) -> None:
    translation = ADAPTER.translate({"event": "customer.created", "created": CREATED, "data": data})
    [from_webhook] = translation.events
    pulled = profile_from_customer(
        Customer.model_validate(data),
        event_id=from_webhook.event_id,
        updated_at=datetime.fromtimestamp(CREATED, UTC),
    )
    assert from_webhook == pulled
