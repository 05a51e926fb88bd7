"""ANY /v1/admin/{proxy+}: the club Admin API (docs/admin-api.md).

Routes parse the request (Powertools validation against the pydantic models) and hand it to one
function of `access_core.admin.service`. Every answer is JSON: refusals name the problem, unknown
routes are 404 and wrong methods 405, and the Kisi key never appears in a response or a log line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.content_types import APPLICATION_JSON
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from access_core import bootstrap
from access_core.admin import quarantine, service, tools
from access_core.admin.models import (
    ApiError,
    AuditPageResponse,
    ConnectionResponse,
    DeadLettersResponse,
    EnabledLocksRequest,
    HealthResponse,
    KisiCredentialsRequest,
    KisiGroupsResponse,
    LocksResponse,
    LockSyncResponse,
    MemberAccessResponse,
    MembersPageResponse,
    PlatformConnectionResponse,
    PlatformCredentialsRequest,
    PlatformWebhookSecretRequest,
    RedriveRequest,
    RedriveResponse,
    ReservationsPageResponse,
    SettingsRequest,
    SettingsResponse,
    StatusResponse,
    SyncRequest,
    SyncResultResponse,
    SyncRunsPageResponse,
    WebhookSecretResponse,
    WebhookSecretsResponse,
)
from access_core.admin.quarantine_models import (
    QuarantineDecisionRequest,
    QuarantineDecisionResponse,
    QuarantinePageResponse,
)
from access_core.admin.service import AdminDependencies
from access_core.admin.tools_models import (
    AdminUnlockRequest,
    AdminUnlockResponse,
    CheckinWriteBackRequest,
    CheckinWriteBackResponse,
    MemberDryRunRequest,
    MemberDryRunResponse,
    MigrationReportResponse,
    ReservationDryRunRequest,
    ReservationDryRunResponse,
)
from access_core.domain.caller import Caller
from access_core.domain.checkins import CheckinRecorders
from access_core.domain.errors import FieldProblem, InvalidRequest
from access_core.domain.events import MAX_ID_LENGTH, MembershipStatus
from access_core.domain.model import SyncState
from access_core.domain.usage import ADMIN_PER_CALLER
from access_core.http.api import (
    BODY_ERROR_DESCRIPTIONS,
    MAX_BODY_BYTES,
    MAX_KISI_ID,
    KisiIdParameter,
    ResponseDocs,
    authorize_every_request,
    install_json_errors,
    json_resolver,
)
from access_core.http.errors import status_of
from access_core.http.events import ok, refuse_oversized_body
from access_core.sync.service import SyncDependencies
from access_core.unlock.models import ReservationAccessResponse
from access_core.unlock.service import UnlockDependencies

powertools = bootstrap.observability()

TENANT = "/v1/admin/tenants/<tenant_id>"
TAG = "Admin"
ERROR_DESCRIPTIONS = {
    **BODY_ERROR_DESCRIPTIONS,
    401: "No usable token (no subject or no tenant claim)",
    403: "The token has no admin role",
    404: "Not this caller's tenant, or the tenant (or the object named) does not exist",
    409: "The request conflicts with the tenant's state (see the error code)",
    422: "The request is invalid (every offending field is named); nothing was changed",
    429: "usage_limit_exceeded: this admin made too many requests (docs/admin-api.md); or Kisi's "
    "budget is used up; retry after Retry-After seconds",
    502: "The platform answered in an unexpected way; nothing was changed",
    503: "Kisi (or the platform's API) could not be reached; nothing was changed (retry after "
    "Retry-After seconds)",
}

app = json_resolver()
install_json_errors(app, logger=powertools.logger, api_name="admin", docs="docs/admin-api.md")

TenantId = Annotated[
    str,
    Path(
        description="The club's tenant id; must be the token's tenant claim",
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=r"^[\w.:@-]+$",
    ),
]

Cursor = Annotated[
    str | None, Query(max_length=2000, description="`next_cursor` of the page before")
]
PageSize = Annotated[int, Query(ge=1, le=200, description="Items read a page")]


documented = ResponseDocs(
    ApiError, ERROR_DESCRIPTIONS, frozenset({401, 403, 404, 422, 429})
).documented


# ---- who may call: every route, including unknown ones ----------------------------------------

caller = authorize_every_request(
    app,
    lambda claims, path: service.authorize(claims, path.get("tenant_id")),
    admit=lambda admin: bootstrap.container().admit_caller(admin, ADMIN_PER_CALLER),
)


def admin_dependencies() -> AdminDependencies:
    return bootstrap.container().admin


def sync_dependencies() -> SyncDependencies:
    return bootstrap.container().sync


# Injected into the routes (Powertools' Depends; tests may set app.dependency_overrides).
AdminCaller = Annotated[Caller, Depends(caller)]
AdminDeps = Annotated[AdminDependencies, Depends(admin_dependencies)]
SyncDeps = Annotated[SyncDependencies, Depends(sync_dependencies)]


# ---- settings ---------------------------------------------------------------------------------


@app.get(
    f"{TENANT}/settings",
    tags=[TAG],
    summary="Read the club's settings",
    description="Platform, door access, pre-reservation window, default Kisi group, invitation "
    "emails, revoke mode, Kisi connection state and every plan with its 24-hour flag and group. "
    "Never includes the Kisi key (only its last 4 characters).",
    responses=documented(SettingsResponse, "The settings"),
)
def get_settings(tenant_id: TenantId, deps: AdminDeps) -> Response[dict[str, Any]]:
    return ok(service.get_settings(tenant_id, deps))


@app.put(
    f"{TENANT}/settings",
    tags=[TAG],
    summary="Create or update the club's settings and plan flags",
    description="Sets the fields given; optional fields left out keep their stored value (their "
    "default when this creates the tenant). `plans` "
    "sets the 24-hour flag and Kisi group of the plans listed; others are left alone. A plan's "
    "flags belong to whoever changed them last: this write is stamped now, so only a platform "
    "plan.updated webhook with a newer updated_at overrides it, and an older one is ignored. "
    "Plans whose effective access changed (flag, group, or the default group they use) have their "
    "members re-evaluated. Settings and plans are written in one transaction: a 409 saves nothing.",
    responses=documented(SettingsResponse, "The settings as saved", 409, body=True),
)
def put_settings(
    tenant_id: TenantId, settings: SettingsRequest, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(service.save_settings(tenant_id, settings, admin, deps))


# ---- Kisi credentials and the webhook secret --------------------------------------------------


@app.put(
    f"{TENANT}/kisi-credentials",
    tags=[TAG],
    summary="Connect Kisi: check an API key against Kisi, then store it (write-only)",
    description="The key is checked with Kisi (GET /user, and GET /groups/{group_id} when a group "
    "is given) before anything is stored. A refused key answers 422 kisi_key_invalid and changes "
    "nothing; Kisi unreachable answers 503 and changes nothing. On success the key goes to SSM "
    "Parameter Store (SecureString) and is never returned: responses show its last 4 characters. "
    "Connecting re-evaluates every plan's members, so members changed while disconnected converge.",
    responses=documented(ConnectionResponse, "Connected", 503, body=True),
)
def put_kisi_credentials(
    tenant_id: TenantId,
    credentials: KisiCredentialsRequest,
    admin: AdminCaller,
    deps: AdminDeps,
) -> Response[dict[str, Any]]:
    return ok(service.connect_kisi(tenant_id, credentials, admin, deps))


@app.delete(
    f"{TENANT}/kisi-credentials",
    tags=[TAG],
    summary="Disconnect Kisi: delete the stored key and stop all Kisi traffic",
    description="The tenant becomes disconnected first (the worker then skips its commands and "
    "unlocks stop), then the key is deleted from SSM. Members stay pending until a key is "
    "connected again.",
    responses=documented(ConnectionResponse, "Disconnected"),
)
def delete_kisi_credentials(
    tenant_id: TenantId, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(service.disconnect_kisi(tenant_id, admin, deps))


@app.post(
    f"{TENANT}/webhook-secret",
    tags=[TAG],
    summary="Generate (rotate) the bridge's own webhook signing secret (canonical endpoint)",
    description="A new random secret becomes the current one for /webhooks/canonical; the "
    "previous one stays accepted for 24 hours (the rotation overlap), so the sender can switch "
    "without losing deliveries. It is answered in this response only (Cache-Control: no-store) "
    "and never again. This is the only response that carries a secret. PushPress and Playbypoint "
    "sign with their own secrets: paste those with PUT /webhook-secrets/{platform}.",
    responses=documented(WebhookSecretResponse, "The new secret, shown once"),
)
def post_webhook_secret(
    tenant_id: TenantId, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    rotated = service.rotate_webhook_secret(tenant_id, admin, deps)
    return ok(rotated, headers={"Cache-Control": "no-store"})


def _aware(**moments: datetime | None) -> None:
    """422 for a time without a zone offset (which instant it names is unknown)."""
    for name, moment in moments.items():
        if moment is not None and moment.tzinfo is None:
            raise InvalidRequest(
                f"`{name}` needs a time zone offset (e.g. Z).",
                fields=[FieldProblem(field=f"query.{name}", message="no time zone offset")],
            )


# ---- audit ------------------------------------------------------------------------------------


@app.get(
    f"{TENANT}/audit",
    tags=[TAG],
    summary="The audit trail: admin actions, Kisi writes, unlock attempts (newest first)",
    description="Kept 90 days. Filter by time (since, until: ISO 8601 with an offset) and by an "
    "action prefix (`kisi.`, `unlock.refused`, `admin.`); page with `after` = the previous "
    "page's `next`. Entries never carry a secret.",
    responses=documented(AuditPageResponse, "One page of entries"),
)
def get_audit(
    tenant_id: TenantId,
    deps: AdminDeps,
    limit: Annotated[int, Query(ge=1, le=200, description="Entries a page")] = 50,
    after: Annotated[
        str | None, Query(max_length=80, description="`next` of the page before")
    ] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Up to this time (inclusive)")] = None,
    action: Annotated[
        str | None, Query(max_length=60, pattern=r"^[a-z_.]+$", description="Action prefix")
    ] = None,
) -> Response[dict[str, Any]]:
    _aware(since=since, until=until)
    return ok(
        service.list_audit(
            tenant_id, deps, limit=limit, after=after, since=since, until=until, action=action
        )
    )


# ---- the club's platform: API key and webhook secrets ------------------------------------------

PastedPlatform = Annotated[
    Literal["pushpress", "playbypoint"],
    Path(description="The platform whose own webhook secret (PushPress) or token (Playbypoint)"),
]


@app.put(
    f"{TENANT}/platform-credentials",
    tags=[TAG],
    summary="Connect the platform's API: check a PushPress API key, then store it (write-only)",
    description="The key is checked with PushPress (GET /company) before anything is stored. A "
    "refused key answers 422 platform_key_invalid and changes nothing; PushPress unreachable "
    "answers 503. On success the key goes to SSM (SecureString) and is never returned: responses "
    "show its last 4 characters. The worker then looks up members whose enrollment came without "
    "an email and confirms a grant with PushPress before giving it; the daily and weekly syncs "
    "pull enrollments and customers from PushPress. 409 platform_mismatch unless the settings "
    "name that platform.",
    responses=documented(PlatformConnectionResponse, "Connected", 409, 502, 503, body=True),
)
def put_platform_credentials(
    tenant_id: TenantId,
    credentials: PlatformCredentialsRequest,
    admin: AdminCaller,
    deps: AdminDeps,
) -> Response[dict[str, Any]]:
    return ok(service.connect_platform(tenant_id, credentials, admin, deps))


@app.delete(
    f"{TENANT}/platform-credentials",
    tags=[TAG],
    summary="Disconnect the platform's API and delete its key",
    description="The syncs go back to comparing Kisi with the bridge's own table; webhooks keep "
    "working (they are verified with the webhook secret, not the API key).",
    responses=documented(PlatformConnectionResponse, "Disconnected"),
)
def delete_platform_credentials(
    tenant_id: TenantId, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(service.disconnect_platform(tenant_id, admin, deps))


@app.get(
    f"{TENANT}/webhook-secrets/<platform>",
    tags=[TAG],
    summary="Which webhook secrets of a platform are accepted, and until when (never the values)",
    responses=documented(WebhookSecretsResponse, "The secret set's state"),
)
def get_webhook_secrets(
    tenant_id: TenantId, platform: PastedPlatform, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(service.get_platform_webhook_secrets(tenant_id, platform, deps))


@app.put(
    f"{TENANT}/webhook-secrets/<platform>",
    tags=[TAG],
    summary="Store the webhook secret the platform shows (PushPress signing secret, Playbypoint "
    "token)",
    description="Paste what the platform's webhook page shows. It becomes the current secret; "
    "the previous one stays accepted for overlap_hours (default 24), so deliveries signed with "
    "either during the change are accepted. Write-only: never returned, never logged.",
    responses=documented(WebhookSecretsResponse, "Stored", body=True),
)
def put_webhook_secrets(
    tenant_id: TenantId,
    platform: PastedPlatform,
    request: PlatformWebhookSecretRequest,
    admin: AdminCaller,
    deps: AdminDeps,
) -> Response[dict[str, Any]]:
    return ok(service.set_platform_webhook_secret(tenant_id, platform, request, admin, deps))


@app.delete(
    f"{TENANT}/webhook-secrets/<platform>/previous",
    tags=[TAG],
    summary="Stop accepting the previous webhook secret now (it leaked)",
    responses=documented(WebhookSecretsResponse, "Only the current secret is accepted"),
)
def delete_previous_webhook_secret(
    tenant_id: TenantId, platform: PastedPlatform, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(service.end_platform_webhook_secret_overlap(tenant_id, platform, admin, deps))


# ---- locks ------------------------------------------------------------------------------------


@app.get(
    f"{TENANT}/locks",
    tags=[TAG],
    summary="List the locks imported from Kisi",
    description="Name, place, online, enabled (players may open it) and missing_in_kisi (gone "
    "from Kisi at the last sync; never unlocked).",
    responses=documented(LocksResponse, "The locks"),
)
def get_locks(tenant_id: TenantId, deps: AdminDeps) -> Response[dict[str, Any]]:
    return ok(service.list_locks(tenant_id, deps))


@app.post(
    f"{TENANT}/locks/sync",
    tags=[TAG],
    summary="Import the lock list from Kisi",
    description="Reads every lock Kisi lists for the key (250 a page), keeps each known lock's "
    "enabled flag, and marks locks Kisi no longer lists as missing_in_kisi (kept, never "
    "unlocked). 409 when Kisi is not connected or refuses the stored key.",
    responses=documented(LockSyncResponse, "What the sync found", 409, 503),
)
def post_locks_sync(
    tenant_id: TenantId, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(service.sync_locks(tenant_id, admin, deps))


@app.put(
    f"{TENANT}/locks/enabled",
    tags=[TAG],
    summary="Choose the locks players may open",
    description="Enables exactly the locks listed and disables the others. All or nothing: an "
    "unknown lock id (422 unknown_locks) or a lock gone from Kisi (422 locks_missing_in_kisi) "
    "refuses the request, naming them, and nothing changes.",
    responses=documented(LocksResponse, "The locks after the change", body=True),
)
def put_locks_enabled(
    tenant_id: TenantId,
    selection: EnabledLocksRequest,
    admin: AdminCaller,
    deps: AdminDeps,
) -> Response[dict[str, Any]]:
    return ok(service.set_enabled_locks(tenant_id, selection, admin, deps))


# ---- status and troubleshooting ---------------------------------------------------------------


@app.get(
    f"{TENANT}/status",
    tags=[TAG],
    summary="Connection, last syncs, member counts and the dead-letter queue",
    description="Member counts come from one paged Query over the tenant's members (a "
    "projection; it reads about 1 unit per 8 KB of member items). The dead-letter queue is "
    "shared by every tenant: its depth is the total, or null when not configured.",
    responses=documented(StatusResponse, "The status"),
)
def get_status(tenant_id: TenantId, deps: AdminDeps) -> Response[dict[str, Any]]:
    return ok(service.get_status(tenant_id, deps))


@app.post(
    f"{TENANT}/sync",
    tags=[TAG],
    summary="Run the daily or weekly sync for this club now (or as a dry run)",
    description="daily: queues the members changed since the last daily run, the unsynced ones "
    "and those whose access ended, and re-checks the Kisi key (1 Kisi call). weekly: lists the "
    "club's Kisi groups (250 assignments a call), compares them with who should have access and "
    "queues only the difference. dry_run answers the drift report and changes nothing. A large "
    "club's weekly run answers in_progress and finishes from the queue (see docs/sync.md). A "
    "weekly dry run is a job: 202 with its run_id and status queued; GET /sync-runs/{run_id} "
    "answers its progress and, when done, the drift report.",
    responses=documented(SyncResultResponse, "The run's result", body=True),
)
def post_sync(
    tenant_id: TenantId, request: SyncRequest, admin: AdminCaller, sync: SyncDeps
) -> Response[dict[str, Any]]:
    result = service.run_sync(tenant_id, request, admin, sync)
    if result.get("status") == "queued":  # a job: GET /sync-runs/{run_id} follows it
        return Response(status_code=202, content_type=APPLICATION_JSON, body=result)
    return ok(result)


@app.get(
    f"{TENANT}/sync-runs",
    tags=[TAG],
    summary="The club's recorded sync runs, newest first (kept 90 days), paged",
    description="Each daily and weekly run's record, as GET /status shows the last ones; "
    "`kind` keeps one kind (a page can then hold fewer than `limit`: follow `next_cursor`). "
    "Dry runs are not recorded here.",
    responses=documented(SyncRunsPageResponse, "One page of runs"),
)
def get_sync_runs(
    tenant_id: TenantId,
    deps: AdminDeps,
    kind: Annotated[Literal["daily", "weekly"] | None, Query()] = None,
    limit: PageSize = 20,
    cursor: Cursor = None,
) -> Response[dict[str, Any]]:
    return ok(service.list_sync_runs(tenant_id, deps, kind=kind, limit=limit, cursor=cursor))


@app.get(
    f"{TENANT}/sync-runs/<run_id>",
    tags=[TAG],
    summary="A current run: the latest daily or weekly run, a weekly run's progress, a dry run",
    description="A weekly run under way answers its phase (pull, list, diff), step and counts so "
    "far; a weekly dry run started with POST /sync answers queued, in_progress, then its result "
    "with the drift report. 404 sync_run_not_found for a run that is no longer the latest of "
    "its kind (see GET /sync-runs).",
    responses=documented(SyncResultResponse, "The run"),
)
def get_sync_run(
    tenant_id: TenantId,
    run_id: Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[\w.:+-]+$")],
    deps: AdminDeps,
) -> Response[dict[str, Any]]:
    return ok(service.get_sync_run(tenant_id, run_id, deps))


@app.get(
    f"{TENANT}/members/<member_id>/access",
    tags=[TAG],
    summary="Why does this member have (or not have) door access?",
    description="The access decision now with its reason and explanation, the platform data it "
    "used (member and plan), what Kisi was last told (grants, sync state, last error, last "
    "synced) and what the worker still has to write.",
    responses=documented(MemberAccessResponse, "The explanation"),
)
def get_member_access(
    tenant_id: TenantId,
    member_id: Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH)],
    deps: AdminDeps,
) -> Response[dict[str, Any]]:
    return ok(service.explain_member_access(tenant_id, member_id, deps))


@app.get(
    f"{TENANT}/reservations/<reservation_id>/access",
    tags=[TAG],
    summary="Why can (or can't) this player open doors for this reservation?",
    description="The unlock decision now, for the player (and a door, with lock_id), with its "
    "reason and explanation, the status and error code the player's app gets, the access window, "
    "the reservation as the platform last sent it (null: never received) and the doors players "
    "may open. Unlike the player, the admin sees a reservation that is another player's.",
    responses=documented(ReservationAccessResponse, "The explanation"),
)
def get_reservation_access(
    tenant_id: TenantId,
    deps: AdminDeps,
    reservation_id: Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH)],
    player_id: Annotated[
        str, Query(description="The player asking", min_length=1, max_length=MAX_ID_LENGTH)
    ],
    lock_id: Annotated[
        KisiIdParameter | None,
        Query(description="Also judge this door (a Kisi lock id)", gt=0, le=MAX_KISI_ID),
    ] = None,
) -> Response[dict[str, Any]]:
    explained = service.explain_reservation_access(
        tenant_id, reservation_id, player_id, lock_id, deps
    )
    if explained.player_refusal is not None:
        explained.view.decision.player_status = status_of(explained.player_refusal)
    return ok(explained.view)


# ---- tools: test member, test reservation, test unlock, migration report (issue 17) ----------
# Service code in access_core/admin/tools.py, bodies in access_core/admin/tools_models.py.


def unlock_dependencies() -> UnlockDependencies:
    return bootstrap.container().unlock


UnlockDeps = Annotated[UnlockDependencies, Depends(unlock_dependencies)]


@app.post(
    f"{TENANT}/tools/test-member",
    tags=[TAG],
    summary="Test member: what one email would get in Kisi now, without touching anyone",
    description="Runs the worker's decision for every member with this email (a family shares "
    "it): granted or not and why, the Kisi group, the valid_until Kisi would enforce, and the "
    "writes the worker would make now. Reads only; nothing is written or queued. The doors are "
    "those the Kisi group opens (as configured in Kisi).",
    responses=documented(MemberDryRunResponse, "The dry run", body=True),
)
def post_test_member(
    tenant_id: TenantId, request: MemberDryRunRequest, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(tools.dry_run_member(tenant_id, request, deps))


@app.post(
    f"{TENANT}/tools/test-reservation",
    tags=[TAG],
    summary="Test reservation: whether each player could open doors now, and which",
    description="The Unlock API's decision for each player on the reservation (or the one "
    "named): allowed or why not, the status the player's app would get, the access window and "
    "the doors players may open. Reads only.",
    responses=documented(ReservationDryRunResponse, "The dry run", body=True),
)
def post_test_reservation(
    tenant_id: TenantId, request: ReservationDryRunRequest, deps: AdminDeps
) -> Response[dict[str, Any]]:
    players = []
    for explained in tools.dry_run_reservation(tenant_id, request, deps):
        if explained.player_refusal is not None:
            explained.view.decision.player_status = status_of(explained.player_refusal)
        players.append(explained.view)
    return ok(
        ReservationDryRunResponse(
            tenant_id=tenant_id, reservation_id=request.reservation_id, players=players
        )
    )


@app.post(
    f"{TENANT}/tools/test-unlock",
    tags=[TAG],
    summary="Test unlock: really open one enabled door for the admin (audited)",
    description="Opens the door through Kisi with the club's key, as a player's unlock does: "
    "the door is claimed first (a repeat within seconds answers deduplicated without opening it "
    "again), Kisi's refusals answer as the Unlock API's do (423 locked down, 503 offline or "
    "unreachable, 403 refused by Kisi), and every attempt is audited (admin.test_unlock, "
    "admin.test_unlock_failed). 404 door_not_found, 409 door_not_enabled or kisi_not_connected.",
    responses=documented(AdminUnlockResponse, "The door opened", 409, 503, body=True),
)
def post_test_unlock(
    tenant_id: TenantId, request: AdminUnlockRequest, admin: AdminCaller, unlock: UnlockDeps
) -> Response[dict[str, Any]]:
    return ok(tools.admin_unlock(admin, request, unlock))


@app.get(
    f"{TENANT}/tools/migration-report",
    tags=[TAG],
    summary="Migration report: the club's Kisi users against its members, before cut-over",
    description="Lists the club's Kisi groups as the weekly sync does (1 Kisi call per 250 "
    "assignments) and compares them with the members: adopted (a Kisi user the bridge would "
    "manage), unmanaged (in the groups, no member has the email), duplicates (an email on two "
    "members, or on two Kisi users). Nothing is written. 409 when Kisi is not connected.",
    responses=documented(MigrationReportResponse, "The report", 409, 503),
)
def get_migration_report(tenant_id: TenantId, sync: SyncDeps) -> Response[dict[str, Any]]:
    return ok(tools.migration_report(tenant_id, sync))


# ---- check-in write-back: Kisi's event webhook signature key and the switch (issue 17) --------


def checkin_recorders() -> CheckinRecorders:
    return bootstrap.container().checkin_recorders


Recorders = Annotated[CheckinRecorders, Depends(checkin_recorders)]
KISI_EVENTS = "kisi"


@app.get(
    f"{TENANT}/kisi-event-secret",
    tags=[TAG],
    summary="Whether a signature key for Kisi's Event Webhook is stored, and until when",
    responses=documented(WebhookSecretsResponse, "The secret set's state (never the values)"),
)
def get_kisi_event_secret(tenant_id: TenantId, deps: AdminDeps) -> Response[dict[str, Any]]:
    return ok(service.get_platform_webhook_secrets(tenant_id, KISI_EVENTS, deps))


@app.put(
    f"{TENANT}/kisi-event-secret",
    tags=[TAG],
    summary="Store the signature key set on Kisi's Event Webhook integration (write-only)",
    description="Kisi signs each event with it (X-Signature, HMAC-SHA256 of the body); "
    "POST /webhooks/kisi/{tenant_id} accepts only events it verifies. The previous key stays "
    "accepted for overlap_hours (default 24). Never returned, never logged.",
    responses=documented(WebhookSecretsResponse, "Stored", body=True),
)
def put_kisi_event_secret(
    tenant_id: TenantId,
    request: PlatformWebhookSecretRequest,
    admin: AdminCaller,
    deps: AdminDeps,
) -> Response[dict[str, Any]]:
    return ok(service.set_platform_webhook_secret(tenant_id, KISI_EVENTS, request, admin, deps))


@app.get(
    f"{TENANT}/checkin-write-back",
    tags=[TAG],
    summary="Whether Kisi's unlocks are recorded as check-ins on the platform",
    responses=documented(CheckinWriteBackResponse, "The setting"),
)
def get_checkin_write_back(
    tenant_id: TenantId, deps: AdminDeps, recorders: Recorders
) -> Response[dict[str, Any]]:
    return ok(tools.checkin_write_back(tenant_id, deps, recorders))


@app.put(
    f"{TENANT}/checkin-write-back",
    tags=[TAG],
    summary="Turn the check-in write-back on or off (off by default)",
    description="On: each verified lock.unlock event of Kisi's Event Webhook that matches a "
    "member by email is recorded as a check-in on the club's platform, once per Kisi event; "
    "unmatched unlocks are left alone. 409 kisi_event_secret_missing until PUT "
    "/kisi-event-secret. PushPress's Platform API has no check-in creation: the answer says "
    "so (platform_records_checkins false) and events are answered not_recorded.",
    responses=documented(CheckinWriteBackResponse, "The setting as saved", 409, body=True),
)
def put_checkin_write_back(
    tenant_id: TenantId,
    request: CheckinWriteBackRequest,
    admin: AdminCaller,
    deps: AdminDeps,
    recorders: Recorders,
) -> Response[dict[str, Any]]:
    return ok(tools.set_checkin_write_back(tenant_id, request, admin, deps, recorders))


# ---- search, Kisi groups, dead letters, health (the console's lists) --------------------------


@app.get(
    f"{TENANT}/members",
    tags=[TAG],
    summary="Search the club's members (email, name, status, sync state), paged",
    description="With `email`: the members with that address (exact, any case; one page). "
    "Otherwise each page reads `limit` members in id order and answers those matching `name` (a "
    "part of it, any case), `status` and `sync_state`; follow `next_cursor` until it is null. A "
    "cursor this API did not answer is 422.",
    responses=documented(MembersPageResponse, "One page of matches"),
)
def get_members(
    tenant_id: TenantId,
    deps: AdminDeps,
    limit: PageSize = 50,
    cursor: Cursor = None,
    email: Annotated[str | None, Query(min_length=1, max_length=320)] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    status: Annotated[MembershipStatus | None, Query()] = None,
    sync_state: Annotated[SyncState | None, Query()] = None,
) -> Response[dict[str, Any]]:
    found = service.search_members(
        tenant_id,
        deps,
        email=email,
        member_filter=service.MemberFilter(name=name, status=status, sync_state=sync_state),
        limit=limit,
        cursor=cursor,
    )
    return ok(found)


@app.get(
    f"{TENANT}/reservations",
    tags=[TAG],
    summary="Search the club's reservations (player, time range), paged",
    description="Reservations are kept 30 days past their end. Each page reads `limit` "
    "reservations in id order and answers those with `player_id` that overlap [`from`, `to`] "
    "(ISO 8601 with an offset); follow `next_cursor` until it is null.",
    responses=documented(ReservationsPageResponse, "One page of matches"),
)
def get_reservations(
    tenant_id: TenantId,
    deps: AdminDeps,
    limit: PageSize = 50,
    cursor: Cursor = None,
    player_id: Annotated[str | None, Query(min_length=1, max_length=MAX_ID_LENGTH)] = None,
    since: Annotated[datetime | None, Query(alias="from", description="Ends at or after")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="Starts at or before")] = None,
) -> Response[dict[str, Any]]:
    _aware(**{"from": since, "to": until})
    found = service.search_reservations(
        tenant_id, deps, player_id=player_id, since=since, until=until, limit=limit, cursor=cursor
    )
    return ok(found)


@app.get(
    f"{TENANT}/kisi-groups",
    tags=[TAG],
    summary="The Kisi groups of the connected organisation, to pick a plan's group from",
    description="Lists the groups with the stored key (250 a Kisi call). 409 when Kisi is not "
    "connected or refuses the stored key (the tenant is then marked invalid_credentials); 503 "
    "when Kisi cannot be reached.",
    responses=documented(KisiGroupsResponse, "The groups", 409, 503),
)
def get_kisi_groups(tenant_id: TenantId, deps: AdminDeps) -> Response[dict[str, Any]]:
    return ok(service.list_kisi_groups(tenant_id, deps))


@app.get(
    f"{TENANT}/dead-letters",
    tags=[TAG],
    summary="This club's dead-lettered commands (the shared DLQ, filtered to this tenant)",
    description="Reads the shared command DLQ (at most 500 messages a look; `complete` false "
    "when it holds more) and answers this tenant's messages only, described by kind, member or "
    "plan and reason, never by body. Moves nothing. 503 when no DLQ is configured.",
    responses=documented(DeadLettersResponse, "This tenant's dead letters", 503),
)
def get_dead_letters(tenant_id: TenantId, deps: AdminDeps) -> Response[dict[str, Any]]:
    return ok(service.list_dead_letters(tenant_id, deps))


@app.post(
    f"{TENANT}/dead-letters/redrive",
    tags=[TAG],
    summary="Move this club's dead-lettered commands back to the command queue",
    description="All of this tenant's (`message_ids` null) or those named. Another tenant's "
    "message is never moved: a named id that is not this tenant's dead letter is answered in "
    "`not_found`. A message leaves the DLQ only once the command queue accepted its copy; the "
    "worker then converges from the current state. Audited (admin.dead_letters_redriven).",
    responses=documented(RedriveResponse, "What was moved", 503, body=True),
)
def post_dead_letters_redrive(
    tenant_id: TenantId, request: RedriveRequest, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(service.redrive_dead_letters(tenant_id, request, admin, deps))


@app.get(
    f"{TENANT}/health",
    tags=[TAG],
    summary="Command queue depth, this club's dead letters and recent Kisi errors",
    description="The command queue is shared by every tenant (its counts are totals); the dead "
    "letters are this tenant's; recent errors are the members whose last Kisi write failed "
    "(retried by the daily sync).",
    responses=documented(HealthResponse, "The health"),
)
def get_health(tenant_id: TenantId, deps: AdminDeps) -> Response[dict[str, Any]]:
    return ok(service.get_health(tenant_id, deps))


# ---- quarantine: revokes held by the mass-revoke circuit breaker (issue 17) -------------------


@app.get(
    f"{TENANT}/quarantine",
    tags=[TAG],
    summary="Revokes held by the mass-revoke circuit breaker, waiting for an admin",
    description="When more than the tenant's threshold (settings: mass_revoke_threshold_percent, "
    "default 20) of its members would lose access within an hour, the further revokes are held "
    "here and the members keep access. Page with `after` = the previous page's `next`.",
    responses=documented(QuarantinePageResponse, "One page of held revokes"),
)
def get_quarantine(
    tenant_id: TenantId,
    deps: AdminDeps,
    limit: Annotated[int, Query(ge=1, le=200, description="Revokes a page")] = 50,
    after: Annotated[
        str | None,
        Query(max_length=MAX_ID_LENGTH, description="`next` of the page before (a member id)"),
    ] = None,
) -> Response[dict[str, Any]]:
    return ok(quarantine.list_quarantine(tenant_id, deps, limit=limit, after=after))


@app.post(
    f"{TENANT}/quarantine/approve",
    tags=[TAG],
    summary="Apply held revokes (those named, or all)",
    description="Each member is converged again from its current state: one whose membership "
    "came back meanwhile keeps access. A member id with no held revoke is refused (422) and "
    "nothing is changed.",
    responses=documented(QuarantineDecisionResponse, "What was approved", body=True),
)
def post_quarantine_approve(
    tenant_id: TenantId, request: QuarantineDecisionRequest, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(quarantine.approve(tenant_id, request, admin, deps))


@app.post(
    f"{TENANT}/quarantine/reject",
    tags=[TAG],
    summary="Reject held revokes (those named, or all): the members keep access",
    description="The revokes are marked rejected and not applied until the platform sends a "
    "newer state for the member. A member id with no held revoke is refused (422) and nothing "
    "is changed.",
    responses=documented(QuarantineDecisionResponse, "What was rejected", body=True),
)
def post_quarantine_reject(
    tenant_id: TenantId, request: QuarantineDecisionRequest, admin: AdminCaller, deps: AdminDeps
) -> Response[dict[str, Any]]:
    return ok(quarantine.reject(tenant_id, request, admin, deps))


@powertools.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return refuse_oversized_body(event, MAX_BODY_BYTES) or app.resolve(event, context)
