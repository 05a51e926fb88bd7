"""The club Admin API: settings, the Kisi key (write-only), the webhook signing secret, locks,
status, troubleshooting, search (members, reservations, paged with opaque cursors), the Kisi
groups, this tenant's dead letters and their redrive, health, on-demand syncs and their history,
for one tenant's admins.

Every operation takes the tenant id (already matched against the caller's token by `authorize`),
the request model and injected dependencies, and returns its result model; a refusal is raised as
a `DomainError` (answered at the edge, `http/errors.py`) and changes nothing. Secrets are
write-only: the Kisi key is checked against Kisi before it is stored, kept in the secret store
only, and never returned or logged (the tenant records its last 4 characters).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from access_core.admin.models import (
    AuditEntryView,
    AuditPageResponse,
    ConnectionResponse,
    ConnectionStatus,
    DeadLettersResponse,
    DeadLetterStatus,
    DeadLetterView,
    DecisionView,
    EnabledLocksRequest,
    GrantView,
    HealthResponse,
    KisiCredentialsRequest,
    KisiGroupsResponse,
    KisiGroupView,
    KisiRecord,
    LocksResponse,
    LockSyncResponse,
    LockView,
    MemberAccessResponse,
    MemberCounts,
    MemberFacts,
    MemberSearchItem,
    MembersPageResponse,
    PlanSetting,
    PlanView,
    PlatformConnectionResponse,
    PlatformCredentialsRequest,
    PlatformWebhookSecretRequest,
    QueueDepth,
    RecentError,
    RedriveRequest,
    RedriveResponse,
    ReservationSearchItem,
    ReservationsPageResponse,
    SecretStateView,
    SettingsRequest,
    SettingsResponse,
    StatusResponse,
    SyncRequest,
    SyncRunsPageResponse,
    WebhookSecretResponse,
    WebhookSecretsResponse,
)
from access_core.domain.caller import Caller, caller_from_claims
from access_core.domain.commands import QueuedCommand, ReevaluatePlan
from access_core.domain.credentials import tenant_kisi_key
from access_core.domain.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    Forbidden,
    InvalidRequest,
    NotFound,
    Unauthenticated,
    Unavailable,
    UpstreamFailed,
)
from access_core.domain.events import MembershipStatus, utc_iso
from access_core.domain.model import (
    ConnectionState,
    Lock,
    Member,
    Reservation,
    SyncState,
    Tenant,
)
from access_core.domain.ports import (
    Clock,
    CommandQueue,
    MetricsSink,
    PlatformAuthError,
    PlatformDirectory,
    PlatformError,
    PlatformUnavailable,
    SecretStore,
)
from access_core.domain.secrets import WebhookSecretStatus
from access_core.infrastructure.storage import (
    AdminPlanWrite,
    AuditEntry,
    MemberSummary,
    StoredPlan,
    Stores,
)
from access_core.infrastructure.storage.sync_runs import HISTORY_PREFIX
from access_core.infrastructure.storage.table import tenant_pk
from access_core.membership.convergence import EnsureGrant, plan_convergence
from access_core.membership.policy import decide_membership_access
from access_core.membership.worker import family_decisions
from kisi_client import (
    Group,
    KisiError,
    KisiForbidden,
    KisiIdentity,
    KisiInvalidCredentials,
    KisiNotFound,
)
from kisi_client import Lock as KisiLock

if TYPE_CHECKING:
    from access_core.infrastructure.dead_letters import DeadLetterScan, RedriveOutcome
    from access_core.sync.service import SyncDependencies
    from access_core.unlock.models import ReservationAccessResponse

logger = logging.getLogger(__name__)

# A person waits for the answer: two attempts within 3 s, then 503 ("try again").
KISI_RETRY_AFTER_SECONDS = 30
KEY_HINT_LENGTH = 4
ONE_MICROSECOND = timedelta(microseconds=1)


class AdminKisi(Protocol):
    """The Kisi calls the admin API makes with a key (structurally, a `KisiClient`)."""

    def validate_credentials(self) -> KisiIdentity: ...

    def get_group(self, group_id: int) -> Group: ...

    def iter_locks(self) -> Iterator[KisiLock]: ...

    def iter_groups(self) -> Iterator[Group]: ...


class DeadLetterQueue(Protocol):
    """The command DLQ as one tenant sees it (`infrastructure/dead_letters.py`)."""

    def scan(self, tenant_id: str) -> DeadLetterScan: ...

    def redrive(self, tenant_id: str, message_ids: Collection[str] | None) -> RedriveOutcome: ...


# (api key, pacer key or None) -> a Kisi client for that key
AdminKisiFactory = Callable[[str, str | None], AdminKisi]


def _no_sync_runs(_tenant_id: str) -> dict[str, dict[str, Any] | None]:
    return {"daily": None, "weekly": None}


@dataclass(frozen=True)
class AdminDependencies:
    stores: Stores
    queue: CommandQueue
    secrets: SecretStore
    kisi_for_key: AdminKisiFactory
    metrics: MetricsSink
    clock: Clock
    dead_letter_depth: Callable[[], int | None] = lambda: None
    latest_sync_runs: Callable[[str], dict[str, dict[str, Any] | None]] = _no_sync_runs
    new_secret: Callable[[], str] = field(default=lambda: secrets.token_urlsafe(32))
    # (API key, company id) -> the platform's API for that key, to check it before storing it
    platform_for_key: Callable[[str, str | None], PlatformDirectory] | None = None
    dead_letters: DeadLetterQueue | None = None
    # (visible, in flight) of the shared command queue; None when not configured
    command_queue_depth: Callable[[], tuple[int, int] | None] = lambda: None


# ---- who may call -----------------------------------------------------------------------------


class TenantNotFound(NotFound):
    code = "tenant_not_found"


class AdminRoleRequired(Forbidden):
    code = "admin_role_required"


class KisiUnavailable(Unavailable):
    code = "kisi_unavailable"


class KisiNotConnected(Conflict):
    code = "kisi_not_connected"


def authorize(claims: Mapping[str, Any] | None, tenant_id: str | None) -> Caller:
    """The caller when the token is a club admin's for `tenant_id`; raises the refusal otherwise.
    Another tenant's id gets the same 404 whether or not that tenant exists."""
    caller = caller_from_claims(claims)
    if caller is None:
        raise Unauthenticated("A token with a subject and a tenant claim is required.")
    if not caller.is_admin:
        raise AdminRoleRequired("The Admin API is for club admins: the token has no admin role.")
    if tenant_id is not None and tenant_id != caller.tenant_id:
        raise TenantNotFound("No such tenant.")
    return caller


