"""The worker's side of the mass-revoke circuit breaker: before a convergence takes a member's
access away, read the tenant's revoke window and the member's quarantine item, ask the pure
breaker (quarantine.py), and store its verdict.

Every revoke of the worker passes here, whatever queued it (a webhook, the daily or weekly sync, a
plan change): the syncs only queue convergences. A revoke that is held is recorded, with its audit
entry, and the command completes; the member keeps its access until an admin approves (the
member's next convergence then applies it, re-reading the member first) or rejects it. A member
whose revoke is held already is not counted again when a sync queues it once more, so the syncs
cannot re-trip the breaker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from access_core.domain.model import Member, Tenant
from access_core.domain.ports import MetricsSink
from access_core.infrastructure.storage import AuditEntry, Stores
from access_core.infrastructure.storage.quarantine import (
    QuarantinedRevoke,
    QuarantineStatus,
    StoredRevokeWindow,
)
from access_core.membership.policy import MembershipDecision
from access_core.membership.quarantine import (
    REVOKE_WINDOW,
    CountedRevoke,
    RevokeWindow,
    judge_change,
)

HELD_ERROR = (
    "revoke held by the mass-revoke circuit breaker: approve or reject it (Admin API, /quarantine)"
)
REJECTED_ERROR = (
    "revoke rejected by an admin (quarantine): access kept until the platform sends a newer state"
)


@dataclass(frozen=True)
class GateOutcome:
    """`kept_error`: the revoke is not applied now (held or rejected), with the member's error
    to record; `approved`: an approved revoke being applied (closed once it was)."""

    kept_error: str | None = None
    approved: QuarantinedRevoke | None = None


def gate_revoke(
    stores: Stores,
    metrics: MetricsSink,
    tenant: Tenant,
    member: Member,
    decision: MembershipDecision,
    now: datetime,
) -> GateOutcome:
    """Whether the member's revoke goes ahead now. Costs one BatchGetItem and, when the hour's
    count changes, one transaction (plus one Query of the members an hour, to count them)."""
    if tenant.mass_revoke_threshold_percent == 0:
        return GateOutcome()
    window, item = stores.quarantine.revoke_facts(tenant.tenant_id, member.member_id)
    if item is not None:
        if item.status is QuarantineStatus.APPROVED:
            return GateOutcome(approved=item)
        if item.status is QuarantineStatus.HELD:
            return GateOutcome(kept_error=HELD_ERROR)
        if (
            item.status is QuarantineStatus.REJECTED
            and item.platform_updated_at == member.platform_updated_at
        ):
            return GateOutcome(kept_error=REJECTED_ERROR)
    entitled, counted_at = window.entitled_members, window.counted_at
    if counted_at is None or counted_at <= now - REVOKE_WINDOW:
        entitled = sum(1 for s in stores.members.summaries(tenant.tenant_id) if s.holds_access)
        counted_at = now
    counted = tuple(CountedRevoke(member_id, at) for member_id, at in window.revokes)
    verdict = judge_change(
        member_id=member.member_id,
        is_revoke=True,
        window=RevokeWindow(counted, window.last_held_at),
        entitled_members=entitled,
        threshold_percent=tenant.mass_revoke_threshold_percent,
        now=now,
    )
    transaction = stores.transaction()
    stored = StoredRevokeWindow(
        revokes=tuple((r.member_id, r.at) for r in verdict.window.revokes),
        last_held_at=verdict.window.last_held_at,
        entitled_members=entitled,
        counted_at=counted_at,
        version=window.version,
    )
    stores.quarantine.add_window_to(transaction, tenant.tenant_id, stored)
    if verdict.held:
        revoke = QuarantinedRevoke(
            tenant_id=tenant.tenant_id,
            member_id=member.member_id,
            email=decision.email or member.email or "",
            reason=decision.reason.value,
            held_at=now,
            platform_updated_at=member.platform_updated_at,
        )
        stores.quarantine.add_hold_to(transaction, revoke)
        stores.audit.add_to(
            transaction,
            [
                AuditEntry(
                    tenant_id=tenant.tenant_id,
                    actor="kisi_worker",
                    action="quarantine.held",
                    subject=member.member_id,
                    detail={
                        "reason": decision.reason.value,
                        "revokes_this_hour": verdict.counted,
                        "allowance": verdict.allowance,
                        "entitled_members": entitled,
                    },
                )
            ],
        )
    elif item is not None:
        # A rejected revoke the platform has since changed: judged afresh, and closed.
        stores.quarantine.add_applied_to(transaction, replace(item, resolved_at=now))
    transaction.commit()
    if verdict.held:
        metrics.count("RevokesQuarantined")  # alarmed (template.yaml)
        return GateOutcome(kept_error=HELD_ERROR)
    return GateOutcome()
