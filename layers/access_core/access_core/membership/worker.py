"""The Kisi worker: converge one member's Kisi access to what the policy decides, now.

A command only names the member. The worker reads the member, its plan and the tenant, asks the
pure policy for the decision, plans the difference against what it last wrote to Kisi, and writes
only that difference. Retries, duplicates and reordering therefore cannot undo a newer decision.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import ValidationError

from access_core.domain.commands import (
    Command,
    ConvergeMember,
    KisiObservation,
    QueuedCommand,
    ReevaluatePlan,
    WeeklySyncStep,
    parse_command,
)
from access_core.domain.credentials import tenant_kisi_key
from access_core.domain.events import utc_iso
from access_core.domain.model import (
    ConnectionState,
    KisiGrant,
    KnownKisiUser,
    Member,
    MemberKisiState,
    SyncState,
    Tenant,
)
from access_core.domain.ports import (
    Clock,
    CommandQueue,
    MembershipKisi,
    MetricsSink,
    PlatformAuthError,
    PlatformDirectory,
    PlatformUnavailable,
    SecretStore,
)
from access_core.infrastructure.faults import is_transient_fault
from access_core.infrastructure.storage import AuditEntry, Stores, TransactionConflict
from access_core.membership.convergence import (
    ConvergenceStep,
    EnsureGrant,
    RevokeGrant,
    plan_convergence,
)
from access_core.membership.intake import store_platform_events
from access_core.membership.policy import (
    AccessReason,
    MembershipDecision,
    decide_membership_access,
)
from access_core.membership.quarantine import loses_access
from access_core.membership.reconciliation import apply_observation, managed_emails
from access_core.membership.revoke_gate import GateOutcome, gate_revoke
from kisi_client.errors import (
    KisiError,
    KisiInvalidCredentials,
    KisiNotFound,
    KisiRateLimited,
    KisiUnavailable,
    KisiValidationError,
)

logger = logging.getLogger(__name__)

DEFAULT_RATE_LIMIT_DELAY_SECONDS = 2
BASE_RETRY_DELAY_SECONDS = 60
MAX_RETRY_DELAY_SECONDS = 900
# Deliveries that wait only the delay Kisi named (Retry-After). A command throttled again after
# that backs off like any other fault: ten deliveries of Kisi's 1-2 s would dead-letter it within
# a minute of a 429 storm; with the backoff that takes about an hour.
RETRIES_AT_KISIS_WORD = 2
# The command queue's maxReceiveCount (template.yaml; tests/infra checks they agree).
RECEIVE_LIMIT = 10
# A command held back by a fault is sent again as a new message at this receive count, so a long
# outage dead-letters nothing; a command failing for another reason is moved to the DLQ alone.
REQUEUE_AT_RECEIVES = RECEIVE_LIMIT - 2
POISON_AFTER_RECEIVES = 3
KisiFactory = Callable[[Tenant, str], MembershipKisi]


class RetryLater(Exception):
    """Kisi could not be reached or throttled us: put the command back, after `delay_seconds`."""

    def __init__(self, reason: str, delay_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay_seconds = delay_seconds


class ConvergeResult(StrEnum):
    CONVERGED = "converged"
    ALREADY_IN_SYNC = "already_in_sync"
    MEMBER_UNKNOWN = "member_unknown"
    TENANT_UNKNOWN = "tenant_unknown"
    KISI_NOT_CONNECTED = "kisi_not_connected"
    # The revoke waits in quarantine (mass-revoke circuit breaker) or an admin rejected it.
    REVOKE_KEPT = "revoke_kept"
    CREDENTIALS_INVALID = "credentials_invalid"
    FAILED = "failed"


@dataclass(frozen=True)
class WorkerDependencies:
    stores: Stores
    queue: CommandQueue
    secrets: SecretStore
    kisi_for: KisiFactory
    metrics: MetricsSink
    clock: Clock
    # Runs one step of a weekly reconciliation (access_core.sync.service), queued in the
    # tenant's message group; None where no sync is wired (the step is then left for the DLQ).
    weekly_step: Callable[[WeeklySyncStep], None] | None = None
    # The tenant's platform API (a PlatformDirectory) when it has one connected, else None.
    platform_for: Callable[[Tenant], PlatformDirectory | None] = lambda _tenant: None


@dataclass
class _Progress:
    """The grants as they stand while steps run, and what was done (for the audit trail)."""

    grants: list[KisiGrant]
    known_users: dict[str, KnownKisiUser] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def record(self, member: Member, action: str, detail: dict[str, object]) -> None:
        self.audit.append(
            AuditEntry(
                tenant_id=member.tenant_id,
                actor="kisi_worker",
                action=action,
                subject=member.member_id,
                detail=detail,
            )
        )


def retry_backoff_seconds(receive_count: int) -> int:
    """Delay before the next delivery when Kisi named none: 60 s, doubling, at most 15 minutes."""
    return int(
        min(MAX_RETRY_DELAY_SECONDS, BASE_RETRY_DELAY_SECONDS * 2 ** max(0, receive_count - 1))
    )


def retry_delay_seconds(retry: RetryLater, receive_count: int) -> int:
    """How long a command waits before its next delivery, after its `receive_count`-th failed."""
    if retry.delay_seconds is None:
        return retry_backoff_seconds(receive_count)
    named = math.ceil(retry.delay_seconds)
    if receive_count <= RETRIES_AT_KISIS_WORD:
        return named
    return max(named, retry_backoff_seconds(receive_count - RETRIES_AT_KISIS_WORD))


@dataclass(frozen=True)
class ReceivedMessage:
    """One delivery of a command message, as the queue handed it over."""

    body: str
    receipt_handle: str
    receive_count: int
    message_group_id: str


def process_message(message: ReceivedMessage, deps: WorkerDependencies) -> None:
    """Run one queued command. Raises to leave it on the queue (after a delay for Kisi faults).

    Nothing is lost and no message holds its group back for good:
    - a message that is not a command is moved to the dead-letter queue alone, at once;
    - a command that keeps failing unexpectedly (a bug, not a fault of Kisi or AWS) is moved
      there alone after POISON_AFTER_RECEIVES deliveries, so the rest of its group goes on;
    - a command a fault holds back (Kisi or the platform down, AWS throttling) is sent again as a
      new message before it reaches the queue's receive limit, however long the outage lasts.
    """
    try:
        command = parse_command(message.body)
    except ValidationError as error:
        logger.error(
            "poison command: not a valid command",
            extra={
                "receive_count": message.receive_count,
                "errors": error.errors(include_input=False),
            },
        )
        deps.queue.dead_letter(message.body, message.message_group_id, "not a valid command")
        deps.metrics.count("CommandsDeadLettered")
        return
    try:
        handle_command(command, deps)
    except RetryLater as retry:
        _retry_later(message, command, retry, deps)
    except Exception as error:
        if is_transient_fault(error):
            _retry_later(message, command, RetryLater(f"{type(error).__name__}: {error}"), deps)
            return
        if message.receive_count < POISON_AFTER_RECEIVES:
            raise
        logger.exception(
            "poison command: failed every delivery, moved to the dead-letter queue",
            extra={"tenant_id": command.tenant_id, "receive_count": message.receive_count},
        )
        deps.queue.dead_letter(message.body, message.message_group_id, type(error).__name__)
        deps.metrics.count("CommandsDeadLettered")


def _retry_later(
    message: ReceivedMessage, command: Command, retry: RetryLater, deps: WorkerDependencies
) -> None:
    """Leave the command for a later delivery; near the receive limit, as a new message."""
    if message.receive_count >= REQUEUE_AT_RECEIVES:
        logger.info(
            "command sent again before the receive limit",
            extra={"reason": retry.reason, "tenant_id": command.tenant_id},
        )
        deps.queue.requeue(message.body, message.message_group_id)
        deps.metrics.count("CommandsRequeued")
        return
    delay = retry_delay_seconds(retry, message.receive_count)
    logger.info(
        "command retried later",
        extra={"reason": retry.reason, "delay_seconds": delay, "tenant_id": command.tenant_id},
    )
    deps.queue.delay_retry(message.receipt_handle, delay)
    raise retry


def handle_command(command: Command, deps: WorkerDependencies) -> None:
    match command:
        case ConvergeMember():
            converge_member(command.tenant_id, command.member_id, deps, command.observed)
        case ReevaluatePlan():
            fan_out_plan(command, deps)
        case WeeklySyncStep():
            if deps.weekly_step is None:
                raise RuntimeError("weekly sync steps are not wired into this worker")
            deps.weekly_step(command)


def fan_out_plan(command: ReevaluatePlan, deps: WorkerDependencies) -> int:
    """Queue a convergence for one page of the plan's members, then the rest of the fan-out."""
    tenant = deps.stores.tenants.get(command.tenant_id)
    if tenant is None:
        return 0
    member_ids, cursor = deps.stores.members.ids_on_plan(
        command.tenant_id, command.plan_id, command.cursor
    )
    cause = f"plan-{command.plan_id}-{command.plan_version}"
    commands: list[Command] = [
        ConvergeMember(tenant_id=tenant.tenant_id, member_id=member_id, cause=cause)
        for member_id in member_ids
    ]
    if cursor is not None:
        commands.append(command.model_copy(update={"cursor": cursor}))
    deps.queue.send([QueuedCommand(c, tenant.message_group_id) for c in commands])
    return len(member_ids)


