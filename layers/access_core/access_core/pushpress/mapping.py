"""PushPress records as canonical events: the one mapping, shared by the webhook adapter
(`ingest/platforms/pushpress.py`, which validates a delivery's JSON first and passes `created`
as the version) and the API gateway (`directory.py`, which passes the time it read the record:
PushPress records carry no modification time).

- an Enrollment (`customerId`, `planId`, `status`, `endDate`): `membership.upserted` without
  an email, `member_id` = `customerId`, the status by ENROLLMENT_STATUSES, `cancellation_at`
  from `endDate` for `pendcancel`;
- a deleted Enrollment naming its customer, or a customer with no enrollment left:
  `membership.upserted`, status `cancelled`;
- a Customer (`id`, `email`, `name`): `member.profile_updated` (`name` = first and last);
- a deleted Customer: `membership.deleted`.

A member's two streams (memberships and profiles) each keep their own version, so a pulled
customer never makes a membership stale, nor the other way round. A record that maps to no valid
event raises UnmappableRecord naming each problem by its field in PushPress's record
(`status`, `endDate`, `customer.email`), never by a value of it that could be secret (there are
none in these records) and never granting by default. docs/webhooks.md has the tables and their
sources.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from access_core.domain.events import (
    ACCESS_GRANTING_STATUSES,
    MAX_ID_LENGTH,
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipStatus,
    MembershipUpserted,
)
from access_core.domain.times import ensure_plausible, parse_instant
from pushpress_client import Customer, Enrollment, EnrollmentStatus

ENROLLMENT_STATUSES: Final[Mapping[str, MembershipStatus]] = {
    "active": MembershipStatus.ACTIVE,
    "pendactivation": MembershipStatus.PENDING_ACTIVE,
    "pendcancel": MembershipStatus.PENDING_CANCEL,
    "paused": MembershipStatus.PAUSED,
    # A failed or past-due payment. PushPress's own Kisi integration grants access to active
    # subscriptions only; the bridge revokes it too, unless the plan gives a grace period after
    # the enrollment's `paidUntil` (membership/policy.py).
    "alert": MembershipStatus.PAYMENT_FAILED,
    "completed": MembershipStatus.EXPIRED,
    "canceled": MembershipStatus.CANCELLED,
    # PushPress has used both spellings in its event names; accept both here too.
    "cancelled": MembershipStatus.CANCELLED,
}
# PushPress's documented status values whose enrollments can grant access (the daily pull lists
# each): those mapped to a status of ACCESS_GRANTING_STATUSES.
GRANTING_ENROLLMENT_STATUSES: Final[tuple[EnrollmentStatus, ...]] = tuple(
    status for status in EnrollmentStatus if ENROLLMENT_STATUSES[status] in ACCESS_GRANTING_STATUSES
)
MAX_NAME_LENGTH = 200
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_PULL_ID = re.compile(r"[\w.:@-]+")
_END_DATE_FORMAT = "must be a date (YYYY-MM-DD) or an ISO 8601 time with offset"

# Where each canonical field comes from in PushPress's records.
_MEMBERSHIP_FIELDS: Final = {
    "member_id": "customerId",
    "email": "customer.email",
    "name": "customer.name",
    "plan_id": "planId",
    "status": "status",
    "cancellation_at": "endDate",
    "paid_through": "paidUntil",
}
_PROFILE_FIELDS: Final = {"member_id": "id", "email": "email", "name": "name"}
_DELETED_FIELDS: Final = {"member_id": "id"}


@dataclass(frozen=True)
class RecordProblem:
    field: str  # the field in PushPress's record, dotted: "customer.email"; "" the record
    message: str


class UnmappableRecord(ValueError):
    def __init__(self, problems: Sequence[RecordProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field or 'record'}: {p.message}" for p in self.problems))

    @classmethod
    def at(cls, field: str, message: str) -> UnmappableRecord:
        return cls([RecordProblem(field, message)])


def membership_status(value: object) -> MembershipStatus:
    """A PushPress enrollment status (any case, surrounding blanks ignored) as the canonical one;
    UnmappableRecord at `status` for a value the table does not list."""
    status = ENROLLMENT_STATUSES.get(value.strip().lower()) if isinstance(value, str) else None
    if status is None:
        shown = repr(value[:50]) if isinstance(value, str) else type(value).__name__
        expected = ", ".join(sorted(ENROLLMENT_STATUSES))
        raise UnmappableRecord.at(
            "status", f"unknown enrollment status {shown}; expected one of: {expected}"
        )
    return status


def cancellation_at(status: MembershipStatus, end_date: object) -> datetime | None:
    """When a pending cancellation takes effect; None for every other status (its `endDate` is
    not read, so an odd one cannot block an update).

    PushPress documents `endDate` as a date (2022-01-01) without a time zone: access runs through
    that whole day in UTC, i.e. it ends at 00:00 UTC on the next day. A full ISO time with an
    offset, or epoch seconds (a JSON number or a string of digits), is used as it is.
    """
    if status is not MembershipStatus.PENDING_CANCEL or end_date is None:
        return None
    return _end_of(end_date, "endDate")


def paid_through(status: MembershipStatus, paid_until: object) -> datetime | None:
    """When a member whose payment failed (`alert`) stops being paid up: the end of the
    enrollment's `paidUntil` day, read like `endDate`; None for every other status (not read)."""
    if status is not MembershipStatus.PAYMENT_FAILED or paid_until is None:
        return None
    return _end_of(paid_until, "paidUntil")


