"""Hypothesis strategies for the access_core domain, shared by the unit tests.

Small pools (emails, Kisi group ids, end dates) are deliberate: drawing from them makes members,
decisions and recorded grants collide on the same Kisi user or group often enough for the
interesting cases (email change, group change, end-date change, adopted user) to come up in every
run. Everything built here passes the models' own validation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from access_core.domain.events import MembershipStatus
from access_core.domain.model import KisiGrant, Member, MemberKisiState, Plan, RevokeMode, SyncState
from access_core.membership.policy import AccessReason, MembershipDecision, payment_grace_end

TENANT_ID = "tenant-1"

# --- time -----------------------------------------------------------------------------------------

TIMEZONES = (
    UTC,
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
)
EARLIEST = datetime(2020, 1, 1)
LATEST = datetime(2035, 12, 31)

timezones = st.sampled_from(TIMEZONES)


def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Timezone-aware instants (fixed offsets, microseconds included)."""
    return st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=timezones)


# Offsets that straddle the interesting boundaries: the same instant, the same whole second
# (sub-second on either side), a second away, and far away.
_SMALL_OFFSETS = st.sampled_from(
    [
        timedelta(0),
        timedelta(microseconds=1),
        timedelta(microseconds=-1),
        timedelta(seconds=1),
        timedelta(seconds=-1),
    ]
)
offsets = st.one_of(
    _SMALL_OFFSETS,
    st.timedeltas(min_value=timedelta(seconds=-2), max_value=timedelta(seconds=2)),
    st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=400)),
)


@st.composite
def instants_near(draw: st.DrawFn, moment: datetime) -> datetime:
    """An aware instant close to `moment` (often within the same second), in any time zone."""
    return (moment + draw(offsets)).astimezone(draw(timezones))


# --- identities -----------------------------------------------------------------------------------

EMAIL_POOL = ("ana@example.com", "bo.li@example.org", "cy+gym@club.example")
GROUP_POOL = (11, 22, 33)

_LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-"
_LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"


@st.composite
def _generated_emails(draw: st.DrawFn) -> str:
    local = draw(st.text(_LOCAL_CHARS, min_size=1, max_size=20))
    domain = draw(st.text(_LABEL_CHARS, min_size=1, max_size=15))
    tld = draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6))
    return f"{local}@{domain}.{tld}"


def emails(pool_only: bool = False) -> st.SearchStrategy[str]:
    """Valid addresses; mostly from a small pool (so identities collide), sometimes fresh ones.

    Pool addresses sometimes come back in mixed case: the models normalise to lower case.
    """
    pooled = st.sampled_from(EMAIL_POOL)
    if pool_only:
        return pooled
    mixed_case = pooled.map(str.upper)
    return st.one_of(pooled, mixed_case, _generated_emails())


platform_ids = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@-", min_size=1, max_size=40
)
group_ids = st.one_of(st.sampled_from(GROUP_POOL), st.integers(min_value=1, max_value=2**31))
pooled_group_ids = st.sampled_from(GROUP_POOL)
optional_group_ids = st.none() | group_ids
statuses = st.sampled_from(list(MembershipStatus))
revoke_modes = st.sampled_from(list(RevokeMode))

# Whole-second end dates (what the policy writes as valid_until), and one with microseconds (a
# recorded value that never equals a decision's).
END_DATE_POOL = (
    datetime(2031, 3, 1, 0, 0, tzinfo=UTC),
    datetime(2031, 3, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2031, 3, 31, 23, 59, 59, 500_000, tzinfo=UTC),
)
optional_end_dates = st.one_of(st.none(), st.sampled_from(END_DATE_POOL))
GRACE_DAYS_POOL = (0, 0, 1, 7, 60)


# --- stored entities ------------------------------------------------------------------------------


@st.composite
def plans(
    draw: st.DrawFn,
    plan_id: st.SearchStrategy[str] | None = None,
    has_24h_access: st.SearchStrategy[bool] | None = None,
    kisi_group_id: st.SearchStrategy[int | None] | None = None,
) -> Plan:
    """A stored plan: with or without 24-hour access, with or without its own Kisi group."""
    return Plan(
        tenant_id=TENANT_ID,
        plan_id=draw(plan_id if plan_id is not None else platform_ids),
        name=draw(st.text(max_size=20)),
        has_24h_access=draw(has_24h_access if has_24h_access is not None else st.booleans()),
        kisi_group_id=draw(kisi_group_id if kisi_group_id is not None else optional_group_ids),
        payment_grace_days=draw(st.sampled_from(GRACE_DAYS_POOL)),
        platform_updated_at=draw(aware_datetimes()),
    )


@st.composite
def kisi_grants(
    draw: st.DrawFn,
    email: st.SearchStrategy[str] | None = None,
    group_id: st.SearchStrategy[int] | None = None,
    valid_until: st.SearchStrategy[datetime | None] | None = None,
) -> KisiGrant:
    """One recorded grant; sometimes without an assignment id (a write that did not finish)."""
    return KisiGrant(
        email=draw(email if email is not None else emails(pool_only=True)),
        group_id=draw(group_id if group_id is not None else pooled_group_ids),
        user_id=draw(st.none() | st.integers(min_value=1, max_value=10**9)),
        assignment_id=draw(st.none() | st.integers(min_value=1, max_value=10**9)),
        valid_until=draw(valid_until if valid_until is not None else optional_end_dates),
        user_created_by_us=draw(st.booleans()),
    )