def converge_member(
    tenant_id: str,
    member_id: str,
    deps: WorkerDependencies,
    observed: KisiObservation | None = None,
) -> ConvergeResult:
    stores = deps.stores
    tenant, member = stores.members.get_with_tenant(tenant_id, member_id)
    if tenant is None:
        return ConvergeResult.TENANT_UNKNOWN
    if member is None:
        return ConvergeResult.MEMBER_UNKNOWN
    now = deps.clock()
    planned = _plan(tenant, member, observed, now, deps)
    if _needs_the_platforms_word(planned):
        confirmed = _confirm_with_platform(tenant, member, deps)
        if confirmed is not None:
            member = confirmed
            planned = _plan(tenant, member, observed, now, deps)
    decision, recorded, steps = planned.decision, planned.recorded, planned.steps
    if steps:
        family = family_decisions(stores, tenant, member, {r.email for r in recorded}, now)
        if family:
            steps = plan_convergence(decision, recorded, tenant.revoke_mode, member.name, family)
    if not steps:
        if member.kisi.sync_state is not SyncState.IN_SYNC or recorded != member.kisi.grants:
            _record(deps, member, recorded, SyncState.IN_SYNC, None, [])
        return ConvergeResult.ALREADY_IN_SYNC
    gate = GateOutcome()
    if loses_access(decision, steps):
        gate = gate_revoke(stores, deps.metrics, tenant, member, decision, now)
        if gate.kept_error is not None:
            # Kisi is not called: the member keeps its access (and its record) for now.
            if member.kisi.last_error != gate.kept_error or not _recorded_version(member):
                _record(deps, member, member.kisi.grants, SyncState.FAILED, gate.kept_error, [])
            return ConvergeResult.REVOKE_KEPT

    api_key = tenant_kisi_key(deps.secrets, tenant)
    if api_key is None:
        result = (
            ConvergeResult.CREDENTIALS_INVALID
            if tenant.connection_state is ConnectionState.INVALID_CREDENTIALS
            else ConvergeResult.KISI_NOT_CONNECTED
        )
        _record(deps, member, member.kisi.grants, SyncState.FAILED, result.value, [])
        return result

    kisi = deps.kisi_for(tenant, api_key)
    progress = _Progress(
        grants=_with_intent(recorded, steps), known_users=dict(member.kisi.known_users)
    )
    if progress.grants != recorded:
        # Say what is about to be written before writing it to Kisi: if the record of the outcome
        # is lost (a crash, DynamoDB failing after Kisi answered), the next convergence still
        # knows a grant may exist for this email and group, and revokes it when it must.
        _record_intent(deps, member, progress.grants)
    try:
        for step in steps:
            if isinstance(step, EnsureGrant):
                _ensure_grant(step, tenant, member, decision, kisi, progress)
            else:
                _revoke_grant(step, member, decision, kisi, progress)
    except KisiInvalidCredentials:
        stores.tenants.mark_kisi_credentials_invalid(tenant_id, now)
        logger.warning("Kisi rejected the tenant's API key", extra={"tenant_id": tenant_id})
        deps.metrics.count("KisiCredentialsInvalid")  # alarmed (template.yaml)
        _finish(deps, member, progress, SyncState.FAILED, "credentials_invalid", kisi)
        return ConvergeResult.CREDENTIALS_INVALID
    except (KisiRateLimited, KisiUnavailable) as error:
        reason = f"{type(error).__name__}: {error}"
        _finish(deps, member, progress, SyncState.FAILED, reason, kisi)
        if isinstance(error, KisiRateLimited):
            deps.metrics.count("KisiRateLimited")
            raise RetryLater(
                reason, error.retry_after or DEFAULT_RATE_LIMIT_DELAY_SECONDS
            ) from error
        raise RetryLater(reason) from error
    except KisiError as error:
        # 403/404/409/422 that recovery could not resolve: retrying now would fail the same way.
        # The member stays unsynced; the daily sync tries again and the admin status shows it.
        reason = f"{type(error).__name__}: {error}"
        logger.warning("member convergence failed", extra={"tenant_id": tenant_id, "error": reason})
        _finish(deps, member, progress, SyncState.FAILED, reason, kisi)
        deps.metrics.count("ConvergeFailures")
        return ConvergeResult.FAILED
    _finish(deps, member, progress, SyncState.IN_SYNC, None, kisi)
    if gate.approved is not None:
        stores.quarantine.mark_applied(gate.approved)
    return ConvergeResult.CONVERGED


