"""The weekly sync's pure diff (`member_drift`) and how the worker folds an observation into its
recorded grants (`apply_observation`), with hypothesis over members, listings and records."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from access_core.domain.commands import KisiObservation, ObservedGrant
from access_core.domain.events import MembershipStatus
from access_core.domain.model import KisiGrant, Member, MemberKisiState, RevokeMode
from access_core.membership.convergence import EnsureGrant, RevokeGrant, plan_convergence
from access_core.membership.policy import AccessReason, MembershipDecision
from access_core.membership.reconciliation import (
    DriftKind,
    apply_observation,
    index_by_email,
    managed_emails,
    member_drift,
    observation_for,
    observed_grant,
)
from kisi_client import RoleAssignment

NOW = datetime(2026, 11, 1, tzinfo=UTC)
G, OTHER = 10, 20
EMAIL = "ana@example.com"
LATER = NOW + timedelta(days=9)


def granted(valid_until: datetime | None = None, group: int = G) -> MembershipDecision:
    reason = AccessReason.PENDING_CANCEL_UNTIL_DATE if valid_until else AccessReason.ACTIVE
    return MembershipDecision(True, reason, EMAIL, group, valid_until)


REVOKED = MembershipDecision(False, AccessReason.CANCELLED, EMAIL)


def seen(
    email: str = EMAIL, group: int = G, assignment: int = 1, until: datetime | None = None
) -> ObservedGrant:
    return ObservedGrant(
        group_id=group, email=email, user_id=100, assignment_id=assignment, valid_until=until
    )


def drift_kinds(
    decision: MembershipDecision, observed: list[ObservedGrant], listed: set[int] | None = None
) -> list[DriftKind]:
    drifts = member_drift(
        "m1", decision, frozenset({EMAIL}), index_by_email(observed), frozenset(listed or {G})
    )
    return [d.kind for d in drifts]


def test_in_sync_member_has_no_drift() -> None:
    assert drift_kinds(granted(), [seen()]) == []
    assert drift_kinds(granted(LATER), [seen(until=LATER)]) == []
    assert drift_kinds(REVOKED, []) == []


def test_each_kind_of_drift() -> None:
    assert drift_kinds(granted(), []) == [DriftKind.MISSING_GRANT]
    assert drift_kinds(granted(LATER), [seen()]) == [DriftKind.WRONG_VALID_UNTIL]
    assert drift_kinds(granted(), [seen(until=LATER)]) == [DriftKind.WRONG_VALID_UNTIL]
    assert drift_kinds(REVOKED, [seen()]) == [DriftKind.UNEXPECTED_ACCESS]
    # Moved to another group: the old assignment is unexpected, the new one missing.
    assert sorted(drift_kinds(granted(group=OTHER), [seen()], {G, OTHER})) == [
        DriftKind.MISSING_GRANT,
        DriftKind.UNEXPECTED_ACCESS,
    ]


def test_groups_not_listed_completely_report_nothing_missing() -> None:
    assert drift_kinds(granted(group=OTHER), [], {G}) == []


def test_unmanaged_emails_are_never_drift() -> None:
    assert drift_kinds(REVOKED, [seen(email="coach@example.com")]) == []


def test_managed_emails_are_the_members_and_those_we_granted() -> None:
    member = Member(
        tenant_id="t",
        member_id="m1",
        email="new@example.com",
        status=MembershipStatus.ACTIVE,
        platform_updated_at=NOW,
        kisi=MemberKisiState(grants=[KisiGrant(email="old@example.com", group_id=G)]),
    )
    assert managed_emails(member, REVOKED) == {"new@example.com", "old@example.com", EMAIL}


def test_observed_grant_from_a_listed_assignment() -> None:
    assignment = RoleAssignment.model_validate(
        {
            "id": 5,
            "role_id": "group_basic",
            "applies_to_type": "Group",
            "applies_to_id": G,
            "assignee_type": "User",
            "assignee_id": 7,
            "assignee": {"id": 7, "email": "Ana@Example.com"},
        }
    )
    assert observed_grant(assignment) == ObservedGrant(
        group_id=G, email=EMAIL, user_id=7, assignment_id=5
    )
    no_email = RoleAssignment.model_validate({"id": 6, "group_id": G, "user_id": 7})
    assert observed_grant(no_email) is None


def observation(*grants: ObservedGrant, user_ids: dict[str, int] | None = None) -> KisiObservation:
    return KisiObservation(
        observed_at=NOW, group_ids=(G,), assignments=grants, user_ids=user_ids or {}
    )


def steps_after(
    recorded: list[KisiGrant], observed: KisiObservation, decision: MembershipDecision
) -> list[EnsureGrant | RevokeGrant]:
    corrected = apply_observation(recorded, observed, decision, frozenset({EMAIL}))
    return plan_convergence(decision, corrected, RevokeMode.DELETE_CREATED_USERS)


RECORDED = KisiGrant(email=EMAIL, group_id=G, user_id=100, assignment_id=1, user_created_by_us=True)


def test_a_grant_removed_by_hand_is_written_again_with_the_known_user() -> None:
    [step] = steps_after([RECORDED], observation(), granted())
    assert isinstance(step, EnsureGrant)
    assert step.replaces is None
    corrected = apply_observation([RECORDED], observation(), granted(), frozenset({EMAIL}))
    assert corrected == [RECORDED.model_copy(update={"assignment_id": None})]


def test_a_hand_made_assignment_of_a_revoked_member_is_removed_and_its_user_kept() -> None:
    [step] = steps_after([], observation(seen(assignment=9)), REVOKED)
    assert isinstance(step, RevokeGrant)
    assert step.grant.assignment_id == 9
    assert step.delete_user is False


def test_a_hand_changed_end_date_is_replaced() -> None:
    recorded = RECORDED.model_copy(update={"valid_until": LATER})
    [step] = steps_after([recorded], observation(seen(assignment=3)), granted(LATER))
    assert isinstance(step, EnsureGrant)
    assert step.replaces is not None
    assert step.replaces.assignment_id == 3


def test_a_revoked_grant_kisi_no_longer_lists_needs_no_call() -> None:
    assert steps_after([RECORDED], observation(), REVOKED) == []


def test_a_user_id_from_the_listing_spares_the_lookup() -> None:
    corrected = apply_observation(
        [], observation(user_ids={EMAIL: 42}), granted(), frozenset({EMAIL})
    )
    assert corrected == [KisiGrant(email=EMAIL, group_id=G, user_id=42)]


def test_grants_in_groups_not_observed_stay_as_recorded() -> None:
    elsewhere = RECORDED.model_copy(update={"group_id": OTHER})
    assert apply_observation([elsewhere], observation(), REVOKED, frozenset({EMAIL})) == [elsewhere]


# ---- properties -------------------------------------------------------------------------------

emails = st.sampled_from([EMAIL, "bo@example.com", "coach@example.com"])
groups = st.sampled_from([G, OTHER])
untils = st.sampled_from([None, LATER, LATER + timedelta(days=1)])
decisions = st.one_of(
    st.just(REVOKED),
    st.builds(granted, untils, groups),
)
observed_lists = st.lists(
    st.builds(seen, emails, groups, st.integers(1, 1000), untils),
    max_size=6,
    unique_by=lambda g: (g.email, g.group_id),
)


@given(decisions, observed_lists)
def test_drift_repaired_by_the_worker_leaves_no_drift(
    decision: MembershipDecision, observed: list[ObservedGrant]
) -> None:
    """Whatever Kisi showed, the steps the worker plans from the observation produce a Kisi state
    with no drift for the member, and never touch unmanaged emails."""
    managed = frozenset({EMAIL})
    listed = frozenset({G, OTHER})
    by_email = index_by_email(observed)
    note = observation_for(managed, by_email, {}, listed, NOW)
    corrected = apply_observation([], note, decision, managed)
    steps = plan_convergence(decision, corrected, RevokeMode.REMOVE_ASSIGNMENT)
    kisi = {(g.email, g.group_id): g.valid_until for g in observed}
    for step in steps:
        if isinstance(step, RevokeGrant):
            assert step.grant.email in managed
            assert not step.delete_user
            kisi.pop((step.grant.email, step.grant.group_id), None)
        else:
            kisi[(step.email, step.group_id)] = step.valid_until
    after = [seen(email, group, 1, until) for (email, group), until in kisi.items()]
    assert member_drift("m1", decision, managed, index_by_email(after), listed) == []
    for grant in observed:
        if grant.email not in managed:
            assert kisi[(grant.email, grant.group_id)] == grant.valid_until


@given(decisions, observed_lists)
def test_no_drift_means_no_step(
    decision: MembershipDecision, observed: list[ObservedGrant]
) -> None:
    managed = frozenset({EMAIL})
    listed = frozenset({G, OTHER})
    by_email = index_by_email(observed)
    if member_drift("m1", decision, managed, by_email, listed):
        return
    note = observation_for(managed, by_email, {}, listed, NOW)
    corrected = apply_observation([], note, decision, managed)
    assert plan_convergence(decision, corrected, RevokeMode.REMOVE_ASSIGNMENT) == []