def recorded_grants(
    email: st.SearchStrategy[str] | None = None,
    group_id: st.SearchStrategy[int] | None = None,
    valid_until: st.SearchStrategy[datetime | None] | None = None,
    max_size: int = 5,
) -> st.SearchStrategy[list[KisiGrant]]:
    """What we last wrote to Kisi for one member: at most one grant per (email, group) slot, since
    Kisi holds one assignment per user and group."""
    return st.lists(
        kisi_grants(email=email, group_id=group_id, valid_until=valid_until),
        max_size=max_size,
        unique_by=lambda g: (g.email, g.group_id),
    )


@st.composite
def members(
    draw: st.DrawFn,
    status: st.SearchStrategy[MembershipStatus] | None = None,
    email: st.SearchStrategy[str | None] | None = None,
    plan_id: st.SearchStrategy[str | None] | None = None,
    cancellation_at: st.SearchStrategy[datetime | None] | None = None,
    deleted: st.SearchStrategy[bool] | None = None,
    grants: st.SearchStrategy[list[KisiGrant]] | None = None,
) -> Member:
    """A stored member with any status, an optional plan and cancellation date, and the grants we
    last recorded for it. Every part can be pinned by passing a strategy (e.g. `st.just(...)`)."""
    fields: dict[str, Any] = {
        "tenant_id": TENANT_ID,
        "member_id": draw(platform_ids),
        "email": draw(email if email is not None else emails()),
        "name": draw(st.text(max_size=20)),
        "plan_id": draw(plan_id if plan_id is not None else st.none() | platform_ids),
        "status": draw(status if status is not None else statuses),
        "cancellation_at": draw(
            cancellation_at if cancellation_at is not None else st.none() | aware_datetimes()
        ),
        "paid_through": draw(st.none() | aware_datetimes()),
        "deleted": draw(deleted if deleted is not None else st.booleans()),
        "platform_updated_at": draw(aware_datetimes()),
        "version": draw(st.integers(min_value=1, max_value=1000)),
        "kisi": MemberKisiState(
            grants=draw(grants if grants is not None else recorded_grants()),
            sync_state=draw(st.sampled_from(list(SyncState))),
        ),
    }
    return Member(**fields)


@st.composite
def policy_inputs(
    draw: st.DrawFn,
) -> tuple[Member, Plan | None, int | None, datetime]:
    """(member, the stored plan it is on or None, tenant default group, now) for the policy.

    The plan, when given, carries the member's plan id; `now` is often within a second of the
    member's cancellation date so the date boundary is exercised. The member sometimes has no
    email (its platform has not sent one yet).
    """
    member = draw(members(email=st.none() | emails()))
    plan: Plan | None = None
    if member.plan_id is not None and draw(st.booleans()):
        plan = draw(plans(plan_id=st.just(member.plan_id)))
    default_group_id = draw(optional_group_ids)
    grace_ends = payment_grace_end(member, plan) if plan is not None else None
    if member.cancellation_at is not None and draw(st.booleans()):
        now = draw(instants_near(member.cancellation_at))
    elif grace_ends is not None and draw(st.booleans()):
        now = draw(instants_near(grace_ends))
    else:
        now = draw(aware_datetimes())
    return member, plan, default_group_id, now


# --- decisions, for the convergence planner -------------------------------------------------------

_REVOKED_REASONS = (
    AccessReason.PENDING_CANCEL_DATE_PASSED,
    AccessReason.PENDING_ACTIVE,
    AccessReason.PAYMENT_FAILED,
    AccessReason.PAYMENT_GRACE_ENDED,
    AccessReason.PAUSED,
    AccessReason.EXPIRED,
    AccessReason.CANCELLED,
    AccessReason.NO_PLAN,
    AccessReason.PLAN_UNKNOWN,
    AccessReason.PLAN_WITHOUT_24H_ACCESS,
    AccessReason.NO_KISI_GROUP,
    AccessReason.MEMBER_DELETED,
    AccessReason.NO_EMAIL,
)


@st.composite
def granted_decisions(draw: st.DrawFn) -> MembershipDecision:
    """Granted decisions shaped as the policy makes them (an end date only for pending cancel)."""
    email = draw(emails(pool_only=True))
    group_id = draw(pooled_group_ids)
    reason = draw(
        st.sampled_from(
            [
                AccessReason.ACTIVE,
                AccessReason.PENDING_CANCEL_WITHOUT_DATE,
                AccessReason.PENDING_CANCEL_UNTIL_DATE,
            ]
        )
    )
    valid_until = (
        draw(st.sampled_from(END_DATE_POOL[:2]))
        if reason is AccessReason.PENDING_CANCEL_UNTIL_DATE
        else None
    )
    return MembershipDecision(True, reason, email, group_id, valid_until)


@st.composite
def revoked_decisions(draw: st.DrawFn) -> MembershipDecision:
    return MembershipDecision(
        False, draw(st.sampled_from(_REVOKED_REASONS)), draw(emails(pool_only=True))
    )


def decisions() -> st.SearchStrategy[MembershipDecision]:
    return st.one_of(granted_decisions(), revoked_decisions())


@st.composite
def convergence_cases(
    draw: st.DrawFn, decision: st.SearchStrategy[MembershipDecision] | None = None
) -> tuple[MembershipDecision, list[KisiGrant], RevokeMode]:
    """(decision, recorded grants, revoke mode), the grants biased towards the decision's own
    email, group and end date, so that the converged slot, a stale end date, an unfinished write,
    a group change and an email change all come up often."""
    chosen = draw(decision if decision is not None else decisions())
    email = st.one_of(st.just(chosen.email), emails(pool_only=True))
    group_id = (
        st.one_of(st.just(chosen.group_id), pooled_group_ids)
        if chosen.group_id is not None
        else pooled_group_ids
    )
    valid_until = st.one_of(st.just(chosen.valid_until), optional_end_dates)
    recorded = draw(recorded_grants(email=email, group_id=group_id, valid_until=valid_until))
    return chosen, recorded, draw(revoke_modes)
