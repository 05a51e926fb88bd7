"""The daily and weekly syncs (docs/sync.md). Both only enqueue ConvergeMember commands: the worker
does every Kisi write, paced in the tenant's message group. What they cost in Kisi calls:

- daily: one `GET /user` per tenant (the credentials check), nothing else;
- weekly: one `GET /role_assignments` per 250 assignments of each group the tenant uses, and then
  exactly the drift (the repair commands carry what the listing showed, so the worker neither
  looks anything up nor trusts a record a hand-made change made stale).

For a tenant whose platform API is connected (`SyncDependencies.platform_for`: PushPress), each
run first pulls the platform's own records (`platform_sync.py`): the daily one the enrollments
of the granting statuses, the weekly one every enrollment and customer, both fed through the
webhooks' ordered, idempotent write path; then it reconciles Kisi as above. A tenant without one
is synced exactly as before.

Both are resumable: a weekly run's state (a cursor item) is saved after every listed page and
every page of members, a pull's after every page, batch fed and member fetched, and the rest
continues as `WeeklySyncStep` commands in the tenant's message group (a daily run's steps carry
its `daily-...` run id), each a bounded amount of work, so no run depends on one invocation
finishing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, Field

from access_core.domain.commands import ConvergeMember, ObservedGrant, QueuedCommand, WeeklySyncStep
from access_core.domain.credentials import tenant_kisi_key
from access_core.domain.events import utc_iso
from access_core.domain.model import ConnectionState, Plan, Tenant
from access_core.domain.ports import (
    Clock,
    CommandQueue,
    MetricsSink,
    PlatformDirectory,
    SecretStore,
)
from access_core.infrastructure.storage import Stores
from access_core.membership.policy import decide_membership_access
from access_core.membership.reconciliation import (
    Drift,
    DriftKind,
    index_by_email,
    managed_emails,
    member_drift,
    observation_for,
    observed_grant,
)
from access_core.sync.platform_pull import PullKind
from access_core.sync.platform_sync import (
    INLINE_PULL_BUDGET,
    STEP_PULL_BUDGET,
    UNBOUNDED,
    PlatformPull,
    PullBudget,
    PullContext,
    PullOutcome,
    PullStatus,
    load_pull_state,
    pull_item,
)
from kisi_client import (
    MAX_OFFSET,
    KisiError,
    KisiForbidden,
    KisiIdentity,
    KisiInvalidCredentials,
    KisiRateLimited,
    KisiUnavailable,
    RoleAssignment,
)

logger = logging.getLogger(__name__)

DAILY = "daily"
WEEKLY = "weekly"
WEEKLY_CURSOR = "weekly#cursor"
# An admin's weekly dry run, run as a job from the queue: its state and, when done, its report.
WEEKLY_DRY_RUN = "weekly#dry"
DRY_RUN_ID_PREFIX = "weekly-dry-"
DRY_RUN_UNFINISHED = ("queued", "in_progress")
# A dry run that stopped this often without a result (too large for one worker invocation) is
# recorded as failed instead of being tried again.
DRY_RUN_ATTEMPTS = 2
DAILY_OVERLAP = timedelta(hours=2)
FIRST_DAILY_WINDOW = timedelta(days=1)
MEMBER_PAGE_SIZE = 500
DRIFT_REPORT_LIMIT = 200
STORED_DRIFT_LIMIT = 50
DEFAULT_RETRY_SECONDS = 30


class SyncKisi(Protocol):
    """The Kisi calls the syncs make with a tenant's key (structurally, a `KisiClient`)."""

    @property
    def total_requests(self) -> int: ...

    def validate_credentials(self) -> KisiIdentity: ...

    def group_assignments_page(
        self, group_id: int, offset: int = 0
    ) -> tuple[list[RoleAssignment], int | None]: ...


SyncKisiFactory = Callable[[Tenant, str], SyncKisi]


@dataclass(frozen=True)
class WeeklyBudget:
    """The most one invocation of a weekly run does before handing the rest to the queue."""

    pages: int
    members: int


@dataclass(frozen=True)
class SyncDependencies:
    stores: Stores
    queue: CommandQueue
    secrets: SecretStore
    kisi_for: SyncKisiFactory
    metrics: MetricsSink
    clock: Clock
    # The scheduled function (15 minutes): up to 100,000 assignments listed, 20,000 members
    # diffed (a few minutes at the worker's 4 Kisi calls/s); the rest goes to the queue.
    inline_budget: WeeklyBudget = WeeklyBudget(pages=400, members=20_000)
    # A queued step runs in the worker (60 s): about 5 s of listing or 2,000 members.
    step_budget: WeeklyBudget = WeeklyBudget(pages=20, members=2_000)
    daily_overlap: timedelta = DAILY_OVERLAP
    # The tenant's platform API (a PlatformDirectory) when it has one connected, else None.
    platform_for: Callable[[Tenant], PlatformDirectory | None] = lambda _tenant: None
    # A pull from the platform (PushPress, paced at 2 calls/s): the scheduled function spends
    # about a minute per tenant (it syncs every tenant in turn), a queued step about 20 s of
    # the worker's 60; events fed are DynamoDB writes.
    inline_pull_budget: PullBudget = INLINE_PULL_BUDGET
    step_pull_budget: PullBudget = STEP_PULL_BUDGET

    def pull_context(self) -> PullContext:
        return PullContext(self.stores, self.queue, self.clock, self.metrics)


