"""The admin's tools for trying the bridge before (and after) going live (docs/admin-api.md):

- test member: the whole membership decision for one email, from the worker's own pure policy
  and convergence planning, without writing anything;
- test reservation: the unlock decision for one reservation's players, as the Unlock API makes it;
- test unlock: a real unlock of one enabled door for the admin, through the Unlock API's Kisi
  client, claim and Kisi error answers, audited as `admin.test_unlock`;
- migration report: the Kisi users of the club's groups against the club's members (adopted,
  unmanaged, duplicates), listed as the weekly sync lists them; nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from access_core.admin.models import DecisionView
from access_core.admin.service import (
    AdminDependencies,
    KisiNotConnected,
    KisiUnavailable,
    _audit,
    _unconfigured,
    explain_reservation_access,
)
from access_core.admin.tools_models import (
    MAX_REPORTED,
    AdminUnlockRequest,
    AdminUnlockResponse,
    AdoptedUser,
    CheckinWriteBackRequest,
    CheckinWriteBackResponse,
    DuplicateEmail,
    KisiChange,
    MemberDryRun,
    MemberDryRunRequest,
    MemberDryRunResponse,
    MigrationCounts,
    MigrationReportResponse,
    ReservationDryRunRequest,
    UnmanagedUser,
)
from access_core.domain.caller import Caller
from access_core.domain.commands import ObservedGrant
from access_core.domain.errors import Conflict, NotFound
from access_core.domain.events import utc_iso
from access_core.domain.model import Tenant
from access_core.infrastructure.storage import AuditEntry, RecentUnlock
from access_core.membership.convergence import (
    ConvergenceStep,
    EnsureGrant,
    plan_convergence,
    with_family,
)
from access_core.membership.policy import decide_membership_access
from access_core.membership.reconciliation import managed_emails
from access_core.reservations.policy import door_is_usable
from kisi_client import KisiError, KisiForbidden, KisiInvalidCredentials, UnlockFailureReason

if TYPE_CHECKING:
    from access_core.admin.service import ReservationExplanation
    from access_core.domain.checkins import CheckinRecorders
    from access_core.infrastructure.storage import Stores
    from access_core.sync.service import SyncDependencies
    from access_core.unlock.service import UnlockDependencies


MEMBER_PAGE_SIZE = 500
# The tenant's secret set for Kisi's event webhook (ingest/kisi_events.py: KisiSignature).
KISI_EVENT_SECRETS = "kisi"
# The claim of the admin's test unlocks: one per admin and door, like a player's per reservation.
TEST_UNLOCK_RESERVATION = "admin-test-unlock"


def _tenant_or_404(stores: Stores, tenant_id: str) -> Tenant:
    tenant = stores.tenants.get(tenant_id)
    if tenant is None:
        raise _unconfigured(tenant_id)
    return tenant


# ---- test member ------------------------------------------------------------------------------


def dry_run_member(
    tenant_id: str, request: MemberDryRunRequest, deps: AdminDependencies
) -> MemberDryRunResponse:
    """What the bridge would give the email's Kisi user now, member by member, and what the
    worker would write to Kisi for each. Reads only (ByEmail, each member's plan)."""
    stores = deps.stores
    tenant = _tenant_or_404(stores, tenant_id)
    now = deps.clock()
    members = sorted(stores.members.with_email(tenant_id, request.email), key=lambda m: m.member_id)
    decisions = {
        member.member_id: decide_membership_access(
            member,
            stores.tenants.get_plan(tenant_id, member.plan_id) if member.plan_id else None,
            tenant.kisi_group_id,
            now,
        )
        for member in members
    }
    tested: list[MemberDryRun] = []
    groups: set[int] = set()
    for member in members:
        family = [d for other, d in decisions.items() if other != member.member_id]
        own = decisions[member.member_id]
        decision = with_family(own, family)
        if decision.granted and decision.group_id is not None:
            groups.add(decision.group_id)
        steps = plan_convergence(own, member.kisi.grants, tenant.revoke_mode, member.name, family)
        tested.append(
            MemberDryRun(
                member_id=member.member_id,
                name=member.name,
                plan_id=member.plan_id,
                status=member.status,
                decision=DecisionView(
                    granted=decision.granted,
                    reason=decision.reason,
                    explanation=decision.explanation,
                    kisi_group_id=decision.group_id,
                    valid_until=decision.valid_until,
                ),
                kisi_changes=[_change(step) for step in steps],
            )
        )
    if not members:
        explanation = "No member has this email: nothing would be granted."
    elif groups:
        explanation = f"The Kisi user {request.email} would hold {len(groups)} group(s)."
    else:
        explanation = "No member with this email has access now: nothing would be granted."
    if groups and not tenant.kisi_connected:
        explanation += " Kisi is not connected: nothing is written until it is."
    return MemberDryRunResponse(
        tenant_id=tenant_id,
        email=request.email,
        members=tested,
        granted=bool(groups),
        kisi_group_ids=sorted(groups),
        explanation=explanation,
        kisi_connection=tenant.connection_state,
        evaluated_at=now,
    )


def _change(step: ConvergenceStep) -> KisiChange:
    if isinstance(step, EnsureGrant):
        return KisiChange(
            action="grant",
            email=step.email,
            kisi_group_id=step.group_id,
            valid_until=step.valid_until,
        )
    return KisiChange(
        action="revoke",
        email=step.grant.email,
        kisi_group_id=step.grant.group_id,
        valid_until=None,
        deletes_user=step.delete_user,
        kept_for_family=step.shared is not None,
    )


# ---- test reservation -------------------------------------------------------------------------


def dry_run_reservation(
    tenant_id: str, request: ReservationDryRunRequest, deps: AdminDependencies
) -> list[ReservationExplanation]:
    """The unlock decision now for each player of the reservation (or the one asked about), as
    the troubleshooting route explains it: the Unlock API's own policy, doors and answers."""
    stores = deps.stores
    _tenant_or_404(stores, tenant_id)
    players = [request.player_id] if request.player_id else None
    if players is None:
        reservation = stores.reservations.get(tenant_id, request.reservation_id)
        if reservation is None:
            raise NotFound(
                f"No reservation {request.reservation_id!r}: the platform has not sent it.",
                code="reservation_not_found",
            )
        players = sorted(reservation.player_ids)
    return [
        explain_reservation_access(tenant_id, request.reservation_id, player, None, deps)
        for player in players
    ]


# ---- test unlock ------------------------------------------------------------------------------


def admin_unlock(
    caller: Caller, request: AdminUnlockRequest, deps: UnlockDependencies
) -> AdminUnlockResponse:
    """Open one enabled door for the admin now: one BatchGetItem (tenant, lock, the admin's
    recent unlock of it), the door's claim, the Kisi unlock, the audit entry. A repeat within
    the Unlock API's dedupe seconds is answered without opening the door again."""
    from access_core.unlock.service import kisi_failure

    tenant_id, lock_id = caller.tenant_id, request.lock_id
    opener = f"admin:{caller.subject}"
    now = deps.clock()
    facts = deps.store.get_unlock_facts(tenant_id, TEST_UNLOCK_RESERVATION, opener, lock_id)
    tenant, lock = facts.tenant, facts.lock
    if tenant is None:
        raise _unconfigured(tenant_id)
    if lock is None:
        raise NotFound(
            f"The club has no door {lock_id}: POST /locks/sync imports them.",
            code="door_not_found",
        )
    if not door_is_usable(lock):
        raise Conflict(
            f"Door {lock_id} is not enabled (or is gone from Kisi): PUT /locks/enabled first.",
            code="door_not_enabled",
        )
    kisi = deps.kisi.client_for(tenant) if tenant.kisi_connected else None
    if kisi is None:
        raise KisiNotConnected("Kisi is not connected: PUT /kisi-credentials first.")
    detail = {"lock_id": lock_id, "door_name": lock.name}

    def answer(unlocked_at: datetime, deduplicated: bool) -> AdminUnlockResponse:
        return AdminUnlockResponse(
            tenant_id=tenant_id,
            lock_id=lock_id,
            door_name=lock.name,
            unlocked_at=unlocked_at,
            deduplicated=deduplicated,
            message=f"{lock.name} was just opened." if deduplicated else f"{lock.name} is open.",
        )

    recent = facts.recent_unlock
    if recent is not None and now < recent.deduplicate_until:
        return answer(recent.unlocked_at, True)
    claim = RecentUnlock(now, now + timedelta(seconds=deps.dedupe_seconds))
    if not deps.store.claim_unlock(tenant_id, TEST_UNLOCK_RESERVATION, opener, lock_id, claim):
        return answer(now, True)
    try:
        kisi.unlock(lock_id)
    except KisiError as error:
        deps.store.release_unlock(tenant_id, TEST_UNLOCK_RESERVATION, opener, lock_id, claim)
        if error.unlock_failure_reason is UnlockFailureReason.INVALID_CREDENTIALS:
            deps.store.mark_kisi_credentials_invalid(tenant_id, now)
            deps.kisi.forget(tenant_id)
        refused = kisi_failure(error)
        failed = {**detail, "code": refused.code, "kisi_status": error.status_code}
        deps.store.put_audit([_unlock_audit(caller, "admin.test_unlock_failed", failed)])
        raise refused from None
    deps.store.put_audit(
        [_unlock_audit(caller, "admin.test_unlock", {**detail, "unlocked_at": utc_iso(now)})]
    )
    deps.metrics.count("AdminTestUnlocks")
    return answer(now, False)


def _unlock_audit(caller: Caller, action: str, detail: dict[str, object]) -> AuditEntry:
    return AuditEntry(
        tenant_id=caller.tenant_id,
        action=action,
        subject=f"lock:{detail['lock_id']}",
        detail=detail,
        actor=f"admin:{caller.subject}",
    )


# ---- migration report -------------------------------------------------------------------------


@dataclass(frozen=True)
class KisiUsersSorted:
    adopted: list[AdoptedUser]
    unmanaged: list[UnmanagedUser]
    duplicates: list[DuplicateEmail]
    members_to_invite: int


def sort_kisi_users(
    grants: Sequence[ObservedGrant],
    members_of: Mapping[str, Sequence[str]],
    granted: Mapping[str, str],
) -> KisiUsersSorted:
    """The listed Kisi users sorted out (pure). `members_of`: email -> the members it makes
    managed (`managed_emails`); `granted`: member id -> the email of each member who would be
    granted now. Each listed email is adopted (a member has it) or unmanaged, never both; an
    email is a duplicate when two members or two Kisi users have it."""
    groups: dict[str, set[int]] = defaultdict(set)
    users: dict[str, set[int]] = defaultdict(set)
    for grant in grants:
        groups[grant.email].add(grant.group_id)
        if grant.user_id is not None:
            users[grant.email].add(grant.user_id)
    granted_emails = set(granted.values())
    adopted = [
        AdoptedUser(
            email=email,
            kisi_user_id=min(users[email], default=None),
            kisi_group_ids=sorted(groups[email]),
            member_ids=sorted(members_of[email]),
            would_be_granted=email in granted_emails,
        )
        for email in sorted(groups)
        if members_of.get(email)
    ]
    unmanaged = [
        UnmanagedUser(
            email=email,
            kisi_user_id=min(users[email], default=None),
            kisi_group_ids=sorted(groups[email]),
        )
        for email in sorted(groups)
        if not members_of.get(email)
    ]
    duplicates = [
        DuplicateEmail(
            email=email,
            member_ids=sorted(members_of.get(email, ())),
            kisi_user_ids=sorted(users.get(email, ())),
        )
        for email in sorted(set(members_of) | set(users))
        if len(members_of.get(email, ())) > 1 or len(users.get(email, ())) > 1
    ]
    to_invite = sum(1 for email in granted.values() if email not in groups)
    return KisiUsersSorted(adopted, unmanaged, duplicates, to_invite)


def migration_report(tenant_id: str, sync: SyncDependencies) -> MigrationReportResponse:
    """The club's Kisi groups, listed as the weekly sync lists them, against its members: who is
    adopted (a Kisi user the bridge would manage), who is unmanaged (in the groups, no member of
    the club), which emails are shared (two members, or two Kisi users). Writes nothing."""
    from access_core.domain.credentials import tenant_kisi_key
    from access_core.sync.service import list_tenant_groups

    stores = sync.stores
    tenant = _tenant_or_404(stores, tenant_id)
    api_key = tenant_kisi_key(sync.secrets, tenant)
    if api_key is None:
        raise KisiNotConnected("Kisi is not connected: PUT /kisi-credentials first.")
    plans = {stored.plan.plan_id: stored.plan for stored in stores.tenants.plans(tenant_id)}
    try:
        listing = list_tenant_groups(sync, tenant, plans.values(), api_key)
    except (KisiInvalidCredentials, KisiForbidden):
        raise Conflict(
            "Kisi refused the stored key: connect Kisi again.", code="kisi_credentials_invalid"
        ) from None
    except KisiError as error:
        raise KisiUnavailable(
            "Kisi could not be reached: nothing was read; try again.",
            retry_after_seconds=30,
        ) from error
    now = sync.clock()
    members_of: dict[str, list[str]] = defaultdict(list)
    granted: dict[str, str] = {}
    member_count = 0
    cursor: str | None = None
    while True:
        members, cursor = stores.members.page(tenant_id, cursor, MEMBER_PAGE_SIZE)
        for member in members:
            if member.deleted:
                continue
            member_count += 1
            plan = plans.get(member.plan_id) if member.plan_id else None
            decision = decide_membership_access(member, plan, tenant.kisi_group_id, now)
            for email in managed_emails(member, decision):
                members_of[email].append(member.member_id)
            if decision.granted:
                granted[member.member_id] = decision.email
        if cursor is None:
            break
    found = sort_kisi_users(listing.grants, members_of, granted)
    adopted, unmanaged, duplicates = found.adopted, found.unmanaged, found.duplicates
    counts = MigrationCounts(
        kisi_users=len(adopted) + len(unmanaged),
        adopted=len(adopted),
        unmanaged=len(unmanaged),
        duplicates=len(duplicates),
        members=member_count,
        members_to_invite=found.members_to_invite,
    )
    return MigrationReportResponse(
        tenant_id=tenant_id,
        kisi_group_ids=listing.groups,
        truncated_groups=listing.truncated_groups,
        counts=counts,
        adopted=adopted[:MAX_REPORTED],
        unmanaged=unmanaged[:MAX_REPORTED],
        duplicates=duplicates[:MAX_REPORTED],
        lists_truncated=max(len(adopted), len(unmanaged), len(duplicates)) > MAX_REPORTED,
        kisi_calls=listing.kisi_calls,
        evaluated_at=now,
    )


# ---- check-in write-back ----------------------------------------------------------------------


class KisiEventSecretMissing(Conflict):
    code = "kisi_event_secret_missing"


def checkin_write_back(
    tenant_id: str, deps: AdminDependencies, recorders: CheckinRecorders
) -> CheckinWriteBackResponse:
    tenant = _tenant_or_404(deps.stores, tenant_id)
    return _write_back_answer(tenant, deps, recorders)


def set_checkin_write_back(
    tenant_id: str,
    request: CheckinWriteBackRequest,
    caller: Caller,
    deps: AdminDependencies,
    recorders: CheckinRecorders,
) -> CheckinWriteBackResponse:
    """Turn the write-back on or off. On needs the Kisi event webhook's signature key first:
    without it every event would be refused, and the admin would not know why."""
    tenant = _tenant_or_404(deps.stores, tenant_id)
    key_stored = deps.secrets.webhook_secret_status(tenant_id, KISI_EVENT_SECRETS).configured
    if request.enabled and not key_stored:
        raise KisiEventSecretMissing(
            "Store the signature key of Kisi's Event Webhook first (PUT /kisi-event-secret)."
        )
    deps.stores.tenants.update(tenant_id, {"checkin_write_back": request.enabled})
    _audit(deps.stores, caller, tenant_id, "admin.checkin_write_back", {"enabled": request.enabled})
    updated = tenant.model_copy(update={"checkin_write_back": request.enabled})
    return _write_back_answer(updated, deps, recorders)


def _write_back_answer(
    tenant: Tenant, deps: AdminDependencies, recorders: CheckinRecorders
) -> CheckinWriteBackResponse:
    records = recorders(tenant) is not None
    if not tenant.checkin_write_back:
        explanation = "Off: Kisi's unlock events are acknowledged and ignored."
    elif records:
        explanation = "On: each unlock by a member is recorded as a check-in on the platform."
    else:
        explanation = (
            "On, but the club's platform has no check-in API (PushPress's Platform API cannot "
            "create check-ins): unlocks are matched to members and answered not_recorded."
        )
    return CheckinWriteBackResponse(
        tenant_id=tenant.tenant_id,
        enabled=tenant.checkin_write_back,
        kisi_event_secret_configured=deps.secrets.webhook_secret_status(
            tenant.tenant_id, KISI_EVENT_SECRETS
        ).configured,
        platform_records_checkins=records,
        webhook_path=f"/webhooks/kisi/{tenant.tenant_id}",
        explanation=explanation,
    )
