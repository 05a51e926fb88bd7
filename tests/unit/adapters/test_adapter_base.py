"""The shared edge rules: registry, time parsing, derived event ids, error paths, status tables."""

import re
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from access_core.domain.events import CANONICAL_EVENT_TYPES, MAX_ID_LENGTH, MembershipStatus
from access_core.ingest.platforms import ADAPTERS, FieldError, PayloadInvalid, get_adapter
from access_core.ingest.platforms.base import (
    MAX_NAME_LENGTH,
    PlatformModel,
    PlatformRef,
    derive_event_id,
    display_name,
    field_errors,
    lookup_in,
    parse_instant,
    validate_as,
)
from access_core.ingest.platforms.canonical import EVENT_MODELS


def test_registry_holds_the_three_platforms_under_their_names() -> None:
    assert set(ADAPTERS) == {"canonical", "pushpress", "playbypoint"}
    for name, adapter in ADAPTERS.items():
        assert adapter.name == name
        assert get_adapter(name) is adapter


def test_unknown_platform_has_no_adapter() -> None:
    assert get_adapter("mindbody") is None
    assert get_adapter("PushPress") is None


def test_registry_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        ADAPTERS["evil"] = ADAPTERS["canonical"]  # type: ignore[index]  # read-only: the point


def test_canonical_adapter_knows_every_canonical_event_type() -> None:
    assert set(EVENT_MODELS) == CANONICAL_EVENT_TYPES
    for event_type, model in EVENT_MODELS.items():
        assert model.model_fields["type"].default == event_type


# --- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-14T15:02:11Z", datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)),
        ("2025-03-14T10:02:11-05:00", datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)),
        ("2025-03-14 15:02:11.250+00:00", datetime(2025, 3, 14, 15, 2, 11, 250000, tzinfo=UTC)),
        (1741964531, datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)),
        (1741964531.5, datetime(2025, 3, 14, 15, 2, 11, 500000, tzinfo=UTC)),
        (1741964531000, datetime(2025, 3, 14, 15, 2, 11, tzinfo=UTC)),
    ],
    ids=["iso-z", "iso-offset", "iso-space-fraction", "epoch", "epoch-float", "epoch-millis"],
)
def test_times_are_read_from_iso_or_epoch_into_utc(value: str | float, expected: datetime) -> None:
    parsed = parse_instant(value)
    assert parsed == expected
    assert parsed.utcoffset() is not None
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-03-14T15:02:11", "naive"),
        ("2025-03-14", "ISO 8601 date and time"),
        ("14/03/2025 15:02", "ISO 8601 date and time"),
        ("2025-13-14T15:02:11Z", "ISO 8601 date and time"),
        ("1741964531", "ISO 8601 date and time"),
        ("", "ISO 8601 date and time"),
        (True, "epoch seconds"),
        (None, "epoch seconds"),
        ([1741964531], "epoch seconds"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (-1, "between 2000-01-01 and 2100-01-01"),
        ("1999-12-31T23:59:59Z", "between 2000-01-01 and 2100-01-01"),
        ("2100-01-01T00:00:00Z", "between 2000-01-01 and 2100-01-01"),
        ("0001-01-01T00:00:00+01:00", "between 2000-01-01 and 2100-01-01"),
        (10**30, "between 2000-01-01 and 2100-01-01"),
    ],
)
def test_unusable_times_are_rejected_with_a_reason(value: object, message: str) -> None:
    with pytest.raises(PydanticCustomError) as caught:
        parse_instant(value)
    assert message in caught.value.message()


# --- derived event ids ------------------------------------------------------------------------


def test_derived_event_id_ignores_key_order_and_formatting() -> None:
    first = {"event": "customer.deleted", "created": 1746057605, "data": {"id": "usr_1"}}
    second = {"data": {"id": "usr_1"}, "created": 1746057605, "event": "customer.deleted"}
    assert derive_event_id(first) == derive_event_id(second)


def test_derived_event_id_changes_with_the_content() -> None:
    body = {"event": "customer.deleted", "created": 1746057605, "data": {"id": "usr_1"}}
    other = {"event": "customer.deleted", "created": 1746057606, "data": {"id": "usr_1"}}
    assert derive_event_id(body) != derive_event_id(other)


def test_derived_event_id_is_a_valid_canonical_id() -> None:
    event_id = derive_event_id({"text": "caf\u00e9 \ud800 lone surrogate"})
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", event_id)
    assert len(event_id) <= MAX_ID_LENGTH


# --- errors -----------------------------------------------------------------------------------


class _Player(PlatformModel):
    id: PlatformRef


class _Booking(PlatformModel):
    players: list[_Player]
    court: str


def test_field_errors_are_dotted_paths_into_the_payload() -> None:
    with pytest.raises(PayloadInvalid) as caught:
        validate_as(_Booking, {"players": [{"id": "p1"}, {"id": "has space"}, {}]}, at="data")
    assert caught.value.errors == [
        FieldError("data.players.1.id", "may contain only letters, digits and . _ : @ -"),
        FieldError("data.players.2.id", "Field required"),
        FieldError("data.court", "Field required"),
    ]


def test_a_body_that_is_not_an_object_is_named_as_the_body() -> None:
    with pytest.raises(PayloadInvalid) as caught:
        validate_as(_Booking, ["not", "an", "object"])
    assert caught.value.errors == [FieldError("$", "must be a JSON object")]


def test_field_errors_can_rename_top_level_fields() -> None:
    class Event(BaseModel):
        member_id: PlatformRef

    with pytest.raises(ValidationError) as caught:
        Event.model_validate({"member_id": ""})
    errors = field_errors(caught.value, renames={"member_id": "data.customerId"})
    assert [error.field for error in errors] == ["data.customerId"]


def test_payload_invalid_lists_each_field_once_in_its_message() -> None:
    error = PayloadInvalid(
        [FieldError("data.email", "missing"), FieldError("data.email", "missing")]
    )
    assert error.errors == [FieldError("data.email", "missing")]
    assert "data.email: missing" in str(error)


def test_integer_ids_become_text_and_booleans_do_not() -> None:
    assert validate_as(_Player, {"id": 88231}).id == "88231"
    with pytest.raises(PayloadInvalid):
        validate_as(_Player, {"id": True})


# --- status tables ----------------------------------------------------------------------------


def test_status_lookup_ignores_case_and_surrounding_spaces() -> None:
    lookup = lookup_in({"active": MembershipStatus.ACTIVE}, "status")
    assert lookup("  ACTIVE ") is MembershipStatus.ACTIVE


def test_status_lookup_rejects_unknown_statuses_naming_the_expected_ones() -> None:
    lookup = lookup_in(
        {"active": MembershipStatus.ACTIVE, "paused": MembershipStatus.PAUSED}, "status"
    )
    with pytest.raises(PydanticCustomError) as caught:
        lookup("frozen")
    assert caught.value.message() == "unknown status 'frozen'; expected one of: active, paused"
    with pytest.raises(PydanticCustomError):
        lookup(1)


def test_display_names_join_the_parts_and_fit_the_canonical_limit() -> None:
    assert display_name(" Maya ", None, "Okafor") == "Maya Okafor"
    assert display_name(None, "  ") == ""
    assert len(display_name("x" * 150, "y" * 150)) == MAX_NAME_LENGTH