def schedule_arguments(event: Mapping[str, Any]) -> tuple[list[str] | None, bool]:
    """A schedule's event: `{}` for every tenant, or `{"tenant_id": ..., "dry_run": ...}`."""
    tenant_id = event.get("tenant_id")
    return ([str(tenant_id)] if tenant_id else None), bool(event.get("dry_run", False))


def latest_sync_runs(stores: Stores, tenant_id: str) -> dict[str, dict[str, Any] | None]:
    """The last daily and weekly run of a tenant (one BatchGetItem), for the admin status."""
    return stores.sync_runs.latest(tenant_id, [DAILY, WEEKLY])


# ---- daily ------------------------------------------------------------------------------------


def run_daily_sync(
    deps: SyncDependencies, tenant_ids: Sequence[str] | None = None, *, dry_run: bool = False
) -> dict[str, Any]:
    """The daily sync of `tenant_ids` (every tenant when None). One tenant's failure is reported
    in its result and never stops the others."""
    ids = list(tenant_ids) if tenant_ids is not None else deps.stores.tenants.ids()
    results = []
    for tenant_id in ids:
        try:
            results.append(_daily_tenant(deps, tenant_id, dry_run=dry_run))
        except Exception as error:  # isolate tenants: reported, logged, counted
            logger.exception("daily sync failed for a tenant", extra={"tenant_id": tenant_id})
            failed = _DailyRun(tenant_id, deps.clock(), dry_run)
            failed.errors.append(f"{type(error).__name__}: {error}")
            # Keep the last success (the next window's start), when it can still be read.
            with contextlib.suppress(Exception):
                previous = deps.stores.sync_runs.get(tenant_id, DAILY) or {}
                failed.last_success = previous.get("last_success_started_at")
            results.append(failed.finish(deps, "failed", record=not dry_run))
    summary = _summary(DAILY, results)
    deps.metrics.count("DailySyncTenantsFailed", summary["failed"])
    return summary


class _DailyRun:
    def __init__(self, tenant_id: str, started: datetime, dry_run: bool) -> None:
        self.tenant_id = tenant_id
        self.started = started
        self.dry_run = dry_run
        self.counts = {
            "changed": 0,
            "unsynced": 0,
            "access_ended": 0,
            "members": 0,
            "reservations_cleaned": 0,
        }
        self.commands_enqueued = 0
        self.kisi_calls = 0
        self.connection_state: str | None = None
        self.window_since: datetime | None = None
        self.errors: list[str] = []
        self.last_success: str | None = None
        # The Kisi pass finished: the next run's window starts at this run's start.
        self.kisi_done = False
        # The pull from the tenant's platform (None: it has no platform API connected).
        self.platform: dict[str, Any] | None = None
        self.platform_failed = False

    @property
    def run_id(self) -> str:
        return f"{DAILY}-{utc_iso(self.started)}"

    def note_pull(self, pull: PlatformPull) -> None:
        self.platform = pull.report()
        if pull.failed and pull.state.error:
            self.platform_failed = True
            self.errors.append(pull.state.error)

    def finish(self, deps: SyncDependencies, status: str, *, record: bool) -> dict[str, Any]:
        result: dict[str, Any] = {
            "kind": DAILY,
            "tenant_id": self.tenant_id,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "status": status,
            "started_at": utc_iso(self.started),
            "finished_at": utc_iso(deps.clock()),
            "connection_state": self.connection_state,
            "changed_since": utc_iso(self.window_since) if self.window_since else None,
            "counts": dict(self.counts),
            "commands_enqueued": self.commands_enqueued,
            "kisi_calls": self.kisi_calls,
            "errors": list(self.errors),
            **(self.platform or {}),
        }
        if record:
            last_success = utc_iso(self.started) if self.kisi_done else self.last_success
            stored = {**result, "last_success_started_at": last_success}
            deps.stores.sync_runs.record_run(self.tenant_id, DAILY, stored)
        return result


