"""PushPress (Platform API v3 webhooks) into canonical membership events.

PushPress posts `{"event": "<type>", "created": <unix seconds>, "data": {...}}` with no event id,
so the id is derived from the body. A member arrives in two streams:

- enrollment events carry the membership (`customerId`, `planId`, `status`, `endDate`) but not the
  customer's email: they become `membership.upserted` with no email (the stored one is kept), or
  with the email of a customer embedded as `data.customer`, when a relay adds one;
- customer events (`customer.created`, `customer.updated`, `customer.details.changed`) carry the
  email and name but no plan or status: they become `member.profile_updated`.

Each stream is ordered by its own `created`. A member is granted once both have arrived (no email,
no Kisi user). docs/webhooks.md has the tables and sources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Final

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from access_core.domain.events import (
    Email,
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipStatus,
    MembershipUpserted,
)
from access_core.ingest.platforms.base import (
    EventTypeName,
    Instant,
    PayloadInvalid,
    PlatformModel,
    PlatformRef,
    Translation,
    build_event,
    derive_event_id,
    display_name,
    ensure_plausible,
    ignored,
    lookup_in,
    parse_instant,
    require_object,
    validate_as,
)

ENROLLMENT_STATUSES: Final[Mapping[str, MembershipStatus]] = {
    "active": MembershipStatus.ACTIVE,
    "pendactivation": MembershipStatus.PENDING_ACTIVE,
    "pendcancel": MembershipStatus.PENDING_CANCEL,
    "paused": MembershipStatus.PAUSED,
    # A failed or past-due payment. PushPress's own Kisi integration grants access to active
    # subscriptions only, so this revokes like a pause until PushPress reports `active` again.
    "alert": MembershipStatus.PAUSED,
    "completed": MembershipStatus.EXPIRED,
    "canceled": MembershipStatus.CANCELLED,
    # PushPress has used both spellings in its event names; accept both here too.
    "cancelled": MembershipStatus.CANCELLED,
}

ENROLLMENT_EVENTS: Final = frozenset({"enrollment.created", "enrollment.status.changed"})
PROFILE_EVENTS: Final = frozenset(
    {"customer.created", "customer.updated", "customer.details.changed"}
)
IGNORED_REASONS: Final[Mapping[str, str]] = {
    "customer.status.changed": (
        "customer.status.changed is the customer's lead/member status, not an enrollment's; "
        "membership access follows the enrollment events"
    ),
}
SLIM_ENROLLMENT_DELETED = (
    "enrollment.deleted names only the enrollment, not the customer: nothing to revoke by"
)

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")

EnrollmentStatus = Annotated[
    MembershipStatus, BeforeValidator(lookup_in(ENROLLMENT_STATUSES, "enrollment status"))
]


class _Envelope(PlatformModel):
    event: EventTypeName


class _CustomerName(PlatformModel):
    first: str | None = None
    last: str | None = None


class _EmbeddedCustomer(PlatformModel):
    id: PlatformRef | None = None
    email: Email
    name: _CustomerName | None = None


class _Enrollment(PlatformModel):
    id: PlatformRef
    customer_id: PlatformRef = Field(alias="customerId")
    plan_id: PlatformRef | None = Field(default=None, alias="planId")
    status: EnrollmentStatus
    # Parsed only for a pending cancellation: an odd endDate elsewhere must not block an update.
    end_date: object = Field(default=None, alias="endDate")
    # PushPress does not embed the customer; a relay may (its email is then used).
    customer: _EmbeddedCustomer | None = None


class _EnrollmentEvent(PlatformModel):
    created: Instant
    data: _Enrollment


class _DeletedEnrollment(PlatformModel):
    id: PlatformRef
    customer_id: PlatformRef | None = Field(default=None, alias="customerId")
    plan_id: PlatformRef | None = Field(default=None, alias="planId")
    customer: _EmbeddedCustomer | None = None


class _EnrollmentDeletedEvent(PlatformModel):
    created: Instant
    data: _DeletedEnrollment


class _Customer(_EmbeddedCustomer):
    """The `data` of a customer event: the customer itself, so its id is required."""

    id: PlatformRef


class _CustomerEvent(PlatformModel):
    created: Instant
    data: _Customer


class _DeletedCustomer(PlatformModel):
    id: PlatformRef


class _CustomerDeletedEvent(PlatformModel):
    created: Instant
    data: _DeletedCustomer


# Where each canonical field comes from, for errors the canonical model itself would raise.
_MEMBERSHIP_PATHS: Final = {
    "event_id": "$",
    "updated_at": "created",
    "member_id": "data.customerId",
    "email": "data.customer.email",
    "name": "data.customer.name",
    "plan_id": "data.planId",
    "status": "data.status",
    "cancellation_at": "data.endDate",
}
_PROFILE_PATHS: Final = {
    "event_id": "$",
    "updated_at": "created",
    "member_id": "data.id",
    "email": "data.email",
    "name": "data.name",
}


class PushPressAdapter:
    name = "pushpress"

    def translate(self, payload: object) -> Translation:
        event_type = validate_as(_Envelope, require_object(payload)).event
        event_id = derive_event_id(payload)
        event: MembershipUpserted | MembershipDeleted | MemberProfileUpdated
        if event_type in ENROLLMENT_EVENTS:
            event = _enrollment_changed(validate_as(_EnrollmentEvent, payload), event_id)
        elif event_type in PROFILE_EVENTS:
            event = _profile_updated(validate_as(_CustomerEvent, payload), event_id)
        elif event_type == "enrollment.deleted":
            deleted = validate_as(_EnrollmentDeletedEvent, payload)
            if deleted.data.customer_id is None:
                return ignored(event_id, event_type, SLIM_ENROLLMENT_DELETED)
            event = _enrollment_deleted(deleted, deleted.data.customer_id, event_id)
        elif event_type == "customer.deleted":
            customer_deleted = validate_as(_CustomerDeletedEvent, payload)
            event = build_event(
                MembershipDeleted,
                {
                    "event_id": event_id,
                    "updated_at": customer_deleted.created,
                    "member_id": customer_deleted.data.id,
                },
                paths={"event_id": "$", "updated_at": "created", "member_id": "data.id"},
            )
        else:
            reason = IGNORED_REASONS.get(
                event_type, f"PushPress event {event_type!r} does not affect door access"
            )
            return ignored(event_id, event_type, reason)
        return Translation(events=[event], source_event_id=event_id, source_event_type=event_type)


def _enrollment_changed(enrollment_event: _EnrollmentEvent, event_id: str) -> MembershipUpserted:
    enrollment = enrollment_event.data
    _check_same_customer(enrollment.customer_id, enrollment.customer)
    cancellation_at = None
    if enrollment.status is MembershipStatus.PENDING_CANCEL and enrollment.end_date is not None:
        cancellation_at = _parse_end_date(enrollment.end_date)
    return _membership_upserted(
        event_id,
        enrollment_event.created,
        enrollment.customer_id,
        enrollment.customer,
        enrollment.plan_id,
        enrollment.status,
        cancellation_at,
    )


def _enrollment_deleted(
    deleted: _EnrollmentDeletedEvent, customer_id: str, event_id: str
) -> MembershipUpserted:
    """A deleted enrollment that names its customer ends that customer's membership."""
    enrollment = deleted.data
    _check_same_customer(customer_id, enrollment.customer)
    return _membership_upserted(
        event_id,
        deleted.created,
        customer_id,
        enrollment.customer,
        enrollment.plan_id,
        MembershipStatus.CANCELLED,
        None,
    )