def _recorded_version(member: Member) -> bool:
    """The member's current version is the one its Kisi record was last stored for."""
    return member.kisi.synced_version == member.version


@dataclass(frozen=True)
class _Planned:
    decision: MembershipDecision
    recorded: list[KisiGrant]
    steps: list[ConvergenceStep]


def _plan(
    tenant: Tenant,
    member: Member,
    observed: KisiObservation | None,
    now: datetime,
    deps: WorkerDependencies,
) -> _Planned:
    stores = deps.stores
    plan = stores.tenants.get_plan(tenant.tenant_id, member.plan_id) if member.plan_id else None
    decision = decide_membership_access(member, plan, tenant.kisi_group_id, now)
    recorded = member.kisi.grants
    if observed is not None and _observation_is_newer(member, observed):
        # A weekly repair: Kisi's listing, not our record, says what is there now.
        recorded = apply_observation(recorded, observed, decision, managed_emails(member, decision))
    return _Planned(
        decision, recorded, plan_convergence(decision, recorded, tenant.revoke_mode, member.name)
    )


def _needs_the_platforms_word(planned: _Planned) -> bool:
    """A grant is about to be given, or the member has no email to grant: ask the platform's
    API (where the club connected one) before acting on what a webhook said. A webhook is a
    trigger: PushPress signs neither its event type nor its time, so a replayed delivery could
    otherwise re-grant a cancelled member; and an enrollment event carries no email."""
    if planned.decision.reason in (AccessReason.NO_EMAIL, AccessReason.PLAN_UNKNOWN):
        return True
    return any(isinstance(step, EnsureGrant) for step in planned.steps)


