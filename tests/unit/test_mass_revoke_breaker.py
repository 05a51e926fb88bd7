"""The mass-revoke circuit breaker (membership/quarantine.py): the allowance, then the properties
of judging a stream of access changes (grants never held; below the threshold never held; once
tripped, held for the rest of the hour)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from access_core.domain.model import KisiGrant
from access_core.membership.convergence import (
    ConvergenceStep,
    EnsureGrant,
    RevokeGrant,
    SharedAccess,
)
from access_core.membership.policy import AccessReason, MembershipDecision
from access_core.membership.quarantine import (
    MINIMUM_REVOKES_PER_HOUR,
    REVOKE_WINDOW,
    BreakerDecision,
    BreakerVerdict,
    RevokeWindow,
    judge_change,
    loses_access,
    revoke_allowance,
)

T0 = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)
GRANT = KisiGrant(email="ana@example.com", group_id=7, user_id=1, assignment_id=2)

# A stream of changes: (seconds after the previous one, is it a revoke?, whose)
Change = tuple[int, bool, str]
changes = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=1800),
        st.booleans(),
        st.sampled_from([f"m{n}" for n in range(40)]),
    ),
    max_size=60,
)
entitled = st.integers(min_value=0, max_value=500)
thresholds = st.integers(min_value=0, max_value=100)


def judge_all(
    stream: list[Change], members: int, threshold: int
) -> list[tuple[datetime, bool, str, BreakerDecision]]:
    """Judge each change in turn, carrying the window along as the worker stores it."""
    window, now = RevokeWindow(), T0
    judged = []
    for gap, is_revoke, member_id in stream:
        now += timedelta(seconds=gap)
        decision = judge_change(
            member_id=member_id,
            is_revoke=is_revoke,
            window=window,
            entitled_members=members,
            threshold_percent=threshold,
            now=now,
        )
        window = decision.window
        judged.append((now, is_revoke, member_id, decision))
    return judged


@pytest.mark.parametrize(
    ("members", "threshold", "allowance"),
    [
        (20, 20, 4),
        (100, 20, 20),
        (3, 20, MINIMUM_REVOKES_PER_HOUR),  # a small club: never fewer than the minimum
        (0, 20, MINIMUM_REVOKES_PER_HOUR),
        (1000, 5, 50),
        (20, 0, 0),  # off
    ],
)
def test_the_allowance_is_the_share_rounded_down_but_never_below_the_minimum(
    members: int, threshold: int, allowance: int
) -> None:
    assert revoke_allowance(members, threshold) == allowance


Judged = list[tuple[datetime, bool, str, BreakerDecision]]


def burst(size: int) -> list[Change]:
    return [(1, True, f"m{n}") for n in range(size)]


def distinct_in_hour(judged: Judged, now: datetime) -> int:
    """Members revoked in the hour up to `now`."""
    return len(
        {m for at, is_revoke, m, _ in judged if is_revoke and now - REVOKE_WINDOW < at <= now}
    )


def test_a_burst_of_ten_in_a_club_of_twenty_holds_the_six_beyond_twenty_percent() -> None:
    judged = judge_all(burst(10), members=20, threshold=20)
    assert [d.verdict for *_, d in judged] == [BreakerVerdict.APPLY] * 4 + [BreakerVerdict.HOLD] * 6


def test_one_member_revoked_again_and_again_counts_once() -> None:
    judged = judge_all([(60, True, "m1")] * 10, members=20, threshold=20)
    assert not any(d.held for *_, d in judged)
    assert judged[-1][3].counted == 1


def test_one_cancellation_in_a_three_member_club_is_applied() -> None:
    [(*_, decision)] = judge_all([(0, True, "m1")], members=3, threshold=20)
    assert decision.verdict is BreakerVerdict.APPLY


def test_the_breaker_closes_an_hour_after_its_last_held_revoke() -> None:
    judged = judge_all(burst(5), members=20, threshold=20)
    assert judged[-1][3].held
    window = judged[-1][3].window
    later = judged[-1][0] + REVOKE_WINDOW + timedelta(seconds=1)
    after = judge_change(
        member_id="m99",
        is_revoke=True,
        window=window,
        entitled_members=20,
        threshold_percent=20,
        now=later,
    )
    assert after.verdict is BreakerVerdict.APPLY
    assert after.counted == 1


@given(changes, entitled, thresholds)
def test_grants_are_never_held_nor_counted(
    stream: list[Change], members: int, threshold: int
) -> None:
    for _, is_revoke, _, decision in judge_all(stream, members, threshold):
        if not is_revoke:
            assert decision.verdict is BreakerVerdict.APPLY
            assert decision.counted == 0


@given(changes, entitled, thresholds)
def test_a_stream_never_beyond_the_allowance_in_any_hour_is_never_held(
    stream: list[Change], members: int, threshold: int
) -> None:
    allowance = revoke_allowance(members, threshold)
    judged = judge_all(stream, members, threshold)
    busiest_hour = max((distinct_in_hour(judged, now) for now, *_ in judged), default=0)
    if allowance == 0 or busiest_hour <= allowance:
        assert not any(decision.held for *_, decision in judged)


@given(changes, entitled, thresholds)
def test_once_tripped_every_revoke_of_the_next_hour_is_held(
    stream: list[Change], members: int, threshold: int
) -> None:
    last_held: datetime | None = None
    for now, is_revoke, _, decision in judge_all(stream, members, threshold):
        if is_revoke and last_held is not None and now - last_held < REVOKE_WINDOW:
            assert decision.held
        if decision.held:
            last_held = now


@given(changes, entitled, thresholds)
def test_a_revoke_is_held_only_beyond_the_allowance_or_within_an_hour_of_a_hold(
    stream: list[Change], members: int, threshold: int
) -> None:
    allowance = revoke_allowance(members, threshold)
    judged = judge_all(stream, members, threshold)
    last_held: datetime | None = None
    for index, (now, _, _, decision) in enumerate(judged):
        if decision.held:
            recently_tripped = last_held is not None and now - last_held < REVOKE_WINDOW
            assert allowance > 0
            assert distinct_in_hour(judged[: index + 1], now) > allowance or recently_tripped
            last_held = now


def revoked(reason: AccessReason = AccessReason.CANCELLED) -> MembershipDecision:
    return MembershipDecision(granted=False, reason=reason, email=GRANT.email)


def test_a_revoke_that_takes_access_away_loses_access() -> None:
    assert loses_access(revoked(), [RevokeGrant(grant=GRANT, delete_user=False)])


def test_an_assignment_kept_for_a_family_member_is_not_a_lost_access() -> None:
    shared = RevokeGrant(grant=GRANT, delete_user=False, shared=SharedAccess(valid_until=None))
    assert not loses_access(revoked(), [shared])


def test_an_email_change_of_a_granted_member_is_not_a_lost_access() -> None:
    granted = MembershipDecision(
        granted=True, reason=AccessReason.ACTIVE, email="new@example.com", group_id=7
    )
    steps: list[ConvergenceStep] = [
        EnsureGrant(email="new@example.com", name="", group_id=7, valid_until=None),
        RevokeGrant(grant=GRANT, delete_user=False),
    ]
    assert not loses_access(granted, steps)
    assert not loses_access(revoked(), [])