def _unconfigured(tenant_id: str) -> TenantNotFound:
    return TenantNotFound(f"Tenant {tenant_id!r} has no settings yet: PUT /settings creates it.")


def _tenant(deps: AdminDependencies, tenant_id: str) -> Tenant:
    """The tenant's settings; 404 when it has none yet."""
    tenant = deps.stores.tenants.get(tenant_id)
    if tenant is None:
        raise _unconfigured(tenant_id)
    return tenant


def _audit(
    stores: Stores,
    caller: Caller,
    tenant_id: str,
    action: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """The audit entry of an admin's action on the tenant (the one way admin actions are
    audited)."""
    stores.audit.put(
        [
            AuditEntry(
                tenant_id=tenant_id,
                action=action,
                subject=tenant_id,
                detail=detail or {},
                actor=f"admin:{caller.subject}",
            )
        ]
    )


def _reevaluate(deps: AdminDependencies, tenant: Tenant, versions: Mapping[str, str]) -> list[str]:
    """Queue a re-evaluation of every member on each plan (the worker fans out over ByPlan)."""
    commands = [
        ReevaluatePlan(tenant_id=tenant.tenant_id, plan_id=plan_id, plan_version=version)
        for plan_id, version in sorted(versions.items())
    ]
    deps.queue.send([QueuedCommand(command, tenant.message_group_id) for command in commands])
    return sorted(versions)


# ---- settings ---------------------------------------------------------------------------------


def get_settings(tenant_id: str, deps: AdminDependencies) -> SettingsResponse:
    tenant = _tenant(deps, tenant_id)
    return _settings_answer(tenant, deps.stores.tenants.plans(tenant_id), [])


def save_settings(
    tenant_id: str, request: SettingsRequest, caller: Caller, deps: AdminDependencies
) -> SettingsResponse:
    """Create or update the settings and the admin's plan flags in one transaction, then queue a
    re-evaluation of the plans whose effective access (24-hour flag, group) changed."""
    stores = deps.stores
    now = deps.clock()
    current = stores.tenants.get(tenant_id)
    # Fields left out keep their stored value (their default when the tenant is created).
    values = request.model_dump(exclude={"plans"}, exclude_unset=True)
    tenant = (current or Tenant(tenant_id=tenant_id)).model_copy(update=values)
    before = {stored.plan.plan_id: stored for stored in stores.tenants.plans(tenant_id)}
    writes = [
        write
        for setting in request.plans
        if (write := _plan_write(setting, before.get(setting.plan_id), now)) is not None
    ]
    if not stores.tenants.save_settings(
        tenant, created=current is None, fields=values, plans=writes
    ):
        raise Conflict(
            "The settings or a plan changed while saving (a platform webhook or another admin); "
            "nothing was saved. Load the settings again and retry.",
            code="settings_conflict",
        )
    after = {stored.plan.plan_id: stored for stored in stores.tenants.plans(tenant_id)}
    old_default = current.kisi_group_id if current else None
    # A new version per change (SQS drops a repeated command body for 5 minutes).
    written = {write.plan_id: utc_iso(write.stamp) for write in writes}
    versions = {
        plan_id: written.get(plan_id, f"settings-{utc_iso(now)}")
        for plan_id, stored in after.items()
        if _access_of(before.get(plan_id), old_default) != _access_of(stored, tenant.kisi_group_id)
    }
    reevaluating = _reevaluate(deps, tenant, versions) if current is not None else []
    _audit(
        deps.stores,
        caller,
        tenant_id,
        "admin.settings_saved",
        {
            "created": current is None,
            "settings": tenant.model_dump(mode="json", include=set(values)),
            "plans": [w.plan_id for w in writes],
            "reevaluating": reevaluating,
        },
    )
    return _settings_answer(tenant, after.values(), reevaluating)


def _plan_write(
    setting: PlanSetting, stored: StoredPlan | None, now: datetime
) -> AdminPlanWrite | None:
    """The write for one plan setting; None when the stored plan already says the same."""
    if stored is not None:
        plan = stored.plan
        unchanged = (
            plan.has_24h_access == setting.has_24h_access
            and plan.kisi_group_id == setting.kisi_group_id
            and setting.name in (None, plan.name)
            and setting.payment_grace_days in (None, plan.payment_grace_days)
        )
        if unchanged:
            return None
    # The admin's change is stamped after whatever the plan last recorded, so that only a platform
    # change made after it (a newer updated_at) overrides it, and an older webhook is stale.
    based_on = stored.plan.platform_updated_at if stored else None
    stamp = max(now, based_on + ONE_MICROSECOND) if based_on else now
    return AdminPlanWrite(
        plan_id=setting.plan_id,
        has_24h_access=setting.has_24h_access,
        kisi_group_id=setting.kisi_group_id,
        name=setting.name,
        stamp=stamp,
        based_on=based_on,
        payment_grace_days=setting.payment_grace_days,
    )


def _access_of(
    stored: StoredPlan | None, default_group: int | None
) -> tuple[bool, int | None, int]:
    """What a plan grants: (24-hour access, the group its members get, its payment grace)."""
    if stored is None or not stored.plan.has_24h_access:
        return (False, None, 0)
    plan = stored.plan
    return (True, plan.kisi_group_id or default_group, plan.payment_grace_days)


def _plan_view(stored: StoredPlan, default_group: int | None) -> PlanView:
    plan = stored.plan
    return PlanView(
        plan_id=plan.plan_id,
        name=plan.name,
        has_24h_access=plan.has_24h_access,
        kisi_group_id=plan.kisi_group_id,
        payment_grace_days=plan.payment_grace_days,
        effective_kisi_group_id=plan.kisi_group_id or default_group,
        flags_set_by="admin" if stored.flags_set_by_admin else "platform",
        updated_at=plan.platform_updated_at,
    )


def _settings_answer(
    tenant: Tenant, plans: Iterable[StoredPlan], reevaluating: list[str]
) -> SettingsResponse:
    return SettingsResponse(
        **tenant.model_dump(
            include={
                "tenant_id",
                "name",
                "platform",
                "door_access_enabled",
                "pre_reservation_window_minutes",
                "kisi_group_id",
                "send_invitation_emails",
                "revoke_mode",
                "mass_revoke_threshold_percent",
                "connection_state",
                "kisi_key_hint",
            }
        ),
        plans=sorted((_plan_view(p, tenant.kisi_group_id) for p in plans), key=lambda v: v.plan_id),
        reevaluating_plans=reevaluating,
    )


# ---- Kisi credentials -------------------------------------------------------------------------


def _kisi_unavailable(error: KisiError) -> KisiUnavailable:
    logger.warning("Kisi unavailable for an admin call", extra={"error": str(error)})
    return KisiUnavailable(
        "Kisi could not be reached or did not answer as expected; nothing was changed. "
        "Try again in a moment.",
        retry_after_seconds=KISI_RETRY_AFTER_SECONDS,
    )


def _key_invalid() -> InvalidRequest:
    return InvalidRequest(
        "Kisi refused this API key (wrong, expired, or its user is not an organisation admin); "
        "nothing was stored. Create a key in Kisi's dashboard and paste it again.",
        code="kisi_key_invalid",
    )


def _check_key(kisi: AdminKisi, group_id: int | None) -> KisiIdentity:
    try:
        identity = kisi.validate_credentials()
    except (KisiInvalidCredentials, KisiForbidden):
        raise _key_invalid() from None
    except KisiError as error:
        raise _kisi_unavailable(error) from None
    if group_id is None:
        return identity
    try:
        kisi.get_group(group_id)
    except KisiInvalidCredentials:
        raise _key_invalid() from None
    except (KisiNotFound, KisiForbidden):
        raise InvalidRequest(
            f"The key works, but its Kisi organisation has no group {group_id} it can see; "
            "nothing was stored.",
            code="kisi_group_not_found",
        ) from None
    except KisiError as error:
        raise _kisi_unavailable(error) from None
    return identity


def connect_kisi(
    tenant_id: str, request: KisiCredentialsRequest, caller: Caller, deps: AdminDependencies
) -> ConnectionResponse:
    """Check the key (and group) against Kisi, then store it and mark the tenant connected."""
    stores = deps.stores
    tenant = _tenant(deps, tenant_id)
    try:
        checked = _check_key(deps.kisi_for_key(request.api_key, None), request.group_id)
    except DomainError:
        deps.metrics.count("AdminKisiKeyRefused")
        raise
    now = deps.clock()
    # The tenant stops calling Kisi before its key is replaced, and calls it again only once the
    # new key is stored with its identity: no function ever pairs the new key with the old key's
    # Kisi organisation or rate budget, and a failure in between leaves it disconnected (the
    # admin retries), never half connected.
    if tenant.connection_state is not ConnectionState.DISCONNECTED:
        stores.tenants.update(
            tenant_id,
            {"connection_state": ConnectionState.DISCONNECTED.value, "kisi_key_hint": None},
        )
    deps.secrets.put_kisi_api_key(tenant_id, request.api_key)
    changes: dict[str, Any] = {
        "connection_state": ConnectionState.CONNECTED.value,
        "connection_checked_at": utc_iso(now),
        "kisi_identity": checked.rate_limit_key,
        "kisi_organization_id": checked.organization.id,
        "kisi_key_hint": request.api_key[-KEY_HINT_LENGTH:],
    }
    if request.group_id is not None:
        changes["kisi_group_id"] = request.group_id
    stores.tenants.update(tenant_id, changes)
    tenant = tenant.model_copy(
        update={
            **changes,
            "connection_state": ConnectionState.CONNECTED,
            "connection_checked_at": now,
        }
    )
    # Members changed while the tenant was not connected are pending: converge every plan's.
    version = f"connected-{utc_iso(now)}"
    plans = {stored.plan.plan_id: version for stored in stores.tenants.plans(tenant_id)}
    reevaluating = _reevaluate(deps, tenant, plans)
    _audit(
        deps.stores,
        caller,
        tenant_id,
        "admin.kisi_connected",
        {
            "kisi_organization_id": checked.organization.id,
            "kisi_key_hint": tenant.kisi_key_hint,
            "kisi_group_id": request.group_id,
        },
    )
    deps.metrics.count("AdminKisiConnected")
    return _connection_answer(tenant, checked.organization.name, reevaluating)


def disconnect_kisi(tenant_id: str, caller: Caller, deps: AdminDependencies) -> ConnectionResponse:
    """Stop all Kisi traffic for the tenant (the worker skips tenants not connected), then
    delete the key."""
    stores = deps.stores
    tenant = _tenant(deps, tenant_id)
    now = deps.clock()
    stores.tenants.update(
        tenant_id,
        {
            "connection_state": ConnectionState.DISCONNECTED.value,
            "connection_checked_at": utc_iso(now),
            "kisi_key_hint": None,
        },
    )
    deps.secrets.delete_kisi_api_key(tenant_id)
    _audit(deps.stores, caller, tenant_id, "admin.kisi_disconnected")
    tenant = tenant.model_copy(
        update={
            "connection_state": ConnectionState.DISCONNECTED,
            "connection_checked_at": now,
            "kisi_key_hint": None,
        }
    )
    return _connection_answer(tenant, None, [])


def _connection_answer(
    tenant: Tenant, organization_name: str | None, reevaluating: list[str]
) -> ConnectionResponse:
    return ConnectionResponse(
        tenant_id=tenant.tenant_id,
        connection_state=tenant.connection_state,
        connection_checked_at=tenant.connection_checked_at,
        kisi_organization_id=tenant.kisi_organization_id,
        kisi_organization_name=organization_name,
        kisi_key_hint=tenant.kisi_key_hint,
        kisi_group_id=tenant.kisi_group_id,
        reevaluating_plans=reevaluating,
    )


# ---- webhook signing secret -------------------------------------------------------------------


def rotate_webhook_secret(
    tenant_id: str, caller: Caller, deps: AdminDependencies
) -> WebhookSecretResponse:
    """A new bridge signing secret, stored and answered once (never to be shown again: the
    handler answers it with Cache-Control: no-store). The previous one stays accepted for the
    rotation overlap (24 hours), so the platform's relay can switch without losing deliveries."""
    _tenant(deps, tenant_id)
    secret = deps.new_secret()
    deps.secrets.put_webhook_secret(tenant_id, secret)
    _audit(deps.stores, caller, tenant_id, "admin.webhook_secret_rotated")
    return WebhookSecretResponse(tenant_id=tenant_id, secret=secret, created_at=deps.clock())


# ---- audit ------------------------------------------------------------------------------------

AUDIT_POSITION = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z#[0-9a-f]{32}")


def list_audit(
    tenant_id: str,
    deps: AdminDependencies,
    *,
    limit: int,
    after: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
) -> AuditPageResponse:
    """The tenant's audit trail, newest first, a page at a time (kept 90 days)."""
    _tenant(deps, tenant_id)
    if after is not None and not AUDIT_POSITION.fullmatch(after):
        raise InvalidRequest(
            "`after` is not a position this API answered (use the `next` of a page).",
            fields=[FieldProblem(field="query.after", message="not a page position")],
        )
    entries, position = deps.stores.audit.page(
        tenant_id, limit=limit, after=after, since=since, until=until, action_prefix=action
    )
    return AuditPageResponse(
        tenant_id=tenant_id,
        entries=[
            AuditEntryView(
                at=entry["at"],
                actor=entry.get("actor", ""),
                action=entry.get("action", ""),
                subject=entry.get("subject", ""),
                detail=entry.get("detail", {}),
            )
            for entry in entries
        ],
        next=position,
    )


# ---- the club's platform: API key and webhook secrets ------------------------------------------


class PlatformNotConnectable(Conflict):
    code = "platform_mismatch"


def connect_platform(
    tenant_id: str, request: PlatformCredentialsRequest, caller: Caller, deps: AdminDependencies
) -> PlatformConnectionResponse:
    """Check the platform API key (PushPress: GET /company) before storing it write-only, like
    the Kisi key. A refused key is 422 and changes nothing; PushPress unreachable is 503."""
    tenant = _tenant(deps, tenant_id)
    if tenant.platform != request.platform:
        raise PlatformNotConnectable(
            f"The club's platform is {tenant.platform!r}: set platform {request.platform!r} in "
            "the settings (PUT /settings) before connecting its API."
        )
    if deps.platform_for_key is None:
        raise Unavailable(
            "This deployment cannot reach platform APIs.", code="platform_unavailable"
        )
    directory = deps.platform_for_key(request.api_key, request.company_id)
    try:
        account = directory.check_credentials()
    except PlatformAuthError:
        deps.metrics.count("AdminPlatformKeyRefused")
        raise InvalidRequest(
            f"{request.platform} refused this API key (wrong, revoked, or for another company); "
            "nothing was stored.",
            code="platform_key_invalid",
        ) from None
    except PlatformUnavailable as error:
        raise Unavailable(
            f"{request.platform} could not be reached; nothing was changed. Try again shortly.",
            code="platform_unavailable",
            retry_after_seconds=max(1, int(error.retry_after or KISI_RETRY_AFTER_SECONDS)),
        ) from None
    except PlatformError:
        raise UpstreamFailed(
            f"{request.platform} answered the key check in an unexpected way; nothing was stored.",
            code="platform_error",
        ) from None
    now = deps.clock()
    deps.secrets.put_platform_api_key(tenant_id, request.platform, request.api_key)
    changes = {
        "platform_api_state": ConnectionState.CONNECTED.value,
        "platform_api_checked_at": utc_iso(now),
        "platform_api_key_hint": request.api_key[-KEY_HINT_LENGTH:],
        "platform_company_id": request.company_id,
        "platform_account_name": account.name,
    }
    deps.stores.tenants.update(tenant_id, changes)
    _audit(
        deps.stores,
        caller,
        tenant_id,
        "admin.platform_connected",
        {"platform": request.platform, "key_hint": changes["platform_api_key_hint"]},
    )
    return _platform_answer(tenant.model_copy(update=changes | {"platform_api_checked_at": now}))


def disconnect_platform(
    tenant_id: str, caller: Caller, deps: AdminDependencies
) -> PlatformConnectionResponse:
    """Stop reading the platform's API (the syncs compare with our own table again), then
    delete the key."""
    tenant = _tenant(deps, tenant_id)
    now = deps.clock()
    changes = {
        "platform_api_state": ConnectionState.DISCONNECTED.value,
        "platform_api_checked_at": utc_iso(now),
        "platform_api_key_hint": None,
    }
    deps.stores.tenants.update(tenant_id, changes)
    deps.secrets.delete_platform_api_key(tenant_id, tenant.platform)
    _audit(deps.stores, caller, tenant_id, "admin.platform_disconnected")
    return _platform_answer(tenant.model_copy(update=changes | {"platform_api_checked_at": now}))


def _platform_answer(tenant: Tenant) -> PlatformConnectionResponse:
    return PlatformConnectionResponse(
        tenant_id=tenant.tenant_id,
        platform=tenant.platform,
        state=tenant.platform_api_state,
        checked_at=tenant.platform_api_checked_at,
        account_name=tenant.platform_account_name,
        key_hint=tenant.platform_api_key_hint,
        company_id=tenant.platform_company_id,
    )


def set_platform_webhook_secret(
    tenant_id: str,
    platform: str,
    request: PlatformWebhookSecretRequest,
    caller: Caller,
    deps: AdminDependencies,
) -> WebhookSecretsResponse:
    """Store the signing secret (PushPress) or token (Playbypoint) the admin pasted from the
    platform; the previous one stays accepted for the overlap, so deliveries signed either way
    during the change are not lost."""
    _tenant(deps, tenant_id)
    overlap = None if request.overlap_hours is None else timedelta(hours=request.overlap_hours)
    try:
        status = deps.secrets.add_webhook_secret(
            tenant_id, platform, request.secret.strip(), overlap=overlap
        )
    except ValueError as error:
        raise InvalidRequest(
            "This cannot be a webhook secret; nothing was stored.",
            code="webhook_secret_invalid",
            fields=[FieldProblem(field="body.secret", message=str(error))],
        ) from None
    _audit(deps.stores, caller, tenant_id, "admin.webhook_secret_set", {"platform": platform})
    return _secrets_answer(tenant_id, platform, status)


def get_platform_webhook_secrets(
    tenant_id: str, platform: str, deps: AdminDependencies
) -> WebhookSecretsResponse:
    _tenant(deps, tenant_id)
    return _secrets_answer(
        tenant_id, platform, deps.secrets.webhook_secret_status(tenant_id, platform)
    )


def end_platform_webhook_secret_overlap(
    tenant_id: str, platform: str, caller: Caller, deps: AdminDependencies
) -> WebhookSecretsResponse:
    """Accept only the current secret from now on (a previous one leaked)."""
    _tenant(deps, tenant_id)
    status = deps.secrets.end_webhook_secret_overlap(tenant_id, platform)
    _audit(
        deps.stores, caller, tenant_id, "admin.webhook_secret_overlap_ended", {"platform": platform}
    )
    return _secrets_answer(tenant_id, platform, status)


def _secrets_answer(
    tenant_id: str, platform: str, status: WebhookSecretStatus
) -> WebhookSecretsResponse:
    return WebhookSecretsResponse(
        tenant_id=tenant_id,
        platform=platform,
        configured=status.configured,
        secrets=[
            SecretStateView(added_at=s.added_at, valid_until=s.valid_until, current=s.current)
            for s in status.secrets
        ],
        previous_valid_until=status.previous_valid_until,
        webhook_path=f"/webhooks/{platform}/{tenant_id}",
    )


# ---- locks ------------------------------------------------------------------------------------


def _locks_answer(tenant_id: str, locks: Iterable[Lock]) -> LocksResponse:
    views = [
        LockView(**lock.model_dump(exclude={"tenant_id"}))
        for lock in sorted(locks, key=lambda lock: (lock.place_name, lock.name, lock.lock_id))
    ]
    return LocksResponse(tenant_id=tenant_id, locks=views)


def list_locks(tenant_id: str, deps: AdminDependencies) -> LocksResponse:
    _tenant(deps, tenant_id)
    return _locks_answer(tenant_id, deps.stores.locks.all(tenant_id))


def sync_locks(tenant_id: str, caller: Caller, deps: AdminDependencies) -> LockSyncResponse:
    """Import every lock Kisi lists; keep each lock's enabled flag; mark the ones Kisi no longer
    lists as missing (never unlocked) instead of forgetting them and their flag."""
    stores = deps.stores
    tenant = _tenant(deps, tenant_id)
    listed = _with_stored_key(
        deps, tenant, lambda kisi: list(kisi.iter_locks()), "its locks were not changed"
    )
    now = deps.clock()
    stored = {lock.lock_id: lock for lock in stores.locks.all(tenant_id)}
    fresh = [
        _lock_from_kisi(tenant_id, kisi_lock, stored.get(kisi_lock.id), now) for kisi_lock in listed
    ]
    listed_ids = {lock.lock_id for lock in fresh}
    gone = [
        lock.model_copy(update={"missing_in_kisi": True})
        for lock_id, lock in stored.items()
        if lock_id not in listed_ids and not lock.missing_in_kisi
    ]
    stores.locks.put_many(tenant_id, fresh + gone)
    view = LockSyncResponse(
        tenant_id=tenant_id,
        kisi_locks=len(fresh),
        added=sum(1 for lock in fresh if lock.lock_id not in stored),
        updated=sum(1 for lock in fresh if lock.lock_id in stored),
        missing_in_kisi=sum(1 for lock_id in stored if lock_id not in listed_ids),
        enabled=sum(1 for lock in fresh if lock.enabled),
        synced_at=now,
    )
    _audit(deps.stores, caller, tenant_id, "admin.locks_synced", view.model_dump(mode="json"))
    return view


def _with_stored_key[T](
    deps: AdminDependencies, tenant: Tenant, call: Callable[[AdminKisi], T], unchanged: str
) -> T:
    """`call` with a Kisi client for the tenant's stored key. 409 kisi_not_connected without a
    key; 409 kisi_credentials_invalid when Kisi refuses it (the tenant is then marked
    invalid_credentials, as the worker would); 503 when Kisi cannot be reached."""
    api_key = tenant_kisi_key(deps.secrets, tenant)
    if api_key is None:
        raise KisiNotConnected(
            f"Kisi is {tenant.connection_state.value.replace('_', ' ')} for this tenant: "
            "PUT /kisi-credentials first."
        )
    try:
        return call(deps.kisi_for_key(api_key, tenant.kisi_identity))
    except KisiInvalidCredentials:
        deps.stores.tenants.mark_kisi_credentials_invalid(tenant.tenant_id, deps.clock())
        raise Conflict(
            "Kisi refused the stored API key: the tenant is now marked invalid_credentials and "
            f"{unchanged}. Connect a new key (PUT /kisi-credentials).",
            code="kisi_credentials_invalid",
        ) from None
    except KisiError as error:
        raise _kisi_unavailable(error) from None


def list_kisi_groups(tenant_id: str, deps: AdminDependencies) -> KisiGroupsResponse:
    """The groups of the stored key's Kisi organisation, to pick a plan's or the default group
    from (Kisi lists 250 a call); the place name comes from the imported locks' places."""
    tenant = _tenant(deps, tenant_id)
    groups = _with_stored_key(
        deps, tenant, lambda kisi: list(kisi.iter_groups()), "nothing was changed"
    )
    places = {lock.place_id: lock.place_name for lock in deps.stores.locks.all(tenant_id)}
    return KisiGroupsResponse(
        tenant_id=tenant_id,
        groups=[
            KisiGroupView(
                id=group.id,
                name=group.name or f"Group {group.id}",
                description=group.description or "",
                place_id=group.place_id,
                place_name=places.get(group.place_id) or None,
            )
            for group in sorted(groups, key=lambda g: ((g.name or "").lower(), g.id))
        ],
    )


def _lock_from_kisi(tenant_id: str, kisi_lock: KisiLock, known: Lock | None, now: datetime) -> Lock:
    return Lock(
        tenant_id=tenant_id,
        lock_id=kisi_lock.id,
        name=kisi_lock.name or f"Lock {kisi_lock.id}",
        description=kisi_lock.description or "",
        place_id=kisi_lock.place_id,
        place_name=(kisi_lock.place.name if kisi_lock.place else None) or "",
        online=kisi_lock.online,
        enabled=known.enabled if known else False,
        missing_in_kisi=False,
        synced_at=now,
    )


def set_enabled_locks(
    tenant_id: str, request: EnabledLocksRequest, caller: Caller, deps: AdminDependencies
) -> LocksResponse:
    """Enable exactly the listed locks. An unknown id, or a lock Kisi no longer lists, refuses
    the whole request."""
    stores = deps.stores
    _tenant(deps, tenant_id)
    stored = {lock.lock_id: lock for lock in stores.locks.all(tenant_id)}
    unknown = sorted(set(request.lock_ids) - stored.keys())
    if unknown:
        raise InvalidRequest(
            f"Unknown lock id(s) {', '.join(map(str, unknown))}: sync the locks from Kisi "
            "(POST /locks/sync) and pick from GET /locks; nothing was changed.",
            code="unknown_locks",
            details={"lock_ids": unknown},
        )
    gone = sorted(i for i in set(request.lock_ids) if stored[i].missing_in_kisi)
    if gone:
        raise InvalidRequest(
            f"Lock id(s) {', '.join(map(str, gone))} no longer exist in Kisi (missing_in_kisi at "
            "the last sync) and cannot be opened: leave them out; nothing was changed.",
            code="locks_missing_in_kisi",
            details={"lock_ids": gone},
        )
    wanted = set(request.lock_ids)
    changed = [
        lock.model_copy(update={"enabled": lock_id in wanted})
        for lock_id, lock in stored.items()
        if lock.enabled != (lock_id in wanted)
    ]
    stores.locks.put_many(tenant_id, changed)
    _audit(deps.stores, caller, tenant_id, "admin.locks_enabled", {"lock_ids": sorted(wanted)})
    return _locks_answer(tenant_id, {**stored, **{lock.lock_id: lock for lock in changed}}.values())


# ---- status -----------------------------------------------------------------------------------


def tally_members(summaries: Iterable[MemberSummary]) -> MemberCounts:
    counts = {"members": 0, "with_access": 0, "in_sync": 0, "pending": 0, "failed": 0}
    by_state = {
        SyncState.IN_SYNC: "in_sync",
        SyncState.PENDING: "pending",
        SyncState.FAILED: "failed",
    }
    for summary in summaries:
        counts["members"] += not summary.deleted
        counts["with_access"] += summary.holds_access
        counts[by_state[summary.sync_state]] += 1
    return MemberCounts(**counts)


def get_status(tenant_id: str, deps: AdminDependencies) -> StatusResponse:
    """Connection, last syncs, member counts (one Query over the tenant's members, paged) and the
    shared command DLQ's depth."""
    stores = deps.stores
    tenant = _tenant(deps, tenant_id)
    depth = deps.dead_letter_depth()
    return StatusResponse(
        tenant_id=tenant_id,
        connection=ConnectionStatus(
            state=tenant.connection_state,
            checked_at=tenant.connection_checked_at,
            kisi_organization_id=tenant.kisi_organization_id,
            kisi_key_hint=tenant.kisi_key_hint,
        ),
        syncs=deps.latest_sync_runs(tenant_id),
        members=tally_members(stores.members.summaries(tenant_id)),
        dead_letter_queue=DeadLetterStatus(depth=depth) if depth is not None else None,
        platform_api=_platform_answer(tenant) if tenant.platform == "pushpress" else None,
        checked_at=deps.clock(),
    )


# ---- search -----------------------------------------------------------------------------------


def encode_cursor(position: str | None) -> str | None:
    """An opaque cursor for a storage page position (the JSON of DynamoDB's last key)."""
    if position is None:
        return None
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(tenant_id: str, cursor: str | None, sort_key_prefix: str) -> str | None:
    """The storage position of a cursor this API answered for this tenant's list; 422 for any
    other (a forged one could otherwise start a Query at another tenant's items)."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        key = None
    sort_key = key.get("SK") if isinstance(key, dict) else None
    if not (
        isinstance(key, dict)
        and set(key) == {"PK", "SK"}
        and key["PK"] == {"S": tenant_pk(tenant_id)}
        and isinstance(sort_key, dict)
        and set(sort_key) == {"S"}
        and isinstance(sort_key["S"], str)
        and sort_key["S"].startswith(sort_key_prefix)
    ):
        raise InvalidRequest(
            "`cursor` is not a position this API answered (use the `next_cursor` of a page).",
            fields=[FieldProblem(field="query.cursor", message="not a page position")],
        )
    return json.dumps(key)


@dataclass(frozen=True)
class MemberFilter:
    name: str | None = None
    status: MembershipStatus | None = None
    sync_state: SyncState | None = None

    def matches(self, member: Member) -> bool:
        """Name: a case-insensitive part of it; status and sync state: equal."""
        return (
            (self.name is None or self.name.casefold() in member.name.casefold())
            and (self.status is None or member.status is self.status)
            and (self.sync_state is None or member.kisi.sync_state is self.sync_state)
        )


def search_members(
    tenant_id: str,
    deps: AdminDependencies,
    *,
    email: str | None,
    member_filter: MemberFilter,
    limit: int,
    cursor: str | None,
) -> MembersPageResponse:
    """The tenant's members matching the filters, a page at a time. An email is looked up on
    the ByEmail index (exact, case-insensitive; one answer, no next page); otherwise each page
    reads `limit` members in id order and keeps the matches."""
    _tenant(deps, tenant_id)
    position = decode_cursor(tenant_id, cursor, "MEMBER#")
    if email is not None:
        found, next_position = deps.stores.members.with_email(tenant_id, email.lower()), None
    else:
        found, next_position = deps.stores.members.page(tenant_id, position, limit)
    return MembersPageResponse(
        tenant_id=tenant_id,
        members=[
            MemberSearchItem(
                member_id=member.member_id,
                email=member.email,
                name=member.name,
                plan_id=member.plan_id,
                status=member.status,
                deleted=member.deleted,
                sync_state=member.kisi.sync_state,
                last_error=member.kisi.last_error,
            )
            for member in found
            if member_filter.matches(member)
        ],
        next_cursor=encode_cursor(next_position),
    )


def reservation_matches(
    reservation: Reservation,
    player_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> bool:
    """The player is on it, and it overlaps [since, until] (either end open)."""
    return (
        (player_id is None or player_id in reservation.player_ids)
        and (since is None or reservation.end >= since)
        and (until is None or reservation.start <= until)
    )


def search_reservations(
    tenant_id: str,
    deps: AdminDependencies,
    *,
    player_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> ReservationsPageResponse:
    """The tenant's reservations (kept 30 days past their end) with this player and overlapping
    the time range, a page at a time: each page reads `limit` reservations in id order."""
    _tenant(deps, tenant_id)
    position = decode_cursor(tenant_id, cursor, "RESERVATION#")
    found, next_position = deps.stores.reservations.page(tenant_id, position, limit)
    return ReservationsPageResponse(
        tenant_id=tenant_id,
        reservations=[
            ReservationSearchItem(
                **reservation.model_dump(include=set(ReservationSearchItem.model_fields))
            )
            for reservation in found
            if reservation_matches(reservation, player_id, since, until)
        ],
        next_cursor=encode_cursor(next_position),
    )


# ---- dead letters and health ------------------------------------------------------------------

RECENT_ERRORS = 20
# The Unsynced index also holds pending members: read this many to find RECENT_ERRORS failed ones.
UNSYNCED_READ = 100


def _dead_letter_queue(deps: AdminDependencies) -> DeadLetterQueue:
    if deps.dead_letters is None:
        raise Unavailable(
            "No command dead-letter queue is configured for this function (COMMAND_DLQ_URL).",
            code="dead_letters_unavailable",
        )
    return deps.dead_letters


def _dead_letters_answer(tenant_id: str, scan: DeadLetterScan) -> DeadLettersResponse:
    return DeadLettersResponse(
        tenant_id=tenant_id,
        depth=scan.depth,
        messages=[DeadLetterView(**vars(message)) for message in scan.messages],
        complete=scan.complete,
    )


def list_dead_letters(tenant_id: str, deps: AdminDependencies) -> DeadLettersResponse:
    """This tenant's dead-lettered commands (the queue is shared; others' are never shown)."""
    _tenant(deps, tenant_id)
    return _dead_letters_answer(tenant_id, _dead_letter_queue(deps).scan(tenant_id))


def redrive_dead_letters(
    tenant_id: str, request: RedriveRequest, caller: Caller, deps: AdminDependencies
) -> RedriveResponse:
    """Move this tenant's dead-lettered commands (all, or those named) back to the command
    queue, where the worker converges each from the current state. Another tenant's message is
    never moved: an id that is not this tenant's is answered in `not_found`."""
    _tenant(deps, tenant_id)
    named = None if request.message_ids is None else set(request.message_ids)
    outcome = _dead_letter_queue(deps).redrive(tenant_id, named)
    answer = RedriveResponse(
        tenant_id=tenant_id,
        moved=outcome.moved,
        not_found=sorted((named or set()) - set(outcome.moved) - set(outcome.failed)),
        failed=outcome.failed,
    )
    _audit(
        deps.stores,
        caller,
        tenant_id,
        "admin.dead_letters_redriven",
        {"moved": len(answer.moved), "failed": len(answer.failed), "chosen": named is not None},
    )
    return answer


