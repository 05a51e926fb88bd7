"""The pull planner (access_core/sync/platform_pull.py): what a daily or weekly pull feeds, what it
fetches, the drift it reports, and the resumable cursor. Pure, so mostly properties."""

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_core.domain.events import (
    ACCESS_GRANTING_STATUSES,
    MemberProfileUpdated,
    MembershipStatus,
    MembershipUpserted,
    preferred_membership,
)
from access_core.domain.model import Member
from access_core.sync.platform_pull import (
    DriftKind,
    HeldMember,
    Listing,
    ListingKind,
    PullCursor,
    PullKind,
    PullPhase,
    plan_daily,
    plan_weekly,
)

READ_AT = datetime(2026, 11, 2, 3, 15, tzinfo=UTC)
ENDS = datetime(2026, 12, 1, tzinfo=UTC)
ACCESS_PLAN = "p24"
SETTINGS = settings(max_examples=200, deadline=None)

member_ids = st.sampled_from([f"m{n}" for n in range(6)])
plans = st.sampled_from([ACCESS_PLAN, "classes", None])
statuses = st.sampled_from(list(MembershipStatus))
emails = st.sampled_from(["a@example.com", "b@example.com", None])


@st.composite
def listed_memberships(draw: st.DrawFn, granting_only: bool = False) -> MembershipUpserted:
    status = draw(st.sampled_from(sorted(ACCESS_GRANTING_STATUSES)) if granting_only else statuses)
    return MembershipUpserted(
        event_id=f"pull-{draw(st.integers(0, 999))}",
        updated_at=READ_AT,
        member_id=draw(member_ids),
        plan_id=draw(plans),
        status=status,
        cancellation_at=draw(st.sampled_from([None, ENDS]))
        if status is MembershipStatus.PENDING_CANCEL
        else None,
    )


@st.composite
def held_members(draw: st.DrawFn) -> list[HeldMember]:
    ids = draw(st.lists(member_ids, unique=True, max_size=6))
    return [
        HeldMember(
            member_id=member_id,
            status=draw(statuses),
            plan_id=draw(plans),
            cancellation_at=draw(st.sampled_from([None, ENDS])),
            email=draw(emails),
            name=draw(st.sampled_from(["", "Ann"])),
            deleted=draw(st.booleans()),
        )
        for member_id in ids
    ]


@st.composite
def listed_profiles(draw: st.DrawFn) -> list[MemberProfileUpdated]:
    ids = draw(st.lists(member_ids, unique=True, max_size=6))
    return [
        MemberProfileUpdated(
            event_id=f"c-{member_id}",
            updated_at=READ_AT,
            member_id=member_id,
            email=draw(st.sampled_from(["a@example.com", "b@example.com"])),
            name=draw(st.sampled_from(["", "Ann"])),
        )
        for member_id in ids
    ]


access_plans = st.sampled_from([None, frozenset({ACCESS_PLAN})])


def applied(
    held: list[HeldMember], feed: Iterable[MembershipUpserted | MemberProfileUpdated]
) -> list[HeldMember]:
    """The held members once the fed events are stored (what the ordered write path does)."""
    members = {m.member_id: m for m in held}
    for event in feed:
        before = members.get(event.member_id)
        if isinstance(event, MembershipUpserted):
            members[event.member_id] = HeldMember(
                member_id=event.member_id,
                status=event.status,
                plan_id=event.plan_id,
                cancellation_at=event.cancellation_at,
                email=before.email if before else None,
                name=before.name if before else "",
            )
        else:
            base = before or HeldMember(event.member_id, MembershipStatus.PENDING_ACTIVE)
            members[event.member_id] = HeldMember(
                base.member_id,
                base.status,
                base.plan_id,
                base.cancellation_at,
                event.email,
                event.name,
                base.deleted,
            )
    return list(members.values())


@SETTINGS
@given(
    listed=st.lists(listed_memberships(granting_only=True), max_size=10),
    held=held_members(),
    access_plan_ids=access_plans,
)
def test_daily_plan_properties(
    listed: list[MembershipUpserted],
    held: list[HeldMember],
    access_plan_ids: frozenset[str] | None,
) -> None:
    plan = plan_daily(listed, held, access_plan_ids=access_plan_ids)
    by_member: dict[str, list[MembershipUpserted]] = {}
    for event in listed:
        by_member.setdefault(event.member_id, []).append(event)
    known = {m.member_id: m for m in held}

    fed = [e for e in plan.feed if isinstance(e, MembershipUpserted)]
    assert len({e.member_id for e in fed}) == len(fed) == len(plan.feed)  # one per member
    for event in fed:
        assert event == preferred_membership(by_member[event.member_id], access_plan_ids)
    for member_id, events in by_member.items():
        chosen = preferred_membership(events, access_plan_ids)
        assert chosen is not None
        held_member = known.get(member_id)
        should_feed = held_member is None or held_member.differs_from(chosen)
        assert (chosen in plan.feed) == should_feed
    # Entitled but no longer listed: fetched; listed without a known email: fetched.
    for member in held:
        if member.entitled(access_plan_ids) and member.member_id not in by_member:
            assert member.member_id in plan.fetch
    for member_id in plan.fetch:
        found = known.get(member_id)
        unlisted_entitled = found is not None and found.entitled(access_plan_ids)
        email_unknown = member_id in by_member and (found is None or found.email is None)
        assert unlisted_entitled or email_unknown
    assert list(plan.fetch) == sorted(set(plan.fetch))
    not_listed = {d.member_id for d in plan.drift if d.kind is DriftKind.NOT_LISTED}
    assert not_listed == {
        m.member_id for m in held if m.entitled(access_plan_ids) and m.member_id not in by_member
    }
    # Once the feed is stored, the same listing feeds nothing more.
    again = plan_daily(listed, applied(held, plan.feed), access_plan_ids=access_plan_ids)
    assert again.feed == ()


