"""Rotation with an overlap window (domain/secrets.py): the new secret is current at once, the
ones before it stay valid for the window and no longer, expired ones are dropped, the set stays
small, and nothing about it shows a secret."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_core.domain.secrets import (
    DEFAULT_ROTATION_OVERLAP,
    MAX_SECRETS,
    StoredSecret,
    checked_secret,
    secret_status,
    usable,
    with_new_secret,
    without_previous,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SETTINGS = settings(max_examples=200, deadline=None)

values = st.sampled_from([f"secret-value-{n:02}" for n in range(6)])
overlaps = st.sampled_from([timedelta(0), timedelta(minutes=5), HOUR, DEFAULT_ROTATION_OVERLAP])
# A history of rotations: which value, how long after the previous one, with which overlap.
rotations = st.lists(
    st.tuples(values, st.timedeltas(timedelta(0), timedelta(days=3)), overlaps),
    min_size=1,
    max_size=8,
)


History = list[tuple[str, timedelta, timedelta]]


def rotate(history: History) -> tuple[list[StoredSecret], datetime]:
    secrets: list[StoredSecret] = []
    now = T0
    for value, wait, overlap in history:
        now += wait
        secrets = with_new_secret(secrets, value, now=now, overlap=overlap)
    return secrets, now


def test_the_new_secret_is_current_and_the_old_one_valid_for_the_window() -> None:
    first = with_new_secret([], "first-secret", now=T0, overlap=DEFAULT_ROTATION_OVERLAP)
    second = with_new_secret(
        first, "second-secret", now=T0 + HOUR, overlap=DEFAULT_ROTATION_OVERLAP
    )

    assert [s.value for s in second] == ["second-secret", "first-secret"]
    assert second[0].valid_until is None
    assert second[1].valid_until == T0 + HOUR + DEFAULT_ROTATION_OVERLAP
    assert usable(second, T0 + HOUR + DEFAULT_ROTATION_OVERLAP - timedelta(seconds=1)) == [
        "second-secret",
        "first-secret",
    ]
    assert usable(second, T0 + HOUR + DEFAULT_ROTATION_OVERLAP) == ["second-secret"]


def test_a_zero_overlap_or_ending_it_keeps_only_the_new_secret() -> None:
    first = with_new_secret([], "first-secret", now=T0, overlap=HOUR)
    assert [
        s.value for s in with_new_secret(first, "next-secret", now=T0, overlap=timedelta(0))
    ] == ["next-secret"]
    overlapping = with_new_secret(first, "next-secret", now=T0, overlap=HOUR)
    assert [s.value for s in without_previous(overlapping)] == ["next-secret"]


def test_a_negative_overlap_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        with_new_secret([], "first-secret", now=T0, overlap=-HOUR)


@pytest.mark.parametrize(
    "value",
    ["", "short", " leading-blank", "trailing-blank ", "has\nnewline-inside", "x" * 513],
)
def test_values_that_cannot_be_secrets_are_refused_without_being_quoted(value: str) -> None:
    with pytest.raises(ValueError) as refused:
        checked_secret(value)
    assert value.strip() not in str(refused.value) or not value.strip()


def test_reprs_and_statuses_hold_no_secret() -> None:
    secrets = with_new_secret(
        with_new_secret([], "first-secret-value", now=T0, overlap=HOUR),
        "second-secret-value",
        now=T0,
        overlap=HOUR,
    )
    status = secret_status("pushpress", secrets, T0)
    shown = repr(secrets) + repr(status)
    assert "secret-value" not in shown
    assert status.configured
    assert [s.current for s in status.secrets] == [True, False]
    assert status.previous_valid_until == T0 + HOUR


@SETTINGS
@given(history=rotations)
def test_rotation_invariants(history: History) -> None:
    secrets, now = rotate(history)
    last_value, _, _ = history[-1]
    # The value added last is the one current secret.
    assert secrets[0].value == last_value
    assert [s.value for s in secrets if s.valid_until is None] == [last_value]
    # Distinct values, newest first, bounded, nothing expired kept.
    assert len({s.value for s in secrets}) == len(secrets) <= MAX_SECRETS
    assert [s.added_at for s in secrets] == sorted((s.added_at for s in secrets), reverse=True)
    assert all(s.valid_at(now) for s in secrets)


@SETTINGS
@given(history=rotations, later=st.timedeltas(timedelta(0), timedelta(days=2)))
def test_a_previous_secret_is_never_valid_past_its_window(
    history: History, later: timedelta
) -> None:
    """Whatever happened before, a secret replaced at t with overlap w is refused from t + w on,
    and a later rotation never gives it more time."""
    secrets, now = rotate(history)
    value, _, overlap = history[-1]
    rotated = with_new_secret(secrets, "final-secret-value", now=now, overlap=overlap)
    moment = now + later
    previous_valid = value in usable(rotated, moment)
    assert previous_valid == (later < overlap)
    for secret in rotated[1:]:
        assert secret.valid_until is not None
        assert secret.valid_until <= now + overlap


@SETTINGS
@given(history=rotations, overlap=overlaps)
def test_adding_the_current_value_again_keeps_the_others_windows_no_longer(
    history: History, overlap: timedelta
) -> None:
    secrets, now = rotate(history)
    again = with_new_secret(secrets, secrets[0].value, now=now, overlap=overlap)
    ends = {s.value: s.valid_until for s in secrets[1:]}
    for secret in again[1:]:
        assert secret.valid_until is not None
        assert secret.valid_until <= (ends[secret.value] or secret.valid_until)