def get_health(tenant_id: str, deps: AdminDependencies) -> HealthResponse:
    """The shared command queue's depth, this tenant's dead letters and the members whose last
    Kisi write failed."""
    _tenant(deps, tenant_id)
    depth = deps.command_queue_depth()
    failures = deps.stores.members.failures(tenant_id, UNSYNCED_READ)[:RECENT_ERRORS]
    return HealthResponse(
        tenant_id=tenant_id,
        command_queue=QueueDepth(visible=depth[0], in_flight=depth[1]) if depth else None,
        dead_letters=_dead_letters_answer(tenant_id, deps.dead_letters.scan(tenant_id))
        if deps.dead_letters
        else None,
        recent_errors=[
            RecentError(
                member_id=member.member_id,
                error=member.kisi.last_error,
                last_synced_at=member.kisi.last_synced_at,
            )
            for member in failures
        ],
        checked_at=deps.clock(),
    )


# ---- on-demand syncs --------------------------------------------------------------------------


def run_sync(
    tenant_id: str, request: SyncRequest, caller: Caller, sync: SyncDependencies
) -> dict[str, Any]:
    """The daily or weekly sync of this tenant only, now; answers its result (a daily dry run:
    the drift report, nothing changed). A large tenant's weekly run answers `in_progress` and
    goes on from the queue; the status route shows its result when done. A weekly dry run is
    always a job (`status: queued`; the caller answers 202): GET /sync-runs/{run_id} follows it
    and, when done, holds its drift report."""
    from access_core.sync.service import run_daily_sync, run_weekly_sync, start_weekly_dry_run

    if sync.stores.tenants.get(tenant_id) is None:
        raise _unconfigured(tenant_id)
    if request.kind == "weekly" and request.dry_run:
        return start_weekly_dry_run(sync, tenant_id)
    if request.kind == "daily":
        result: dict[str, Any] = run_daily_sync(sync, [tenant_id], dry_run=request.dry_run)[
            "results"
        ][0]
    else:
        result = run_weekly_sync(sync, tenant_id, dry_run=request.dry_run)
    if not request.dry_run:
        detail = {"status": result.get("status"), "run_id": result.get("run_id")}
        _audit(sync.stores, caller, tenant_id, f"admin.sync_{request.kind}", detail)
    return result


