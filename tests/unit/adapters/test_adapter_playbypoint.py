"""Playbypoint (modelled format): reservation webhooks into canonical reservation events."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from access_core.domain.events import ReservationCancelled, ReservationStatus, ReservationUpserted
from access_core.ingest.platforms import FieldError
from access_core.ingest.platforms.base import derive_event_id

from .adapter_samples import Samples, load, sample_names

PLAYBYPOINT = Samples("playbypoint")
ADAPTER = PLAYBYPOINT.adapter
translate_sample = PLAYBYPOINT.translate_sample
errors_of = PLAYBYPOINT.errors_of
fields_of = PLAYBYPOINT.fields_of
only_event = PLAYBYPOINT.only_event

SAMPLE_TESTS = {
    "reservation_created.json",
    "reservation_updated.json",
    "reservation_updated_cancelled_status.json",
    "reservation_cancelled.json",
    "membership_created.json",
    "invalid_reservation_created_naive_times.json",
}


def created(**reservation_changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load("playbypoint", "reservation_created.json"))
    body["data"]["reservation"].update(reservation_changes)
    return body


def test_every_playbypoint_sample_has_a_test() -> None:
    assert sample_names("playbypoint") == SAMPLE_TESTS


# --- samples ----------------------------------------------------------------------------------


def test_reservation_created_sample() -> None:
    translation = translate_sample("reservation_created.json")
    event = only_event(translation, ReservationUpserted)
    assert isinstance(event, ReservationUpserted)
    assert translation.source_event_id == "whd_6c1e0f4a-2b7d-4a59-9d3e-58f1b2a7c901"
    assert translation.source_event_type == "reservation_created"
    assert event.updated_at == datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)
    assert event.reservation_id == "5012345"
    assert event.player_ids == ["88231", "90112", "90587"]
    assert event.court == "Padel Court 3"
    assert event.start == datetime(2025, 3, 14, 23, 0, tzinfo=UTC)
    assert event.end == datetime(2025, 3, 15, 0, 30, tzinfo=UTC)
    assert event.status is ReservationStatus.CONFIRMED


def test_reservation_updated_sample_moves_the_booking_and_adds_a_player() -> None:
    translation = translate_sample("reservation_updated.json")
    event = only_event(translation, ReservationUpserted)
    assert isinstance(event, ReservationUpserted)
    assert translation.source_event_id == "whd_8f2a7b1c-4d3e-4f60-a1b2-c3d4e5f60718"
    assert translation.source_event_type == "reservation_updated"
    assert event.updated_at == datetime(2025, 3, 14, 16, 20, 44, tzinfo=UTC)
    assert event.reservation_id == "5012345"
    assert event.player_ids == ["88231", "90112", "90587", "91204"]
    assert event.court == "Padel Court 5"
    assert event.start == datetime(2025, 3, 15, 0, 0, tzinfo=UTC)
    assert event.end == datetime(2025, 3, 15, 1, 30, tzinfo=UTC)
    assert event.status is ReservationStatus.CONFIRMED


def test_reservation_updated_to_cancelled_keeps_the_booking_as_cancelled() -> None:
    event = only_event(
        translate_sample("reservation_updated_cancelled_status.json"), ReservationUpserted
    )
    assert isinstance(event, ReservationUpserted)
    assert event.event_id == "whd_1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    assert event.updated_at == datetime(2025, 3, 14, 21, 4, 59, tzinfo=UTC)
    assert event.reservation_id == "5012345"
    assert event.status is ReservationStatus.CANCELLED


def test_reservation_cancelled_sample() -> None:
    translation = translate_sample("reservation_cancelled.json")
    event = only_event(translation, ReservationCancelled)
    assert isinstance(event, ReservationCancelled)
    assert translation.source_event_id == "whd_3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"
    assert translation.source_event_type == "reservation_cancelled"
    assert event.updated_at == datetime(2025, 3, 14, 21, 4, 59, tzinfo=UTC)
    assert event.reservation_id == "5012345"


def test_membership_created_sample_is_ignored() -> None:
    translation = translate_sample("membership_created.json")
    assert translation.events == []
    assert translation.ignored_reason is not None
    assert "membership_created" in translation.ignored_reason
    assert translation.source_event_id == "whd_9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


def test_invalid_sample_names_both_naive_times() -> None:
    assert errors_of(load("playbypoint", "invalid_reservation_created_naive_times.json")) == [
        FieldError(
            "data.reservation.start_time",
            "must include a UTC offset or Z (naive times are rejected)",
        ),
        FieldError(
            "data.reservation.end_time",
            "must include a UTC offset or Z (naive times are rejected)",
        ),
    ]


# --- events and statuses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "event_class"),
    [
        ("reservation.created", ReservationUpserted),
        ("reservation.updated", ReservationUpserted),
        ("reservation.cancelled", ReservationCancelled),
        ("reservation.canceled", ReservationCancelled),
        ("reservation_canceled", ReservationCancelled),
    ],
)
def test_dotted_and_american_event_names_are_accepted(
    event_type: str, event_class: type[ReservationUpserted | ReservationCancelled]
) -> None:
    body = created()
    body["event"] = event_type
    assert isinstance(only_event(ADAPTER.translate(body), object), event_class)


@pytest.mark.parametrize(
    ("playbypoint_status", "status"),
    [
        ("confirmed", ReservationStatus.CONFIRMED),
        ("reserved", ReservationStatus.CONFIRMED),
        ("pending_payment", ReservationStatus.CONFIRMED),
        ("cancelled", ReservationStatus.CANCELLED),
        ("canceled", ReservationStatus.CANCELLED),
        ("Confirmed", ReservationStatus.CONFIRMED),
    ],
)
def test_reservation_status_mapping(playbypoint_status: str, status: ReservationStatus) -> None:
    assert (
        only_event(
            ADAPTER.translate(created(status=playbypoint_status)), ReservationUpserted
        ).status
        is status
    )


@pytest.mark.parametrize("status", ["no_show", "waitlisted", "", None, 3])
def test_unknown_or_missing_status_is_rejected(status: object) -> None:
    assert fields_of(created(status=status)) == ["data.reservation.status"]


def test_other_event_types_are_ignored() -> None:
    translation = ADAPTER.translate({"webhook_id": "whd_1", "event": "check_in", "data": 5})
    assert translation.events == []
    assert translation.ignored_reason is not None
    assert translation.source_event_type == "check_in"


# --- players ----------------------------------------------------------------------------------


def test_booker_is_a_player_even_when_not_listed() -> None:
    body = created(players=[{"id": 90112}])
    assert only_event(ADAPTER.translate(body), ReservationUpserted).player_ids == ["90112", "88231"]


def test_players_without_a_booker_are_enough() -> None:
    body = created()
    del body["data"]["user"]
    assert only_event(ADAPTER.translate(body), ReservationUpserted).player_ids == [
        "88231",
        "90112",
        "90587",
    ]


def test_a_reservation_needs_at_least_one_player() -> None:
    body = created(players=[])
    del body["data"]["user"]
    assert fields_of(body) == ["data.reservation.players"]


def test_players_need_ids() -> None:
    assert fields_of(created(players=[{"id": 1}, {"first_name": "Sam"}])) == [
        "data.reservation.players.1.id"
    ]


def test_more_players_than_the_canonical_limit_are_rejected() -> None:
    players = [{"id": 100 + index} for index in range(50)]
    assert fields_of(created(players=players)) == ["data.reservation.players"]
    assert fields_of(created(players=[*players, {"id": 999}])) == ["data.reservation.players"]


# --- times and ids ----------------------------------------------------------------------------


def test_epoch_times_are_accepted() -> None:
    body = created(start_time=1741993200, end_time=1741998600, updated_at=1741964531)
    event = only_event(ADAPTER.translate(body), ReservationUpserted)
    assert event.start == datetime(2025, 3, 14, 23, 0, tzinfo=UTC)
    assert event.end == datetime(2025, 3, 15, 0, 30, tzinfo=UTC)
    assert event.updated_at == datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)


def test_end_must_be_after_start() -> None:
    body = created(end_time="2025-03-14T18:00:00-05:00")
    assert errors_of(body) == [FieldError("data.reservation.end_time", "must be after start_time")]


def test_updated_at_falls_back_to_the_webhook_time() -> None:
    body = created()
    del body["data"]["reservation"]["updated_at"]
    assert only_event(ADAPTER.translate(body), ReservationUpserted).updated_at == datetime(
        2025, 3, 14, 15, 2, 12, tzinfo=UTC
    )


def test_without_any_modification_time_the_reservation_is_rejected() -> None:
    body = created()
    del body["data"]["reservation"]["updated_at"]
    del body["created_at"]
    assert fields_of(body) == ["data.reservation.updated_at"]


def test_slim_cancellation_needs_only_the_reservation_id_and_a_time() -> None:
    body = {
        "event": "reservation_cancelled",
        "created_at": "2025-03-14T21:05:00Z",
        "data": {"reservation": {"id": "R-77"}},
    }
    translation = ADAPTER.translate(body)
    event = only_event(translation, ReservationCancelled)
    assert isinstance(event, ReservationCancelled)
    assert event.reservation_id == "R-77"
    assert event.updated_at == datetime(2025, 3, 14, 21, 5, tzinfo=UTC)
    assert translation.source_event_id == derive_event_id(body)


def test_cancellation_without_reservation_id_is_rejected() -> None:
    body = {"event": "reservation_cancelled", "created_at": 1741986300, "data": {"reservation": {}}}
    assert fields_of(body) == ["data.reservation.id"]


def test_every_missing_reservation_field_is_named_at_once() -> None:
    body = {"event": "reservation_created", "data": {"reservation": {}}}
    assert set(fields_of(body)) == {
        "data.reservation.id",
        "data.reservation.status",
        "data.reservation.start_time",
        "data.reservation.end_time",
    }


@pytest.mark.parametrize("webhook_id", ["has space", "", "x" * 129, 42])
def test_malformed_webhook_id_is_rejected(webhook_id: object) -> None:
    body = created()
    body["webhook_id"] = webhook_id
    assert fields_of(body) == ["webhook_id"]


def test_court_name_is_optional_and_trimmed_to_the_canonical_limit() -> None:
    assert only_event(ADAPTER.translate(created(court_name=None)), ReservationUpserted).court == ""
    assert (
        len(only_event(ADAPTER.translate(created(court_name="C" * 300)), ReservationUpserted).court)
        == 200
    )
