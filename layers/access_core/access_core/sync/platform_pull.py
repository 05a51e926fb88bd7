"""Pulling a membership platform's own records into the bridge (PushPress): the pure planning. No
I/O: listings, held members and cursors in, what to feed, what to fetch and the drift out.

PushPress has no "changed since" filter and its records carry no modification time
(docs/pushpress-api.md), so a pull lists and compares:

- **daily**: the enrollments of each status that can grant access (the directory's
  `granting_statuses`: PushPress `active` and `pendcancel`), one listing per status;
- **weekly**: every enrollment (all statuses) and every customer (their emails).

The listed memberships are reduced to one per member (`preferred_membership`: a member may have
several enrollments, in one listing or across two) and compared with what the bridge holds:

- a member listed but unknown to the bridge, or listed with another status, plan or end date,
  is **fed** its listed state, through the same ordered, idempotent path as webhooks (versioned
  by the time the page was read: an older listed record changes nothing);
- a member the bridge holds as entitled but no longer listed (daily: its status left the
  granting ones; weekly: its enrollment or customer is gone) is **fetched** individually
  (`PlatformDirectory.member_facts`), which says its new status or that it is gone;
- a fed member whose email the bridge does not know is fetched too (its customer has the email;
  the daily pull lists no customers);
- weekly, a listed customer of a known member whose email or name differs is fed its profile.

A pull is resumable per tenant: `PullCursor` says which listing and page come next, then how far
the fetching went; it is a small pydantic model stored as a plain mapping (`to_item`). The listed
pages themselves are kept by the caller between invocations (a member's enrollments can lie on
several pages, so the plan is made once every listing is read). A dry run answers `drift`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from access_core.domain.events import (
    ACCESS_GRANTING_STATUSES,
    MemberProfileUpdated,
    MembershipStatus,
    MembershipUpserted,
    preferred_membership,
    utc_iso,
)
from access_core.domain.model import Member

DRY_RUN_REPORT_LIMIT = 200


class PullKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class ListingKind(StrEnum):
    ENROLLMENTS = "enrollments"
    CUSTOMERS = "customers"


class Listing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ListingKind
    status: str | None = Field(default=None, description="Enrollments of this status only")

    @property
    def label(self) -> str:
        return f"{self.kind.value}?status={self.status}" if self.status else self.kind.value


def daily_listings(granting_statuses: Iterable[str]) -> tuple[Listing, ...]:
    return tuple(Listing(kind=ListingKind.ENROLLMENTS, status=s) for s in granting_statuses)


def weekly_listings() -> tuple[Listing, ...]:
    return (Listing(kind=ListingKind.ENROLLMENTS), Listing(kind=ListingKind.CUSTOMERS))


class PullPhase(StrEnum):
    LISTING = "listing"
    FETCHING = "fetching"
    DONE = "done"


class PullCursor(BaseModel):
    """Where a tenant's pull stands: the listing and page to read next, then how many of the
    plan's members to fetch were fetched. Each step answers a new cursor (frozen)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    tenant_id: str
    kind: PullKind
    run_id: str
    started_at: AwareDatetime
    listings: tuple[Listing, ...]
    phase: PullPhase = PullPhase.LISTING
    listing_index: int = Field(default=0, ge=0)
    page: int = Field(default=1, ge=1)
    fetch_offset: int = Field(default=0, ge=0)
    pages_read: int = Field(default=0, ge=0)
    records_listed: int = Field(default=0, ge=0)
    step: int = Field(default=0, ge=0)

    @classmethod
    def start(
        cls,
        tenant_id: str,
        kind: PullKind,
        *,
        run_id: str,
        started_at: datetime,
        granting_statuses: Iterable[str] = (),
    ) -> Self:
        listings = (
            daily_listings(granting_statuses) if kind is PullKind.DAILY else weekly_listings()
        )
        return cls(
            tenant_id=tenant_id,
            kind=kind,
            run_id=run_id,
            started_at=started_at,
            listings=listings,
            phase=PullPhase.LISTING if listings else PullPhase.FETCHING,
        )

    @property
    def current_listing(self) -> Listing | None:
        if self.phase is not PullPhase.LISTING:
            return None
        return self.listings[self.listing_index]

    def after_page(self, *, listed: int, next_page: int | None) -> Self:
        """The cursor once the current page is read: the next page of the listing, else the
        first page of the next listing, else the fetching phase."""
        if self.phase is not PullPhase.LISTING:
            raise ValueError(f"no page to read in the {self.phase.value} phase")
        counts = {
            "pages_read": self.pages_read + 1,
            "records_listed": self.records_listed + listed,
            "step": self.step + 1,
        }
        if next_page is not None:
            if next_page <= self.page:
                raise ValueError("a listing's next page comes after the current one")
            return self.model_copy(update={**counts, "page": next_page})
        if self.listing_index + 1 < len(self.listings):
            return self.model_copy(
                update={**counts, "listing_index": self.listing_index + 1, "page": 1}
            )
        return self.model_copy(update={**counts, "phase": PullPhase.FETCHING, "page": 1})

    def after_fetch(self, *, fetched: int, planned: int) -> Self:
        """The cursor once `fetched` more of the plan's `planned` members were fetched."""
        if self.phase is not PullPhase.FETCHING:
            raise ValueError(f"nothing to fetch in the {self.phase.value} phase")
        offset = min(self.fetch_offset + fetched, planned)
        phase = PullPhase.DONE if offset >= planned else PullPhase.FETCHING
        return self.model_copy(
            update={"fetch_offset": offset, "phase": phase, "step": self.step + 1}
        )

    def to_item(self) -> dict[str, Any]:
        """Plain JSON values (text, integers, lists, maps): storable as a DynamoDB item's body."""
        return self.model_dump(mode="json")

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Self:
        return cls.model_validate(dict(item))


