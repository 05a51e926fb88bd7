"""The convergence planner: which Kisi writes bring a member's recorded grants to the decision."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from access_core.domain.model import KisiGrant, Member, Plan, RevokeMode
from access_core.membership.convergence import (
    ConvergenceStep,
    EnsureGrant,
    RevokeGrant,
    grant_matches,
    plan_convergence,
)
from access_core.membership.policy import AccessReason, MembershipDecision, decide_membership_access
from tests.unit.strategies import (
    convergence_cases,
    emails,
    granted_decisions,
    members,
    optional_group_ids,
    plans,
    revoke_modes,
)

OLD = "old@example.com"
NEW = "new@example.com"
GROUP = 11
OTHER_GROUP = 22
END = datetime(2031, 3, 31, 23, 59, 59, tzinfo=UTC)
LATER_END = datetime(2031, 4, 30, 23, 59, 59, tzinfo=UTC)
REMOVE = RevokeMode.REMOVE_ASSIGNMENT
DELETE = RevokeMode.DELETE_CREATED_USERS
BOTH_MODES = pytest.mark.parametrize("mode", list(RevokeMode))

_ids = itertools.count(1000)


def grant(
    email: str = NEW,
    group_id: int = GROUP,
    *,
    assigned: bool = True,
    valid_until: datetime | None = None,
    created: bool = False,
) -> KisiGrant:
    return KisiGrant(
        email=email,
        group_id=group_id,
        user_id=next(_ids),
        assignment_id=next(_ids) if assigned else None,
        valid_until=valid_until,
        user_created_by_us=created,
    )


def granted(
    email: str = NEW, group_id: int = GROUP, valid_until: datetime | None = None
) -> MembershipDecision:
    reason = AccessReason.ACTIVE if valid_until is None else AccessReason.PENDING_CANCEL_UNTIL_DATE
    return MembershipDecision(True, reason, email, group_id, valid_until)


def revoked(email: str = NEW, reason: AccessReason = AccessReason.CANCELLED) -> MembershipDecision:
    return MembershipDecision(False, reason, email)


def ensure(
    email: str = NEW,
    group_id: int = GROUP,
    valid_until: datetime | None = None,
    replaces: KisiGrant | None = None,
    name: str = "",
) -> EnsureGrant:
    return EnsureGrant(
        email=email, name=name, group_id=group_id, valid_until=valid_until, replaces=replaces
    )


# --- examples ----------------------------------------------------------------------------------


@BOTH_MODES
@pytest.mark.parametrize("valid_until", [None, END])
@pytest.mark.parametrize("created", [False, True])
def test_already_converged_plans_nothing(
    mode: RevokeMode, valid_until: datetime | None, created: bool
) -> None:
    recorded = [grant(valid_until=valid_until, created=created)]

    assert plan_convergence(granted(valid_until=valid_until), recorded, mode) == []


@BOTH_MODES
@pytest.mark.parametrize("valid_until", [None, END])
def test_new_grant_is_one_ensure(mode: RevokeMode, valid_until: datetime | None) -> None:
    steps = plan_convergence(granted(valid_until=valid_until), [], mode, name="Ana Lopez")

    assert steps == [ensure(valid_until=valid_until, name="Ana Lopez")]


@pytest.mark.parametrize(
    ("mode", "created", "delete_user"),
    [
        (REMOVE, False, False),
        (REMOVE, True, False),
        (DELETE, False, False),  # adopted users are never deleted
        (DELETE, True, True),
    ],
)
@pytest.mark.parametrize("reason", [AccessReason.CANCELLED, AccessReason.MEMBER_DELETED])
def test_revoke_with_a_recorded_grant_is_one_revoke(
    mode: RevokeMode, created: bool, delete_user: bool, reason: AccessReason
) -> None:
    recorded = [grant(created=created, valid_until=END)]

    steps = plan_convergence(revoked(reason=reason), recorded, mode)

    assert steps == [RevokeGrant(grant=recorded[0], delete_user=delete_user)]


@BOTH_MODES
def test_revoke_without_recorded_grants_plans_nothing(mode: RevokeMode) -> None:
    assert plan_convergence(revoked(), [], mode) == []


@BOTH_MODES
def test_revoke_removes_every_recorded_grant_once(mode: RevokeMode) -> None:
    recorded = [
        grant(OLD, GROUP, created=True),
        grant(NEW, GROUP),
        grant(NEW, OTHER_GROUP, assigned=False, created=True),
    ]

    steps = plan_convergence(revoked(), recorded, mode)

    assert [s.grant for s in steps if isinstance(s, RevokeGrant)] == recorded
    assert all(isinstance(s, RevokeGrant) for s in steps)


@pytest.mark.parametrize(
    ("mode", "created", "delete_old_user"),
    [(REMOVE, True, False), (DELETE, False, False), (DELETE, True, True)],
)
def test_email_change_grants_the_new_address_before_revoking_the_old(
    mode: RevokeMode, created: bool, delete_old_user: bool
) -> None:
    old = grant(OLD, GROUP, created=created)

    steps = plan_convergence(granted(NEW, GROUP), [old], mode)

    assert steps == [ensure(NEW, GROUP), RevokeGrant(grant=old, delete_user=delete_old_user)]


@pytest.mark.parametrize("created", [False, True])
@BOTH_MODES
def test_group_change_ensures_the_new_group_then_revokes_the_old_keeping_the_user(
    mode: RevokeMode, created: bool
) -> None:
    old = grant(NEW, OTHER_GROUP, created=created)

    steps = plan_convergence(granted(NEW, GROUP), [old], mode)

    # Same email, same Kisi user: it now holds the new group, so it is never deleted.
    assert steps == [ensure(NEW, GROUP), RevokeGrant(grant=old, delete_user=False)]


@pytest.mark.parametrize("created", [False, True])
def test_email_and_group_change_together(created: bool) -> None:
    old = grant(OLD, OTHER_GROUP, created=created)

    steps = plan_convergence(granted(NEW, GROUP, END), [old], DELETE)

    assert steps == [ensure(NEW, GROUP, END), RevokeGrant(grant=old, delete_user=created)]


@BOTH_MODES
@pytest.mark.parametrize(
    ("recorded_end", "decided_end"),
    [
        pytest.param(None, END, id="active-to-pending-cancel"),
        pytest.param(END, None, id="pending-cancel-withdrawn"),
        pytest.param(END, LATER_END, id="date-moved"),
        pytest.param(END.replace(microsecond=500_000), END, id="sub-second-difference"),
    ],
)
@pytest.mark.parametrize("created", [False, True])
def test_valid_until_change_replaces_the_grant_without_a_separate_revoke(
    mode: RevokeMode,
    recorded_end: datetime | None,
    decided_end: datetime | None,
    created: bool,
) -> None:
    old = grant(valid_until=recorded_end, created=created)

    steps = plan_convergence(granted(valid_until=decided_end), [old], mode)

    assert steps == [ensure(valid_until=decided_end, replaces=old)]


@BOTH_MODES
@pytest.mark.parametrize("recorded_end", [None, END, LATER_END])
def test_unassigned_grant_for_the_slot_is_retried(
    mode: RevokeMode, recorded_end: datetime | None
) -> None:
    """A grant recorded without an assignment id is a write that did not finish: ensure again
    (idempotently), and neither revoke it nor ask Kisi to replace an assignment it lacks."""
    unfinished = grant(assigned=False, valid_until=recorded_end, created=True)

    steps = plan_convergence(granted(valid_until=END), [unfinished], mode)

    assert steps == [ensure(valid_until=END)]


@BOTH_MODES
def test_converged_slot_is_kept_and_extras_are_revoked(mode: RevokeMode) -> None:
    kept = grant(NEW, GROUP, valid_until=END, created=True)
    extra_group = grant(NEW, OTHER_GROUP, created=True)
    old_email = grant(OLD, OTHER_GROUP, created=True)

    steps = plan_convergence(granted(NEW, GROUP, END), [extra_group, kept, old_email], mode)

    assert steps == [
        RevokeGrant(grant=extra_group, delete_user=False),
        RevokeGrant(grant=old_email, delete_user=mode is DELETE),
    ]


def test_remove_assignment_mode_never_deletes_users() -> None:
    recorded = [grant(OLD, GROUP, created=True), grant(NEW, OTHER_GROUP, created=True)]

    for decision in (revoked(), granted(NEW, GROUP)):
        steps = plan_convergence(decision, recorded, REMOVE)
        revokes = [s for s in steps if isinstance(s, RevokeGrant)]
        assert len(revokes) == 2
        assert not any(s.delete_user for s in revokes)


def test_planning_does_not_mutate_the_recorded_list() -> None:
    recorded = [grant(OLD, GROUP, created=True), grant(NEW, GROUP, valid_until=END)]
    before = [g.model_copy() for g in recorded]

    plan_convergence(granted(NEW, GROUP), recorded, DELETE)

    assert recorded == before


# --- grant_matches -----------------------------------------------------------------------------

MATCHING: dict[str, Any] = {
    "email": NEW,
    "group_id": GROUP,
    "user_id": 7,
    "assignment_id": 8,
    "valid_until": END,
    "user_created_by_us": False,
}


@pytest.mark.parametrize(
    ("changes", "matches"),
    [
        pytest.param({}, True, id="exact"),
        pytest.param({"user_created_by_us": True}, True, id="created-flag-irrelevant"),
        pytest.param({"user_id": None}, True, id="user-id-irrelevant"),
        pytest.param({"email": "NEW@Example.com"}, True, id="email-normalised"),
        pytest.param(
            {"valid_until": END.astimezone(timezone(timedelta(hours=-5)))},
            True,
            id="same-instant-other-zone",
        ),
        pytest.param({"assignment_id": None}, False, id="no-assignment"),
        pytest.param({"email": OLD}, False, id="other-email"),
        pytest.param({"group_id": OTHER_GROUP}, False, id="other-group"),
        pytest.param({"valid_until": None}, False, id="no-end"),
        pytest.param({"valid_until": LATER_END}, False, id="other-end"),
        pytest.param({"valid_until": END + timedelta(microseconds=1)}, False, id="sub-second"),
    ],
)
def test_grant_matches(changes: dict[str, Any], matches: bool) -> None:
    g = KisiGrant(**(MATCHING | changes))

    assert grant_matches(g, granted(NEW, GROUP, END)) is matches


def test_grant_matches_open_ended_decision() -> None:
    open_ended = KisiGrant(**(MATCHING | {"valid_until": None}))

    assert grant_matches(open_ended, granted(NEW, GROUP))
    assert not grant_matches(KisiGrant(**MATCHING), granted(NEW, GROUP))


@pytest.mark.parametrize(
    "reason", [AccessReason.CANCELLED, AccessReason.PENDING_CANCEL_DATE_PASSED]
)
def test_no_grant_matches_a_revoked_decision(reason: AccessReason) -> None:
    # Even one whose fields line up with what the (empty) decision carries.
    g = KisiGrant(**(MATCHING | {"valid_until": None}))

    assert not grant_matches(g, revoked(NEW, reason))
    assert not grant_matches(g, MembershipDecision(False, reason, NEW, GROUP, None))


# --- properties --------------------------------------------------------------------------------


class _Simulator:
    """What Kisi and our record look like after running steps, as simply as possible.

    EnsureGrant puts a fresh assigned grant in its (email, group) slot, replacing what is there;
    Kisi holds one assignment per user and group, so an assigned grant already in the slot must
    be the step's `replaces`. RevokeGrant removes its grant, and with delete_user every grant of
    that user (Kisi drops a deleted user's assignments); revoking a grant no longer there is only
    allowed when its user was deleted by an earlier step.
    """

    def __init__(self, recorded: list[KisiGrant]) -> None:
        self.grants = list(recorded)
        self.deleted_users: set[str] = set()
        self._ids = itertools.count(10**10)

    def apply(self, steps: list[ConvergenceStep]) -> list[KisiGrant]:
        for step in steps:
            if isinstance(step, EnsureGrant):
                self._ensure(step)
            else:
                self._revoke(step)
        return self.grants

    def _ensure(self, step: EnsureGrant) -> None:
        in_slot = [g for g in self.grants if (g.email, g.group_id) == (step.email, step.group_id)]
        assigned = [g for g in in_slot if g.assignment_id is not None]
        assert assigned == ([step.replaces] if step.replaces is not None else []), (
            "Kisi refuses a second assignment of a user to a group"
        )
        self.grants = [g for g in self.grants if g not in in_slot]
        self.grants.append(
            KisiGrant(
                email=step.email,
                group_id=step.group_id,
                assignment_id=next(self._ids),
                valid_until=step.valid_until,
            )
        )

    def _revoke(self, step: RevokeGrant) -> None:
        if step.grant in self.grants:
            self.grants.remove(step.grant)
        else:
            assert step.grant.email in self.deleted_users, f"revoking an unknown {step.grant}"
        if step.delete_user:
            self.deleted_users.add(step.grant.email)
            self.grants = [g for g in self.grants if g.email != step.grant.email]


def assert_decided_state(decision: MembershipDecision, grants: list[KisiGrant]) -> None:
    """One assigned grant holding exactly the decided access if granted, nothing otherwise.

    Spelled out field by field rather than through `grant_matches`, which is under test too.
    """
    if decision.granted:
        assert len(grants) == 1, grants
        (only,) = grants
        assert only.assignment_id is not None
        assert (only.email, only.group_id, only.valid_until) == (
            decision.email,
            decision.group_id,
            decision.valid_until,
        )
    else:
        assert grants == []


@given(convergence_cases())
def test_applying_the_plan_reaches_the_decided_state(
    case: tuple[MembershipDecision, list[KisiGrant], RevokeMode],
) -> None:
    decision, recorded, mode = case
    steps = plan_convergence(decision, recorded, mode)

    assert_decided_state(decision, _Simulator(recorded).apply(steps))


@given(convergence_cases())
def test_planning_again_on_the_result_plans_nothing(
    case: tuple[MembershipDecision, list[KisiGrant], RevokeMode],
) -> None:
    decision, recorded, mode = case
    result = _Simulator(recorded).apply(plan_convergence(decision, recorded, mode))

    assert plan_convergence(decision, result, mode) == []


@given(convergence_cases())
def test_every_ensure_precedes_every_revoke(
    case: tuple[MembershipDecision, list[KisiGrant], RevokeMode],
) -> None:
    decision, recorded, mode = case
    kinds = [type(step) for step in plan_convergence(decision, recorded, mode)]

    assert kinds == sorted(kinds, key=lambda kind: kind is RevokeGrant)
    assert kinds.count(EnsureGrant) <= (1 if decision.granted else 0)


@given(convergence_cases())
def test_users_we_did_not_create_or_still_grant_are_never_deleted(
    case: tuple[MembershipDecision, list[KisiGrant], RevokeMode],
) -> None:
    decision, recorded, mode = case
    for step in plan_convergence(decision, recorded, mode):
        if isinstance(step, RevokeGrant) and step.delete_user:
            assert mode is DELETE
            assert step.grant.user_created_by_us
            assert not (decision.granted and step.grant.email == decision.email)


@given(convergence_cases())
def test_steps_touch_only_recorded_grants_and_each_at_most_once(
    case: tuple[MembershipDecision, list[KisiGrant], RevokeMode],
) -> None:
    decision, recorded, mode = case
    steps = plan_convergence(decision, recorded, mode)

    touched = [s.grant for s in steps if isinstance(s, RevokeGrant)]
    touched += [s.replaces for s in steps if isinstance(s, EnsureGrant) and s.replaces is not None]
    assert all(any(g is r for r in recorded) for g in touched)
    assert len({id(g) for g in touched}) == len(touched)
    for step in steps:
        if isinstance(step, EnsureGrant):
            assert (step.email, step.group_id, step.valid_until) == (
                decision.email,
                decision.group_id,
                decision.valid_until,
            )


@given(convergence_cases(granted_decisions()))
def test_revoke_modes_plan_the_same_writes(
    case: tuple[MembershipDecision, list[KisiGrant], RevokeMode],
) -> None:
    decision, recorded, mode = case
    """The mode changes only whether users are deleted, never which grants are written."""
    steps = plan_convergence(decision, recorded, mode)
    without_deletes = plan_convergence(decision, recorded, REMOVE)

    assert [
        RevokeGrant(s.grant, delete_user=False) if isinstance(s, RevokeGrant) else s for s in steps
    ] == without_deletes


@given(
    members(email=emails(pool_only=True)),
    plans(),
    optional_group_ids,
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    revoke_modes,
)
def test_policy_then_planner_converge_a_stored_member(
    m: Member, p: Plan, default_group_id: int | None, now: datetime, mode: RevokeMode
) -> None:
    p = p.model_copy(update={"plan_id": m.plan_id or p.plan_id})
    decision = decide_membership_access(m, p, default_group_id, now)

    result = _Simulator(m.kisi.grants).apply(
        plan_convergence(decision, m.kisi.grants, mode, name=m.name)
    )

    assert_decided_state(decision, result)
    assert plan_convergence(decision, result, mode) == []
