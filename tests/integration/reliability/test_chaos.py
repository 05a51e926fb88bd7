"""Chaos property: whatever platform events arrive, duplicated and in any order, while Kisi throws
429s, 5xx, timeouts and an outage, once Kisi is healthy again and the command queue has drained,
Kisi holds exactly the access the policy decides for the stored platform state.

Hypothesis draws the events, their delivery order, the duplicates and the faults; the run is
derandomized (the same examples every run) and small, so that it stays within CI's budget.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from access_core import bootstrap
from access_core.domain.model import RevokeMode
from access_core.membership.policy import MembershipDecision, decide_membership_access
from kisi_emulator.server import RunningEmulator
from kisi_emulator.testing import kisi_headers
from tests.integration.harness import (
    API_KEY,
    DAY_PASS_PLAN,
    GOLD_PLAN,
    T0,
    TENANT_ID,
    UNMANAGED_EMAIL,
    Club,
    make_club,
    restored_environment,
)

from .conftest import UnpacedKisiClient

MEMBERS = ("m1", "m2", "m3", "m4")
PLANS = (GOLD_PLAN, DAY_PASS_PLAN)
STATUSES = ("active", "pending_cancel", "pending_active", "paused", "expired", "cancelled")
# Statuses as drawn: granting ones more often, so that grants, changes and revokes all happen.
DRAWN_STATUSES = ("active",) * 5 + ("pending_cancel",) * 3 + STATUSES[2:] + ("deleted",)
RESERVATIONS = ("r1", "r2")
# A Kisi user that exists before the bridge sees its member: adopted, never deleted.
ADOPTED_EMAIL = "m3@example.com"
# Polls that fail messages stay below the queue's maxReceiveCount (10) while faults are on.
MAX_FAILED_POLLS = 8


def member_emails(member_id: str) -> tuple[str, str]:
    """Each member has its own addresses (one Kisi user per email): the first and a changed one."""
    return (f"{member_id}@example.com", f"{member_id}.new@example.com")


MANAGED_EMAILS = frozenset(e for m in MEMBERS for e in member_emails(m))


# ---- what the platform sends ------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformEvent:
    """One platform change; `tick` orders the platform's own updated_at (unique per event)."""

    kind: str
    subject: str
    fields: tuple[tuple[str, Any], ...] = ()

    def envelope(self, tick: int, event_id: str, now: datetime) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.fields)
        updated_at = T0 + timedelta(minutes=tick)
        match self.kind:
            case "membership.upserted":
                email_index = data.pop("email_index")
                cancellation = data.pop("cancellation_days")
                data |= {
                    "member_id": self.subject,
                    "email": member_emails(self.subject)[email_index],
                    "name": self.subject.title(),
                }
                if cancellation is not None:
                    data["cancellation_at"] = (now + timedelta(days=cancellation)).isoformat()
            case "membership.deleted":
                data["member_id"] = self.subject
            case "plan.updated":
                data["plan_id"] = self.subject
                data["name"] = self.subject
            case "reservation.upserted":
                start = now + timedelta(days=data.pop("start_days"))
                data |= {
                    "reservation_id": self.subject,
                    "court": "Court 1",
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=1)).isoformat(),
                }
            case "reservation.cancelled":
                data["reservation_id"] = self.subject
        data["updated_at"] = updated_at.isoformat()
        return {"id": event_id, "type": self.kind, "data": data}


def _event(kind: str, subject: str, **fields: Any) -> PlatformEvent:
    return PlatformEvent(kind, subject, tuple(sorted(fields.items())))


def membership_change(
    member_id: str, email_index: int, status: str, plan_id: str | None, days: int | None
) -> PlatformEvent:
    if status == "deleted":
        return _event("membership.deleted", member_id)
    return _event(
        "membership.upserted",
        member_id,
        email_index=email_index,
        status=status,
        plan_id=plan_id,
        # Pending cancellations end in the past or the future (days from now), or have no date;
        # other statuses carry none.
        cancellation_days=days if status == "pending_cancel" else None,
    )


def membership_changes(member_id: str) -> st.SearchStrategy[PlatformEvent]:
    return st.builds(
        membership_change,
        st.just(member_id),
        st.sampled_from((0, 0, 1)),
        st.sampled_from(DRAWN_STATUSES),
        st.sampled_from((GOLD_PLAN, GOLD_PLAN, DAY_PASS_PLAN, None)),
        st.sampled_from((30, -10, 2, -1, None)),
    )


plan_toggles = st.builds(
    lambda plan, access, vip: _event(
        "plan.updated", plan, has_24h_access=access, kisi_group_id="vip" if vip else None
    ),
    st.sampled_from(PLANS),
    st.booleans(),
    st.booleans(),
)
reservation_upserts = st.builds(
    lambda rid, players, days, status: _event(
        "reservation.upserted", rid, player_ids=players, start_days=days, status=status
    ),
    st.sampled_from(RESERVATIONS),
    st.lists(st.sampled_from(MEMBERS), min_size=1, max_size=2, unique=True),
    st.sampled_from((1, -1)),
    st.sampled_from(("confirmed", "cancelled")),
)
reservation_changes = st.one_of(
    reservation_upserts,
    st.builds(lambda rid: _event("reservation.cancelled", rid), st.sampled_from(RESERVATIONS)),
)