def _confirm_with_platform(
    tenant: Tenant, member: Member, deps: WorkerDependencies
) -> Member | None:
    """Read the member from the platform, store what it says through the ordered intake path
    (read now, so it outranks any earlier webhook), and answer the member as stored; None when
    the tenant has no platform API or it refused the key (the webhook's word stands then)."""
    directory = deps.platform_for(tenant)
    if directory is None:
        return None
    try:
        facts = directory.member_facts(member.member_id)
        plan_id = facts.membership.plan_id if facts.membership else member.plan_id
        unknown_plan = (
            plan_id is not None and deps.stores.tenants.get_plan(tenant.tenant_id, plan_id) is None
        )
        # A plan the bridge has never heard of (PushPress sends no plan events): its own
        # "24-hr access" policy stands until an admin sets the plan's flag (a later write).
        plan = directory.plan(plan_id) if unknown_plan and plan_id is not None else None
    except PlatformUnavailable as error:
        raise RetryLater(f"platform unavailable: {error}", error.retry_after) from error
    except PlatformAuthError:
        deps.stores.tenants.mark_platform_key_invalid(tenant.tenant_id, deps.clock())
        logger.warning(
            "the platform refused the tenant's API key", extra={"tenant_id": tenant.tenant_id}
        )
        deps.metrics.count("PlatformKeyRefused")
        return None
    finally:
        deps.metrics.count("PlatformCalls", directory.calls_made)
    if plan is not None:
        # Stored like a platform's plan.updated: its members are re-evaluated.
        store_platform_events(deps.stores, deps.queue, tenant, [plan])
    store_platform_events(deps.stores, deps.queue, tenant, facts.events(), converge=False)
    deps.metrics.count("PlatformConfirmations")
    return deps.stores.members.get(tenant.tenant_id, member.member_id) or member