@SETTINGS
@given(
    listed=st.lists(listed_memberships(), max_size=10),
    profiles=listed_profiles(),
    held=held_members(),
    access_plan_ids=access_plans,
)
def test_weekly_plan_properties(
    listed: list[MembershipUpserted],
    profiles: list[MemberProfileUpdated],
    held: list[HeldMember],
    access_plan_ids: frozenset[str] | None,
) -> None:
    plan = plan_weekly(listed, profiles, held, access_plan_ids=access_plan_ids)
    listed_ids = {e.member_id for e in listed}
    profile_ids = {p.member_id for p in profiles}
    known = {m.member_id: m for m in held}

    for event in plan.feed:
        if isinstance(event, MemberProfileUpdated):
            # Only the profiles of members: a customer without an enrollment is not one.
            assert event.member_id in known or event.member_id in listed_ids
    for member in held:
        gone = member.member_id not in listed_ids or member.member_id not in profile_ids
        assert (member.member_id in plan.fetch) >= (gone and member.entitled(access_plan_ids))
    counts = plan.drift_counts()
    assert sum(counts.values()) == len(plan.drift)
    again = plan_weekly(listed, profiles, applied(held, plan.feed), access_plan_ids=access_plan_ids)
    assert again.feed == ()


def held(
    member_id: str,
    status: MembershipStatus,
    plan: str | None = ACCESS_PLAN,
    *,
    cancellation_at: datetime | None = None,
    deleted: bool = False,
) -> HeldMember:
    return HeldMember(
        member_id, status, plan, cancellation_at, "a@example.com", "", deleted=deleted
    )


def listed(
    member_id: str,
    status: MembershipStatus,
    plan: str | None = ACCESS_PLAN,
    cancellation_at: datetime | None = None,
) -> MembershipUpserted:
    return MembershipUpserted(
        event_id=f"pull-{member_id}",
        updated_at=READ_AT,
        member_id=member_id,
        plan_id=plan,
        status=status,
        cancellation_at=cancellation_at,
    )


def test_a_lost_cancellation_is_found_by_the_daily_pull() -> None:
    """The member was cancelled in PushPress, the webhook was lost: the bridge still holds it
    active, PushPress's active listing no longer has it, so it is fetched."""
    plan = plan_daily(
        [listed("m1", MembershipStatus.ACTIVE)],
        [held("m1", MembershipStatus.ACTIVE), held("m2", MembershipStatus.ACTIVE)],
    )
    assert plan.feed == ()
    assert plan.fetch == ("m2",)
    assert [(d.member_id, d.kind) for d in plan.drift] == [("m2", DriftKind.NOT_LISTED)]


def test_a_member_created_while_webhooks_were_down_is_fed_and_its_email_fetched() -> None:
    new = listed("m9", MembershipStatus.ACTIVE)
    plan = plan_daily([new], [])
    assert plan.feed == (new,)
    assert plan.fetch == ("m9",)
    assert plan.drift_report() == [
        {"member_id": "m9", "kind": "new_member", "held": None, "listed": "active on p24"}
    ]


def test_a_changed_end_date_is_drift_and_the_same_state_is_not() -> None:
    ends = listed("m1", MembershipStatus.PENDING_CANCEL, cancellation_at=ENDS)
    plan = plan_daily([ends], [held("m1", MembershipStatus.PENDING_CANCEL)])
    assert plan.feed == (ends,)
    assert plan.drift[0].kind is DriftKind.MEMBERSHIP_CHANGED
    same = held("m1", MembershipStatus.PENDING_CANCEL, cancellation_at=ENDS + timedelta(0))
    assert plan_daily([ends], [same]).feed == ()


def test_members_not_entitled_are_not_fetched_when_unlisted() -> None:
    plan = plan_daily(
        [],
        [
            held("m1", MembershipStatus.PAUSED),
            held("m2", MembershipStatus.ACTIVE, deleted=True),
            held("m3", MembershipStatus.ACTIVE, plan="classes"),
        ],
        access_plan_ids={ACCESS_PLAN},
    )
    assert plan.fetch == ()


