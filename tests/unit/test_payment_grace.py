"""The grace policy for failed payments (membership/policy.py, docs/access-rules.md): a member
whose payment failed keeps access until its paid-through date plus its plan's grace days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given

from access_core.domain.events import MembershipStatus, MembershipUpserted
from access_core.domain.model import Member, Plan
from access_core.ingest.platforms import ADAPTERS
from access_core.membership.policy import AccessReason, decide_membership_access
from access_core.pushpress.mapping import UnmappableRecord, membership_from_enrollment
from pushpress_client import Enrollment
from tests.unit.strategies import TENANT_ID, policy_inputs

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)
PAID_THROUGH = datetime(2030, 6, 10, 0, 0, tzinfo=UTC)
GROUP = 501


def member(**overrides: Any) -> Member:
    fields: dict[str, Any] = {
        "tenant_id": TENANT_ID,
        "member_id": "m-1",
        "email": "ana@example.com",
        "plan_id": "gold",
        "status": MembershipStatus.PAYMENT_FAILED,
        "paid_through": PAID_THROUGH,
        "platform_updated_at": NOW - timedelta(days=1),
    }
    return Member(**{**fields, **overrides})


def plan(grace_days: int) -> Plan:
    return Plan(
        tenant_id=TENANT_ID,
        plan_id="gold",
        has_24h_access=True,
        kisi_group_id=GROUP,
        payment_grace_days=grace_days,
        platform_updated_at=NOW - timedelta(days=30),
    )


def test_within_the_grace_period_access_is_granted_until_paid_through_plus_grace() -> None:
    decision = decide_membership_access(member(), plan(7), None, NOW)
    assert decision.granted
    assert decision.reason is AccessReason.PAYMENT_GRACE
    assert decision.valid_until == PAID_THROUGH + timedelta(days=7)


def test_after_the_grace_period_access_is_revoked() -> None:
    decision = decide_membership_access(member(), plan(3), None, NOW)
    assert not decision.granted
    assert decision.reason is AccessReason.PAYMENT_GRACE_ENDED


def test_a_plan_without_grace_revokes_as_before() -> None:
    decision = decide_membership_access(member(), plan(0), None, NOW)
    assert not decision.granted
    assert decision.reason is AccessReason.PAYMENT_FAILED


def test_without_a_paid_through_date_there_is_no_grace() -> None:
    decision = decide_membership_access(member(paid_through=None), plan(7), None, NOW)
    assert not decision.granted
    assert decision.reason is AccessReason.PAYMENT_FAILED


@given(policy_inputs())
def test_a_payment_failed_grant_never_ends_after_paid_through_plus_grace(
    inputs: tuple[Member, Plan | None, int | None, datetime],
) -> None:
    member, plan, default_group, now = inputs
    decision = decide_membership_access(member, plan, default_group, now)
    if member.status is not MembershipStatus.PAYMENT_FAILED or not decision.granted:
        return
    assert plan is not None
    assert member.paid_through is not None
    assert plan.payment_grace_days > 0
    assert decision.valid_until is not None
    assert now < decision.valid_until
    assert decision.valid_until <= member.paid_through + timedelta(days=plan.payment_grace_days)


@given(policy_inputs())
def test_no_grace_configured_decides_as_today(
    inputs: tuple[Member, Plan | None, int | None, datetime],
) -> None:
    """With no grace days on the plan, a payment-failed member is decided like a paused one
    (today's behaviour: PushPress `alert` mapped to paused), whatever else it has."""
    member, plan, default_group, now = inputs
    if member.status is not MembershipStatus.PAYMENT_FAILED:
        return
    without_grace = plan.model_copy(update={"payment_grace_days": 0}) if plan else None
    as_failed = decide_membership_access(member, without_grace, default_group, now)
    paused = member.model_copy(update={"status": MembershipStatus.PAUSED})
    as_paused = decide_membership_access(paused, without_grace, default_group, now)
    assert not as_failed.granted
    assert not as_paused.granted
    # The same refusal, or one the policy checks before the status of a payment (the plan's).
    assert as_failed.reason in {
        AccessReason.PAYMENT_FAILED,
        AccessReason.NO_PLAN,
        AccessReason.PLAN_UNKNOWN,
        AccessReason.PLAN_WITHOUT_24H_ACCESS,
        AccessReason.NO_KISI_GROUP,
        as_paused.reason,
    }


@given(policy_inputs())
def test_grace_never_applies_to_cancelled_paused_or_expired_members(
    inputs: tuple[Member, Plan | None, int | None, datetime],
) -> None:
    member, plan, default_group, now = inputs
    decision = decide_membership_access(member, plan, default_group, now)
    assert decision.reason is not AccessReason.PAYMENT_GRACE or (
        member.status is MembershipStatus.PAYMENT_FAILED
    )
    if member.status in (
        MembershipStatus.CANCELLED,
        MembershipStatus.PAUSED,
        MembershipStatus.EXPIRED,
    ):
        assert not decision.granted


# --- where the paid-through date comes from: PushPress's `paidUntil` ------------------------------

READ_AT = datetime(2026, 11, 2, 3, 15, tzinfo=UTC)
CREATED = 1762053300  # 2025-11-02T03:15:00Z


def enrollment(**fields: str) -> Enrollment:
    data = {"id": "sub_1", "customerId": "usr_1", "planId": "plan_24h", "status": "alert"}
    return Enrollment.model_validate(data | fields)


def test_an_alert_enrollment_is_a_failed_payment_paid_through_the_end_of_paid_until() -> None:
    event = membership_from_enrollment(
        enrollment(paidUntil="2026-11-30"), event_id="e", updated_at=READ_AT
    )
    assert event.status is MembershipStatus.PAYMENT_FAILED
    # A date without a zone, read like endDate: paid through that whole day in UTC.
    assert event.paid_through == datetime(2026, 12, 1, tzinfo=UTC)


def test_paid_until_is_read_only_for_a_failed_payment() -> None:
    for status in ("active", "paused", "canceled"):
        event = membership_from_enrollment(
            enrollment(status=status, paidUntil="soon"), event_id="e", updated_at=READ_AT
        )
        assert event.paid_through is None


def test_an_unreadable_paid_until_of_a_failed_payment_is_named() -> None:
    with pytest.raises(UnmappableRecord) as caught:
        membership_from_enrollment(enrollment(paidUntil="soon"), event_id="e", updated_at=READ_AT)
    assert [p.field for p in caught.value.problems] == ["paidUntil"]


def test_the_webhook_reads_paid_until_as_the_pull_does() -> None:
    data = {
        "id": "sub_1",
        "customerId": "usr_1",
        "planId": "plan_24h",
        "status": "alert",
        "paidUntil": "2026-11-30",
    }
    translation = ADAPTERS["pushpress"].translate(
        {"event": "enrollment.status.changed", "created": CREATED, "data": data}
    )
    [from_webhook] = translation.events
    pulled = membership_from_enrollment(
        Enrollment.model_validate(data),
        event_id=from_webhook.event_id,
        updated_at=datetime.fromtimestamp(CREATED, UTC),
    )
    assert from_webhook == pulled
    assert isinstance(from_webhook, MembershipUpserted)
    assert from_webhook.paid_through == datetime(2026, 12, 1, tzinfo=UTC)