def family_decisions(
    stores: Stores, tenant: Tenant, member: Member, recorded_emails: set[str], now: datetime
) -> list[MembershipDecision]:
    """The decisions of the tenant's other members with the member's email (or an email it holds
    a grant for): a family shares the Kisi user and its assignments. Read only when the member's
    convergence has Kisi writes to make."""
    emails = sorted({e for e in {member.email, *recorded_emails} if e})
    decisions: list[MembershipDecision] = []
    for email in emails:
        for other in stores.members.with_email(tenant.tenant_id, email):
            if other.member_id == member.member_id:
                continue
            plan = (
                stores.tenants.get_plan(tenant.tenant_id, other.plan_id) if other.plan_id else None
            )
            decisions.append(decide_membership_access(other, plan, tenant.kisi_group_id, now))
    return decisions


def _with_intent(recorded: list[KisiGrant], steps: list[ConvergenceStep]) -> list[KisiGrant]:
    """The recorded grants plus a slot (no ids yet) for each grant about to be given where none
    is recorded for that email and group."""
    intended = list(recorded)
    for step in steps:
        if isinstance(step, EnsureGrant) and not any(
            g.email == step.email and g.group_id == step.group_id for g in intended
        ):
            intended.append(
                KisiGrant(email=step.email, group_id=step.group_id, valid_until=step.valid_until)
            )
    return intended


def _record_intent(deps: WorkerDependencies, member: Member, grants: list[KisiGrant]) -> None:
    """Store the grants about to be written, leaving the member's sync state as it is."""
    state = member.kisi.model_copy(update={"grants": grants})
    transaction = deps.stores.transaction()
    deps.stores.members.add_kisi_state_to(transaction, member, state, converged_version=None)
    transaction.commit()


def _observation_is_newer(member: Member, observed: KisiObservation) -> bool:
    """A listing older than our last write for the member no longer describes Kisi (a repeated
    repair, or one that raced a webhook's convergence): the record is trusted then."""
    synced = member.kisi.last_synced_at
    return synced is None or synced < observed.observed_at


def _ensure_grant(
    step: EnsureGrant,
    tenant: Tenant,
    member: Member,
    decision: MembershipDecision,
    kisi: MembershipKisi,
    progress: _Progress,
) -> None:
    if step.replaces is not None and step.replaces.assignment_id is not None:
        kisi.remove_assignment(step.replaces.assignment_id)
        _replace_slot(progress, step.replaces.model_copy(update={"assignment_id": None}))
    known = next((g for g in progress.grants if g.email == step.email and g.user_id), None)
    remembered = progress.known_users.get(step.email)
    if known is not None and known.user_id is not None:
        user_id, created = known.user_id, known.user_created_by_us
    elif remembered is not None:
        # A returning member: the user is known from before its revoke, no lookup needed.
        user_id, created = remembered.user_id, remembered.created_by_us
    else:
        user_id, created = _ensure_user(step, tenant, member, kisi, progress)
    _replace_slot(progress, _grant(step, user_id, created, assignment_id=None))
    try:
        assignment_id = kisi.ensure_group_assignment(user_id, step.group_id, step.valid_until)
    except (KisiNotFound, KisiValidationError):
        if known is None and remembered is None:
            raise
        # The Kisi user we knew is gone (deleted by hand): find or create it again.
        user_id, created = _ensure_user(step, tenant, member, kisi, progress)
        _replace_slot(progress, _grant(step, user_id, created, assignment_id=None))
        assignment_id = kisi.ensure_group_assignment(user_id, step.group_id, step.valid_until)
    _replace_slot(progress, _grant(step, user_id, created, assignment_id))
    progress.record(
        member,
        "kisi.grant",
        {
            "email": step.email,
            "group_id": step.group_id,
            "valid_until": utc_iso(step.valid_until) if step.valid_until else None,
            "reason": decision.reason.value,
            "kisi_user_id": user_id,
            "assignment_id": assignment_id,
        },
    )


def _ensure_user(
    step: EnsureGrant, tenant: Tenant, member: Member, kisi: MembershipKisi, progress: _Progress
) -> tuple[int, bool]:
    ensured = kisi.ensure_user(step.email, step.name, send_emails=tenant.send_invitation_emails)
    progress.record(
        member,
        "kisi.user_created" if ensured.created_by_us else "kisi.user_adopted",
        {"email": step.email, "kisi_user_id": ensured.user_id},
    )
    return ensured.user_id, ensured.created_by_us


