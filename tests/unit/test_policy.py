"""The membership access policy: the status table of docs/access-rules.md, row by row, then its
properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from access_core.domain.events import MembershipStatus, MembershipUpserted
from access_core.domain.model import Member, Plan
from access_core.membership.policy import (
    REASON_TEXT,
    AccessReason,
    MembershipDecision,
    decide_membership_access,
)
from tests.unit.strategies import (
    TENANT_ID,
    aware_datetimes,
    emails,
    instants_near,
    members,
    optional_group_ids,
    plans,
    policy_inputs,
)

NOW = datetime(2030, 6, 15, 12, 0, 0, 250_000, tzinfo=UTC)
PLAN_GROUP = 501
DEFAULT_GROUP = 900
S = MembershipStatus
R = AccessReason


def member(**overrides: Any) -> Member:
    fields: dict[str, Any] = {
        "tenant_id": TENANT_ID,
        "member_id": "m-1",
        "email": "Ana@Example.com",
        "plan_id": "gold",
        "status": S.ACTIVE,
        "platform_updated_at": NOW - timedelta(days=3),
    }
    fields.update(overrides)
    return Member(**fields)


def plan(**overrides: Any) -> Plan:
    fields: dict[str, Any] = {
        "tenant_id": TENANT_ID,
        "plan_id": "gold",
        "has_24h_access": True,
        "kisi_group_id": PLAN_GROUP,
        "platform_updated_at": NOW - timedelta(days=30),
    }
    fields.update(overrides)
    return Plan(**fields)


def decide(
    m: Member,
    p: Plan | None = None,
    default_group_id: int | None = DEFAULT_GROUP,
    now: datetime = NOW,
) -> MembershipDecision:
    return decide_membership_access(m, p, default_group_id, now)


# --- the status table -----------------------------------------------------------------------------

FUTURE = NOW + timedelta(days=10, microseconds=123_456)
FUTURE_WHOLE_SECOND = FUTURE.replace(microsecond=0)
PAST = NOW - timedelta(days=1)

# (status, cancellation_at, granted, reason, valid_until), on a 24-hour plan with a group.
STATUS_TABLE = [
    (S.ACTIVE, None, True, R.ACTIVE, None),
    # A cancellation date on an active member is not an end: only pending_cancel ends access.
    (S.ACTIVE, PAST, True, R.ACTIVE, None),
    (S.ACTIVE, FUTURE, True, R.ACTIVE, None),
    (S.PENDING_CANCEL, FUTURE, True, R.PENDING_CANCEL_UNTIL_DATE, FUTURE_WHOLE_SECOND),
    (S.PENDING_CANCEL, None, True, R.PENDING_CANCEL_WITHOUT_DATE, None),
    (S.PENDING_CANCEL, PAST, False, R.PENDING_CANCEL_DATE_PASSED, None),
    (S.PENDING_CANCEL, NOW, False, R.PENDING_CANCEL_DATE_PASSED, None),
    (S.PENDING_ACTIVE, None, False, R.PENDING_ACTIVE, None),
    (S.PENDING_ACTIVE, FUTURE, False, R.PENDING_ACTIVE, None),
    # The plan here gives no payment grace (test_payment_grace.py has the grace cases).
    (S.PAYMENT_FAILED, None, False, R.PAYMENT_FAILED, None),
    (S.PAYMENT_FAILED, FUTURE, False, R.PAYMENT_FAILED, None),
    (S.PAUSED, None, False, R.PAUSED, None),
    (S.PAUSED, FUTURE, False, R.PAUSED, None),
    (S.EXPIRED, None, False, R.EXPIRED, None),
    (S.EXPIRED, FUTURE, False, R.EXPIRED, None),
    (S.CANCELLED, None, False, R.CANCELLED, None),
    (S.CANCELLED, PAST, False, R.CANCELLED, None),
]


@pytest.mark.parametrize(
    ("status", "cancellation_at", "granted", "reason", "valid_until"), STATUS_TABLE
)
def test_status_table(
    status: MembershipStatus,
    cancellation_at: datetime | None,
    granted: bool,
    reason: AccessReason,
    valid_until: datetime | None,
) -> None:
    decision = decide(member(status=status, cancellation_at=cancellation_at), plan())

    assert decision.granted is granted
    assert decision.reason is reason
    assert decision.valid_until == valid_until
    assert decision.group_id == (PLAN_GROUP if granted else None)
    assert decision.email == "ana@example.com"


def test_status_table_covers_every_status() -> None:
    assert {row[0] for row in STATUS_TABLE} == set(MembershipStatus)


def test_pending_cancel_valid_until_is_truncated_to_the_second_and_keeps_the_instant() -> None:
    cancellation = datetime(2030, 7, 1, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5)))

    decision = decide(member(status=S.PENDING_CANCEL, cancellation_at=cancellation), plan())

    assert decision.valid_until == datetime(2030, 7, 2, 4, 59, 59, tzinfo=UTC)
    assert decision.valid_until is not None
    assert decision.valid_until.microsecond == 0


@pytest.mark.parametrize(
    ("cancellation_at", "granted"),
    [
        pytest.param(NOW + timedelta(microseconds=1), False, id="later-in-the-same-second"),
        pytest.param(NOW.replace(microsecond=999_999), False, id="end-of-the-same-second"),
        pytest.param(NOW.replace(microsecond=0), False, id="start-of-the-same-second"),
        pytest.param(NOW - timedelta(microseconds=1), False, id="just-before"),
        pytest.param(NOW.replace(microsecond=0) + timedelta(seconds=1), True, id="next-second"),
    ],
)
def test_pending_cancel_date_within_a_second_of_now(
    cancellation_at: datetime, granted: bool
) -> None:
    """Kisi gets whole seconds: a grant whose truncated end is not after `now` would already be over
    when it reached Kisi, so the date counts as passed."""
    decision = decide(member(status=S.PENDING_CANCEL, cancellation_at=cancellation_at), plan())

    assert decision.granted is granted
    if granted:
        assert decision.valid_until is not None
        assert decision.valid_until > NOW
    else:
        assert decision.reason is R.PENDING_CANCEL_DATE_PASSED


def test_pending_cancel_date_compares_instants_across_time_zones() -> None:
    # 12:00:30 at UTC-5 is 17:00:30 UTC: in the future of NOW although its wall time is earlier.
    cancellation = datetime(2030, 6, 15, 12, 0, 30, tzinfo=timezone(timedelta(hours=-5)))

    decision = decide(member(status=S.PENDING_CANCEL, cancellation_at=cancellation), plan())

    assert decision.granted
    assert decision.valid_until == datetime(2030, 6, 15, 17, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("status", list(MembershipStatus))
def test_plan_without_24h_access_revokes_every_status(status: MembershipStatus) -> None:
    decision = decide(member(status=status, cancellation_at=FUTURE), plan(has_24h_access=False))

    assert not decision.granted
    assert decision.group_id is None
    assert decision.valid_until is None
    if status in {S.ACTIVE, S.PENDING_CANCEL}:
        assert decision.reason is R.PLAN_WITHOUT_24H_ACCESS


@pytest.mark.parametrize("status", [S.ACTIVE, S.PENDING_CANCEL])
def test_no_plan(status: MembershipStatus) -> None:
    # Even if a plan is passed in, a member without a plan id has no plan.
    for given_plan in (None, plan()):
        decision = decide(member(status=status, plan_id=None), given_plan)
        assert not decision.granted
        assert decision.reason is R.NO_PLAN


@pytest.mark.parametrize("status", [S.ACTIVE, S.PENDING_CANCEL])
def test_plan_unknown_to_the_bridge(status: MembershipStatus) -> None:
    decision = decide(member(status=status, plan_id="gold"), None)

    assert not decision.granted
    assert decision.reason is R.PLAN_UNKNOWN


@pytest.mark.parametrize("status", [S.ACTIVE, S.PENDING_CANCEL])
def test_no_kisi_group_on_plan_nor_tenant(status: MembershipStatus) -> None:
    decision = decide(member(status=status), plan(kisi_group_id=None), default_group_id=None)

    assert not decision.granted
    assert decision.reason is R.NO_KISI_GROUP
    assert decision.group_id is None


@pytest.mark.parametrize(
    ("plan_group", "default_group", "expected"),
    [
        pytest.param(PLAN_GROUP, DEFAULT_GROUP, PLAN_GROUP, id="plan-overrides-default"),
        pytest.param(PLAN_GROUP, None, PLAN_GROUP, id="plan-only"),
        pytest.param(None, DEFAULT_GROUP, DEFAULT_GROUP, id="tenant-default"),
    ],
)
@pytest.mark.parametrize(
    ("status", "cancellation_at"),
    [(S.ACTIVE, None), (S.PENDING_CANCEL, None), (S.PENDING_CANCEL, FUTURE)],
)
def test_group_choice(
    plan_group: int | None,
    default_group: int | None,
    expected: int,
    status: MembershipStatus,
    cancellation_at: datetime | None,
) -> None:
    decision = decide(
        member(status=status, cancellation_at=cancellation_at),
        plan(kisi_group_id=plan_group),
        default_group_id=default_group,
    )

    assert decision.granted
    assert decision.group_id == expected


@pytest.mark.parametrize("status", list(MembershipStatus))
@pytest.mark.parametrize(
    "given_plan",
    [plan(), plan(has_24h_access=False), plan(kisi_group_id=None), None],
    ids=["24h-plan", "plan-without-24h", "plan-without-group", "no-plan"],
)
def test_deleted_member_is_revoked_whatever_the_status(
    status: MembershipStatus, given_plan: Plan | None
) -> None:
    for cancellation_at in (None, FUTURE, PAST):
        decision = decide(
            member(status=status, cancellation_at=cancellation_at, deleted=True), given_plan
        )
        assert not decision.granted
        assert decision.reason is R.MEMBER_DELETED
        assert decision.group_id is None
        assert decision.valid_until is None


# --- no email yet (e.g. a PushPress enrollment before its customer event) ------------------------


@pytest.mark.parametrize(
    ("status", "cancellation_at", "granted", "reason", "valid_until"), STATUS_TABLE
)
def test_status_table_without_email(
    status: MembershipStatus,
    cancellation_at: datetime | None,
    granted: bool,
    reason: AccessReason,
    valid_until: datetime | None,
) -> None:
    """What the table would grant is revoked with NO_EMAIL; every revocation keeps its reason."""
    decision = decide(member(status=status, cancellation_at=cancellation_at, email=None), plan())

    assert decision.granted is False
    assert decision.reason is (R.NO_EMAIL if granted else reason)
    assert decision.group_id is None
    assert decision.valid_until is None
    assert decision.email == ""


@pytest.mark.parametrize(
    ("overrides", "given_plan", "default_group_id", "reason"),
    [
        pytest.param({"status": S.PAUSED}, plan(), None, R.PAUSED, id="paused"),
        pytest.param({"deleted": True}, plan(), None, R.MEMBER_DELETED, id="deleted"),
        pytest.param({"plan_id": None}, None, DEFAULT_GROUP, R.NO_PLAN, id="no-plan"),
        pytest.param({}, None, DEFAULT_GROUP, R.PLAN_UNKNOWN, id="plan-unknown"),
        pytest.param(
            {}, plan(has_24h_access=False), DEFAULT_GROUP, R.PLAN_WITHOUT_24H_ACCESS, id="no-24h"
        ),
        pytest.param({}, plan(kisi_group_id=None), None, R.NO_KISI_GROUP, id="no-group"),
        pytest.param({}, plan(), None, R.NO_EMAIL, id="would-be-granted"),
    ],
)
def test_no_email_is_checked_after_the_status_plan_and_group(
    overrides: dict[str, Any],
    given_plan: Plan | None,
    default_group_id: int | None,
    reason: AccessReason,
) -> None:
    decision = decide(member(email=None, **overrides), given_plan, default_group_id)

    assert not decision.granted
    assert decision.reason is reason


def test_member_without_email_is_stored_as_none() -> None:
    assert member(email=None).email is None
    assert Member.model_validate(member().model_dump() | {"email": None}).email is None


@given(policy_inputs(), emails())
def test_no_email_revokes_exactly_what_an_email_would_grant(
    inputs: tuple[Member, Plan | None, int | None, datetime], email: str
) -> None:
    m, p, default_group_id, now = inputs

    with_email = decide_membership_access(
        m.model_copy(update={"email": email}), p, default_group_id, now
    )
    without_email = decide_membership_access(
        m.model_copy(update={"email": None}), p, default_group_id, now
    )

    assert without_email.granted is False
    if with_email.granted:
        assert without_email == MembershipDecision(False, R.NO_EMAIL, "")
    else:
        assert without_email == MembershipDecision(False, with_email.reason, "")


# --- reasons and their texts ----------------------------------------------------------------------

# One hand-built case per reason: every reason the policy has must be reachable.
REASON_CASES: dict[AccessReason, tuple[Member, Plan | None, int | None]] = {
    R.ACTIVE: (member(), plan(), None),
    R.PENDING_CANCEL_UNTIL_DATE: (
        member(status=S.PENDING_CANCEL, cancellation_at=FUTURE),
        plan(),
        None,
    ),
    R.PENDING_CANCEL_WITHOUT_DATE: (member(status=S.PENDING_CANCEL), plan(), None),
    R.PENDING_CANCEL_DATE_PASSED: (
        member(status=S.PENDING_CANCEL, cancellation_at=PAST),
        plan(),
        None,
    ),
    R.PENDING_ACTIVE: (member(status=S.PENDING_ACTIVE), plan(), None),
    R.PAYMENT_GRACE: (
        member(status=S.PAYMENT_FAILED, paid_through=PAST),
        plan(payment_grace_days=7),
        None,
    ),
    R.PAYMENT_FAILED: (member(status=S.PAYMENT_FAILED, paid_through=PAST), plan(), None),
    R.PAYMENT_GRACE_ENDED: (
        member(status=S.PAYMENT_FAILED, paid_through=NOW - timedelta(days=8)),
        plan(payment_grace_days=7),
        None,
    ),
    R.PAUSED: (member(status=S.PAUSED), plan(), None),
    R.EXPIRED: (member(status=S.EXPIRED), plan(), None),
    R.CANCELLED: (member(status=S.CANCELLED), plan(), None),
    R.NO_PLAN: (member(plan_id=None), None, DEFAULT_GROUP),
    R.PLAN_UNKNOWN: (member(), None, DEFAULT_GROUP),
    R.PLAN_WITHOUT_24H_ACCESS: (member(), plan(has_24h_access=False), DEFAULT_GROUP),
    R.NO_KISI_GROUP: (member(), plan(kisi_group_id=None), None),
    R.MEMBER_DELETED: (member(deleted=True), plan(), DEFAULT_GROUP),
    R.NO_EMAIL: (member(email=None), plan(), DEFAULT_GROUP),
}


def test_every_reason_has_a_case() -> None:
    assert set(REASON_CASES) == set(AccessReason)


@pytest.mark.parametrize("reason", list(AccessReason))
def test_every_reason_is_reachable_and_explained(reason: AccessReason) -> None:
    m, p, default_group_id = REASON_CASES[reason]

    decision = decide(m, p, default_group_id)

    assert decision.reason is reason
    assert decision.granted is (
        reason
        in {R.ACTIVE, R.PENDING_CANCEL_UNTIL_DATE, R.PENDING_CANCEL_WITHOUT_DATE, R.PAYMENT_GRACE}
    )
    assert decision.explanation == REASON_TEXT[reason]
    assert decision.explanation.strip()


def test_reason_texts_cover_every_reason_and_are_distinct() -> None:
    assert set(REASON_TEXT) == set(AccessReason)
    assert len(set(REASON_TEXT.values())) == len(REASON_TEXT)


# --- unknown statuses are rejected at the edge ----------------------------------------------------

UNKNOWN_STATUSES = ["frozen", "terminated", "ACTIVE", "Active", "pending cancel", "", None, 1]


def upserted(status: object) -> dict[str, object]:
    return {
        "event_id": "evt-1",
        "updated_at": NOW,
        "member_id": "m-1",
        "email": "ana@example.com",
        "plan_id": "gold",
        "status": status,
    }


@pytest.mark.parametrize("status", UNKNOWN_STATUSES)
def test_membership_upserted_rejects_unknown_status(status: object) -> None:
    with pytest.raises(ValidationError, match="status"):
        MembershipUpserted.model_validate(upserted(status))


@pytest.mark.parametrize("status", UNKNOWN_STATUSES)
def test_member_rejects_unknown_status(status: object) -> None:
    with pytest.raises(ValidationError, match="status"):
        member(status=status)


@pytest.mark.parametrize("status", [s.value for s in MembershipStatus])
def test_known_statuses_are_accepted_at_the_edge(status: str) -> None:
    assert MembershipUpserted.model_validate(upserted(status)).status is MembershipStatus(status)
    assert member(status=status).status is MembershipStatus(status)


# --- access_ends_at -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"status": S.PENDING_CANCEL, "cancellation_at": FUTURE},
            FUTURE_WHOLE_SECOND,
            id="pending-cancel-with-date",
        ),
        pytest.param(
            {"status": S.PENDING_CANCEL, "cancellation_at": PAST},
            PAST.replace(microsecond=0),
            id="pending-cancel-date-passed",
        ),
        pytest.param({"status": S.PENDING_CANCEL}, None, id="pending-cancel-without-date"),
        pytest.param(
            {"status": S.PENDING_CANCEL, "cancellation_at": FUTURE, "deleted": True},
            None,
            id="deleted",
        ),
        *(
            pytest.param({"status": s, "cancellation_at": FUTURE}, None, id=f"{s.value}-with-date")
            for s in MembershipStatus
            if s is not S.PENDING_CANCEL
        ),
    ],
)
def test_access_ends_at(overrides: dict[str, Any], expected: datetime | None) -> None:
    assert member(**overrides).access_ends_at == expected


# --- properties -----------------------------------------------------------------------------------

GRANTING_STATUSES = {S.ACTIVE, S.PENDING_CANCEL}


@given(policy_inputs())
def test_granted_only_for_active_or_pending_cancel_on_a_24h_plan_with_a_group(
    inputs: tuple[Member, Plan | None, int | None, datetime],
) -> None:
    m, p, default_group_id, now = inputs

    decision = decide_membership_access(m, p, default_group_id, now)

    if decision.granted:
        assert not m.deleted
        assert m.status in GRANTING_STATUSES
        assert p is not None
        assert m.plan_id is not None
        assert p.has_24h_access
        assert decision.group_id is not None
        assert decision.group_id == (p.kisi_group_id or default_group_id)
    else:
        assert decision.group_id is None
        assert decision.valid_until is None
    if m.email is None:
        assert not decision.granted
        assert decision.email == ""
    else:
        assert decision.email == m.email
    assert decision.explanation == REASON_TEXT[decision.reason]


@given(
    members(status=st.just(S.ACTIVE), deleted=st.just(False)),
    plans(has_24h_access=st.just(True)),
    optional_group_ids,
    aware_datetimes(),
)
def test_active_on_a_24h_plan_with_a_group_is_granted_whatever_the_time(
    m: Member, p: Plan, default_group_id: int | None, now: datetime
) -> None:
    m = m.model_copy(update={"plan_id": p.plan_id})

    decision = decide_membership_access(m, p, default_group_id, now)

    has_group = p.kisi_group_id is not None or default_group_id is not None
    assert decision.granted is has_group
    assert decision.reason is (R.ACTIVE if has_group else R.NO_KISI_GROUP)
    assert decision.valid_until is None


@given(policy_inputs())
@example(
    (
        member(status=S.PENDING_CANCEL, cancellation_at=NOW + timedelta(microseconds=500_000)),
        plan(),
        None,
        NOW,
    )
)
def test_valid_until_is_set_iff_pending_cancel_until_date_and_then_in_the_future(
    inputs: tuple[Member, Plan | None, int | None, datetime],
) -> None:
    m, p, default_group_id, now = inputs

    decision = decide_membership_access(m, p, default_group_id, now)

    assert (decision.valid_until is not None) is (decision.reason is R.PENDING_CANCEL_UNTIL_DATE)
    if decision.valid_until is not None:
        assert decision.granted
        assert decision.valid_until > now
        assert decision.valid_until.microsecond == 0
        assert m.cancellation_at is not None
        assert timedelta(0) <= m.cancellation_at - decision.valid_until < timedelta(seconds=1)


@given(policy_inputs())
def test_decision_is_a_pure_function(
    inputs: tuple[Member, Plan | None, int | None, datetime],
) -> None:
    m, p, default_group_id, now = inputs
    member_before = m.model_dump()
    plan_before = p.model_dump() if p is not None else None

    first = decide_membership_access(m, p, default_group_id, now)
    again = decide_membership_access(m, p, default_group_id, now)
    on_copies = decide_membership_access(
        m.model_copy(deep=True),
        p.model_copy(deep=True) if p is not None else None,
        default_group_id,
        now.astimezone(UTC),
    )

    assert first == again == on_copies
    assert m.model_dump() == member_before
    assert (p.model_dump() if p is not None else None) == plan_before


@given(policy_inputs())
def test_deleting_never_grants(inputs: tuple[Member, Plan | None, int | None, datetime]) -> None:
    m, p, default_group_id, now = inputs

    decision = decide_membership_access(
        m.model_copy(update={"deleted": True}), p, default_group_id, now
    )

    assert not decision.granted
    assert decision.reason is R.MEMBER_DELETED


@given(policy_inputs(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
@example(
    (
        member(status=S.PENDING_CANCEL, cancellation_at=NOW + timedelta(microseconds=500_000)),
        plan(),
        None,
        NOW,
    ),
    timedelta(microseconds=300_000),
)
def test_moving_now_forward_never_turns_revoked_into_granted(
    inputs: tuple[Member, Plan | None, int | None, datetime], step: timedelta
) -> None:
    m, p, default_group_id, now = inputs

    earlier = decide_membership_access(m, p, default_group_id, now)
    later = decide_membership_access(m, p, default_group_id, now + step)

    if not earlier.granted:
        assert not later.granted
    if later.granted:
        assert earlier.granted
        assert later == earlier  # nothing else depends on the time


@given(
    members(
        status=st.just(S.PENDING_CANCEL), deleted=st.just(False), cancellation_at=aware_datetimes()
    ),
    st.data(),
)
def test_access_ends_exactly_at_access_ends_at(m: Member, data: st.DataObject) -> None:
    """Granted strictly before `access_ends_at`, revoked from it on: the daily sync's index and
    the valid_until written to Kisi agree with the decision."""
    assert m.cancellation_at is not None
    p = plan(plan_id=m.plan_id or "gold")
    m = m.model_copy(update={"plan_id": p.plan_id})
    ends = m.access_ends_at
    assert ends is not None
    now = data.draw(instants_near(ends), label="now")

    decision = decide_membership_access(m, p, None, now)

    assert decision.granted is (now < ends)
    if decision.granted:
        assert decision.valid_until == ends


@given(members(), st.sampled_from(list(MembershipStatus)))
def test_access_ends_at_only_for_live_pending_cancellations(
    m: Member, status: MembershipStatus
) -> None:
    m = m.model_copy(update={"status": status})

    ends = m.access_ends_at

    if m.deleted or status is not S.PENDING_CANCEL or m.cancellation_at is None:
        assert ends is None
    else:
        assert ends is not None
        assert ends <= m.cancellation_at