def _membership_upserted(
    event_id: str,
    updated_at: datetime,
    member_id: str,
    customer: _EmbeddedCustomer | None,
    plan_id: str | None,
    status: MembershipStatus,
    cancellation_at: datetime | None,
) -> MembershipUpserted:
    """Without an embedded customer the event has no email and no name: the stored ones stay."""
    return build_event(
        MembershipUpserted,
        {
            "event_id": event_id,
            "updated_at": updated_at,
            "member_id": member_id,
            "email": customer.email if customer else None,
            "name": _full_name(customer.name) if customer else "",
            "plan_id": plan_id,
            "status": status,
            "cancellation_at": cancellation_at,
        },
        paths=_MEMBERSHIP_PATHS,
    )


def _profile_updated(customer_event: _CustomerEvent, event_id: str) -> MemberProfileUpdated:
    customer = customer_event.data
    return build_event(
        MemberProfileUpdated,
        {
            "event_id": event_id,
            "updated_at": customer_event.created,
            "member_id": customer.id,
            "email": customer.email,
            "name": _full_name(customer.name),
        },
        paths=_PROFILE_PATHS,
    )


def _full_name(name: _CustomerName | None) -> str:
    return display_name(name.first, name.last) if name else ""


def _check_same_customer(customer_id: str, customer: _EmbeddedCustomer | None) -> None:
    if customer is not None and customer.id is not None and customer.id != customer_id:
        raise PayloadInvalid.at("data.customer.id", "does not match data.customerId")


def _parse_end_date(value: object) -> datetime:
    """When a pending cancellation takes effect.

    PushPress documents `endDate` as a date (e.g. 2022-01-01) without a time zone: access runs
    through that whole day in UTC, i.e. it ends at 00:00 UTC on the next day. Full ISO times with
    an offset and epoch seconds are accepted as they are.
    """
    try:
        if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
            last_day = date.fromisoformat(value.strip())
            return ensure_plausible(datetime.combine(last_day, time(), tzinfo=UTC) + timedelta(1))
        return parse_instant(value)
    except PydanticCustomError as error:
        raise PayloadInvalid.at("data.endDate", error.message()) from None
    except (ValueError, OverflowError):
        raise PayloadInvalid.at(
            "data.endDate", "must be a date (YYYY-MM-DD) or an ISO 8601 time with offset"
        ) from None