def _daily_tenant(deps: SyncDependencies, tenant_id: str, *, dry_run: bool) -> dict[str, Any]:
    stores = deps.stores
    run = _DailyRun(tenant_id, deps.clock(), dry_run)
    tenant = stores.tenants.get(tenant_id)
    if tenant is None:
        run.errors.append("unknown tenant")
        return run.finish(deps, "skipped", record=False)
    previous = stores.sync_runs.get(tenant_id, DAILY) or {}
    run.last_success = previous.get("last_success_started_at")
    run.connection_state = tenant.connection_state.value
    api_key = tenant_kisi_key(deps.secrets, tenant, recheck_refused=True)
    if api_key is None:
        run.errors.append("kisi_not_connected")
        return run.finish(deps, "skipped", record=not dry_run)
    directory = deps.platform_for(tenant)
    if directory is not None:
        # First what the platform says (stored as webhooks store it), then Kisi as always.
        pull = PlatformPull.begin(
            deps.pull_context(),
            tenant,
            directory,
            PullKind.DAILY,
            run_id=run.run_id,
            started_at=run.started,
            dry_run=dry_run,
        )
        outcome = pull.advance(UNBOUNDED if dry_run else deps.inline_pull_budget)
        run.note_pull(pull)
        if outcome is PullOutcome.MORE:
            return _daily_to_queue(deps, tenant, run, pull)
    return _daily_kisi(deps, tenant, api_key, run)


def continue_daily_sync(deps: SyncDependencies, command: WeeklySyncStep) -> dict[str, Any] | None:
    """One queued step of a daily run's pull (`command.run_id` is the daily run's), then, once
    the pull is done, the run's Kisi pass. A step that is not the pull's next one does nothing."""
    stores = deps.stores
    tenant = stores.tenants.get(command.tenant_id)
    state = load_pull_state(stores, command.tenant_id, PullKind.DAILY)
    if (
        tenant is None
        or state is None
        or state.run_id != command.run_id
        or state.step != command.step
        or state.status is not PullStatus.IN_PROGRESS
    ):
        logger.info(
            "daily sync step skipped (not the run's next step)",
            extra={"tenant_id": command.tenant_id, "run_id": command.run_id, "step": command.step},
        )
        return None
    run = _DailyRun(tenant.tenant_id, state.run_started_at, False)
    previous = stores.sync_runs.get(tenant.tenant_id, DAILY) or {}
    run.last_success = previous.get("last_success_started_at")
    run.connection_state = tenant.connection_state.value
    api_key = tenant_kisi_key(deps.secrets, tenant, recheck_refused=True)
    if api_key is None:
        run.errors.append("kisi_not_connected")
        return run.finish(deps, "skipped", record=True)
    directory = deps.platform_for(tenant)
    if directory is None:
        # The platform's key was disconnected or refused meanwhile: the pull waits, resumable.
        state.status, state.error = PullStatus.PAUSED, "platform_not_connected"
        stores.sync_runs.put(
            tenant.tenant_id, pull_item(PullKind.DAILY), state.model_dump(mode="json")
        )
        run.platform = state.report()
        run.platform_failed = True
        run.errors.append("platform_not_connected")
    else:
        pull = PlatformPull.resume(deps.pull_context(), tenant, directory, state)
        outcome = pull.advance(deps.step_pull_budget)
        run.note_pull(pull)
        if outcome is PullOutcome.MORE:
            return _daily_to_queue(deps, tenant, run, pull)
    return _daily_kisi(deps, tenant, api_key, run)


def _daily_to_queue(
    deps: SyncDependencies, tenant: Tenant, run: _DailyRun, pull: PlatformPull
) -> dict[str, Any]:
    """The pull goes on as a queued step in the tenant's message group; the run's Kisi pass
    follows its last step. Recorded as in progress (the last success is kept)."""
    pull.state.step += 1
    pull.save()
    step = WeeklySyncStep(tenant_id=tenant.tenant_id, run_id=run.run_id, step=pull.state.step)
    deps.queue.send([QueuedCommand(step, tenant.message_group_id)])
    return run.finish(deps, "in_progress", record=True)