def test_weekly_feeds_changed_emails_and_fetches_members_whose_customer_is_gone() -> None:
    profile = MemberProfileUpdated(
        event_id="c1", updated_at=READ_AT, member_id="m1", email="new@example.com"
    )
    lead = MemberProfileUpdated(
        event_id="c9", updated_at=READ_AT, member_id="lead", email="lead@example.com"
    )
    plan = plan_weekly(
        [listed("m1", MembershipStatus.ACTIVE), listed("m2", MembershipStatus.ACTIVE)],
        [profile, lead],
        [held("m1", MembershipStatus.ACTIVE), held("m2", MembershipStatus.ACTIVE)],
    )
    assert plan.feed == (profile,)
    assert plan.fetch == ("m2",)


def test_held_members_come_from_the_stored_model() -> None:
    member = Member(
        tenant_id="t",
        member_id="m1",
        email="a@example.com",
        status=MembershipStatus.ACTIVE,
        plan_id=ACCESS_PLAN,
        platform_updated_at=READ_AT,
    )
    assert HeldMember.of(member) == held("m1", MembershipStatus.ACTIVE)


# --- the cursor ---------------------------------------------------------------------------------


def test_the_listings_of_each_kind() -> None:
    daily = PullCursor.start(
        "t", PullKind.DAILY, run_id="r", started_at=READ_AT, granting_statuses=("active", "x")
    )
    assert [listing.label for listing in daily.listings] == [
        "enrollments?status=active",
        "enrollments?status=x",
    ]
    weekly = PullCursor.start("t", PullKind.WEEKLY, run_id="r", started_at=READ_AT)
    assert weekly.listings == (
        Listing(kind=ListingKind.ENROLLMENTS),
        Listing(kind=ListingKind.CUSTOMERS),
    )


@SETTINGS
@given(
    kind=st.sampled_from(list(PullKind)),
    pages=st.lists(st.integers(0, 4), min_size=2, max_size=2),
    fetch_total=st.integers(0, 30),
    chunks=st.lists(st.integers(1, 10), min_size=1, max_size=40),
)
def test_a_cursor_reads_every_page_of_every_listing_in_order_then_fetches(
    kind: PullKind, pages: list[int], fetch_total: int, chunks: list[int]
) -> None:
    cursor = PullCursor.start(
        "club-1",
        kind,
        run_id="run-1",
        started_at=READ_AT,
        granting_statuses=("active", "pendcancel"),
    )
    visited = []
    while cursor.phase is PullPhase.LISTING:
        listing = cursor.current_listing
        assert listing is not None
        full_pages = pages[cursor.listing_index]
        visited.append((cursor.listing_index, cursor.page))
        last = cursor.page > full_pages  # the empty page that ends a listing
        cursor = cursor.after_page(
            listed=0 if last else 100, next_page=None if last else cursor.page + 1
        )
        # Stored and read back (DynamoDB answers numbers as Decimal): the same cursor.
        item = json.loads(json.dumps(cursor.to_item()))
        assert PullCursor.from_item(item) == cursor
        as_stored = {k: Decimal(v) if isinstance(v, int) else v for k, v in item.items()}
        assert PullCursor.from_item(as_stored) == cursor
    expected = [(i, p) for i in range(len(cursor.listings)) for p in range(1, pages[i] + 2)]
    assert visited == expected
    assert cursor.records_listed == 100 * sum(pages[: len(cursor.listings)])
    assert cursor.phase is PullPhase.FETCHING
    fetch_steps = 0
    for chunk in chunks:
        if done(cursor):
            break
        cursor = cursor.after_fetch(fetched=chunk, planned=fetch_total)
        fetch_steps += 1
        assert cursor.fetch_offset <= fetch_total
    if sum(chunks) >= fetch_total:
        assert cursor.phase is PullPhase.DONE
        assert cursor.fetch_offset == fetch_total
    assert cursor.step == len(visited) + fetch_steps
    assert cursor.pages_read == len(visited)


def done(cursor: PullCursor) -> bool:
    return cursor.phase is PullPhase.DONE


def test_a_cursor_refuses_steps_out_of_phase_or_order() -> None:
    cursor = PullCursor.start("t", PullKind.WEEKLY, run_id="r", started_at=READ_AT)
    with pytest.raises(ValueError, match="nothing to fetch"):
        cursor.after_fetch(fetched=1, planned=1)
    with pytest.raises(ValueError, match="after the current"):
        cursor.after_page(listed=1, next_page=1)
    done = cursor.after_page(listed=0, next_page=None).after_page(listed=0, next_page=None)
    done = done.after_fetch(fetched=0, planned=0)
    assert done.phase is PullPhase.DONE
    with pytest.raises(ValueError, match="no page"):
        done.after_page(listed=0, next_page=None)
