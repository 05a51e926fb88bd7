"""PushPress (Platform API v3 webhooks) into canonical membership events.

PushPress posts `{"event": "<type>", "created": <unix seconds>, "data": {...}}` with no event id,
so the id is derived from the body, and signs `data` with the webhook's signing secret
(`webhook-signature`, verified by `verification.PushPressSignature`). A member arrives in two
streams:

- enrollment events carry the membership (`customerId`, `planId`, `status`, `endDate`) but not the
  customer's email: they become `membership.upserted` with no email (the stored one is kept), or
  with the email of a customer embedded as `data.customer`, when a relay adds one;
- customer events (`customer.created`, `customer.updated`, `customer.details.changed`) carry the
  email and name but no plan or status: they become `member.profile_updated`.

This module checks the delivery's JSON (types, ids, emails: each problem named by its path in
the body); what the records mean is `access_core/pushpress/mapping.py`, the one mapping the API
gateway uses too, with `created` as the version. Each stream is ordered by its own `created`. A
member is granted once both have arrived (no email, no Kisi user). docs/webhooks.md has the
tables and sources.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BeforeValidator, Field

from access_core.domain.events import (
    Email,
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipStatus,
    MembershipUpserted,
)
from access_core.ingest.platforms.base import (
    EventTypeName,
    FieldError,
    Instant,
    PayloadInvalid,
    PlatformModel,
    PlatformRef,
    Translation,
    derive_event_id,
    ignored,
    join_path,
    lookup_in,
    require_object,
    validate_as,
)
from access_core.ingest.verification import PushPressSignature
from access_core.pushpress.mapping import (
    ENROLLMENT_STATUSES,
    UnmappableRecord,
    member_deleted,
    membership_ended,
    membership_upserted,
    profile_from_customer,
)
from pushpress_client import Customer, CustomerName

__all__ = ["ENROLLMENT_STATUSES", "PushPressAdapter"]

ENROLLMENT_EVENTS: Final = frozenset({"enrollment.created", "enrollment.status.changed"})
PROFILE_EVENTS: Final = frozenset(
    {"customer.created", "customer.updated", "customer.details.changed"}
)
IGNORED_REASONS: Final = {
    "customer.status.changed": (
        "customer.status.changed is the customer's lead/member status, not an enrollment's; "
        "membership access follows the enrollment events"
    ),
}
SLIM_ENROLLMENT_DELETED = (
    "enrollment.deleted names only the enrollment, not the customer: nothing to revoke by"
)

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

    def as_customer(self, customer_id: str) -> Customer:
        """As PushPress's Customer; without an id it is the enrollment's own customer."""
        name = CustomerName(first=self.name.first, last=self.name.last) if self.name else None
        return Customer(id=self.id or customer_id, email=self.email, name=name)


class _Enrollment(PlatformModel):
    id: PlatformRef
    customer_id: PlatformRef = Field(alias="customerId")
    plan_id: PlatformRef | None = Field(default=None, alias="planId")
    status: EnrollmentStatus
    # Read only for a pending cancellation (mapping.cancellation_at).
    end_date: object = Field(default=None, alias="endDate")
    # Read only for a failed payment (mapping.paid_through): the plan's grace starts there.
    paid_until: object = Field(default=None, alias="paidUntil")
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


class PushPressAdapter:
    name = "pushpress"
    verifier = PushPressSignature()
    signs_event_times = False  # `created` is outside the signature

    def translate(self, payload: object) -> Translation:
        event_type = validate_as(_Envelope, require_object(payload)).event
        event_id = derive_event_id(payload)
        event: MembershipUpserted | MembershipDeleted | MemberProfileUpdated
        try:
            if event_type in ENROLLMENT_EVENTS:
                event = _enrollment_changed(validate_as(_EnrollmentEvent, payload), event_id)
            elif event_type in PROFILE_EVENTS:
                changed = validate_as(_CustomerEvent, payload)
                event = profile_from_customer(
                    changed.data.as_customer(changed.data.id),
                    event_id=event_id,
                    updated_at=changed.created,
                )
            elif event_type == "enrollment.deleted":
                deleted = validate_as(_EnrollmentDeletedEvent, payload)
                if deleted.data.customer_id is None:
                    return ignored(event_id, event_type, SLIM_ENROLLMENT_DELETED)
                event = _enrollment_deleted(deleted, deleted.data.customer_id, event_id)
            elif event_type == "customer.deleted":
                gone = validate_as(_CustomerDeletedEvent, payload)
                event = member_deleted(gone.data.id, event_id=event_id, updated_at=gone.created)
            else:
                reason = IGNORED_REASONS.get(
                    event_type, f"PushPress event {event_type!r} does not affect door access"
                )
                return ignored(event_id, event_type, reason)
        except UnmappableRecord as unmappable:
            raise PayloadInvalid(
                [FieldError(join_path("data", p.field), p.message) for p in unmappable.problems]
            ) from None
        return Translation(events=[event], source_event_id=event_id, source_event_type=event_type)


def _enrollment_changed(message: _EnrollmentEvent, event_id: str) -> MembershipUpserted:
    enrollment = message.data
    return membership_upserted(
        event_id=event_id,
        updated_at=message.created,
        customer_id=enrollment.customer_id,
        plan_id=enrollment.plan_id,
        status=enrollment.status,
        end_date=enrollment.end_date,
        paid_until=enrollment.paid_until,
        contact=enrollment.customer.as_customer(enrollment.customer_id)
        if enrollment.customer
        else None,
    )


def _enrollment_deleted(
    message: _EnrollmentDeletedEvent, customer_id: str, event_id: str
) -> MembershipUpserted:
    """A deleted enrollment that names its customer ends that customer's membership."""
    enrollment = message.data
    return membership_ended(
        event_id=event_id,
        updated_at=message.created,
        customer_id=customer_id,
        plan_id=enrollment.plan_id,
        contact=enrollment.customer.as_customer(customer_id) if enrollment.customer else None,
    )