def _daily_kisi(
    deps: SyncDependencies, tenant: Tenant, api_key: str, run: _DailyRun
) -> dict[str, Any]:
    """The Kisi pass: the key check, then one command per member to converge again."""
    stores = deps.stores
    tenant_id = tenant.tenant_id
    dry_run = run.dry_run
    kisi = deps.kisi_for(tenant, api_key)
    calls_before = kisi.total_requests
    errors_before = len(run.errors)
    state = _check_credentials(kisi, tenant, run)
    run.kisi_calls = kisi.total_requests - calls_before
    run.connection_state = state.value
    checked = len(run.errors) == errors_before  # Kisi answered (either way)
    if not dry_run and checked:
        stores.tenants.record_connection_check(tenant_id, state, run.started)
    if state is ConnectionState.INVALID_CREDENTIALS:
        run.errors.append("credentials_invalid")
        deps.metrics.count("SyncCredentialsInvalid")
        return run.finish(deps, "failed", record=not dry_run)

    since = (
        datetime.fromisoformat(run.last_success)
        if run.last_success
        else run.started - FIRST_DAILY_WINDOW
    ) - deps.daily_overlap
    run.window_since = since
    # Members the pull just stored are among the changed (and unsynced) ones.
    changed = stores.members.changed_since(tenant_id, since)
    unsynced = stores.members.unsynced_ids(tenant_id)
    ended = stores.members.access_ending_between(tenant_id, since, run.started)
    member_ids = list(dict.fromkeys([*changed, *unsynced, *ended]))
    run.counts.update(
        changed=len(changed),
        unsynced=len(unsynced),
        access_ended=len(ended),
        members=len(member_ids),
    )
    cause = f"daily-{utc_iso(run.started)}"
    commands = [
        QueuedCommand(
            ConvergeMember(tenant_id=tenant_id, member_id=member_id, cause=cause),
            tenant.message_group_id,
        )
        for member_id in member_ids
    ]
    if not dry_run:
        deps.queue.send(commands)
        run.commands_enqueued = len(commands)
        run.counts["reservations_cleaned"] = stores.reservations.delete_expired(
            tenant_id, run.started
        )
    run.kisi_done = True
    deps.metrics.count("SyncCommandsEnqueued", run.commands_enqueued)
    deps.metrics.count("SyncKisiCalls", run.kisi_calls)
    status = "failed" if run.platform_failed else "succeeded"
    return run.finish(deps, status, record=not dry_run)


def _check_credentials(kisi: SyncKisi, tenant: Tenant, run: _DailyRun) -> ConnectionState:
    """One `GET /user`: the key's state now. Kisi unreachable keeps the recorded state."""
    try:
        kisi.validate_credentials()
    except (KisiInvalidCredentials, KisiForbidden):
        return ConnectionState.INVALID_CREDENTIALS
    except KisiError as error:
        run.errors.append(f"credentials check: {type(error).__name__}: {error}")
        return tenant.connection_state
    return ConnectionState.CONNECTED