@st.composite
def platform_histories(draw: st.DrawFn) -> list[PlatformEvent]:
    """Every member's changes (at least one each), plan toggles and bookings, in the order the
    platform made them (their position is their updated_at)."""
    events = [
        event
        for member_id in MEMBERS
        for event in draw(st.lists(membership_changes(member_id), min_size=1, max_size=3))
    ]
    events += draw(st.lists(plan_toggles, max_size=2))
    events += draw(st.lists(reservation_changes, max_size=3))
    return draw(st.permutations(events))


# Faults active while events are delivered. Probabilistic ones draw from the emulator's seeded
# random numbers; held responses outlast the worker's short client timeout.
FAULTS = {
    "429": {"kind": "rate_limit", "probability": 0.3},
    "500": {"kind": "error", "status": 500, "probability": 0.2},
    "502": {"kind": "error", "status": 502, "probability": 0.2},
    "timeout-lost": {"kind": "timeout", "hold_seconds": 3.0, "applied": False, "max_requests": 2},
    "timeout-applied": {"kind": "timeout", "hold_seconds": 3.0, "applied": True, "max_requests": 2},
}


@dataclass(frozen=True)
class Scenario:
    events: list[PlatformEvent]
    delivery: list[tuple[int, str]]  # (event index, "first" | "same-id" | "new-id")
    faults: list[str]
    polls_after: list[int]  # worker polls after each delivery
    outage_at: int  # delivery index after which Kisi is down for two polls
    revoke_mode: RevokeMode


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    events = draw(platform_histories())
    order = draw(st.permutations(range(len(events))))
    delivery = [(index, "first") for index in order]
    resent = draw(
        st.lists(
            st.tuples(st.integers(0, len(events) - 1), st.sampled_from(("same-id", "new-id"))),
            max_size=4,
        )
    )
    for index, how in resent:
        position = draw(st.integers(0, len(delivery)))
        delivery.insert(position, (index, how))
    polls = draw(
        st.lists(st.sampled_from((1, 0, 2, 1)), min_size=len(delivery), max_size=len(delivery))
    )
    return Scenario(
        events=events,
        delivery=delivery,
        faults=draw(st.lists(st.sampled_from(sorted(FAULTS)), min_size=1, max_size=3, unique=True)),
        polls_after=polls,
        outage_at=draw(st.integers(0, len(delivery) - 1)),
        revoke_mode=draw(st.sampled_from(RevokeMode)),
    )


# ---- running a scenario -----------------------------------------------------------------------


def add_adoptable_user(club: Club) -> int:
    """A Kisi user with a member's email, created by hand before the bridge saw that member."""
    response = httpx.post(
        f"{club.kisi.base_url}/users",
        headers=kisi_headers(API_KEY),
        json={"user": {"email": ADOPTED_EMAIL, "name": "Walk-in", "send_emails": False}},
    )
    response.raise_for_status()
    return int(response.json()["id"])


def run_scenario(club: Club, scenario: Scenario) -> None:
    now = datetime.now(UTC)
    emulator = club.kisi.emulator
    poller = club.stack.worker_poller(retry_visibility_seconds=0)
    failed_polls = 0

    def poll() -> None:
        # A message is received again only after a poll that failed it: with fewer failed polls
        # than maxReceiveCount, no command can reach the DLQ while faults are on.
        nonlocal failed_polls
        if failed_polls < MAX_FAILED_POLLS:
            failed_polls += poller.poll_once().failed > 0

    for name in scenario.faults:
        emulator.inject_fault(FAULTS[name])
    for position, (index, how) in enumerate(scenario.delivery):
        event = scenario.events[index]
        event_id = f"evt-{index}" if how != "new-id" else f"evt-{index}-again-{position}"
        envelope = event.envelope(index, event_id, now)
        if event.kind == "plan.updated" and envelope["data"]["kisi_group_id"] == "vip":
            envelope["data"]["kisi_group_id"] = club.other_group_id
        response = club.post_platform("canonical", envelope)
        assert response.status == 202, response.body
        for _ in range(scenario.polls_after[position]):
            poll()
        if position == scenario.outage_at:
            outage = emulator.inject_fault(kind="outage")
            poll()
            poll()
            emulator.clear_faults(outage["id"])
    emulator.clear_faults()
    club.stack.drain_commands(retry_visibility_seconds=0)


def decisions_for_stored_state(club: Club) -> dict[str, MembershipDecision]:
    """The policy's decision for every stored member, on the stored platform state, now."""
    stores = bootstrap.container().stores
    tenant = stores.tenants.get(TENANT_ID)
    assert tenant is not None
    now = datetime.now(UTC)
    decisions = {}
    for member_id in MEMBERS:
        member = stores.members.get(TENANT_ID, member_id)
        if member is None:
            continue
        plan = stores.tenants.get_plan(TENANT_ID, member.plan_id) if member.plan_id else None
        decisions[member_id] = decide_membership_access(member, plan, tenant.kisi_group_id, now)
    return decisions


