"""The canonical envelope: {"id", "type", "data"} into the canonical event of that type."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from access_core.domain.events import (
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipStatus,
    MembershipUpserted,
    PlanUpdated,
    ReservationCancelled,
    ReservationStatus,
    ReservationUpserted,
)
from access_core.ingest.platforms import FieldError
from access_core.ingest.platforms.base import derive_event_id

from .adapter_samples import Samples, load, sample_names

CANONICAL = Samples("canonical", derived_ids=False)
ADAPTER = CANONICAL.adapter
translate_sample = CANONICAL.translate_sample
errors_of = CANONICAL.errors_of
fields_of = CANONICAL.fields_of
only_event = CANONICAL.only_event

SAMPLE_TESTS = {
    "membership_upserted.json",
    "membership_upserted_pending_cancel.json",
    "membership_deleted.json",
    "member_profile_updated.json",
    "plan_updated.json",
    "reservation_upserted.json",
    "reservation_cancelled.json",
    "unknown_type.json",
    "invalid_membership_upserted.json",
}


def membership(**data_changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load("canonical", "membership_upserted.json"))
    body["data"].update(data_changes)
    return body


def test_every_canonical_sample_has_a_test() -> None:
    assert sample_names("canonical") == SAMPLE_TESTS


# --- samples ----------------------------------------------------------------------------------


def test_membership_upserted_sample() -> None:
    translation = translate_sample("membership_upserted.json")
    event = only_event(translation, MembershipUpserted)
    assert isinstance(event, MembershipUpserted)
    assert translation.source_event_id == "evt_01HQ7Z3K9M2N4P6R8T0V2X4Z6B"
    assert translation.source_event_type == "membership.upserted"
    assert event.event_id == "evt_01HQ7Z3K9M2N4P6R8T0V2X4Z6B"
    assert event.updated_at == datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)
    assert event.member_id == "mem_48213"
    assert event.email == "jordan.rivera@example.com"
    assert event.name == "Jordan Rivera"
    assert event.plan_id == "plan_24h_unlimited"
    assert event.status is MembershipStatus.ACTIVE
    assert event.cancellation_at is None


def test_membership_upserted_pending_cancel_sample_with_epoch_updated_at() -> None:
    event = only_event(
        translate_sample("membership_upserted_pending_cancel.json"), MembershipUpserted
    )
    assert isinstance(event, MembershipUpserted)
    assert event.event_id == "evt_01HQ8A1C3E5G7J9L1N3Q5S7U9W"
    assert event.updated_at == datetime(2025, 3, 20, 9, 41, 27, tzinfo=UTC)
    assert event.member_id == "mem_48213"
    assert event.email == "jordan.rivera@example.com"
    assert event.plan_id == "plan_24h_unlimited"
    assert event.status is MembershipStatus.PENDING_CANCEL
    assert event.cancellation_at == datetime(2025, 5, 1, 4, 59, 59, tzinfo=UTC)


def test_membership_deleted_sample() -> None:
    event = only_event(translate_sample("membership_deleted.json"), MembershipDeleted)
    assert isinstance(event, MembershipDeleted)
    assert event.event_id == "evt_01HQ9B2D4F6H8K0M2P4R6T8V0X"
    assert event.updated_at == datetime(2025, 4, 2, 6, 0, 3, tzinfo=UTC)
    assert event.member_id == "mem_48213"


def test_member_profile_updated_sample() -> None:
    translation = translate_sample("member_profile_updated.json")
    event = only_event(translation, MemberProfileUpdated)
    assert isinstance(event, MemberProfileUpdated)
    assert translation.source_event_type == "member.profile_updated"
    assert event.event_id == "evt_01HQ7Z9P1R3T5V7X9Z1B3D5F7H"
    assert event.updated_at == datetime(2025, 3, 20, 9, 41, 27, tzinfo=UTC)
    assert event.member_id == "mem_48213"
    assert event.email == "jordan.rivera@newmail.example"
    assert event.name == "Jordan Rivera"


def test_plan_updated_sample() -> None:
    event = only_event(translate_sample("plan_updated.json"), PlanUpdated)
    assert isinstance(event, PlanUpdated)
    assert event.event_id == "evt_01HQ6Y2J8L0N2Q4S6U8W0Y2A4C"
    assert event.updated_at == datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    assert event.plan_id == "plan_24h_unlimited"
    assert event.name == "Unlimited + 24/7 Access"
    assert event.has_24h_access is True
    assert event.kisi_group_id == 48213


def test_reservation_upserted_sample() -> None:
    event = only_event(translate_sample("reservation_upserted.json"), ReservationUpserted)
    assert isinstance(event, ReservationUpserted)
    assert event.event_id == "evt_01HQAC3E5G7J9L1N3Q5S7U9W1Y"
    assert event.updated_at == datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)
    assert event.reservation_id == "res_902114"
    assert event.player_ids == ["player_88231", "player_90112"]
    assert event.court == "Court 3 (Padel)"
    assert event.start == datetime(2025, 3, 14, 23, 0, tzinfo=UTC)
    assert event.end == datetime(2025, 3, 15, 0, 30, tzinfo=UTC)
    assert event.status is ReservationStatus.CONFIRMED


def test_reservation_cancelled_sample() -> None:
    event = only_event(translate_sample("reservation_cancelled.json"), ReservationCancelled)
    assert isinstance(event, ReservationCancelled)
    assert event.event_id == "evt_01HQAD4F6H8K0M2P4R6T8V0X2Z"
    assert event.updated_at == datetime(2025, 3, 14, 16, 45, tzinfo=UTC)
    assert event.reservation_id == "res_902114"


def test_unknown_type_sample_is_ignored_with_a_reason() -> None:
    translation = translate_sample("unknown_type.json")
    assert translation.events == []
    assert translation.ignored_reason is not None
    assert "member.checked_in" in translation.ignored_reason
    assert translation.source_event_type == "member.checked_in"
    assert translation.source_event_id == "evt_01HQAE5G7J9L1N3Q5S7U9W1Y3A"


def test_invalid_sample_names_every_bad_field() -> None:
    assert fields_of(load("canonical", "invalid_membership_upserted.json")) == [
        "data.updated_at",
        "data.email",
        "data.status",
    ]


# --- envelope ---------------------------------------------------------------------------------


def test_an_envelope_without_id_gets_a_stable_derived_one() -> None:
    body = membership()
    del body["id"]
    translation = ADAPTER.translate(body)
    assert translation.source_event_id == derive_event_id(body)
    assert only_event(translation, MembershipUpserted).event_id == translation.source_event_id
    assert ADAPTER.translate(copy.deepcopy(body)).source_event_id == translation.source_event_id


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"id": "evt_1", "data": {}}, ["type"]),
        ({"id": "evt_1", "type": 7, "data": {}}, ["type"]),
        ({"id": "evt_1", "type": "", "data": {}}, ["type"]),
        ({"id": "evt 1", "type": "membership.deleted", "data": {}}, ["id"]),
        ({"id": "evt_1", "type": "membership.deleted"}, ["data"]),
        ({"id": "evt_1", "type": "membership.deleted", "data": None}, ["data"]),
        ({"id": "evt_1", "type": "membership.deleted", "data": ["m"]}, ["data"]),
        ("membership.deleted", ["$"]),
        (None, ["$"]),
    ],
)
def test_envelope_errors_name_the_envelope_field(body: object, fields: list[str]) -> None:
    assert fields_of(body) == fields


def test_data_may_not_repeat_the_envelope_fields() -> None:
    assert fields_of(membership(event_id="evt_other", type="membership.deleted")) == [
        "data.event_id",
        "data.type",
    ]


def test_unknown_fields_inside_data_are_rejected() -> None:
    # A misspelt cancellation date must not silently grant open-ended access.
    body = membership(status="pending_cancel", cancelation_at="2025-04-30T00:00:00Z")
    assert errors_of(body) == [FieldError("data.cancelation_at", "Extra inputs are not permitted")]


def test_unknown_fields_beside_the_envelope_are_ignored() -> None:
    body = membership()
    body["sent_by"] = "relay-7"
    assert isinstance(only_event(ADAPTER.translate(body), object), MembershipUpserted)


def test_membership_upserted_without_email_keeps_the_stored_one() -> None:
    body = membership()
    del body["data"]["email"]
    del body["data"]["name"]
    event = only_event(ADAPTER.translate(body), MembershipUpserted)
    assert isinstance(event, MembershipUpserted)
    assert event.email is None
    assert event.name == ""
    assert only_event(ADAPTER.translate(membership(email=None)), MembershipUpserted).email is None


def test_member_profile_updated_needs_an_email_and_takes_no_membership_fields() -> None:
    base = {"updated_at": "2025-03-20T09:41:27Z", "member_id": "mem_1"}
    missing = {"id": "evt_1", "type": "member.profile_updated", "data": base}
    assert errors_of(missing) == [FieldError("data.email", "Field required")]
    invalid = {"id": "evt_1", "type": "member.profile_updated", "data": base | {"email": None}}
    assert fields_of(invalid) == ["data.email"]
    with_status = {
        "id": "evt_1",
        "type": "member.profile_updated",
        "data": base | {"email": "a@example.com", "status": "active"},
    }
    assert errors_of(with_status) == [FieldError("data.status", "Extra inputs are not permitted")]


def test_member_profile_updated_name_is_optional() -> None:
    body = {
        "id": "evt_1",
        "type": "member.profile_updated",
        "data": {"updated_at": 1742463687, "member_id": "mem_1", "email": "A@Example.com"},
    }
    event = only_event(ADAPTER.translate(body), MemberProfileUpdated)
    assert isinstance(event, MemberProfileUpdated)
    assert (event.email, event.name) == ("a@example.com", "")


def test_missing_required_fields_are_each_named() -> None:
    body = {"id": "evt_1", "type": "reservation.upserted", "data": {}}
    assert set(fields_of(body)) == {
        "data.updated_at",
        "data.reservation_id",
        "data.player_ids",
        "data.start",
        "data.end",
    }


# --- field rules ------------------------------------------------------------------------------


def test_email_is_normalised() -> None:
    event = only_event(
        ADAPTER.translate(membership(email="  MAYA.Okafor@Example.COM ")), MembershipUpserted
    )
    assert event.email == "maya.okafor@example.com"


def test_naive_time_is_rejected_with_the_shared_reason() -> None:
    assert errors_of(membership(updated_at="2025-03-14T15:02:11")) == [
        FieldError("data.updated_at", "must include a UTC offset or Z (naive times are rejected)")
    ]


@pytest.mark.parametrize("epoch", [1741964531, 1741964531.0, 1741964531000])
def test_epoch_times_are_accepted(epoch: float) -> None:
    event = only_event(ADAPTER.translate(membership(updated_at=epoch)), MembershipUpserted)
    assert event.updated_at == datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)


def test_far_future_updated_at_is_rejected_so_it_cannot_freeze_the_record() -> None:
    assert fields_of(membership(updated_at="2200-01-01T00:00:00Z")) == ["data.updated_at"]


def test_time_errors_are_reported_beside_other_field_errors() -> None:
    assert fields_of(membership(updated_at="yesterday", email="nope")) == [
        "data.updated_at",
        "data.email",
    ]


def test_reservation_ending_before_it_starts_is_rejected() -> None:
    body = copy.deepcopy(load("canonical", "reservation_upserted.json"))
    body["data"]["end"] = body["data"]["start"]
    errors = errors_of(body)
    assert [error.field for error in errors] == ["data"]
    assert "end must be after start" in errors[0].message


def test_text_that_cannot_be_stored_as_utf8_is_rejected() -> None:
    # "\udfff" is a valid JSON escape but an unpaired surrogate: no UTF-8 store can hold it.
    assert errors_of(membership(email="a\udfff@example.com")) == [
        FieldError("data.email", "must be valid Unicode text")
    ]
