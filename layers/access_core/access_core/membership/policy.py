"""Who gets membership access, and why: the status table of docs/access-rules.md as pure
functions.

| status         | decision                                                        |
| -------------- | --------------------------------------------------------------- |
| active         | granted                                                          |
| pending_cancel | granted until the cancellation date (Kisi enforces valid_until)  |
| pending_active | not until active                                                 |
| payment_failed | granted until paid-through + the plan's grace days, when it has    |
|                | both; otherwise revoked (Kisi enforces valid_until)              |
| paused         | revoked                                                          |
| expired        | revoked                                                          |
| cancelled      | revoked                                                          |
| any, on a plan without 24-hour access, no plan, or deleted: revoked                 |
| any that would be granted, for a member without an email (Kisi's key): revoked      |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from access_core.domain.events import MembershipStatus
from access_core.domain.model import Member, Plan


class AccessReason(StrEnum):
    ACTIVE = "active"
    PENDING_CANCEL_UNTIL_DATE = "pending_cancel_until_date"
    PENDING_CANCEL_WITHOUT_DATE = "pending_cancel_without_date"
    PENDING_CANCEL_DATE_PASSED = "pending_cancel_date_passed"
    PENDING_ACTIVE = "pending_active"
    PAYMENT_GRACE = "payment_grace"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_GRACE_ENDED = "payment_grace_ended"
    PAUSED = "paused"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NO_PLAN = "no_plan"
    PLAN_UNKNOWN = "plan_unknown"
    PLAN_WITHOUT_24H_ACCESS = "plan_without_24h_access"
    NO_KISI_GROUP = "no_kisi_group"
    MEMBER_DELETED = "member_deleted"
    NO_EMAIL = "no_email"


REASON_TEXT: dict[AccessReason, str] = {
    AccessReason.ACTIVE: "Membership is active on a plan with 24-hour access.",
    AccessReason.PENDING_CANCEL_UNTIL_DATE: (
        "Membership is pending cancellation: access until the cancellation date."
    ),
    AccessReason.PENDING_CANCEL_WITHOUT_DATE: (
        "Membership is pending cancellation with no date given: access continues."
    ),
    AccessReason.PENDING_CANCEL_DATE_PASSED: "The pending cancellation date has passed.",
    AccessReason.PENDING_ACTIVE: "Membership is not active yet (pending active).",
    AccessReason.PAYMENT_GRACE: (
        "A payment failed: access continues for the plan's grace period after the paid-through "
        "date."
    ),
    AccessReason.PAYMENT_FAILED: (
        "A payment failed and the plan gives no grace period (or no paid-through date is known)."
    ),
    AccessReason.PAYMENT_GRACE_ENDED: "A payment failed and the plan's grace period has ended.",
    AccessReason.PAUSED: "Membership is paused.",
    AccessReason.EXPIRED: "Membership has expired.",
    AccessReason.CANCELLED: "Membership is cancelled.",
    AccessReason.NO_PLAN: "The member has no plan.",
    AccessReason.PLAN_UNKNOWN: "The member's plan is not known to the bridge.",
    AccessReason.PLAN_WITHOUT_24H_ACCESS: "The member's plan does not carry 24-hour access.",
    AccessReason.NO_KISI_GROUP: "No Kisi group is configured for the member's plan or the club.",
    AccessReason.MEMBER_DELETED: "The member was deleted in the platform.",
    AccessReason.NO_EMAIL: (
        "The platform has not sent the member's email yet; Kisi users are keyed by email."
    ),
}

_REVOKED_STATUSES: dict[MembershipStatus, AccessReason] = {
    MembershipStatus.PENDING_ACTIVE: AccessReason.PENDING_ACTIVE,
    MembershipStatus.PAUSED: AccessReason.PAUSED,
    MembershipStatus.EXPIRED: AccessReason.EXPIRED,
    MembershipStatus.CANCELLED: AccessReason.CANCELLED,
}


@dataclass(frozen=True)
class MembershipDecision:
    """The access a member should hold in Kisi right now, with the reason for it."""

    granted: bool
    reason: AccessReason
    email: str
    group_id: int | None = None
    valid_until: datetime | None = None

    @property
    def explanation(self) -> str:
        return REASON_TEXT[self.reason]


def decide_membership_access(
    member: Member, plan: Plan | None, default_group_id: int | None, now: datetime
) -> MembershipDecision:
    """Decide a member's 24-hour access. `plan` is the stored plan the member is on, if known."""

    email = member.email or ""

    def revoked(reason: AccessReason) -> MembershipDecision:
        return MembershipDecision(granted=False, reason=reason, email=email)

    if member.deleted:
        return revoked(AccessReason.MEMBER_DELETED)
    if member.status in _REVOKED_STATUSES:
        return revoked(_REVOKED_STATUSES[member.status])
    if member.plan_id is None:
        return revoked(AccessReason.NO_PLAN)
    if plan is None:
        return revoked(AccessReason.PLAN_UNKNOWN)
    if not plan.has_24h_access:
        return revoked(AccessReason.PLAN_WITHOUT_24H_ACCESS)
    group_id = plan.kisi_group_id or default_group_id
    if group_id is None:
        return revoked(AccessReason.NO_KISI_GROUP)

    def granted(reason: AccessReason, valid_until: datetime | None = None) -> MembershipDecision:
        # Kisi keys users by email: a member the platform sent none for yet cannot be granted.
        if not email:
            return revoked(AccessReason.NO_EMAIL)
        return MembershipDecision(True, reason, email, group_id, valid_until)

    if member.status is MembershipStatus.ACTIVE:
        return granted(AccessReason.ACTIVE)
    if member.status is MembershipStatus.PAYMENT_FAILED:
        grace_ends = payment_grace_end(member, plan)
        if grace_ends is None:
            return revoked(AccessReason.PAYMENT_FAILED)
        if grace_ends <= now:
            return revoked(AccessReason.PAYMENT_GRACE_ENDED)
        return granted(AccessReason.PAYMENT_GRACE, grace_ends)
    # Only pending_cancel is left: the statuses are an exhaustive enum.
    valid_until = member.access_ends_at
    if valid_until is None:
        return granted(AccessReason.PENDING_CANCEL_WITHOUT_DATE)
    # Compare the whole-second end that Kisi gets, not the raw date: a date later in the same
    # second as `now` would otherwise grant with a valid_until already in the past.
    if valid_until <= now:
        return revoked(AccessReason.PENDING_CANCEL_DATE_PASSED)
    return granted(AccessReason.PENDING_CANCEL_UNTIL_DATE, valid_until)


def payment_grace_end(member: Member, plan: Plan) -> datetime | None:
    """When the access of a member whose payment failed ends: its paid-through date plus the
    plan's grace days, in whole seconds (as Kisi's valid_until); None when the plan gives no grace
    or the platform sent no paid-through date (the member is revoked then, as before grace)."""
    if plan.payment_grace_days <= 0 or member.paid_through is None:
        return None
    return (member.paid_through + timedelta(days=plan.payment_grace_days)).replace(microsecond=0)
