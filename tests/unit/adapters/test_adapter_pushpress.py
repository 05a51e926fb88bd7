"""PushPress webhooks: enrollments into memberships, customers into member profiles, customer
deletion; everything else ignored."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from access_core.domain.events import (
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipStatus,
    MembershipUpserted,
)
from access_core.ingest.platforms import FieldError
from access_core.ingest.platforms.base import derive_event_id
from access_core.ingest.platforms.pushpress import ENROLLMENT_STATUSES

from .adapter_samples import Samples, load, sample_names

PUSHPRESS = Samples("pushpress")
ADAPTER = PUSHPRESS.adapter
translate_sample = PUSHPRESS.translate_sample
errors_of = PUSHPRESS.errors_of
fields_of = PUSHPRESS.fields_of
only_event = PUSHPRESS.only_event

SAMPLE_TESTS = {
    "enrollment_created.json",
    "enrollment_status_changed_pendcancel.json",
    "enrollment_status_changed_alert.json",
    "enrollment_status_changed_canceled.json",
    "enrollment_status_changed_without_customer.json",
    "enrollment_deleted.json",
    "enrollment_deleted_with_customer.json",
    "customer_created.json",
    "customer_details_changed.json",
    "customer_deleted.json",
    "checkin_created.json",
    "invalid_enrollment_status.json",
}
MAYA = {
    "member_id": "usr_7f3a9c21",
    "email": "maya.okafor@example.com",
    "name": "Maya Okafor",
    "plan_id": "plan_2b9f6a13",
}


def enrollment(**data_changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load("pushpress", "enrollment_created.json"))
    body["data"].update(data_changes)
    return body


def customer(event_type: str = "customer.created", **data_changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load("pushpress", "customer_created.json"))
    body["event"] = event_type
    body["data"].update(data_changes)
    return body


def assert_is_maya(event: object, **overrides: str | None) -> None:
    expected = MAYA | overrides
    assert isinstance(event, MembershipUpserted)
    assert event.member_id == expected["member_id"]
    assert event.email == expected["email"]
    assert event.name == expected["name"]
    assert event.plan_id == expected["plan_id"]


def test_every_pushpress_sample_has_a_test() -> None:
    assert sample_names("pushpress") == SAMPLE_TESTS


# --- samples ----------------------------------------------------------------------------------


def test_enrollment_created_sample() -> None:
    body = load("pushpress", "enrollment_created.json")
    translation = ADAPTER.translate(body)
    event = only_event(translation, MembershipUpserted)
    assert translation.source_event_type == "enrollment.created"
    assert translation.source_event_id == derive_event_id(body)
    assert translation.source_event_id.startswith("sha256:")
    assert_is_maya(event)
    assert event.updated_at == datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)
    assert event.status is MembershipStatus.ACTIVE
    assert event.cancellation_at is None


def test_enrollment_status_changed_pendcancel_sample_ends_after_the_end_date() -> None:
    event = only_event(
        translate_sample("enrollment_status_changed_pendcancel.json"), MembershipUpserted
    )
    assert_is_maya(event)
    assert event.updated_at == datetime(2025, 4, 18, 22, 15, 40, tzinfo=UTC)
    assert event.status is MembershipStatus.PENDING_CANCEL
    # endDate 2025-05-13: access runs through that whole day (UTC).
    assert event.cancellation_at == datetime(2025, 5, 14, tzinfo=UTC)


def test_enrollment_status_changed_alert_sample_is_a_failed_payment_paid_through_paid_until() -> (
    None
):
    event = only_event(translate_sample("enrollment_status_changed_alert.json"), MembershipUpserted)
    assert_is_maya(event)
    assert event.updated_at == datetime(2025, 4, 2, 6, 0, 3, tzinfo=UTC)
    # Revoked unless the plan gives payment grace days (membership/policy.py).
    assert event.status is MembershipStatus.PAYMENT_FAILED
    # paidUntil 2025-04-14: paid through that whole day (UTC).
    assert event.paid_through == datetime(2025, 4, 15, tzinfo=UTC)
    assert event.cancellation_at is None


def test_enrollment_status_changed_canceled_sample() -> None:
    event = only_event(
        translate_sample("enrollment_status_changed_canceled.json"), MembershipUpserted
    )
    assert_is_maya(event)
    assert event.updated_at == datetime(2025, 5, 1, 0, 0, 5, tzinfo=UTC)
    assert event.status is MembershipStatus.CANCELLED
    assert event.cancellation_at is None


def test_enrollment_status_changed_sample_without_customer_has_no_email() -> None:
    # PushPress's documented shape: the enrollment names only customerId. The member's stored
    # email (from customer events) is kept, and the name is not known here.
    translation = translate_sample("enrollment_status_changed_without_customer.json")
    event = only_event(translation, MembershipUpserted)
    assert translation.source_event_type == "enrollment.status.changed"
    assert_is_maya(event, email=None, name="")
    assert event.updated_at == datetime(2025, 4, 3, 6, 0, 3, tzinfo=UTC)
    assert event.status is MembershipStatus.ACTIVE
    assert event.cancellation_at is None


def test_enrollment_deleted_sample_naming_only_the_enrollment_is_ignored() -> None:
    translation = translate_sample("enrollment_deleted.json")
    assert translation.events == []
    assert translation.ignored_reason is not None
    assert "customer" in translation.ignored_reason
    assert translation.source_event_type == "enrollment.deleted"


def test_enrollment_deleted_sample_naming_the_customer_cancels_the_membership() -> None:
    event = only_event(
        translate_sample("enrollment_deleted_with_customer.json"), MembershipUpserted
    )
    assert_is_maya(
        event, member_id="usr_1b6d4e90", email="theo.lambert@example.net", name="Theo Lambert"
    )
    assert event.updated_at == datetime(2025, 3, 14, 15, 10, 12, tzinfo=UTC)
    assert event.status is MembershipStatus.CANCELLED
    assert event.cancellation_at is None


def test_customer_created_sample_is_a_profile_update() -> None:
    body = load("pushpress", "customer_created.json")
    translation = ADAPTER.translate(body)
    event = only_event(translation, MemberProfileUpdated)
    assert isinstance(event, MemberProfileUpdated)
    assert translation.source_event_type == "customer.created"
    assert translation.source_event_id == derive_event_id(body)
    assert event.member_id == "usr_7f3a9c21"
    assert event.email == "maya.okafor@example.com"
    assert event.name == "Maya Okafor"
    assert event.updated_at == datetime(2025, 3, 14, 15, 0, 2, tzinfo=UTC)


def test_customer_details_changed_sample_carries_the_new_email() -> None:
    translation = translate_sample("customer_details_changed.json")
    event = only_event(translation, MemberProfileUpdated)
    assert isinstance(event, MemberProfileUpdated)
    assert translation.source_event_type == "customer.details.changed"
    assert event.member_id == "usr_7f3a9c21"
    assert event.email == "maya.okafor@newmail.example"
    assert event.name == "Maya Okafor"
    assert event.updated_at == datetime(2025, 3, 20, 9, 41, 27, tzinfo=UTC)


def test_customer_deleted_sample() -> None:
    translation = translate_sample("customer_deleted.json")
    event = only_event(translation, MembershipDeleted)
    assert isinstance(event, MembershipDeleted)
    assert translation.source_event_type == "customer.deleted"
    assert event.member_id == "usr_7f3a9c21"
    assert event.updated_at == datetime(2025, 5, 1, 0, 1, 40, tzinfo=UTC)


def test_checkin_created_sample_is_ignored() -> None:
    translation = translate_sample("checkin_created.json")
    assert translation.events == []
    assert translation.ignored_reason is not None
    assert "checkin.created" in translation.ignored_reason


def test_invalid_sample_names_only_the_unknown_status() -> None:
    # It embeds no customer, which is fine: only the status "pendingactive" is wrong.
    errors = errors_of(load("pushpress", "invalid_enrollment_status.json"))
    assert [error.field for error in errors] == ["data.status"]
    assert "'pendingactive'" in errors[0].message


# --- statuses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pushpress_status", "status"),
    [
        ("active", MembershipStatus.ACTIVE),
        ("pendactivation", MembershipStatus.PENDING_ACTIVE),
        ("pendcancel", MembershipStatus.PENDING_CANCEL),
        ("paused", MembershipStatus.PAUSED),
        ("alert", MembershipStatus.PAYMENT_FAILED),
        ("completed", MembershipStatus.EXPIRED),
        ("canceled", MembershipStatus.CANCELLED),
        ("cancelled", MembershipStatus.CANCELLED),
        ("PendCancel", MembershipStatus.PENDING_CANCEL),
        (" active ", MembershipStatus.ACTIVE),
    ],
)
def test_enrollment_status_maps_to_membership_status(
    pushpress_status: str, status: MembershipStatus
) -> None:
    event = only_event(ADAPTER.translate(enrollment(status=pushpress_status)), MembershipUpserted)
    assert event.status is status


def test_status_table_covers_exactly_the_documented_statuses() -> None:
    documented = {"active", "alert", "canceled", "completed", "paused", "pendactivation"}
    assert set(ENROLLMENT_STATUSES) == documented | {"pendcancel", "cancelled"}


@pytest.mark.parametrize("status", ["pending", "suspended", "", "pending activation", 1, None])
def test_unknown_status_is_rejected_naming_the_status_field(status: object) -> None:
    assert fields_of(enrollment(status=status)) == ["data.status"]


# --- enrollments ------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ["enrollment.created", "enrollment.status.changed"])
def test_enrollment_without_embedded_customer_has_no_email_nor_name(event_type: str) -> None:
    body = enrollment()
    body["event"] = event_type
    del body["data"]["customer"]
    event = only_event(ADAPTER.translate(body), MembershipUpserted)
    assert_is_maya(event, email=None, name="")
    assert event.status is MembershipStatus.ACTIVE


def test_enrollment_with_a_null_customer_has_no_email() -> None:
    assert (
        only_event(ADAPTER.translate(enrollment(customer=None)), MembershipUpserted).email is None
    )


@pytest.mark.parametrize(
    ("customer", "message"),
    [
        ({"id": "usr_7f3a9c21"}, "Field required"),
        ({"email": "maya.okafor(at)example.com"}, "not a valid email address"),
        ({"email": None}, "Input should be a valid string"),
    ],
)
def test_embedded_customer_needs_a_valid_email(customer: dict[str, Any], message: str) -> None:
    assert errors_of(enrollment(customer=customer)) == [FieldError("data.customer.email", message)]


def test_embedded_customer_must_be_the_enrollment_customer() -> None:
    body = enrollment(customer={"id": "usr_someone_else", "email": "x@example.com"})
    assert fields_of(body) == ["data.customer.id"]


def test_minimal_enrollment_with_integer_ids_and_no_name() -> None:
    body = {
        "event": "enrollment.status.changed",
        "created": 1741964531,
        "data": {
            "id": 5501,
            "customerId": 12345,
            "status": "active",
            "customer": {"email": "Lee@Example.com"},
        },
    }
    event = only_event(ADAPTER.translate(body), MembershipUpserted)
    assert event.member_id == "12345"
    assert event.email == "lee@example.com"
    assert event.name == ""
    assert event.plan_id is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", None), ("customerId", None), ("customerId", ""), ("customerId", "usr 1")],
)
def test_enrollment_ids_are_required_and_well_formed(field: str, value: str | None) -> None:
    assert fields_of(enrollment(**{field: value})) == [f"data.{field}"]


def test_every_missing_enrollment_field_is_named_at_once() -> None:
    body = {"event": "enrollment.created", "data": {}}
    assert set(fields_of(body)) == {
        "created",
        "data.id",
        "data.customerId",
        "data.status",
    }


@pytest.mark.parametrize(
    ("end_date", "cancellation_at"),
    [
        ("2025-05-13", datetime(2025, 5, 14, tzinfo=UTC)),
        ("2025-05-13T18:00:00-05:00", datetime(2025, 5, 13, 23, 0, tzinfo=UTC)),
        (1747180800, datetime(2025, 5, 14, tzinfo=UTC)),
        (None, None),
    ],
)
def test_pending_cancel_takes_effect_after_the_end_date(
    end_date: str | int | None, cancellation_at: datetime | None
) -> None:
    event = only_event(
        ADAPTER.translate(enrollment(status="pendcancel", endDate=end_date)), MembershipUpserted
    )
    assert event.cancellation_at == cancellation_at


@pytest.mark.parametrize("end_date", ["next month", "2025-02-30", "2025-05-13T18:00:00", True])
def test_unreadable_end_date_of_a_pending_cancel_is_rejected(end_date: object) -> None:
    assert fields_of(enrollment(status="pendcancel", endDate=end_date)) == ["data.endDate"]


def test_end_date_of_other_statuses_is_not_read() -> None:
    event = only_event(
        ADAPTER.translate(enrollment(status="active", endDate="whenever")), MembershipUpserted
    )
    assert event.cancellation_at is None


# --- envelope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created", "updated_at"),
    [
        (1741964531, datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)),
        (1741964531000, datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)),
        ("2025-03-14T15:02:11Z", datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)),
    ],
)
def test_created_is_the_updated_at_in_epoch_seconds_or_iso(
    created: int | str, updated_at: datetime
) -> None:
    body = enrollment()
    body["created"] = created
    assert only_event(ADAPTER.translate(body), MembershipUpserted).updated_at == updated_at


@pytest.mark.parametrize("created", ["2025-03-14T15:02:11", None, "yesterday", 42])
def test_unusable_created_is_rejected(created: object) -> None:
    body = enrollment()
    body["created"] = created
    assert fields_of(body) == ["created"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"created": 1741964531, "data": {}}, ["event"]),
        ({"event": ["enrollment.created"], "data": {}}, ["event"]),
        ([], ["$"]),
        (17, ["$"]),
    ],
)
def test_envelope_errors(body: object, fields: list[str]) -> None:
    assert fields_of(body) == fields


@pytest.mark.parametrize(
    "event_type",
    ["appointment.scheduled", "reservation.created", "class.canceled", "memberapp.updated"],
)
def test_other_event_types_are_ignored_without_reading_data(event_type: str) -> None:
    translation = ADAPTER.translate({"event": event_type, "data": "anything"})
    assert translation.events == []
    assert translation.ignored_reason is not None
    assert translation.source_event_type == event_type


def test_same_body_same_event_id_and_a_later_delivery_another() -> None:
    body = load("pushpress", "enrollment_status_changed_alert.json")
    first = ADAPTER.translate(body)
    assert ADAPTER.translate(copy.deepcopy(body)).source_event_id == first.source_event_id
    later = copy.deepcopy(body)
    later["created"] += 1
    assert ADAPTER.translate(later).source_event_id != first.source_event_id


def test_customer_deleted_needs_the_customer_id_and_time() -> None:
    assert set(fields_of({"event": "customer.deleted", "data": {"companyId": "cli_1"}})) == {
        "created",
        "data.id",
    }


def test_enrollment_deleted_naming_only_the_customer_id_cancels_without_an_email() -> None:
    body = {
        "event": "enrollment.deleted",
        "created": 1741965012,
        "data": {"id": "sub_1", "customerId": "usr_1", "planId": "plan_1"},
    }
    event = only_event(ADAPTER.translate(body), MembershipUpserted)
    assert isinstance(event, MembershipUpserted)
    assert event.member_id == "usr_1"
    assert event.email is None
    assert event.name == ""
    assert event.plan_id == "plan_1"
    assert event.status is MembershipStatus.CANCELLED


# --- customers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_type", ["customer.created", "customer.updated", "customer.details.changed"]
)
def test_customer_events_are_profile_updates(event_type: str) -> None:
    translation = ADAPTER.translate(customer(event_type, email="  Lee@Example.COM "))
    event = only_event(translation, MemberProfileUpdated)
    assert isinstance(event, MemberProfileUpdated)
    assert translation.source_event_type == event_type
    assert event.member_id == "usr_7f3a9c21"
    assert event.email == "lee@example.com"
    assert event.name == "Maya Okafor"


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("maya.okafor(at)example.com", "not a valid email address"),
        (None, "Input should be a valid string"),
        ("", "not a valid email address"),
    ],
)
def test_customer_event_needs_a_valid_email(email: str | None, message: str) -> None:
    assert errors_of(customer(email=email)) == [FieldError("data.email", message)]


def test_customer_event_without_an_email_is_rejected_naming_it() -> None:
    body = customer()
    del body["data"]["email"]
    assert errors_of(body) == [FieldError("data.email", "Field required")]


def test_customer_event_needs_the_customer_id_time_and_email() -> None:
    body = {"event": "customer.updated", "data": {"companyId": "cli_1"}}
    assert set(fields_of(body)) == {"created", "data.id", "data.email"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, ""),
        ({"first": "Lee"}, "Lee"),
        ({"first": " Lee ", "last": None, "nickname": "L"}, "Lee"),
        ({"first": "Lee", "last": "x" * 300}, ("Lee " + "x" * 300)[:200]),
    ],
)
def test_customer_name_is_first_and_last(name: dict[str, str | None] | None, expected: str) -> None:
    assert only_event(ADAPTER.translate(customer(name=name)), MemberProfileUpdated).name == expected


def test_customer_with_integer_id() -> None:
    assert (
        only_event(ADAPTER.translate(customer(id=12345)), MemberProfileUpdated).member_id == "12345"
    )


def test_customer_status_changed_is_ignored_as_it_is_not_the_enrollment_status() -> None:
    body = customer("customer.status.changed")
    translation = ADAPTER.translate(body)
    assert translation.events == []
    assert translation.ignored_reason is not None
    assert "not an enrollment's" in translation.ignored_reason
    assert translation.source_event_type == "customer.status.changed"


def test_customer_email_that_cannot_be_stored_as_utf8_is_rejected_in_customer_events() -> None:
    assert errors_of(customer(email="maya\udfff@example.com")) == [
        FieldError("data.email", "must be valid Unicode text")
    ]


def test_customer_email_that_cannot_be_stored_as_utf8_is_rejected() -> None:
    body = enrollment(customer={"email": "maya\udfff@example.com"})
    assert errors_of(body) == [FieldError("data.customer.email", "must be valid Unicode text")]
