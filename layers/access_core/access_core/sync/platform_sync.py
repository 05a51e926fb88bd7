"""The syncs' pull from a club's membership platform (PushPress): the I/O around the pure planner
of `platform_pull.py`. docs/sync.md ("Pulling from PushPress") tells the whole story.

A pull, per tenant and kind (daily, weekly), goes through three stages:

1. **listing**, page by page (`PullCursor`): daily, the enrollments of each status that can
   grant access; weekly, every enrollment and every customer. Each page's events are stored as
   they arrive (`SYNCOBS#pull-<pull id>#listed#...`, kept 8 days like the weekly's Kisi pages),
   then the pull's state (`SYNCRUN#<kind>#pull`).
2. **planning and feeding**: once every listing is read, the plan (`plan_daily` / `plan_weekly`
   against the members the bridge holds) is stored, and its events are fed through
   `store_platform_events`, the ordered, idempotent path webhooks take. Pulled records are
   versioned by the time their page was read: one read before a newer webhook was stored
   changes nothing (`stale`).
3. **fetching**: each member the plan names (held as entitled but no longer listed; or fed
   without a known email) is read on its own (`member_facts`: two calls) and fed the same way.

The state is saved after every page, every batch fed and every member fetched, so nothing is
lost when an invocation stops: at its budget (`PullBudget`), the caller hands the rest to a
queued step; when the platform is unavailable or fails, the pull is **paused** and the tenant's
next run of the same kind resumes it where it stopped (started within `RESUME_WITHIN`; older,
it starts over); when the platform refuses the key, the tenant's platform key is marked invalid.
A dry run lists and plans in memory, feeds and fetches nothing, stores nothing, and answers the
drift.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from access_core.domain.events import MemberProfileUpdated, MembershipUpserted, utc_iso
from access_core.domain.model import Tenant
from access_core.domain.ports import (
    Clock,
    CommandQueue,
    DirectoryPage,
    MetricsSink,
    PlatformAuthError,
    PlatformDirectory,
    PlatformError,
    PlatformUnavailable,
)
from access_core.infrastructure.storage import Stores, WriteResult
from access_core.membership.intake import IntakeSummary, store_platform_events
from access_core.sync.platform_pull import (
    DRY_RUN_REPORT_LIMIT,
    DriftKind,
    HeldMember,
    Listing,
    ListingKind,
    PullCursor,
    PullKind,
    PullPhase,
    PullPlan,
    plan_daily,
    plan_weekly,
)

logger = logging.getLogger(__name__)

# A pull not finished this long after it began starts over instead of resuming (its stored pages
# expire after 8 days; a day-old daily listing is still worth finishing, a week-old one is not).
RESUME_WITHIN = {PullKind.DAILY: timedelta(hours=36), PullKind.WEEKLY: timedelta(days=7)}
CALLS_PER_FETCH = 2  # PushPressDirectory.member_facts: the customer, then its enrollments
FEED_BATCH = 100
PLAN_CHUNK = 250
MEMBER_PAGE_SIZE = 500
STORED_REPORT_LIMIT = 50

PulledEvent = Annotated[MembershipUpserted | MemberProfileUpdated, Field(discriminator="type")]
_PULLED_EVENTS: TypeAdapter[list[PulledEvent]] = TypeAdapter(list[PulledEvent])


def pull_item(kind: PullKind) -> str:
    """The sync_runs name of a kind's pull state: `daily#pull`, `weekly#pull`."""
    return f"{kind.value}#pull"


@dataclass(frozen=True)
class PullBudget:
    """The most one invocation spends on a pull: platform calls (a page is one, a fetched member
    two; the client's retries count) and events fed (DynamoDB writes)."""

    calls: int
    events: int

    def __post_init__(self) -> None:
        if self.calls < CALLS_PER_FETCH or self.events < 1:
            raise ValueError(f"a pull budget allows at least {CALLS_PER_FETCH} calls and 1 event")


UNBOUNDED = PullBudget(calls=10**9, events=10**9)
# The scheduled function syncs every tenant in turn within 15 minutes: about a minute of
# PushPress's pace (2 calls/s) per tenant, the rest in queued steps of about 20 s each (the
# worker has 60 s), which run in the tenants' own message groups, side by side.
INLINE_PULL_BUDGET = PullBudget(calls=120, events=5_000)
STEP_PULL_BUDGET = PullBudget(calls=40, events=1_000)


class PullStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"  # the platform failed: the tenant's next run resumes the pull
    CREDENTIALS_INVALID = "credentials_invalid"  # the platform refused the key
    DONE = "done"


class PullOutcome(StrEnum):
    DONE = "done"
    MORE = "more"  # the budget ran out: continue in a queued step
    PAUSED = "paused"
    REFUSED = "refused"


class PullState(BaseModel):
    """A pull's progress, stored under `pull_item(kind)` between invocations and runs."""

    model_config = ConfigDict(extra="ignore")

    cursor: PullCursor
    run_id: str = Field(description="The sync run driving the pull now")
    run_started_at: AwareDatetime
    resumed_from: str | None = Field(
        default=None, description="The run that began the pull, when a later run resumed it"
    )
    step: int = Field(default=0, ge=0, description="The daily run's queued steps (dedup)")
    status: PullStatus = PullStatus.IN_PROGRESS
    plan_key: str | None = None
    feed_total: int = 0
    feed_offset: int = 0
    fetch_total: int = 0
    fetched: int = 0
    records_skipped: int = 0
    fed: dict[str, int] = Field(default_factory=lambda: {r.value: 0 for r in WriteResult})
    commands: int = 0
    drift: dict[str, int] = Field(default_factory=lambda: {k.value: 0 for k in DriftKind})
    drift_report: list[dict[str, str | None]] = Field(default_factory=list)
    drift_report_truncated: bool = False
    calls: int = Field(default=0, description="Platform calls over the whole pull")
    run_calls: int = Field(default=0, description="Those made by the run driving it now")
    error: str | None = None

    @classmethod
    def fresh(
        cls,
        tenant_id: str,
        kind: PullKind,
        *,
        run_id: str,
        started_at: datetime,
        granting_statuses: Sequence[str],
    ) -> Self:
        cursor = PullCursor.start(
            tenant_id,
            kind,
            run_id=run_id,
            started_at=started_at,
            granting_statuses=granting_statuses,
        )
        return cls(cursor=cursor, run_id=run_id, run_started_at=started_at)

    def resumable(self, now: datetime) -> bool:
        """Unfinished, and begun recently enough to be finished rather than started over."""
        if self.status is PullStatus.DONE:
            return False
        return now - self.cursor.started_at <= RESUME_WITHIN[self.cursor.kind]

    def resumed_by(self, run_id: str, started_at: datetime) -> Self:
        """The same pull, now driven by a later run (its counts go on; the run's own start)."""
        return self.model_copy(
            update={
                "run_id": run_id,
                "run_started_at": started_at,
                "resumed_from": self.resumed_from or self.cursor.run_id,
                "step": 0,
                "status": PullStatus.IN_PROGRESS,
                "run_calls": 0,
                "error": None,
            }
        )

    def report(self, drift_report: list[dict[str, str | None]] | None = None) -> dict[str, Any]:
        """The fields a sync run's result carries about its pull (no email: member ids only)."""
        cursor = self.cursor
        listing = cursor.current_listing
        report = self.drift_report if drift_report is None else drift_report
        drift_total = sum(self.drift.values())
        return {
            "platform_calls": self.run_calls,
            "pulled": {
                "pages": cursor.pages_read,
                "records": cursor.records_listed,
                "skipped": self.records_skipped,
                "fetched": self.fetched,
            },
            "fed": {**self.fed, "commands": self.commands},
            "platform_drift": {
                **self.drift,
                "total": drift_total,
                "report": report,
                "report_truncated": self.drift_report_truncated or len(report) < drift_total,
            },
            "platform": {
                "status": self.status.value,
                "pull_id": cursor.run_id,
                "resumed_from": self.resumed_from,
                "phase": cursor.phase.value,
                "listing": listing.label if listing is not None else None,
                "page": cursor.page if listing is not None else None,
                "to_feed": self.feed_total - self.feed_offset,
                "to_fetch": max(0, self.fetch_total - cursor.fetch_offset),
                "calls_total": self.calls,
                "error": self.error,
                "resumes": "next run" if self.status is PullStatus.PAUSED else None,
            },
        }


def load_pull_state(stores: Stores, tenant_id: str, kind: PullKind) -> PullState | None:
    stored = stores.sync_runs.get(tenant_id, pull_item(kind))
    return PullState.model_validate(stored) if stored else None


