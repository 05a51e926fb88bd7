"""Members sharing an email (a family on one address) share one Kisi user and its assignment: the
access of an email in a group ends only when no member with it is entitled, and lasts until the
latest of their ends (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from access_core.domain.model import KisiGrant, RevokeMode
from access_core.membership.convergence import (
    EnsureGrant,
    RevokeGrant,
    SharedAccess,
    family_access,
    plan_convergence,
    with_family,
)
from access_core.membership.policy import AccessReason, MembershipDecision

EMAIL = "family@club.example"
OTHER_EMAIL = "someone@club.example"
GROUP = 11
OTHER_GROUP = 22
T = datetime(2030, 1, 1, tzinfo=UTC)


def granted(
    valid_until: datetime | None = None, email: str = EMAIL, group_id: int = GROUP
) -> MembershipDecision:
    reason = AccessReason.PENDING_CANCEL_UNTIL_DATE if valid_until else AccessReason.ACTIVE
    return MembershipDecision(
        granted=True, reason=reason, email=email, group_id=group_id, valid_until=valid_until
    )


def revoked(email: str = EMAIL) -> MembershipDecision:
    return MembershipDecision(granted=False, reason=AccessReason.CANCELLED, email=email)


def held(valid_until: datetime | None = None, created: bool = True) -> KisiGrant:
    return KisiGrant(
        email=EMAIL,
        group_id=GROUP,
        user_id=7,
        assignment_id=70,
        valid_until=valid_until,
        user_created_by_us=created,
    )


ends = st.one_of(st.none(), st.integers(0, 60).map(lambda days: T + timedelta(days=days)))
decisions = st.one_of(
    st.builds(
        granted,
        valid_until=ends,
        email=st.sampled_from([EMAIL, OTHER_EMAIL]),
        group_id=st.sampled_from([GROUP, OTHER_GROUP]),
    ),
    st.builds(revoked, email=st.sampled_from([EMAIL, OTHER_EMAIL])),
)


def test_a_cancelled_member_leaves_the_access_of_a_relative_in_kisi() -> None:
    [step] = plan_convergence(revoked(), [held()], RevokeMode.DELETE_CREATED_USERS, "", [granted()])
    assert step == RevokeGrant(grant=held(), delete_user=False, shared=SharedAccess(None))


def test_the_last_entitled_member_going_removes_the_access() -> None:
    [step] = plan_convergence(revoked(), [held()], RevokeMode.DELETE_CREATED_USERS, "", [revoked()])
    assert step == RevokeGrant(grant=held(), delete_user=True, shared=None)


def test_the_shared_assignment_lasts_until_the_latest_end() -> None:
    """A pending cancellation ends on its date, but a relative's open-ended plan keeps the
    assignment open-ended; between two dates, the later one wins."""
    assert with_family(granted(T), [granted(None)]).valid_until is None
    assert with_family(granted(T), [granted(T + timedelta(days=3))]).valid_until == T + timedelta(
        days=3
    )
    assert with_family(granted(T + timedelta(days=3)), [granted(T)]).valid_until == T + timedelta(
        days=3
    )
    [step] = plan_convergence(granted(T), [], RevokeMode.REMOVE_ASSIGNMENT, "Ana", [granted()])
    assert isinstance(step, EnsureGrant)
    assert step.valid_until is None


def test_a_revoke_keeps_the_assignment_until_the_relatives_end() -> None:
    [step] = plan_convergence(revoked(), [held()], RevokeMode.REMOVE_ASSIGNMENT, "", [granted(T)])
    assert isinstance(step, RevokeGrant)
    assert step.shared == SharedAccess(T)


def test_no_family_plans_as_before() -> None:
    for decision in (granted(), granted(T), revoked()):
        for recorded in ([], [held()], [held(T)]):
            assert plan_convergence(
                decision, recorded, RevokeMode.DELETE_CREATED_USERS
            ) == plan_convergence(decision, recorded, RevokeMode.DELETE_CREATED_USERS, "", [])


@given(decision=decisions, family=st.lists(decisions, max_size=4), recorded_end=ends)
def test_a_grant_leaves_kisi_only_when_no_one_with_its_email_is_entitled(
    decision: MembershipDecision, family: list[MembershipDecision], recorded_end: datetime | None
) -> None:
    grant = held(recorded_end)
    steps = plan_convergence(decision, [grant], RevokeMode.DELETE_CREATED_USERS, "", family)
    entitled = [d for d in family if d.granted and d.email == EMAIL and d.group_id == GROUP]
    for step in steps:
        if isinstance(step, RevokeGrant):
            assert (step.shared is not None) == bool(entitled)
            if any(d.granted and d.email == EMAIL for d in family):
                assert not step.delete_user
            if step.shared is not None:
                ends_of = [d.valid_until for d in entitled]
                expected = None if None in ends_of else max(e for e in ends_of if e is not None)
                assert step.shared.valid_until == expected
        else:
            own = decision.valid_until
            assert step.valid_until is None or (own is not None and step.valid_until >= own)


@given(decision=decisions, family=st.lists(decisions, max_size=4))
def test_the_family_never_shortens_access(
    decision: MembershipDecision, family: list[MembershipDecision]
) -> None:
    shared = with_family(decision, family)
    assert shared.granted == decision.granted
    assert (shared.email, shared.group_id, shared.reason) == (
        decision.email,
        decision.group_id,
        decision.reason,
    )
    if decision.valid_until is None:
        assert shared.valid_until is None
    elif shared.valid_until is not None:
        assert shared.valid_until >= decision.valid_until


def test_family_access_ignores_members_without_email() -> None:
    assert family_access("", GROUP, [granted(email="")]) is None
