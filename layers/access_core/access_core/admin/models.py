"""Request and response bodies of the club Admin API (`/v1/admin/tenants/{tenant_id}/...`).

Requests forbid unknown fields, so a typo is refused (422) instead of silently ignored. Responses
are what the routes answer and what docs/openapi.json documents; none of them has a field that
could carry the Kisi API key (the webhook secret appears only in `WebhookSecretResponse`, once).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, field_validator

from access_core.domain.errors import FieldProblem
from access_core.domain.events import MembershipStatus, PlatformId
from access_core.domain.model import (
    DEFAULT_MASS_REVOKE_PERCENT,
    MAX_PAYMENT_GRACE_DAYS,
    MAX_WINDOW_MINUTES,
    MIN_WINDOW_MINUTES,
    ConnectionState,
    RevokeMode,
    SyncState,
)
from access_core.membership.policy import AccessReason

Platform = Literal["pushpress", "playbypoint", "canonical"]
# Strict: a JSON integer only ("6", 6.0 and true are refused, not read as 6).
KisiId = Annotated[StrictInt, Field(gt=0, le=2**53, description="A Kisi object id")]
MAX_PLANS_PER_REQUEST = 50
MAX_LOCK_IDS_PER_REQUEST = 1000


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _unique[T](values: list[T], what: str) -> list[T]:
    repeated = sorted(str(value) for value, n in Counter(values).items() if n > 1)
    if repeated:
        raise ValueError(f"{what} listed more than once: {', '.join(repeated)}")
    return values


# ---- errors -----------------------------------------------------------------------------------


class ApiError(BaseModel):
    """Every refusal: a machine-readable code, a human message, and what it concerns."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="Machine-readable code, e.g. tenant_not_found")
    message: str = Field(description="What went wrong and what to do about it")
    fields: list[FieldProblem] | None = Field(
        default=None, description="For invalid_request: every offending field"
    )
    lock_ids: list[int] | None = Field(
        default=None, description="For unknown_locks and locks_missing_in_kisi: which"
    )


# ---- settings ---------------------------------------------------------------------------------


class PlanSetting(_Request):
    plan_id: PlatformId
    has_24h_access: bool = Field(description="Members on this plan get 24-hour access in Kisi")
    kisi_group_id: KisiId | None = Field(
        default=None, description="Kisi group for this plan; null: the club's default group"
    )
    name: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="Display name; null keeps the platform's name"
    )
    payment_grace_days: Annotated[int, Field(ge=0, le=MAX_PAYMENT_GRACE_DAYS)] | None = Field(
        default=None,
        description="Days of access after the paid-through date when a payment fails (0: none); "
        "null keeps the stored value",
    )


class SettingsRequest(_Request):
    """Optional fields left out keep their stored value (the default shown, on creation)."""

    platform: Platform = Field(description="The club's management platform (webhook format)")
    door_access_enabled: bool = Field(description="Reservation unlocks on/off")
    pre_reservation_window_minutes: Annotated[
        int, Field(ge=MIN_WINDOW_MINUTES, le=MAX_WINDOW_MINUTES)
    ] = Field(default=15, description="Doors open this many minutes before a booking starts")
    kisi_group_id: KisiId | None = Field(
        default=None, description="Default Kisi group of the plans that name none; null: none"
    )
    send_invitation_emails: bool = Field(
        default=True, description="Kisi emails new users their sign-in instructions"
    )
    revoke_mode: RevokeMode = Field(
        default=RevokeMode.REMOVE_ASSIGNMENT,
        description="What revoking does in Kisi (adopted users are never deleted)",
    )
    mass_revoke_threshold_percent: Annotated[int, Field(ge=0, le=100)] = Field(
        default=DEFAULT_MASS_REVOKE_PERCENT,
        description="Revokes of more than this share of the members within an hour wait for an "
        "admin (GET /quarantine); 0 turns the breaker off",
    )
    name: Annotated[str, Field(max_length=200)] = Field(
        default="", description="The club's display name"
    )
    plans: Annotated[list[PlanSetting], Field(max_length=MAX_PLANS_PER_REQUEST)] = Field(
        default_factory=list,
        description="Plans to configure; plans not listed are left as they are",
    )

    @field_validator("plans")
    @classmethod
    def _plans_unique(cls, plans: list[PlanSetting]) -> list[PlanSetting]:
        _unique([p.plan_id for p in plans], "plan_id")
        return plans