def access_plan_ids(stores: Stores, tenant_id: str) -> frozenset[str]:
    """The tenant's plans that carry 24-hour access (the admin's setting)."""
    return frozenset(
        stored.plan.plan_id
        for stored in stores.tenants.plans(tenant_id)
        if stored.plan.has_24h_access
    )


def held_members(stores: Stores, tenant_id: str) -> list[HeldMember]:
    """Every member the bridge holds for the tenant, as the planner compares them."""
    held: list[HeldMember] = []
    cursor: str | None = None
    while True:
        members, cursor = stores.members.page(tenant_id, cursor, MEMBER_PAGE_SIZE)
        held += [HeldMember.of(member) for member in members]
        if cursor is None:
            return held


def encode_events(events: Sequence[MembershipUpserted | MemberProfileUpdated]) -> list[Any]:
    return [event.model_dump(mode="json") for event in events]


def decode_events(items: Sequence[Any]) -> list[MembershipUpserted | MemberProfileUpdated]:
    return list(_PULLED_EVENTS.validate_python(list(items)))


@dataclass(frozen=True)
class PullContext:
    """What a pull reads and writes with (the sync's own dependencies)."""

    stores: Stores
    queue: CommandQueue
    clock: Clock
    metrics: MetricsSink


class PlatformPull:
    """One invocation's share of a tenant's pull: `advance(budget)` does what fits and saves.

    `converge`: queue each fed member's convergence as webhooks do (the weekly pull), or store
    only (the daily pull: the daily run's own Kisi pass, right after, queues every member whose
    platform data changed, these included, once).
    """

    def __init__(
        self,
        context: PullContext,
        tenant: Tenant,
        directory: PlatformDirectory,
        state: PullState,
        *,
        dry_run: bool,
        converge: bool,
        listed_here: bool,
    ) -> None:
        self._context = context
        self._tenant = tenant
        self._directory = directory
        self.state = state
        self.dry_run = dry_run
        self._converge = converge
        # Pages listed by this invocation from the first one: the plan needs no stored page.
        self._listed: list[MembershipUpserted | MemberProfileUpdated] | None = (
            [] if listed_here else None
        )
        self._feed: list[MembershipUpserted | MemberProfileUpdated] | None = None
        self._fetch: list[str] | None = None
        self.plan: PullPlan | None = None

    # ---- starting, resuming, continuing ---------------------------------------------------

    @classmethod
    def begin(
        cls,
        context: PullContext,
        tenant: Tenant,
        directory: PlatformDirectory,
        kind: PullKind,
        *,
        run_id: str,
        started_at: datetime,
        dry_run: bool,
    ) -> PlatformPull:
        """The pull of a new run: the tenant's unfinished one resumed, or a new one. A dry run
        always lists from the start, in memory."""
        converge = kind is PullKind.WEEKLY
        fresh = PullState.fresh(
            tenant.tenant_id,
            kind,
            run_id=run_id,
            started_at=started_at,
            granting_statuses=directory.granting_statuses,
        )
        if dry_run:
            return cls(
                context, tenant, directory, fresh, dry_run=True, converge=converge, listed_here=True
            )
        previous = load_pull_state(context.stores, tenant.tenant_id, kind)
        if previous is not None and previous.resumable(started_at):
            logger.info(
                "platform pull resumed",
                extra={"tenant_id": tenant.tenant_id, "pull_id": previous.cursor.run_id},
            )
            state, listed_here = previous.resumed_by(run_id, started_at), False
        else:
            state, listed_here = fresh, True
        pull = cls(
            context,
            tenant,
            directory,
            state,
            dry_run=False,
            converge=converge,
            listed_here=listed_here,
        )
        pull.save()
        return pull

    @classmethod
    def resume(
        cls,
        context: PullContext,
        tenant: Tenant,
        directory: PlatformDirectory,
        state: PullState,
    ) -> PlatformPull:
        """A queued step of the run that drives `state`."""
        converge = state.cursor.kind is PullKind.WEEKLY
        return cls(
            context, tenant, directory, state, dry_run=False, converge=converge, listed_here=False
        )

    def save(self) -> None:
        if not self.dry_run:
            self._context.stores.sync_runs.put(
                self._tenant.tenant_id,
                pull_item(self.state.cursor.kind),
                self.state.model_dump(mode="json"),
            )

    @property
    def failed(self) -> bool:
        return self.state.status in (PullStatus.PAUSED, PullStatus.CREDENTIALS_INVALID)

    def report(self) -> dict[str, Any]:
        if self.dry_run and self.plan is not None:
            return self.state.report(self.plan.drift_report(DRY_RUN_REPORT_LIMIT))
        return self.state.report()

    # ---- the work ---------------------------------------------------------------------------

    def advance(self, budget: PullBudget) -> PullOutcome:
        """Do up to `budget` of the pull and save where it stopped."""
        calls_before = self._directory.calls_made
        try:
            outcome = self._work(budget, calls_before)
        except PlatformAuthError as error:
            outcome = self._refused(error)
        except PlatformError as error:  # PlatformUnavailable, or anything else the API did
            outcome = self._paused(error)
        finally:
            spent = self._directory.calls_made - calls_before
            self.state.calls += spent
            self.state.run_calls += spent
            self.save()
        self._context.metrics.count("PlatformPullCalls", spent)
        return outcome

    def _work(self, budget: PullBudget, calls_before: int) -> PullOutcome:
        def calls() -> int:
            return self._directory.calls_made - calls_before

        state = self.state
        while state.cursor.phase is PullPhase.LISTING:
            if calls() >= budget.calls:
                return PullOutcome.MORE
            self._read_page()
        if state.plan_key is None and self.plan is None:
            self._make_plan()
        if self.dry_run:
            state.status = PullStatus.DONE
            return PullOutcome.DONE
        fed_here = 0
        while state.feed_offset < state.feed_total:
            if fed_here >= budget.events:
                return PullOutcome.MORE
            fed_here += self._feed_batch(min(FEED_BATCH, budget.events - fed_here))
        while state.cursor.phase is PullPhase.FETCHING:
            if state.fetch_total == 0:
                state.cursor = state.cursor.after_fetch(fetched=0, planned=0)
                break
            if calls() + CALLS_PER_FETCH > budget.calls:
                return PullOutcome.MORE
            self._fetch_one()
        state.status = PullStatus.DONE
        logger.info(
            "platform pull finished",
            extra={
                "tenant_id": self._tenant.tenant_id,
                "pull_id": state.cursor.run_id,
                "calls": state.calls,
                "drift": state.drift,
            },
        )
        return PullOutcome.DONE

    def _read_page(self) -> None:
        state = self.state
        cursor = state.cursor
        listing = cursor.current_listing
        assert listing is not None  # the listing phase has one
        page = self._list(listing, cursor.page)
        events = list(page.events)
        if self._listed is not None:
            self._listed += events
        if not self.dry_run:
            self._context.stores.sync_runs.put_observations(
                self._tenant.tenant_id,
                f"pull-{cursor.run_id}#listed",
                f"{cursor.listing_index:02d}#{cursor.page:06d}",
                encode_events(events),
            )
        state.records_skipped += len(page.skipped)
        state.cursor = cursor.after_page(listed=page.listed, next_page=page.next_page)
        self.save()

    def _list(self, listing: Listing, page: int) -> DirectoryPage:
        if listing.kind is ListingKind.CUSTOMERS:
            return self._directory.list_customers(page=page)
        return self._directory.list_enrollments(status=listing.status, page=page)

    def _listed_events(self) -> list[MembershipUpserted | MemberProfileUpdated]:
        if self._listed is not None:
            return self._listed
        stored = self._context.stores.sync_runs.observations(
            self._tenant.tenant_id, f"pull-{self.state.cursor.run_id}#listed"
        )
        return decode_events(stored)

    def _make_plan(self) -> None:
        """Compare what was listed with what the bridge holds; store the plan (not in a dry
        run), so that later invocations feed and fetch exactly it."""
        stores = self._context.stores
        tenant_id = self._tenant.tenant_id
        listed = self._listed_events()
        memberships = [e for e in listed if isinstance(e, MembershipUpserted)]
        profiles = [e for e in listed if isinstance(e, MemberProfileUpdated)]
        held = held_members(stores, tenant_id)
        plans = access_plan_ids(stores, tenant_id)
        if self.state.cursor.kind is PullKind.DAILY:
            plan = plan_daily(memberships, held, access_plan_ids=plans)
        else:
            plan = plan_weekly(memberships, profiles, held, access_plan_ids=plans)
        self.plan = plan
        state = self.state
        state.drift = plan.drift_counts()
        state.drift_report = plan.drift_report(STORED_REPORT_LIMIT)
        state.drift_report_truncated = len(plan.drift) > STORED_REPORT_LIMIT
        state.feed_total, state.feed_offset = len(plan.feed), 0
        state.fetch_total = len(plan.fetch)
        self._feed, self._fetch = list(plan.feed), list(plan.fetch)
        if self.dry_run:
            return
        key = f"pull-{state.cursor.run_id}#plan-{utc_iso(self._context.clock())}"
        for start in range(0, len(plan.feed), PLAN_CHUNK):
            chunk = plan.feed[start : start + PLAN_CHUNK]
            stores.sync_runs.put_observations(
                tenant_id, f"{key}#feed", f"{start:07d}", encode_events(chunk)
            )
        for start in range(0, len(plan.fetch), PLAN_CHUNK):
            ids = plan.fetch[start : start + PLAN_CHUNK]
            stores.sync_runs.put_observations(
                tenant_id, f"{key}#fetch", f"{start:07d}", [{"member_id": m} for m in ids]
            )
        state.plan_key = key
        self._context.metrics.count("PlatformPullDrift", len(plan.drift))
        self.save()

    def _feed_events(self) -> list[MembershipUpserted | MemberProfileUpdated]:
        if self._feed is None:
            assert self.state.plan_key is not None
            stored = self._context.stores.sync_runs.observations(
                self._tenant.tenant_id, f"{self.state.plan_key}#feed"
            )
            self._feed = decode_events(stored)
        return self._feed

    def _fetch_ids(self) -> list[str]:
        if self._fetch is None:
            assert self.state.plan_key is not None
            stored = self._context.stores.sync_runs.observations(
                self._tenant.tenant_id, f"{self.state.plan_key}#fetch"
            )
            self._fetch = [str(item["member_id"]) for item in stored]
        return self._fetch

    def _feed_batch(self, size: int) -> int:
        state = self.state
        batch = self._feed_events()[state.feed_offset : state.feed_offset + size]
        self._store(batch)
        state.feed_offset += len(batch)
        self.save()
        return len(batch)

    def _fetch_one(self) -> None:
        state = self.state
        member_id = self._fetch_ids()[state.cursor.fetch_offset]
        try:
            facts = self._directory.member_facts(member_id)
        except (PlatformAuthError, PlatformUnavailable):
            raise
        except PlatformError as error:
            # This member's records cannot be read (an answer of another shape): reported and
            # passed over, so that one record cannot hold the whole pull back.
            logger.warning(
                "platform member skipped",
                extra={
                    "tenant_id": self._tenant.tenant_id,
                    "member_id": member_id,
                    "error": str(error),
                },
            )
            state.records_skipped += 1
        else:
            self._store(facts.events())
            state.records_skipped += len(facts.skipped)
            state.fetched += 1
        state.cursor = state.cursor.after_fetch(fetched=1, planned=state.fetch_total)
        self.save()

    def _store(self, events: Sequence[Any]) -> None:
        if not events:
            return
        context = self._context
        summary: IntakeSummary = store_platform_events(
            context.stores, context.queue, self._tenant, events, converge=self._converge
        )
        for name, count in summary.counts.items():
            self.state.fed[name] = self.state.fed.get(name, 0) + count
        self.state.commands += summary.commands
        context.metrics.count("PlatformPullFed", summary.counts.get(WriteResult.APPLIED.value, 0))

    # ---- failures ---------------------------------------------------------------------------

    def _refused(self, error: PlatformAuthError) -> PullOutcome:
        """The platform refuses the key: marked invalid (every function stops using it until an
        admin connects a new one); the pull waits, resumable, for that."""
        now = self._context.clock()
        self.state.status = PullStatus.CREDENTIALS_INVALID
        self.state.error = "platform_credentials_invalid"
        logger.warning(
            "the platform refused the tenant's API key", extra={"tenant_id": self._tenant.tenant_id}
        )
        if not self.dry_run:
            self._context.stores.tenants.mark_platform_key_invalid(self._tenant.tenant_id, now)
        self._context.metrics.count("PlatformKeyRefused")  # as the worker counts it
        return PullOutcome.REFUSED

    def _paused(self, error: PlatformError) -> PullOutcome:
        kind = (
            "platform_unavailable" if isinstance(error, PlatformUnavailable) else "platform_error"
        )
        self.state.status = PullStatus.PAUSED
        self.state.error = f"{kind}: {error}"
        logger.warning(
            "platform pull paused; the next run resumes it",
            extra={"tenant_id": self._tenant.tenant_id, "error": self.state.error},
        )
        self._context.metrics.count("PlatformPullPaused")
        return PullOutcome.PAUSED