# ---- sync runs --------------------------------------------------------------------------------


def list_sync_runs(
    tenant_id: str, deps: AdminDependencies, *, kind: str | None, limit: int, cursor: str | None
) -> SyncRunsPageResponse:
    """The tenant's recorded daily and weekly runs, newest first (kept 90 days). Dry runs are
    not recorded here: the latest is at GET /sync-runs/{run_id}."""
    _tenant(deps, tenant_id)
    position = decode_cursor(tenant_id, cursor, HISTORY_PREFIX)
    runs, next_position = deps.stores.sync_runs.history_page(
        tenant_id, kind=kind, limit=limit, cursor=position
    )
    return SyncRunsPageResponse(
        tenant_id=tenant_id,
        runs=[{k: v for k, v in run.items() if k != "expires_at"} for run in runs],
        next_cursor=encode_cursor(next_position),
    )


class SyncRunNotFound(NotFound):
    code = "sync_run_not_found"


def get_sync_run(tenant_id: str, run_id: str, deps: AdminDependencies) -> dict[str, Any]:
    """A run's state: the latest daily or weekly run, the weekly run under way (its phase, step
    and counts so far, from its cursor), or the latest weekly dry run (queued, in_progress, then
    its drift report). Older runs are in the history (GET /sync-runs) and 404 here."""
    from access_core.sync.service import (
        DAILY,
        DRY_RUN_ID_PREFIX,
        WEEKLY,
        WEEKLY_CURSOR,
        WEEKLY_DRY_RUN,
    )

    _tenant(deps, tenant_id)
    if run_id.startswith(DRY_RUN_ID_PREFIX):
        names = [WEEKLY_DRY_RUN]
    elif run_id.startswith(f"{WEEKLY}-"):
        names = [WEEKLY, WEEKLY_CURSOR]
    else:
        names = [DAILY]
    for name, item in deps.stores.sync_runs.latest(tenant_id, names).items():
        if item is None or item.get("run_id") != run_id:
            continue
        if name == WEEKLY_CURSOR:
            return weekly_progress(item)
        return item
    raise SyncRunNotFound(
        f"No current sync run {run_id!r}: GET /sync-runs lists the recorded ones."
    )