class PlanView(_Response):
    plan_id: str
    name: str
    has_24h_access: bool
    kisi_group_id: int | None
    payment_grace_days: int = Field(
        description="Days of access after the paid-through date when a payment fails"
    )
    effective_kisi_group_id: int | None = Field(
        description="The group its members get: its own, else the club's default"
    )
    flags_set_by: Literal["admin", "platform"] = Field(
        description="Who last set has_24h_access and kisi_group_id (the later change wins)"
    )
    updated_at: AwareDatetime = Field(description="When the plan last changed (either source)")


class SettingsResponse(_Response):
    tenant_id: str
    name: str
    platform: str
    door_access_enabled: bool
    pre_reservation_window_minutes: int
    kisi_group_id: int | None
    send_invitation_emails: bool
    revoke_mode: RevokeMode
    mass_revoke_threshold_percent: int
    connection_state: ConnectionState
    kisi_key_hint: str | None = Field(description="Last 4 characters of the Kisi key, if any")
    plans: list[PlanView]
    reevaluating_plans: list[str] = Field(
        default_factory=list,
        description="Plans whose members are being re-evaluated because of this change",
    )


# ---- Kisi credentials and the webhook secret -------------------------------------------------


class KisiCredentialsRequest(_Request):
    # Printable ASCII without spaces: it travels in an HTTP header (a non-ASCII key was a 500).
    api_key: Annotated[str, Field(min_length=16, max_length=256, pattern=r"^[!-~]+$")] = Field(
        description="The Kisi API key (write-only: never returned, never logged)",
        json_schema_extra={"writeOnly": True},
    )
    group_id: KisiId | None = Field(
        default=None, description="Also check this Kisi group and make it the default group"
    )


class ConnectionResponse(_Response):
    tenant_id: str
    connection_state: ConnectionState
    connection_checked_at: AwareDatetime | None
    kisi_organization_id: int | None
    kisi_organization_name: str | None = None
    kisi_key_hint: str | None
    kisi_group_id: int | None
    reevaluating_plans: list[str] = Field(default_factory=list)


class WebhookSecretResponse(_Response):
    tenant_id: str
    secret: str = Field(
        description="The new signing secret. Shown only in this response: store it now"
    )
    created_at: AwareDatetime
    signature_header: str = "X-Bridge-Signature"
    timestamp_header: str = "X-Bridge-Timestamp"


# ---- the club's platform: API key and webhook secrets ------------------------------------------

CompanyId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\w.:-]+$")]


class PlatformCredentialsRequest(_Request):
    platform: Literal["pushpress"] = Field(
        description="The platform whose API the bridge reads (PushPress; Playbypoint has none)"
    )
    api_key: Annotated[str, Field(min_length=16, max_length=256, pattern=r"^[!-~]+$")] = Field(
        description="The platform's API key (write-only: never returned, never logged)",
        json_schema_extra={"writeOnly": True},
    )
    company_id: CompanyId | None = Field(
        default=None, description="PushPress company id, for a multi-company API key"
    )


class PlatformConnectionResponse(_Response):
    tenant_id: str
    platform: str
    state: ConnectionState
    checked_at: AwareDatetime | None
    account_name: str | None = Field(description="The company the key acts for, as it says")
    key_hint: str | None = Field(description="Last 4 characters of the stored key")
    company_id: str | None


class PlatformWebhookSecretRequest(_Request):
    secret: Annotated[str, Field(min_length=1, max_length=1024)] = Field(
        description="The signing secret (PushPress) or token (Playbypoint) the platform shows; "
        "leading and trailing blanks are ignored (write-only: never returned, never logged)",
        json_schema_extra={"writeOnly": True},
    )
    overlap_hours: Annotated[int, Field(ge=0, le=168)] | None = Field(
        default=None,
        description="How long the previous secret is still accepted (default 24; 0: at once)",
    )


class SecretStateView(_Response):
    added_at: AwareDatetime
    valid_until: AwareDatetime | None = Field(description="Null: accepted until replaced")
    current: bool


class WebhookSecretsResponse(_Response):
    tenant_id: str
    platform: str
    configured: bool
    secrets: list[SecretStateView] = Field(description="Newest first; never the values")
    previous_valid_until: AwareDatetime | None = Field(
        description="When the last previous secret stops being accepted"
    )
    webhook_path: str = Field(description="Where the platform posts: /webhooks/{platform}/{tenant}")