def _summary(kind: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    def count(status: str) -> int:
        return sum(1 for r in results if r["status"] == status)

    return {
        "kind": kind,
        "tenants": len(results),
        "succeeded": count("succeeded"),
        "in_progress": count("in_progress"),
        "skipped": count("skipped"),
        "failed": count("failed"),
        "commands_enqueued": sum(int(r.get("commands_enqueued", 0)) for r in results),
        "kisi_calls": sum(int(r.get("kisi_calls", 0)) for r in results),
        "platform_calls": sum(int(r.get("platform_calls", 0)) for r in results),
        "results": results,
    }


# ---- weekly -----------------------------------------------------------------------------------


class WeeklyState(BaseModel):
    """A weekly run's progress: stored as the cursor item between invocations."""

    run_id: str
    tenant_id: str
    dry_run: bool = False
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    step: int = 0
    phase: Literal["pull", "list", "diff", "done"] = "list"
    status: str = "in_progress"
    groups: list[int] = Field(default_factory=list)
    group_index: int = 0
    offset: int = 0
    complete_groups: list[int] = Field(default_factory=list)
    truncated_groups: list[int] = Field(default_factory=list)
    member_cursor: str | None = None
    assignments_listed: int = 0
    managed_assignments: int = 0
    members_checked: int = 0
    drift: dict[str, int] = Field(default_factory=lambda: {kind.value: 0 for kind in DriftKind})
    commands_enqueued: int = 0
    kisi_calls: int = 0
    drift_report: list[dict[str, Any]] = Field(default_factory=list)
    drift_report_truncated: bool = False
    error: str | None = None
    # The pull from the tenant's platform, first (None: it has no platform API connected): its
    # report (PullState.report) and why it failed, if it did (the run then ends failed).
    platform: dict[str, Any] | None = None
    platform_error: str | None = None

    def result(self) -> dict[str, Any]:
        body = self.model_dump(
            mode="json",
            exclude={
                "step",
                "phase",
                "group_index",
                "offset",
                "member_cursor",
                "complete_groups",
                "platform",
                "platform_error",
            },
        )
        return {
            "kind": WEEKLY,
            **body,
            "unmanaged_assignments": max(0, self.assignments_listed - self.managed_assignments),
            "drift_total": sum(self.drift.values()),
            **(self.platform or {}),
        }


def run_weekly_sync(deps: SyncDependencies, tenant_id: str, *, dry_run: bool) -> dict[str, Any]:
    """Start (and, within the inline budget, finish) a weekly reconciliation of one tenant.

    A dry run does all of it in this call and changes nothing: no command, no stored state.
    """
    stores = deps.stores
    started = deps.clock()
    state = WeeklyState(
        run_id=f"weekly-{utc_iso(started)}",
        tenant_id=tenant_id,
        dry_run=dry_run,
        started_at=started,
    )
    tenant = stores.tenants.get(tenant_id)
    if tenant is None:
        return _weekly_end(deps, state, "skipped", "unknown tenant", record=False)
    api_key = tenant_kisi_key(deps.secrets, tenant)
    if api_key is None:
        reason = (
            "credentials_invalid"
            if tenant.connection_state is ConnectionState.INVALID_CREDENTIALS
            else "kisi_not_connected"
        )
        return _weekly_end(deps, state, "skipped", reason, record=not dry_run)
    state.groups = _groups_of(tenant, (stored.plan for stored in stores.tenants.plans(tenant_id)))
    directory = deps.platform_for(tenant)
    pull: PlatformPull | None = None
    if directory is not None:
        # First every enrollment and customer of the platform, then Kisi's listing.
        state.phase = "pull"
        pull = PlatformPull.begin(
            deps.pull_context(),
            tenant,
            directory,
            PullKind.WEEKLY,
            run_id=state.run_id,
            started_at=started,
            dry_run=dry_run,
        )
    if not dry_run:
        stores.sync_runs.put(tenant_id, WEEKLY_CURSOR, state.model_dump(mode="json"))
    if dry_run:
        return _advance(deps, tenant, api_key, state, _UNBOUNDED_WEEKLY, UNBOUNDED, pull)
    return _advance(deps, tenant, api_key, state, deps.inline_budget, deps.inline_pull_budget, pull)


def run_weekly_syncs(
    deps: SyncDependencies, tenant_ids: Sequence[str] | None = None, *, dry_run: bool = False
) -> dict[str, Any]:
    """The weekly sync of `tenant_ids` (every tenant when None), each isolated from the others."""
    ids = list(tenant_ids) if tenant_ids is not None else deps.stores.tenants.ids()
    results = []
    for tenant_id in ids:
        try:
            results.append(run_weekly_sync(deps, tenant_id, dry_run=dry_run))
        except Exception as error:  # isolate tenants: reported, logged, counted
            logger.exception("weekly sync failed for a tenant", extra={"tenant_id": tenant_id})
            results.append(
                {"kind": WEEKLY, "tenant_id": tenant_id, "status": "failed", "error": str(error)}
            )
    summary = _summary(WEEKLY, results)
    deps.metrics.count("WeeklySyncTenantsFailed", summary["failed"])
    return summary


def continue_weekly_sync(deps: SyncDependencies, command: WeeklySyncStep) -> dict[str, Any] | None:
    """One queued step of a weekly run; a step that is not the cursor's next one (a duplicate
    delivery, or a run replaced by a newer one) does nothing. A daily run's step (its run id
    starts with `daily-`: the daily pull goes on in the same kind of step) is the daily's."""
    if command.run_id.startswith(f"{DAILY}-"):
        return continue_daily_sync(deps, command)
    if command.run_id.startswith(DRY_RUN_ID_PREFIX):
        return run_queued_dry_run(deps, command)
    stores = deps.stores
    stored = stores.sync_runs.get(command.tenant_id, WEEKLY_CURSOR)
    if stored is None:
        return None
    state = WeeklyState.model_validate(stored)
    if state.run_id != command.run_id or state.step != command.step or state.phase == "done":
        logger.info(
            "weekly sync step skipped (not the run's next step)",
            extra={"tenant_id": command.tenant_id, "run_id": command.run_id, "step": command.step},
        )
        return None
    tenant = stores.tenants.get(command.tenant_id)
    api_key = tenant_kisi_key(deps.secrets, tenant) if tenant else None
    if tenant is None or api_key is None:
        return _weekly_end(deps, state, "failed", "kisi_not_connected", record=True)
    return _advance(deps, tenant, api_key, state, deps.step_budget, deps.step_pull_budget)


def _groups_of(tenant: Tenant, plans: Iterable[Plan]) -> list[int]:
    """Every group the tenant's access lives in: its default and each plan's (with or without
    24-hour access: a plan that lost it may still have members to remove)."""
    groups = {tenant.kisi_group_id} | {plan.kisi_group_id for plan in plans}
    return sorted(group for group in groups if group is not None)


_UNBOUNDED_WEEKLY = WeeklyBudget(pages=10**9, members=10**9)


class _Observations:
    """What the listing showed: in memory for this invocation, in the table between them."""

    def __init__(self, deps: SyncDependencies, state: WeeklyState) -> None:
        self._deps = deps
        self._state = state
        self._listed_here_from_start = state.group_index == 0 and state.offset == 0
        self.grants: list[ObservedGrant] = []

    def add_page(self, group_id: int, offset: int, grants: list[ObservedGrant]) -> None:
        self.grants += grants
        if not self._state.dry_run:
            self._deps.stores.sync_runs.put_observations(
                self._state.tenant_id,
                self._state.run_id,
                f"{group_id}#{offset:06d}",
                [grant.model_dump(mode="json") for grant in grants],
            )

    def all(self) -> list[ObservedGrant]:
        if self._listed_here_from_start or self._state.dry_run:
            grants = self.grants
        else:
            stored = self._deps.stores.sync_runs.observations(
                self._state.tenant_id, self._state.run_id
            )
            grants = [ObservedGrant.model_validate(item) for item in stored]
        # Assignments added or removed while listing shift Kisi's offsets: one may be seen twice.
        return list({grant.assignment_id: grant for grant in grants}.values())


def _advance(
    deps: SyncDependencies,
    tenant: Tenant,
    api_key: str,
    state: WeeklyState,
    budget: WeeklyBudget,
    pull_budget: PullBudget,
    pull: PlatformPull | None = None,
) -> dict[str, Any]:
    """Do up to `budget` of the run, save where it stopped and queue the next step (or finish)."""
    if state.phase == "pull" and _pull_more(deps, tenant, state, pull_budget, pull):
        return _weekly_next_step(deps, tenant, state)
    kisi = deps.kisi_for(tenant, api_key)
    calls_before = kisi.total_requests
    observations = _Observations(deps, state)
    try:
        finished = _list_pages(kisi, state, budget.pages, observations) and _diff_members(
            deps, tenant, state, budget.members, observations
        )
    except (KisiInvalidCredentials, KisiForbidden):
        state.kisi_calls += kisi.total_requests - calls_before
        if not state.dry_run:
            deps.stores.tenants.mark_kisi_credentials_invalid(tenant.tenant_id, deps.clock())
        deps.metrics.count("SyncCredentialsInvalid")
        return _weekly_end(deps, state, "failed", "credentials_invalid", record=not state.dry_run)
    except (KisiRateLimited, KisiUnavailable) as error:
        state.kisi_calls += kisi.total_requests - calls_before
        if state.dry_run:
            return _weekly_end(deps, state, "failed", f"kisi_unavailable: {error}", record=False)
        # Hand the rest to the queue: it resumes at the page that failed.
        logger.warning(
            "weekly sync paused on a Kisi fault",
            extra={"tenant_id": tenant.tenant_id, "error": str(error)},
        )
        finished = False
    else:
        state.kisi_calls += kisi.total_requests - calls_before
    if finished:
        status = "failed" if state.platform_error else "succeeded"
        return _weekly_end(deps, state, status, state.platform_error, record=not state.dry_run)
    return _weekly_next_step(deps, tenant, state)


def _weekly_next_step(deps: SyncDependencies, tenant: Tenant, state: WeeklyState) -> dict[str, Any]:
    state.step += 1
    deps.stores.sync_runs.put(tenant.tenant_id, WEEKLY_CURSOR, state.model_dump(mode="json"))
    step = WeeklySyncStep(tenant_id=tenant.tenant_id, run_id=state.run_id, step=state.step)
    deps.queue.send([QueuedCommand(step, tenant.message_group_id)])
    return state.result()


def _pull_more(
    deps: SyncDependencies,
    tenant: Tenant,
    state: WeeklyState,
    budget: PullBudget,
    pull: PlatformPull | None,
) -> bool:
    """The weekly run's pull, up to `budget`: True when more remains for the next step. Once it
    is done, or failed (the platform unavailable: the next weekly run resumes it; the key
    refused), the run goes on to Kisi's listing."""
    if pull is None:
        directory = deps.platform_for(tenant)
        stored = load_pull_state(deps.stores, tenant.tenant_id, PullKind.WEEKLY)
        if directory is None or stored is None or stored.run_id != state.run_id:
            # The platform's key was disconnected meanwhile (or another run took the pull over).
            state.platform_error = "platform_not_connected" if directory is None else None
            state.phase = "list"
            return False
        pull = PlatformPull.resume(deps.pull_context(), tenant, directory, stored)
    outcome = pull.advance(budget)
    state.platform = pull.report()
    if outcome is PullOutcome.MORE:
        return True
    if pull.failed:
        state.platform_error = pull.state.error
    state.phase = "list"
    return False


def _list_pages(
    kisi: SyncKisi, state: WeeklyState, max_pages: int, observations: _Observations
) -> bool:
    """List group pages until every group is read (True) or `max_pages` were read (False)."""
    pages = 0
    while state.phase == "list":
        if state.group_index >= len(state.groups):
            state.phase = "diff"
            break
        if pages >= max_pages:
            return False
        group_id = state.groups[state.group_index]
        assignments, following = kisi.group_assignments_page(group_id, state.offset)
        pages += 1
        grants = [grant for a in assignments if (grant := observed_grant(a)) is not None]
        observations.add_page(group_id, state.offset, grants)
        state.assignments_listed += len(grants)
        if following is not None and following <= MAX_OFFSET:
            state.offset = following
            continue
        if following is None:
            state.complete_groups.append(group_id)
        else:
            # Kisi serves no offset past 20,000: the rest of this group cannot be read, so
            # nothing in it is reported missing (only what was seen is compared).
            logger.warning(
                "Kisi group too large to list completely",
                extra={"tenant_id": state.tenant_id, "group_id": group_id},
            )
            state.truncated_groups.append(group_id)
        state.group_index += 1
        state.offset = 0
    return True


def _diff_members(
    deps: SyncDependencies,
    tenant: Tenant,
    state: WeeklyState,
    max_members: int,
    observations: _Observations,
) -> bool:
    """Compare members page by page with what was listed; queue a repair per drifted member.
    True when every member was compared."""
    stores = deps.stores
    grants = observations.all()
    by_email = index_by_email(grants)
    user_ids = {grant.email: grant.user_id for grant in grants if grant.user_id is not None}
    # Groups read to the end are compared fully; truncated ones only for what was seen.
    listed = frozenset(state.complete_groups)
    seen_groups = listed | frozenset(state.truncated_groups)
    plans = {stored.plan.plan_id: stored.plan for stored in stores.tenants.plans(tenant.tenant_id)}
    now = deps.clock()
    done = 0
    while state.phase == "diff":
        if done >= max_members:
            return False
        page_size = min(MEMBER_PAGE_SIZE, max_members - done)
        members, cursor = stores.members.page(tenant.tenant_id, state.member_cursor, page_size)
        commands: list[QueuedCommand] = []
        for member in members:
            plan = plans.get(member.plan_id) if member.plan_id else None
            decision = decide_membership_access(member, plan, tenant.kisi_group_id, now)
            emails = managed_emails(member, decision)
            state.managed_assignments += sum(
                1 for email in emails for g in by_email.get(email, ()) if g.group_id in seen_groups
            )
            drifts = [
                drift
                for drift in member_drift(member.member_id, decision, emails, by_email, seen_groups)
                if drift.kind is not DriftKind.MISSING_GRANT or drift.group_id in listed
            ]
            if not drifts:
                continue
            _count_drift(state, drifts)
            observed = observation_for(emails, by_email, user_ids, seen_groups, state.started_at)
            command = ConvergeMember(
                tenant_id=tenant.tenant_id,
                member_id=member.member_id,
                cause=f"weekly-{state.run_id}",
                observed=observed,
            )
            commands.append(QueuedCommand(command, tenant.message_group_id))
        if not state.dry_run:
            deps.queue.send(commands)
            state.commands_enqueued += len(commands)
        state.members_checked += len(members)
        done += len(members)
        state.member_cursor = cursor
        if cursor is None:
            state.phase = "done"
        elif not state.dry_run:
            # Saved after the page's commands were sent: a crash repeats at most this page,
            # whose commands SQS deduplicates (same body) and the worker finds already done.
            stores.sync_runs.put(tenant.tenant_id, WEEKLY_CURSOR, state.model_dump(mode="json"))
    return True


def _count_drift(state: WeeklyState, drifts: list[Drift]) -> None:
    for drift in drifts:
        state.drift[drift.kind.value] += 1
        if len(state.drift_report) < DRIFT_REPORT_LIMIT:
            state.drift_report.append(drift.report())
        else:
            state.drift_report_truncated = True


def _weekly_end(
    deps: SyncDependencies, state: WeeklyState, status: str, error: str | None, *, record: bool
) -> dict[str, Any]:
    state.phase = "done"
    state.status = status
    state.error = error
    state.finished_at = deps.clock()
    result = state.result()
    if record:
        stores = deps.stores
        stored = {**result, "drift_report": result["drift_report"][:STORED_DRIFT_LIMIT]}
        stored["drift_report_truncated"] = len(result["drift_report"]) > STORED_DRIFT_LIMIT or bool(
            result["drift_report_truncated"]
        )
        stores.sync_runs.record_run(state.tenant_id, WEEKLY, stored)
        stores.sync_runs.put(state.tenant_id, WEEKLY_CURSOR, state.model_dump(mode="json"))
    for kind, count in state.drift.items():
        deps.metrics.count(f"WeeklyDrift_{kind}", count)
    deps.metrics.count("SyncCommandsEnqueued", state.commands_enqueued)
    deps.metrics.count("SyncKisiCalls", state.kisi_calls)
    deps.metrics.count("SyncMembersChecked", state.members_checked)
    logger.info(
        "weekly sync finished",
        extra={
            "tenant_id": state.tenant_id,
            "status": status,
            "drift": state.drift,
            "kisi_calls": state.kisi_calls,
        },
    )
    return result


# ---- the weekly listing on its own (the admin's migration report) -----------------------------


@dataclass(frozen=True)
class GroupListing:
    """What the weekly sync's listing of the tenant's groups shows, read in one go."""

    groups: list[int]
    grants: list[ObservedGrant]
    truncated_groups: list[int]
    kisi_calls: int


def list_tenant_groups(
    deps: SyncDependencies, tenant: Tenant, plans: Iterable[Plan], api_key: str
) -> GroupListing:
    """Every assignment of the groups the tenant's access lives in (its default group and its
    `plans`' groups), listed as the weekly sync lists them (250 a call); nothing is stored or
    queued. Kisi's errors are raised."""
    state = WeeklyState(
        run_id="listing",
        tenant_id=tenant.tenant_id,
        dry_run=True,
        started_at=deps.clock(),
        groups=_groups_of(tenant, plans),
    )
    kisi = deps.kisi_for(tenant, api_key)
    calls_before = kisi.total_requests
    observations = _Observations(deps, state)
    _list_pages(kisi, state, _UNBOUNDED_WEEKLY.pages, observations)
    calls = kisi.total_requests - calls_before
    return GroupListing(state.groups, observations.all(), state.truncated_groups, calls)


# ---- an admin's weekly dry run, as a job ----------------------------------------------------


def start_weekly_dry_run(deps: SyncDependencies, tenant_id: str) -> dict[str, Any]:
    """Queue a weekly dry run of one tenant and answer at once (`status: queued`, its run id):
    a large club's dry run takes longer than an HTTP request may. The worker runs it as a
    `WeeklySyncStep` in the tenant's message group; its record (`weekly#dry`, the tenant's
    latest dry run) then says `in_progress` and finally holds the drift report. It changes
    nothing else: no command, no cursor, no other run's state."""
    started = deps.clock()
    record: dict[str, Any] = {
        "kind": WEEKLY,
        "tenant_id": tenant_id,
        "run_id": f"{DRY_RUN_ID_PREFIX}{utc_iso(started)}",
        "dry_run": True,
        "status": "queued",
        "started_at": utc_iso(started),
    }
    tenant = deps.stores.tenants.get(tenant_id)
    if tenant is None:
        return {**record, "status": "skipped", "error": "unknown tenant"}
    deps.stores.sync_runs.put(tenant_id, WEEKLY_DRY_RUN, record)
    step = WeeklySyncStep(tenant_id=tenant_id, run_id=record["run_id"], step=1)
    deps.queue.send([QueuedCommand(step, tenant.message_group_id)])
    return record


def run_queued_dry_run(deps: SyncDependencies, command: WeeklySyncStep) -> dict[str, Any] | None:
    """The queued dry run named by `command`, unless a newer one replaced it or it already ran
    (a duplicate delivery)."""
    stores = deps.stores
    stored = stores.sync_runs.get(command.tenant_id, WEEKLY_DRY_RUN)
    if (
        stored is None
        or stored.get("run_id") != command.run_id
        or stored["status"] not in DRY_RUN_UNFINISHED
    ):
        logger.info(
            "dry run step skipped (replaced or already run)",
            extra={"tenant_id": command.tenant_id, "run_id": command.run_id},
        )
        return None
    # `in_progress` here: an earlier delivery stopped (the worker timed out) before recording a
    # result; SQS hands a FIFO group's message out again only once that invocation is over.
    attempts = int(stored.get("attempts", 0)) + 1
    if attempts > DRY_RUN_ATTEMPTS:
        ended = {**stored, "status": "failed", "error": "dry_run_did_not_finish"}
        stores.sync_runs.put(command.tenant_id, WEEKLY_DRY_RUN, ended)
        return ended
    running = {**stored, "status": "in_progress", "attempts": attempts}
    stores.sync_runs.put(command.tenant_id, WEEKLY_DRY_RUN, running)
    try:
        result = run_weekly_sync(deps, command.tenant_id, dry_run=True)
    except Exception as error:  # recorded for the admin who waits for it; nothing to retry
        logger.exception("dry run failed", extra={"tenant_id": command.tenant_id})
        result = {**running, "status": "failed", "error": f"{type(error).__name__}: {error}"}
    # The job keeps the id and start the admin was answered.
    finished = {**result, "run_id": command.run_id, "started_at": stored["started_at"]}
    stores.sync_runs.put(command.tenant_id, WEEKLY_DRY_RUN, finished)
    return finished