def kisi_access(club: Club) -> set[tuple[str, int, datetime | None]]:
    """(email, group, valid_until) of every assignment Kisi holds for the members' addresses."""
    snapshot = club.snapshot()
    emails = {u["id"]: u["email"].lower() for u in snapshot["users"]}
    held = set()
    for assignment in snapshot["role_assignments"]:
        email = emails[assignment["assignee_id"]]
        if email in MANAGED_EMAILS:
            until = assignment["valid_until"]
            held.add((email, assignment["applies_to_id"], until and datetime.fromisoformat(until)))
    return held


def doors_kisi_opens(club: Club, email: str) -> set[int]:
    """The groups whose doors Kisi lets `email` open now; none for an address it does not know."""
    users = club.users_by_email().get(email, [])
    if not users:
        return set()
    access = club.kisi.emulator.effective_access(club.organization_id, email=email)
    return set(access["group_ids"])


def newest_by_subject(scenario: Scenario, kinds: set[str]) -> dict[str, PlatformEvent]:
    """The platform's latest event per subject among `kinds` (ticks order the platform's clock)."""
    newest: dict[str, tuple[int, PlatformEvent]] = {}
    for tick, event in enumerate(scenario.events):
        if event.kind in kinds and tick >= newest.get(event.subject, (-1, event))[0]:
            newest[event.subject] = (tick, event)
    return {subject: event for subject, (_, event) in newest.items()}


def check_stored_state_is_the_newest(club: Club, scenario: Scenario) -> None:
    """Duplicates and reordering cannot leave anything older than the platform's latest change."""
    stores = bootstrap.container().stores
    for member_id, event in newest_by_subject(
        scenario, {"membership.upserted", "membership.deleted"}
    ).items():
        member = stores.members.get(TENANT_ID, member_id)
        assert member is not None
        fields = dict(event.fields)
        if event.kind == "membership.deleted":
            assert member.deleted, member_id
            continue
        assert not member.deleted, member_id
        assert member.status.value == fields["status"], member_id
        assert member.plan_id == fields["plan_id"], member_id
        assert member.email == member_emails(member_id)[fields["email_index"]], member_id
    for plan_id, event in newest_by_subject(scenario, {"plan.updated"}).items():
        plan = stores.tenants.get_plan(TENANT_ID, plan_id)
        assert plan is not None
        assert plan.has_24h_access == dict(event.fields)["has_24h_access"], plan_id
    for reservation_id, event in newest_by_subject(
        scenario, {"reservation.upserted", "reservation.cancelled"}
    ).items():
        reservation = stores.reservations.get(TENANT_ID, reservation_id)
        if event.kind == "reservation.cancelled":
            assert reservation is None or reservation.status.value == "cancelled"
        else:
            assert reservation is not None
            assert reservation.status.value == dict(event.fields)["status"]


# ---- the property -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChaosKisi:
    running: RunningEmulator
    worker_kisi_client: UnpacedKisiClient


@pytest.fixture
def chaos_kisi(
    kisi: RunningEmulator, unpaced_worker: UnpacedKisiClient, fake_aws_credentials: None
) -> ChaosKisi:
    return ChaosKisi(kisi, unpaced_worker)


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: a failure reports the example as generated, within the suite's time budget.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_kisi_ends_exactly_as_the_policy_decides_after_chaos(
    chaos_kisi: ChaosKisi, scenario: Scenario
) -> None:
    chaos_kisi.running.emulator.reset()
    with mock_aws(), restored_environment():
        club = make_club(
            chaos_kisi.running,
            worker_kisi_client=chaos_kisi.worker_kisi_client,
            revoke_mode=scenario.revoke_mode,
        )
        adopted_id = add_adoptable_user(club)
        unmanaged_before = club.users_by_email()[UNMANAGED_EMAIL]
        unmanaged_assignment_before = club.group_assignments()[UNMANAGED_EMAIL]

        run_scenario(club, scenario)

        assert club.stack.queue_depth() == 0
        assert club.stack.queue_depth("CommandDeadLetterQueue") == 0, "a command was lost"
        check_stored_state_is_the_newest(club, scenario)
        decisions = decisions_for_stored_state(club)
        expected = {(d.email, d.group_id, d.valid_until) for d in decisions.values() if d.granted}
        assert kisi_access(club) == expected
        # And what Kisi itself lets each address open now (valid_until and access_enabled applied).
        opens = {email: doors_kisi_opens(club, email) for email in MANAGED_EMAILS}
        assert opens == {
            email: {d.group_id for d in decisions.values() if d.granted and d.email == email}
            for email in MANAGED_EMAILS
        }
        for member_id in decisions:
            assert club.stored_member(member_id).kisi.sync_state.value == "in_sync", member_id

        users = club.users_by_email()
        duplicated = {email: len(found) for email, found in users.items() if len(found) > 1}
        assert duplicated == {}
        assert users[UNMANAGED_EMAIL] == unmanaged_before
        assert club.group_assignments()[UNMANAGED_EMAIL] == unmanaged_assignment_before
        assert [u["id"] for u in users[ADOPTED_EMAIL]] == [adopted_id]