# ---- locks ------------------------------------------------------------------------------------


class LockView(_Response):
    lock_id: int
    name: str
    description: str
    place_id: int | None
    place_name: str
    online: bool | None
    enabled: bool = Field(description="Players may open it during their booking window")
    missing_in_kisi: bool = Field(description="Gone from Kisi at the last sync: never unlocked")
    synced_at: datetime | None


class LocksResponse(_Response):
    tenant_id: str
    locks: list[LockView]


class LockSyncResponse(_Response):
    tenant_id: str
    kisi_locks: int = Field(description="Locks Kisi lists for the key's organisation")
    added: int
    updated: int
    missing_in_kisi: int = Field(description="Known locks Kisi no longer lists")
    enabled: int = Field(description="Enabled locks present in Kisi")
    synced_at: AwareDatetime


class EnabledLocksRequest(_Request):
    lock_ids: Annotated[list[KisiId], Field(max_length=MAX_LOCK_IDS_PER_REQUEST)] = Field(
        description="Every lock players may open; the others are disabled"
    )

    @field_validator("lock_ids")
    @classmethod
    def _ids_unique(cls, lock_ids: list[int]) -> list[int]:
        return _unique(lock_ids, "lock id")


# ---- status -----------------------------------------------------------------------------------


class ConnectionStatus(_Response):
    state: ConnectionState
    checked_at: AwareDatetime | None
    kisi_organization_id: int | None
    kisi_key_hint: str | None


class MemberCounts(_Response):
    members: int = Field(description="Members not deleted in the platform")
    with_access: int = Field(description="Members holding a Kisi group assignment we wrote")
    in_sync: int
    pending: int = Field(description="Changed and not yet written to Kisi")
    failed: int = Field(description="Last Kisi write failed; retried by the daily sync")


class DeadLetterStatus(_Response):
    depth: int = Field(description="Messages in the command DLQ (all tenants: it is shared)")
    shared: bool = True


class AuditEntryView(_Response):
    at: AwareDatetime
    actor: str = Field(description="admin:<sub>, player:<sub>, kisi_worker, system")
    action: str
    subject: str
    detail: dict[str, Any]


class AuditPageResponse(_Response):
    tenant_id: str
    entries: list[AuditEntryView] = Field(description="Newest first")
    next: str | None = Field(description="Pass as `after` for the next page; null: the last page")


class StatusResponse(_Response):
    tenant_id: str
    connection: ConnectionStatus
    syncs: dict[str, dict[str, Any] | None] = Field(
        description="Last daily and weekly sync results, null when none ran yet"
    )
    members: MemberCounts
    dead_letter_queue: DeadLetterStatus | None = Field(
        description="Null when the DLQ URL is not configured"
    )
    platform_api: PlatformConnectionResponse | None = Field(
        default=None, description="The platform's API connection (PushPress); null for others"
    )
    checked_at: AwareDatetime


# ---- troubleshooting --------------------------------------------------------------------------


class DecisionView(_Response):
    granted: bool
    reason: AccessReason
    explanation: str
    kisi_group_id: int | None
    valid_until: AwareDatetime | None


class MemberFacts(_Response):
    email: str | None
    name: str
    plan_id: str | None
    status: MembershipStatus
    cancellation_at: AwareDatetime | None
    deleted: bool
    platform_updated_at: AwareDatetime
    version: int


class GrantView(_Response):
    email: str
    group_id: int
    user_id: int | None
    assignment_id: int | None
    valid_until: AwareDatetime | None
    user_created_by_us: bool


class KisiRecord(_Response):
    grants: list[GrantView]
    sync_state: SyncState
    synced_version: int
    last_synced_at: AwareDatetime | None
    last_error: str | None


class MemberAccessResponse(_Response):
    tenant_id: str
    member_id: str
    decision: DecisionView
    member: MemberFacts
    plan: PlanView | None = Field(description="The stored plan the member is on, if known")
    default_kisi_group_id: int | None
    kisi: KisiRecord = Field(description="What Kisi was last told for this member")
    in_sync: bool = Field(description="Kisi reflects the member's current data")
    pending_kisi_changes: list[str] = Field(
        description="What the worker still has to write to Kisi to match the decision"
    )
    kisi_connection: ConnectionState
    evaluated_at: AwareDatetime