def weekly_progress(cursor: Mapping[str, Any]) -> dict[str, Any]:
    """A running weekly run's progress from its cursor item: where it is and its counts."""
    progress = {
        key: cursor.get(key)
        for key in (
            "run_id",
            "tenant_id",
            "dry_run",
            "status",
            "started_at",
            "phase",
            "step",
            "groups",
            "group_index",
            "assignments_listed",
            "members_checked",
            "drift",
            "commands_enqueued",
            "kisi_calls",
            "error",
        )
    }
    return {"kind": "weekly", **progress}


# ---- troubleshooting --------------------------------------------------------------------------


def explain_member_access(
    tenant_id: str, member_id: str, deps: AdminDependencies
) -> MemberAccessResponse:
    """Why a member has or has not access: the decision with its reason, the platform data it
    used, what Kisi was last told, and what the worker still has to write."""
    stores = deps.stores
    tenant, member = stores.members.get_with_tenant(tenant_id, member_id)
    if tenant is None:
        raise _unconfigured(tenant_id)
    if member is None:
        raise NotFound(
            f"No member {member_id!r}: no platform webhook named it yet.", code="member_not_found"
        )
    stored_plan = None
    if member.plan_id is not None:
        stored_plan = next(
            (p for p in stores.tenants.plans(tenant_id) if p.plan.plan_id == member.plan_id), None
        )
    plan = stored_plan.plan if stored_plan else None
    now = deps.clock()
    decision = decide_membership_access(member, plan, tenant.kisi_group_id, now)
    kisi = member.kisi
    family = family_decisions(stores, tenant, member, {g.email for g in kisi.grants}, now)
    steps = plan_convergence(decision, kisi.grants, tenant.revoke_mode, member.name, family)
    return MemberAccessResponse(
        tenant_id=tenant_id,
        member_id=member_id,
        decision=DecisionView(
            granted=decision.granted,
            reason=decision.reason,
            explanation=decision.explanation,
            kisi_group_id=decision.group_id,
            valid_until=decision.valid_until,
        ),
        member=MemberFacts(**member.model_dump(include=set(MemberFacts.model_fields))),
        plan=_plan_view(stored_plan, tenant.kisi_group_id) if stored_plan else None,
        default_kisi_group_id=tenant.kisi_group_id,
        kisi=KisiRecord(
            grants=[GrantView(**grant.model_dump()) for grant in kisi.grants],
            sync_state=kisi.sync_state,
            synced_version=kisi.synced_version,
            last_synced_at=kisi.last_synced_at,
            last_error=kisi.last_error,
        ),
        in_sync=kisi.sync_state is SyncState.IN_SYNC and kisi.synced_version == member.version,
        pending_kisi_changes=[_describe(step) for step in steps],
        kisi_connection=tenant.connection_state,
        evaluated_at=now,
    )


