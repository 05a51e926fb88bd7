"""The pure pieces of the syncs' pull from a platform (access_core/sync/platform_sync.py): the
stored state, when a pull is resumed rather than started over, what a run reports of it, the
budget, and the events as stored between invocations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from access_core.domain.events import MemberProfileUpdated, MembershipStatus, MembershipUpserted
from access_core.sync.platform_pull import PullKind, PullPhase
from access_core.sync.platform_sync import (
    RESUME_WITHIN,
    PullBudget,
    PullState,
    PullStatus,
    decode_events,
    encode_events,
    pull_item,
)
from access_core.sync.service import WeeklyState

STARTED = datetime(2026, 11, 2, 3, 15, tzinfo=UTC)
GRANTING = ("active", "pendcancel")


def fresh(kind: PullKind = PullKind.DAILY) -> PullState:
    return PullState.fresh(
        "club-1",
        kind,
        run_id=f"{kind.value}-1",
        started_at=STARTED,
        granting_statuses=GRANTING,
    )


def test_a_fresh_daily_pull_lists_each_granting_status_first() -> None:
    state = fresh()
    assert state.status is PullStatus.IN_PROGRESS
    assert [listing.label for listing in state.cursor.listings] == [
        "enrollments?status=active",
        "enrollments?status=pendcancel",
    ]
    assert [listing.label for listing in fresh(PullKind.WEEKLY).cursor.listings] == [
        "enrollments",
        "customers",
    ]
    assert pull_item(PullKind.DAILY) == "daily#pull"
    assert pull_item(PullKind.WEEKLY) == "weekly#pull"


@pytest.mark.parametrize("kind", list(PullKind))
def test_an_unfinished_pull_is_resumed_within_its_window_and_started_over_after(
    kind: PullKind,
) -> None:
    state = fresh(kind)
    window = RESUME_WITHIN[kind]
    assert state.resumable(STARTED + window)
    assert not state.resumable(STARTED + window + timedelta(seconds=1))
    for status in (PullStatus.PAUSED, PullStatus.CREDENTIALS_INVALID, PullStatus.IN_PROGRESS):
        assert state.model_copy(update={"status": status}).resumable(STARTED)
    assert not state.model_copy(update={"status": PullStatus.DONE}).resumable(STARTED)


def test_a_resumed_pull_keeps_its_progress_under_the_new_run() -> None:
    paused = fresh().model_copy(
        update={
            "status": PullStatus.PAUSED,
            "error": "platform_unavailable: down",
            "step": 3,
            "calls": 9,
            "run_calls": 9,
            "cursor": fresh().cursor.after_page(listed=2, next_page=2),
        }
    )
    later = STARTED + timedelta(days=1)
    resumed = paused.resumed_by("daily-2", later)
    assert (resumed.run_id, resumed.run_started_at) == ("daily-2", later)
    assert resumed.resumed_from == "daily-1"
    assert resumed.status is PullStatus.IN_PROGRESS
    assert (resumed.step, resumed.run_calls, resumed.calls, resumed.error) == (0, 0, 9, None)
    assert resumed.cursor == paused.cursor  # where it stopped: page 2 of the first listing
    # Resumed again by a third run, it still names the run that began it.
    assert resumed.resumed_by("daily-3", later).resumed_from == "daily-1"


def test_the_state_survives_its_stored_form() -> None:
    state = fresh().model_copy(update={"cursor": fresh().cursor.after_page(listed=2, next_page=2)})
    stored = state.model_dump(mode="json")
    assert PullState.model_validate(stored) == state
    assert not _floats_in(stored)  # DynamoDB's serializer refuses floats


def test_what_a_run_reports_of_its_pull() -> None:
    cursor = fresh().cursor
    cursor = cursor.after_page(listed=2, next_page=2)
    cursor = cursor.after_page(listed=0, next_page=None)
    cursor = cursor.after_page(listed=0, next_page=None)
    assert cursor.phase is PullPhase.FETCHING
    state = fresh().model_copy(
        update={
            "cursor": cursor,
            "status": PullStatus.PAUSED,
            "error": "platform_unavailable: 503",
            "fetch_total": 3,
            "feed_total": 2,
            "feed_offset": 2,
            "drift": {
                "new_member": 1,
                "membership_changed": 0,
                "profile_changed": 0,
                "not_listed": 2,
            },
            "drift_report": [
                {"member_id": "m1", "kind": "new_member", "held": None, "listed": "x"}
            ],
            "run_calls": 3,
            "calls": 7,
        }
    )
    report = state.report()
    assert report["platform_calls"] == 3
    assert report["pulled"] == {"pages": 3, "records": 2, "skipped": 0, "fetched": 0}
    assert report["fed"] == {"applied": 0, "duplicate": 0, "stale": 0, "commands": 0}
    assert report["platform_drift"]["total"] == 3
    assert report["platform_drift"]["report_truncated"] is True  # 1 of 3 items kept
    platform = report["platform"]
    assert platform["status"] == "paused"
    assert platform["resumes"] == "next run"
    assert (platform["listing"], platform["page"]) == (None, None)
    assert (platform["to_feed"], platform["to_fetch"]) == (0, 3)
    assert platform["calls_total"] == 7
    assert fresh().report()["platform"]["listing"] == "enrollments?status=active"
    assert fresh().report()["platform"]["resumes"] is None


def test_a_weekly_result_carries_its_pull_next_to_the_kisi_drift() -> None:
    state = WeeklyState(run_id="weekly-1", tenant_id="club-1", started_at=STARTED)
    assert "platform_drift" not in state.result()
    state.platform = fresh(PullKind.WEEKLY).report()
    state.platform_error = "platform_credentials_invalid"
    result = state.result()
    assert result["platform_drift"]["total"] == 0
    assert result["drift_total"] == 0
    assert "platform_error" not in result


def test_a_budget_allows_one_fetched_member_at_least() -> None:
    PullBudget(calls=2, events=1)
    with pytest.raises(ValueError):
        PullBudget(calls=1, events=10)
    with pytest.raises(ValueError):
        PullBudget(calls=10, events=0)


def test_listed_events_round_trip_through_their_stored_form() -> None:
    events: list[MembershipUpserted | MemberProfileUpdated] = [
        MembershipUpserted(
            event_id="pushpress:enrollment:e1@1",
            updated_at=STARTED,
            member_id="m1",
            plan_id="p24",
            status=MembershipStatus.PENDING_CANCEL,
            cancellation_at=STARTED + timedelta(days=3),
        ),
        MemberProfileUpdated(
            event_id="pushpress:customer:m1@1",
            updated_at=STARTED,
            member_id="m1",
            email="Ann@Example.com",
            name="Ann Lee",
        ),
    ]
    assert decode_events(encode_events(events)) == events
    assert decode_events([]) == []


def _floats_in(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_floats_in(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_floats_in(v) for v in value)
    return False
