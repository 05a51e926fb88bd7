"""The canonical envelope: a documented format any platform (or a relay in front of one) can post.

    {"id": "<event id>", "type": "<canonical event type>", "data": {<the event's fields>}}

`data` holds the fields of the canonical event except `event_id` (taken from `id`) and `type`.
Unlike the platform formats, unknown fields inside `data` are rejected: the format is ours, and a
misspelt optional field (say `cancelation_at`) must not silently change someone's access.
Unknown fields beside `id`/`type`/`data` are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from pydantic_core import PydanticCustomError

from access_core.domain.events import (
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipUpserted,
    PlanUpdated,
    PlatformId,
    ReservationCancelled,
    ReservationUpserted,
)
from access_core.ingest.platforms.base import (
    EventTypeName,
    FieldError,
    PayloadInvalid,
    PlatformModel,
    Translation,
    build_event,
    derive_event_id,
    ignored,
    join_path,
    parse_instant,
    require_object,
    validate_as,
)
from access_core.ingest.verification import BridgeSignature

type CanonicalEventModel = (
    MembershipUpserted
    | MembershipDeleted
    | MemberProfileUpdated
    | PlanUpdated
    | ReservationUpserted
    | ReservationCancelled
)

EVENT_MODELS: Final[Mapping[str, type[CanonicalEventModel]]] = {
    "membership.upserted": MembershipUpserted,
    "membership.deleted": MembershipDeleted,
    "member.profile_updated": MemberProfileUpdated,
    "plan.updated": PlanUpdated,
    "reservation.upserted": ReservationUpserted,
    "reservation.cancelled": ReservationCancelled,
}

_FIELDS_FROM_ENVELOPE: Final = {"event_id": "id", "type": "type"}
_TIME_FIELDS: Final = ("updated_at", "cancellation_at", "start", "end")


class _Envelope(PlatformModel):
    id: PlatformId | None = None
    type: EventTypeName


class CanonicalAdapter:
    name = "canonical"
    verifier = BridgeSignature()
    signs_event_times = True

    def translate(self, payload: object) -> Translation:
        body = require_object(payload)
        envelope = validate_as(_Envelope, body)
        event_id = envelope.id or derive_event_id(payload)
        event_model = EVENT_MODELS.get(envelope.type)
        if event_model is None:
            return ignored(
                event_id,
                envelope.type,
                f"unknown canonical event type {envelope.type!r}; "
                f"known: {', '.join(sorted(EVENT_MODELS))}",
            )
        fields, time_errors = _parse_times(event_model, _event_fields(body.get("data")))
        event: CanonicalEventModel | None = None
        model_errors: list[FieldError] = []
        try:
            event = build_event(
                event_model,
                {**fields, "event_id": event_id, "type": envelope.type},
                paths=_FIELDS_FROM_ENVELOPE,
                at="data",
            )
        except PayloadInvalid as invalid:
            # A time the shared rules rejected is reported with their reason, not pydantic's.
            model_errors = [error for error in invalid.errors if error.field not in time_errors]
        if event is None or time_errors:
            raise PayloadInvalid(
                [FieldError(path, message) for path, message in time_errors.items()] + model_errors
            )
        return Translation(
            events=[event],
            source_event_id=event_id,
            source_event_type=envelope.type,
        )


def _event_fields(data: object) -> Mapping[str, object]:
    if data is None:
        raise PayloadInvalid.at("data", "Field required")
    if not isinstance(data, Mapping):
        raise PayloadInvalid.at("data", "must be a JSON object")
    misplaced = [
        FieldError(
            join_path("data", key), f"not allowed in data: it is given by the envelope's {source!r}"
        )
        for key, source in _FIELDS_FROM_ENVELOPE.items()
        if key in data
    ]
    if misplaced:
        raise PayloadInvalid(misplaced)
    return data


def _parse_times(
    event_model: type[CanonicalEventModel], data: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, str]]:
    """Apply the shared time rules (base.parse_instant) to the event's time fields.

    Returns the fields with the times that passed converted to UTC, and the error for each time
    that did not (its raw value stays, for the canonical model to reject alongside any others).
    """
    fields = dict(data)
    errors: dict[str, str] = {}
    for name in _TIME_FIELDS:
        value = fields.get(name)
        if value is None or name not in event_model.model_fields:
            continue
        try:
            fields[name] = parse_instant(value)
        except PydanticCustomError as error:
            errors[join_path("data", name)] = error.message()
    return fields, errors
