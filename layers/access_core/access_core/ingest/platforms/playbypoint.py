"""Playbypoint court reservations into canonical reservation events.

Playbypoint publishes no webhook schema. This format is MODELLED (see docs/webhooks.md): the
envelope and field names follow what public Playbypoint webhook receivers read (`event` such as
`reservation_created`, `webhook_id`, `data.user`, `data.reservation.court_name`/`start_time`/
`end_time`/`status`), completed with what door access needs and they did not show (reservation and
player ids, UTC offsets, `updated_at`). Dotted event names (`reservation.created`) are accepted too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Final

from pydantic import BeforeValidator, Field

from access_core.domain.events import (
    PlatformId,
    ReservationCancelled,
    ReservationStatus,
    ReservationUpserted,
)
from access_core.ingest.platforms.base import (
    MAX_NAME_LENGTH,
    EventTypeName,
    FieldError,
    Instant,
    PayloadInvalid,
    PlatformModel,
    PlatformRef,
    Translation,
    build_event,
    derive_event_id,
    ignored,
    lookup_in,
    require_object,
    validate_as,
)
from access_core.ingest.verification import BearerToken

RESERVATION_STATUSES: Final[Mapping[str, ReservationStatus]] = {
    "confirmed": ReservationStatus.CONFIRMED,
    "reserved": ReservationStatus.CONFIRMED,
    # Playbypoint lets clubs auto-charge an unpaid booking around its start: it is still a booking.
    "pending_payment": ReservationStatus.CONFIRMED,
    "cancelled": ReservationStatus.CANCELLED,
    "canceled": ReservationStatus.CANCELLED,
}
UPSERT_EVENTS: Final = frozenset(
    {"reservation_created", "reservation_updated", "reservation.created", "reservation.updated"}
)
CANCEL_EVENTS: Final = frozenset(
    {
        "reservation_cancelled",
        "reservation_canceled",
        "reservation.cancelled",
        "reservation.canceled",
    }
)
MAX_PLAYERS = 50

BookingStatus = Annotated[
    ReservationStatus, BeforeValidator(lookup_in(RESERVATION_STATUSES, "reservation status"))
]


class _Envelope(PlatformModel):
    webhook_id: PlatformId | None = None
    event: EventTypeName


class _Person(PlatformModel):
    id: PlatformRef


class _Reservation(PlatformModel):
    id: PlatformRef
    status: BookingStatus
    court_name: str | None = None
    start_time: Instant
    end_time: Instant
    players: Annotated[list[_Person], Field(default_factory=list, max_length=MAX_PLAYERS)]
    updated_at: Instant | None = None


class _ReservationData(PlatformModel):
    user: _Person | None = None
    reservation: _Reservation


class _ReservationEvent(PlatformModel):
    created_at: Instant | None = None
    data: _ReservationData


class _CancelledReservation(PlatformModel):
    id: PlatformRef
    updated_at: Instant | None = None


class _CancelledData(PlatformModel):
    reservation: _CancelledReservation


class _CancellationEvent(PlatformModel):
    created_at: Instant | None = None
    data: _CancelledData


_RESERVATION_PATHS: Final = {
    "event_id": "webhook_id",
    "updated_at": "data.reservation.updated_at",
    "reservation_id": "data.reservation.id",
    "player_ids": "data.reservation.players",
    "court": "data.reservation.court_name",
    "start": "data.reservation.start_time",
    "end": "data.reservation.end_time",
    "status": "data.reservation.status",
}


class PlaybypointAdapter:
    name = "playbypoint"
    verifier = BearerToken()
    signs_event_times = True  # the bearer token authenticates the whole delivery

    def translate(self, payload: object) -> Translation:
        envelope = validate_as(_Envelope, require_object(payload))
        event_id = envelope.webhook_id or derive_event_id(payload)
        if envelope.event in UPSERT_EVENTS:
            event: ReservationUpserted | ReservationCancelled = _reservation_upserted(
                validate_as(_ReservationEvent, payload), event_id
            )
        elif envelope.event in CANCEL_EVENTS:
            cancellation = validate_as(_CancellationEvent, payload)
            event = build_event(
                ReservationCancelled,
                {
                    "event_id": event_id,
                    "updated_at": _updated_at(
                        cancellation.data.reservation.updated_at, cancellation.created_at
                    ),
                    "reservation_id": cancellation.data.reservation.id,
                },
                paths=_RESERVATION_PATHS,
            )
        else:
            return ignored(
                event_id,
                envelope.event,
                f"Playbypoint event {envelope.event!r} does not affect door access "
                "(reservation access follows reservation events only)",
            )
        return Translation(
            events=[event], source_event_id=event_id, source_event_type=envelope.event
        )


def _reservation_upserted(message: _ReservationEvent, event_id: str) -> ReservationUpserted:
    reservation = message.data.reservation
    booker = [message.data.user.id] if message.data.user else []
    player_ids = list(dict.fromkeys([player.id for player in reservation.players] + booker))
    errors: list[FieldError] = []
    if not player_ids:
        errors.append(
            FieldError(
                "data.reservation.players",
                "at least one player id is required (data.reservation.players or data.user)",
            )
        )
    if reservation.end_time <= reservation.start_time:
        errors.append(FieldError("data.reservation.end_time", "must be after start_time"))
    if errors:
        raise PayloadInvalid(errors)
    return build_event(
        ReservationUpserted,
        {
            "event_id": event_id,
            "updated_at": _updated_at(reservation.updated_at, message.created_at),
            "reservation_id": reservation.id,
            "player_ids": player_ids,
            "court": (reservation.court_name or "").strip()[:MAX_NAME_LENGTH],
            "start": reservation.start_time,
            "end": reservation.end_time,
            "status": reservation.status,
        },
        paths=_RESERVATION_PATHS,
    )


def _updated_at(reservation_updated_at: datetime | None, created_at: datetime | None) -> datetime:
    """The reservation's own modification time, else the time the webhook was created."""
    updated_at = reservation_updated_at or created_at
    if updated_at is None:
        raise PayloadInvalid.at(
            "data.reservation.updated_at", "required when the body has no created_at"
        )
    return updated_at