def _end_of(value: object, field: str) -> datetime:
    try:
        if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
            last_day = date.fromisoformat(value.strip())
            return ensure_plausible(datetime.combine(last_day, time(), tzinfo=UTC) + timedelta(1))
        if isinstance(value, str) and value.strip().isdigit():
            return parse_instant(int(value.strip()))
        return parse_instant(value)
    except PydanticCustomError as error:
        raise UnmappableRecord.at(field, error.message()) from None
    except (ValueError, OverflowError):
        raise UnmappableRecord.at(field, _END_DATE_FORMAT) from None


def membership_upserted(
    *,
    event_id: str,
    updated_at: datetime,
    customer_id: str,
    plan_id: str | None,
    status: MembershipStatus,
    end_date: object = None,
    contact: Customer | None = None,
    paid_until: object = None,
) -> MembershipUpserted:
    """The membership of `customer_id`. Without `contact` (PushPress's enrollments name only the
    customer) the event carries no email and no name: the stored ones stay. With one (a relay
    that embeds the customer), its email and name are used; it must be that customer."""
    if contact is not None and contact.id != customer_id:
        raise UnmappableRecord.at("customer.id", "does not match customerId")
    values = {
        "event_id": event_id,
        "updated_at": updated_at,
        "member_id": customer_id,
        "email": contact.email if contact else None,
        "name": _name(contact),
        "plan_id": plan_id,
        "status": status,
        "cancellation_at": cancellation_at(status, end_date),
        "paid_through": paid_through(status, paid_until),
    }
    if contact is not None and contact.email is None:
        raise UnmappableRecord.at("customer.email", "required when the customer is embedded")
    return _event(MembershipUpserted, values, _MEMBERSHIP_FIELDS)


def membership_from_enrollment(
    enrollment: Enrollment, *, event_id: str, updated_at: datetime
) -> MembershipUpserted:
    """A listed or fetched enrollment (`GET /enrollments`)."""
    return membership_upserted(
        event_id=event_id,
        updated_at=updated_at,
        customer_id=enrollment.customer_id,
        plan_id=enrollment.plan_id,
        status=membership_status(enrollment.status),
        end_date=enrollment.end_date,
        paid_until=enrollment.paid_until,
    )


def membership_ended(
    *,
    event_id: str,
    updated_at: datetime,
    customer_id: str,
    plan_id: str | None = None,
    contact: Customer | None = None,
) -> MembershipUpserted:
    """The customer's enrollment is gone (deleted, or none listed any more): cancelled."""
    return membership_upserted(
        event_id=event_id,
        updated_at=updated_at,
        customer_id=customer_id,
        plan_id=plan_id,
        status=MembershipStatus.CANCELLED,
        contact=contact,
    )


def profile_from_customer(
    customer: Customer, *, event_id: str, updated_at: datetime
) -> MemberProfileUpdated:
    """A customer's email and name; UnmappableRecord at `email` when there is no valid one."""
    if customer.email is None:
        raise UnmappableRecord.at("email", "required: Kisi users are keyed by email")
    values = {
        "event_id": event_id,
        "updated_at": updated_at,
        "member_id": customer.id,
        "email": customer.email,
        "name": _name(customer),
    }
    return _event(MemberProfileUpdated, values, _PROFILE_FIELDS)


def member_deleted(customer_id: str, *, event_id: str, updated_at: datetime) -> MembershipDeleted:
    values = {"event_id": event_id, "updated_at": updated_at, "member_id": customer_id}
    return _event(MembershipDeleted, values, _DELETED_FIELDS)


def pull_event_id(kind: str, record_id: str, read_at: datetime) -> str:
    """The event id of a record read from the API (webhooks have their own, derived from the
    body): `pushpress:<kind>:<record id>@<read time, epoch seconds>`, the id hashed when it does
    not fit an event id."""
    stamp = int(read_at.timestamp())
    candidate = f"pushpress:{kind}:{record_id}@{stamp}"
    if len(candidate) <= MAX_ID_LENGTH and _PULL_ID.fullmatch(candidate):
        return candidate
    digest = hashlib.sha256(record_id.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"pushpress:{kind}:sha256-{digest}@{stamp}"


def _name(customer: Customer | None) -> str:
    full = customer.full_name if customer is not None else None
    return (full or "")[:MAX_NAME_LENGTH]


def _event[EventT: BaseModel](
    event_type: type[EventT], values: Mapping[str, Any], fields: Mapping[str, str]
) -> EventT:
    try:
        return event_type.model_validate(values)
    except ValidationError as error:
        problems = [
            RecordProblem(
                fields.get(str(detail["loc"][0]), "") if detail["loc"] else "",
                detail["msg"].removeprefix("Value error, "),
            )
            for detail in error.errors(include_url=False, include_input=False)
        ]
    raise UnmappableRecord(problems)
