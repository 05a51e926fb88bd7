"""The canonical event model every platform adapter translates its webhooks into.

Each event carries the platform's own `updated_at`: state writes are conditional on it being newer
than what is stored, which makes duplicate and out-of-order webhooks harmless.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# Deliberately simple: one "@", a dot in the domain, no spaces. Kisi keys users by email, so the
# address is normalised to lower case for every comparison.
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ID_LENGTH = 128


def _normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL_PATTERN.match(email):
        raise ValueError("not a valid email address")
    return email


Email = Annotated[str, AfterValidator(_normalise_email)]
PlatformId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[\w.:@-]+$")]


class MembershipStatus(StrEnum):
    """Statuses of the status table (docs/access-rules.md); anything else is refused."""

    ACTIVE = "active"
    PENDING_CANCEL = "pending_cancel"
    PENDING_ACTIVE = "pending_active"
    # A failed or past-due payment (PushPress `alert`): revoked, unless the plan gives a grace
    # period after the paid-through date (membership/policy.py).
    PAYMENT_FAILED = "payment_failed"
    PAUSED = "paused"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# The statuses that can grant membership access (membership/policy.py decides the rest: plan,
# dates, email). Every other status revokes.
ACCESS_GRANTING_STATUSES: frozenset[MembershipStatus] = frozenset(
    {MembershipStatus.ACTIVE, MembershipStatus.PENDING_CANCEL}
)
# Of one member's memberships, which decides access when a platform lists several: the closest
# to access first.
MEMBERSHIP_STATUS_PREFERENCE: tuple[MembershipStatus, ...] = (
    MembershipStatus.ACTIVE,
    MembershipStatus.PENDING_CANCEL,
    MembershipStatus.PAYMENT_FAILED,
    MembershipStatus.PENDING_ACTIVE,
    MembershipStatus.PAUSED,
    MembershipStatus.EXPIRED,
    MembershipStatus.CANCELLED,
)


class ReservationStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: PlatformId
    updated_at: AwareDatetime = Field(description="The platform's own modification time")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        """JSON escapes can carry unpaired surrogates, which no store or log can encode."""
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise PydanticCustomError("unicode_text", "must be valid Unicode text") from None
        return value


class MembershipUpserted(_Event):
    type: Literal["membership.upserted"] = "membership.upserted"
    member_id: PlatformId
    email: Email | None = Field(
        default=None,
        description="None: the platform sent no email with this event; the stored email is kept",
    )
    name: Annotated[str, Field(max_length=200)] = ""
    plan_id: PlatformId | None = Field(default=None, description="None: the member has no plan")
    status: MembershipStatus
    cancellation_at: AwareDatetime | None = Field(
        default=None, description="When a pending cancellation takes effect"
    )
    paid_through: AwareDatetime | None = Field(
        default=None,
        description="For payment_failed: when the last paid period ends (the plan's grace "
        "period starts there)",
    )


class MembershipDeleted(_Event):
    type: Literal["membership.deleted"] = "membership.deleted"
    member_id: PlatformId


class MemberProfileUpdated(_Event):
    """A member's contact details (email, name) without the membership: platforms that send them
    apart from the membership (PushPress customer events). Ordered by its own `updated_at`."""

    type: Literal["member.profile_updated"] = "member.profile_updated"
    member_id: PlatformId
    email: Email
    name: Annotated[str, Field(max_length=200)] = ""


class PlanUpdated(_Event):
    type: Literal["plan.updated"] = "plan.updated"
    plan_id: PlatformId
    name: Annotated[str, Field(max_length=200)] = ""
    has_24h_access: bool
    kisi_group_id: Annotated[int, Field(gt=0)] | None = Field(
        default=None, description="Kisi group for this plan; None: the tenant's default group"
    )


class ReservationUpserted(_Event):
    type: Literal["reservation.upserted"] = "reservation.upserted"
    reservation_id: PlatformId
    player_ids: Annotated[list[PlatformId], Field(min_length=1, max_length=50)]
    court: Annotated[str, Field(max_length=200)] = ""
    start: AwareDatetime
    end: AwareDatetime
    status: ReservationStatus = ReservationStatus.CONFIRMED

    @model_validator(mode="after")
    def _end_after_start(self) -> ReservationUpserted:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ReservationCancelled(_Event):
    type: Literal["reservation.cancelled"] = "reservation.cancelled"
    reservation_id: PlatformId


CanonicalEvent = Annotated[
    MembershipUpserted
    | MembershipDeleted
    | MemberProfileUpdated
    | PlanUpdated
    | ReservationUpserted
    | ReservationCancelled,
    Field(discriminator="type"),
]
CANONICAL_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "membership.upserted",
        "membership.deleted",
        "member.profile_updated",
        "plan.updated",
        "reservation.upserted",
        "reservation.cancelled",
    }
)


def preferred_membership(
    candidates: Iterable[MembershipUpserted], access_plan_ids: Collection[str] | None = None
) -> MembershipUpserted | None:
    """Of one member's memberships (a platform lists one per subscription: a membership and an
    add-on, an old cancelled one and a new one), the one that decides the member's access: on a
    plan of `access_plan_ids` first (when given), then by MEMBERSHIP_STATUS_PREFERENCE; the first
    listed on a tie. None for no candidates."""

    def rank(event: MembershipUpserted) -> tuple[int, int]:
        on_access_plan = access_plan_ids is None or event.plan_id in access_plan_ids
        return (0 if on_access_plan else 1, MEMBERSHIP_STATUS_PREFERENCE.index(event.status))

    return min(candidates, key=rank, default=None)


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC, fixed precision, with a Z: stored times sort and compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