@dataclass(frozen=True)
class HeldMember:
    """What the bridge holds of a member, as far as a pull compares it."""

    member_id: str
    status: MembershipStatus
    plan_id: str | None = None
    cancellation_at: datetime | None = None
    email: str | None = None
    name: str = ""
    deleted: bool = False

    @classmethod
    def of(cls, member: Member) -> Self:
        return cls(
            member_id=member.member_id,
            status=member.status,
            plan_id=member.plan_id,
            cancellation_at=member.cancellation_at,
            email=member.email,
            name=member.name,
            deleted=member.deleted,
        )

    def entitled(self, access_plan_ids: Collection[str] | None) -> bool:
        """Held with a status (and, when given, a plan) that grants access."""
        if self.deleted or self.status not in ACCESS_GRANTING_STATUSES:
            return False
        return access_plan_ids is None or self.plan_id in access_plan_ids

    def differs_from(self, listed: MembershipUpserted) -> bool:
        return (
            self.deleted
            or self.status is not listed.status
            or self.plan_id != listed.plan_id
            or _instant(self.cancellation_at) != _instant(listed.cancellation_at)
        )


class DriftKind(StrEnum):
    NEW_MEMBER = "new_member"
    MEMBERSHIP_CHANGED = "membership_changed"
    PROFILE_CHANGED = "profile_changed"
    NOT_LISTED = "not_listed"


@dataclass(frozen=True)
class Drift:
    """One difference between the platform and the bridge (no email addresses: a report)."""

    member_id: str
    kind: DriftKind
    held: str | None
    listed: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "member_id": self.member_id,
            "kind": self.kind.value,
            "held": self.held,
            "listed": self.listed,
        }