def _describe(step: Any) -> str:
    if isinstance(step, EnsureGrant):
        until = f" until {utc_iso(step.valid_until)}" if step.valid_until else ""
        return f"grant {step.email} Kisi group {step.group_id}{until}"
    grant = step.grant
    action = "revoke and delete the Kisi user" if step.delete_user else "revoke"
    return f"{action} {grant.email} from Kisi group {grant.group_id}"


# ---- reservation troubleshooting --------------------------------------------------------------


@dataclass(frozen=True)
class ReservationExplanation:
    """The explanation, and the refusal the player's app gets now (None: the door opens). The
    view's `player_status` is the refusal's HTTP status, which the HTTP layer sets."""

    view: ReservationAccessResponse
    player_refusal: DomainError | None


def explain_reservation_access(
    tenant_id: str,
    reservation_id: str,
    player_id: str,
    lock_id: int | None,
    deps: AdminDependencies,
) -> ReservationExplanation:
    """Why a player may or may not open doors (a given door) for a reservation now: the unlock
    decision with its reason, what the player's app is answered, the reservation data it used and
    the enabled doors. Unlike the player, the admin is told a reservation is another player's."""
    from access_core.reservations.policy import (
        access_window,
        decide_reservation_access,
        decide_unlock,
        usable_doors,
    )
    from access_core.unlock.models import (
        DoorView,
        ReservationAccessResponse,
        ReservationDecisionView,
        ReservationFacts,
        WindowView,
    )
    from access_core.unlock.service import refusal_for

    stores = deps.stores
    facts = stores.reservations.unlock_facts(tenant_id, reservation_id, player_id, lock_id)
    tenant, reservation = facts.tenant, facts.reservation
    if tenant is None:
        raise _unconfigured(tenant_id)
    now = deps.clock()
    if lock_id is None:
        decision = decide_reservation_access(tenant, reservation, player_id, now)
    else:
        decision = decide_unlock(tenant, reservation, player_id, lock_id, facts.lock, now)
    window = decision.window
    if window is None and reservation is not None:
        window = access_window(reservation, tenant.pre_reservation_window_minutes)
    player_answer = refusal_for(decision, reservation_id, lock_id) if not decision.allowed else None
    view = ReservationAccessResponse(
        tenant_id=tenant_id,
        reservation_id=reservation_id,
        player_id=player_id,
        lock_id=lock_id,
        decision=ReservationDecisionView(
            allowed=decision.allowed,
            reason=decision.reason,
            explanation=decision.explanation,
            window=WindowView(opens_at=window.opens_at, closes_at=window.closes_at)
            if window
            else None,
            player_status=200,
            player_error=player_answer.code if player_answer else None,
        ),
        reservation=ReservationFacts(
            **reservation.model_dump(include=set(ReservationFacts.model_fields))
        )
        if reservation
        else None,
        door_access_enabled=tenant.door_access_enabled,
        pre_reservation_window_minutes=tenant.pre_reservation_window_minutes,
        kisi_connection=tenant.connection_state,
        enabled_locks=[DoorView.of(lock) for lock in usable_doors(stores.locks.all(tenant_id))],
        evaluated_at=now,
    )
    return ReservationExplanation(view, player_answer)
