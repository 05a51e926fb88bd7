"""The Admin API's side of the mass-revoke circuit breaker (membership/quarantine.py): list the
revokes it holds, approve them (their members are converged again: the worker re-reads each
member, so one who came back meanwhile keeps access) or reject them (access is kept, and the item
is marked, until the platform sends a newer state for the member)."""

from __future__ import annotations

from access_core.admin.quarantine_models import (
    QuarantineDecisionRequest,
    QuarantineDecisionResponse,
    QuarantinedRevokeView,
    QuarantinePageResponse,
)
from access_core.admin.service import AdminDependencies, _audit, _tenant
from access_core.domain.caller import Caller
from access_core.domain.commands import Command, ConvergeMember, QueuedCommand
from access_core.domain.errors import FieldProblem, InvalidRequest
from access_core.domain.events import utc_iso
from access_core.infrastructure.storage.quarantine import QuarantinedRevoke, QuarantineStatus


def list_quarantine(
    tenant_id: str, deps: AdminDependencies, *, limit: int, after: str | None = None
) -> QuarantinePageResponse:
    """One page of the tenant's held revokes, by member id."""
    tenant = _tenant(deps, tenant_id)
    held, position = deps.stores.quarantine.held_page(tenant_id, limit=limit, after=after)
    return QuarantinePageResponse(
        tenant_id=tenant_id,
        threshold_percent=tenant.mass_revoke_threshold_percent,
        revokes=[_view(revoke) for revoke in held],
        next=position,
    )


def approve(
    tenant_id: str, request: QuarantineDecisionRequest, caller: Caller, deps: AdminDependencies
) -> QuarantineDecisionResponse:
    """Approve held revokes: each member is queued for a convergence that applies its revoke."""
    return _decide(tenant_id, request, caller, deps, QuarantineStatus.APPROVED)


def reject(
    tenant_id: str, request: QuarantineDecisionRequest, caller: Caller, deps: AdminDependencies
) -> QuarantineDecisionResponse:
    """Reject held revokes: the members keep their access; the items are marked rejected."""
    return _decide(tenant_id, request, caller, deps, QuarantineStatus.REJECTED)


def _decide(
    tenant_id: str,
    request: QuarantineDecisionRequest,
    caller: Caller,
    deps: AdminDependencies,
    status: QuarantineStatus,
) -> QuarantineDecisionResponse:
    tenant = _tenant(deps, tenant_id)
    store = deps.stores.quarantine
    held = {revoke.member_id: revoke for revoke in store.all_held(tenant_id)}
    chosen = _chosen(held, request.member_ids)
    now = deps.clock()
    store.resolve(chosen, status, f"admin:{caller.subject}", now)
    if status is QuarantineStatus.APPROVED:
        # A new cause per approval: SQS drops a repeated command body for 5 minutes.
        cause = f"quarantine-approved-{utc_iso(now)}"
        commands: list[Command] = [
            ConvergeMember(tenant_id=tenant_id, member_id=revoke.member_id, cause=cause)
            for revoke in chosen
        ]
        deps.queue.send([QueuedCommand(c, tenant.message_group_id) for c in commands])
    still_held = len(held) - len(chosen)
    if still_held == 0:
        # Every held revoke is judged: the hour's count starts again and the breaker closes.
        store.reset_window(tenant_id)
    member_ids = [revoke.member_id for revoke in chosen]
    _audit(
        deps.stores,
        caller,
        tenant_id,
        f"admin.quarantine_{status.value}",
        {"member_ids": member_ids, "still_held": still_held},
    )
    deps.metrics.count(f"QuarantineRevokes{status.value.title()}", len(chosen))
    return QuarantineDecisionResponse(
        tenant_id=tenant_id,
        decision="approved" if status is QuarantineStatus.APPROVED else "rejected",
        member_ids=member_ids,
        still_held=still_held,
    )


def _chosen(
    held: dict[str, QuarantinedRevoke], member_ids: list[str] | None
) -> list[QuarantinedRevoke]:
    """The held revokes named (all when none are); refuses, before any write, ids not held."""
    if member_ids is None:
        return [held[member_id] for member_id in sorted(held)]
    problems = [
        FieldProblem(
            field=f"body.member_ids.{index}",
            message="no revoke of this member is held",
            type="not_held",
        )
        for index, member_id in enumerate(member_ids)
        if member_id not in held
    ]
    if problems:
        raise InvalidRequest(
            "Some members named have no held revoke (already decided, or never held); "
            "nothing was changed.",
            code="not_held",
            fields=problems,
        )
    return [held[member_id] for member_id in member_ids]


def _view(revoke: QuarantinedRevoke) -> QuarantinedRevokeView:
    return QuarantinedRevokeView(
        member_id=revoke.member_id,
        email=revoke.email,
        reason=revoke.reason,
        held_at=revoke.held_at,
    )