# ---- on-demand syncs --------------------------------------------------------------------------


class SyncRequest(_Request):
    kind: Literal["daily", "weekly"] = Field(
        description="daily: changed, unsynced and ended members (queued); weekly: the full "
        "reconciliation against Kisi's group listing"
    )
    dry_run: bool = Field(
        default=False, description="Report what would be done (the drift) and change nothing"
    )


class SyncResultResponse(BaseModel):
    """The run's result (docs/sync.md): status, counts, drift by kind, commands, Kisi calls."""

    model_config = ConfigDict(extra="allow")

    kind: Literal["daily", "weekly"]
    tenant_id: str
    status: str = Field(
        description="succeeded, in_progress (continues from the queue), skipped, failed"
    )
    dry_run: bool


# ---- search -----------------------------------------------------------------------------------


class MemberSearchItem(_Response):
    member_id: str
    email: str | None
    name: str
    plan_id: str | None
    status: MembershipStatus
    deleted: bool
    sync_state: SyncState
    last_error: str | None


class MembersPageResponse(_Response):
    tenant_id: str
    members: list[MemberSearchItem] = Field(description="The matches of this page, in id order")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null: the last page. A page can hold "
        "fewer matches than `limit` (the filters apply to each page read): follow it all the same"
    )


class ReservationSearchItem(_Response):
    reservation_id: str
    court: str
    start: AwareDatetime
    end: AwareDatetime
    status: str
    player_ids: list[str]


class ReservationsPageResponse(_Response):
    tenant_id: str
    reservations: list[ReservationSearchItem] = Field(description="This page's matches, id order")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null: the last page (a page can hold "
        "fewer matches than `limit`)"
    )


# ---- Kisi groups ------------------------------------------------------------------------------


class KisiGroupView(_Response):
    id: int
    name: str
    description: str
    place_id: int | None
    place_name: str | None = Field(description="From the imported locks' places; null: unknown")


class KisiGroupsResponse(_Response):
    tenant_id: str
    groups: list[KisiGroupView] = Field(description="Every group the key's organisation has")


# ---- dead letters and health ------------------------------------------------------------------


class DeadLetterView(_Response):
    message_id: str
    kind: str = Field(description="converge_member, reevaluate_plan, weekly_sync_step")
    member_id: str | None
    plan_id: str | None
    reason: str | None = Field(description="Why the worker dead-lettered it, when it said")
    dead_lettered_at: AwareDatetime | None


class DeadLettersResponse(_Response):
    tenant_id: str
    depth: int = Field(description="The shared DLQ's depth, every tenant's messages")
    messages: list[DeadLetterView] = Field(description="This tenant's messages only")
    complete: bool = Field(
        description="False: the DLQ holds more messages than one look reads; there may be more "
        "of this tenant's (redrive these, then look again)"
    )


class RedriveRequest(_Request):
    # Required: moving everything takes an explicit null, never an empty body.
    message_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        max_length=100,
        description="The messages to move (from GET /dead-letters); null: all of this tenant's",
    )


class RedriveResponse(_Response):
    tenant_id: str
    moved: list[str] = Field(description="Message ids now back on the command queue")
    not_found: list[str] = Field(
        description="Named ids that are not this tenant's dead letters (moved or never were)"
    )
    failed: list[str] = Field(description="Ids the command queue refused; still in the DLQ")


class QueueDepth(_Response):
    visible: int = Field(description="Commands waiting (every tenant's: the queue is shared)")
    in_flight: int = Field(description="Commands a worker is running now")


class RecentError(_Response):
    member_id: str
    error: str | None
    last_synced_at: AwareDatetime | None


class HealthResponse(_Response):
    tenant_id: str
    command_queue: QueueDepth | None = Field(description="Null when not configured")
    dead_letters: DeadLettersResponse | None = Field(description="Null when not configured")
    recent_errors: list[RecentError] = Field(
        description="Members whose last Kisi write failed (at most 20)"
    )
    checked_at: AwareDatetime


# ---- sync runs --------------------------------------------------------------------------------


class SyncRunsPageResponse(_Response):
    tenant_id: str
    runs: list[dict[str, Any]] = Field(
        description="Run records as GET /status shows them (docs/sync.md), newest first"
    )
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")