def _revoke_grant(
    step: RevokeGrant,
    member: Member,
    decision: MembershipDecision,
    kisi: MembershipKisi,
    progress: _Progress,
) -> None:
    grant = step.grant
    assignment_id = grant.assignment_id
    user_id = grant.user_id
    if assignment_id is None and user_id is None:
        # A grant that was about to be written when its outcome went unrecorded: the user and
        # the assignment may exist in Kisi.
        user_id = kisi.find_user(grant.email)
    if assignment_id is None and user_id is not None:
        # A grant whose assignment write was interrupted may still have landed in Kisi.
        assignment_id = kisi.find_group_assignment(user_id, grant.group_id)
    if step.shared is not None:
        # Another member with this email is still entitled: the assignment stays, ending when
        # theirs does; only this member's record lets go of it.
        if user_id is not None:
            kisi.ensure_group_assignment(user_id, grant.group_id, step.shared.valid_until)
    elif assignment_id is not None:
        kisi.remove_assignment(assignment_id)
    if step.delete_user and grant.user_id is not None:
        kisi.delete_user(grant.user_id)
        progress.known_users.pop(grant.email, None)
    elif user_id is not None:
        progress.known_users[grant.email] = KnownKisiUser(
            user_id=user_id, created_by_us=grant.user_created_by_us
        )
    progress.grants = [g for g in progress.grants if not _same_slot(g, grant)]
    progress.record(
        member,
        "kisi.revoke",
        {
            "email": grant.email,
            "group_id": grant.group_id,
            "reason": decision.reason.value,
            "kisi_user_id": grant.user_id,
            "user_deleted": step.delete_user and grant.user_id is not None,
            "kept_for_shared_email": step.shared is not None,
        },
    )


def _grant(step: EnsureGrant, user_id: int, created: bool, assignment_id: int | None) -> KisiGrant:
    return KisiGrant(
        email=step.email,
        group_id=step.group_id,
        user_id=user_id,
        assignment_id=assignment_id,
        valid_until=step.valid_until,
        user_created_by_us=created,
    )


def _same_slot(a: KisiGrant, b: KisiGrant) -> bool:
    return a.email == b.email and a.group_id == b.group_id


def _replace_slot(progress: _Progress, grant: KisiGrant) -> None:
    progress.grants = [g for g in progress.grants if not _same_slot(g, grant)] + [grant]


def _finish(
    deps: WorkerDependencies,
    member: Member,
    progress: _Progress,
    sync_state: SyncState,
    error: str | None,
    kisi: MembershipKisi,
) -> None:
    _record(deps, member, progress.grants, sync_state, error, progress.audit, progress.known_users)
    deps.metrics.count("KisiCalls", kisi.calls_made)
    for entry in progress.audit:
        deps.metrics.count(_METRIC_BY_ACTION[entry.action])


_METRIC_BY_ACTION = {
    "kisi.grant": "Grants",
    "kisi.revoke": "Revokes",
    "kisi.user_created": "UsersCreated",
    "kisi.user_adopted": "Adoptions",
}


def _record(
    deps: WorkerDependencies,
    member: Member,
    grants: list[KisiGrant],
    sync_state: SyncState,
    error: str | None,
    audit: list[AuditEntry],
    known_users: dict[str, KnownKisiUser] | None = None,
) -> None:
    state = MemberKisiState(
        grants=grants,
        known_users=member.kisi.known_users if known_users is None else known_users,
        sync_state=sync_state,
        synced_version=member.version,
        last_synced_at=deps.clock()
        if sync_state is SyncState.IN_SYNC
        else member.kisi.last_synced_at,
        last_error=error,
    )
    record_kisi_state(deps.stores, member, state, audit)


def record_kisi_state(
    stores: Stores, member: Member, state: MemberKisiState, audit: list[AuditEntry]
) -> bool:
    """Store what was written to Kisi for `member` with its audit entries, in one transaction.

    The sync state is set only if the member is still at the version that was converged;
    otherwise a newer platform write landed meanwhile (its command is queued) and the member
    stays pending, with the Kisi facts and the audit stored all the same. Returns whether the
    converged version was still current.
    """
    for converged_version in (member.version, None):
        transaction = stores.transaction()
        stores.members.add_kisi_state_to(
            transaction, member, state, converged_version=converged_version
        )
        stores.audit.add_to(transaction, audit)
        try:
            transaction.commit()
        except TransactionConflict:
            continue
        return converged_version is not None
    raise TransactionConflict(f"member {member.member_id} is gone")