@dataclass(frozen=True)
class PullPlan:
    kind: PullKind
    feed: tuple[MembershipUpserted | MemberProfileUpdated, ...]
    fetch: tuple[str, ...]
    drift: tuple[Drift, ...]

    def drift_counts(self) -> dict[str, int]:
        counts = dict.fromkeys((kind.value for kind in DriftKind), 0)
        for item in self.drift:
            counts[item.kind.value] += 1
        return counts

    def drift_report(self, limit: int = DRY_RUN_REPORT_LIMIT) -> list[dict[str, str | None]]:
        return [item.as_dict() for item in self.drift[:limit]]


def plan_daily(
    listed: Iterable[MembershipUpserted],
    held: Iterable[HeldMember],
    *,
    access_plan_ids: Collection[str] | None = None,
) -> PullPlan:
    """`listed`: every membership of the granting listings; `held`: the tenant's members."""
    return _plan(PullKind.DAILY, listed, None, held, access_plan_ids)


def plan_weekly(
    listed_memberships: Iterable[MembershipUpserted],
    listed_profiles: Iterable[MemberProfileUpdated],
    held: Iterable[HeldMember],
    *,
    access_plan_ids: Collection[str] | None = None,
) -> PullPlan:
    """`listed_memberships`: every enrollment; `listed_profiles`: every customer."""
    return _plan(PullKind.WEEKLY, listed_memberships, listed_profiles, held, access_plan_ids)


def _plan(
    kind: PullKind,
    memberships: Iterable[MembershipUpserted],
    profiles: Iterable[MemberProfileUpdated] | None,
    held_members: Iterable[HeldMember],
    access_plan_ids: Collection[str] | None,
) -> PullPlan:
    held = {member.member_id: member for member in held_members}
    by_member: dict[str, list[MembershipUpserted]] = {}
    for event in memberships:
        by_member.setdefault(event.member_id, []).append(event)
    listed_profiles = {event.member_id: event for event in profiles or ()}
    feed: list[MembershipUpserted | MemberProfileUpdated] = []
    drift: list[Drift] = []
    fetch: set[str] = set()
    for member_id in sorted(by_member):
        chosen = preferred_membership(by_member[member_id], access_plan_ids)
        assert chosen is not None  # every key has at least one membership
        known = held.get(member_id)
        if known is None or known.differs_from(chosen):
            feed.append(chosen)
            drift_kind = DriftKind.NEW_MEMBER if known is None else DriftKind.MEMBERSHIP_CHANGED
            drift.append(Drift(member_id, drift_kind, _membership(known), _listed(chosen)))
        if member_id not in listed_profiles and (known is None or known.email is None):
            fetch.add(member_id)  # its email: the customer is not (or not yet) listed
    for member_id in sorted(listed_profiles):
        profile = listed_profiles[member_id]
        known = held.get(member_id)
        if known is None and member_id not in by_member:
            continue  # a lead or a former customer without an enrollment: not a member
        if known is None or known.email != profile.email or known.name != profile.name:
            feed.append(profile)
            drift.append(Drift(member_id, DriftKind.PROFILE_CHANGED, None, None))
    for member_id in sorted(held):
        member = held[member_id]
        gone = member_id not in by_member or (
            profiles is not None and member_id not in listed_profiles
        )
        if gone and member.entitled(access_plan_ids):
            fetch.add(member_id)
            drift.append(Drift(member_id, DriftKind.NOT_LISTED, _membership(member), None))
    return PullPlan(kind=kind, feed=tuple(feed), fetch=tuple(sorted(fetch)), drift=tuple(drift))


def _instant(moment: datetime | None) -> str | None:
    return utc_iso(moment) if moment is not None else None


def _summary(status: MembershipStatus, plan_id: str | None, ends: datetime | None) -> str:
    text = f"{status.value} on {plan_id or 'no plan'}"
    return f"{text} until {utc_iso(ends)}" if ends is not None else text


def _membership(member: HeldMember | None) -> str | None:
    if member is None:
        return None
    if member.deleted:
        return "deleted"
    return _summary(member.status, member.plan_id, member.cancellation_at)


def _listed(event: MembershipUpserted) -> str:
    return _summary(event.status, event.plan_id, event.cancellation_at)
