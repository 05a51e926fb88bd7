"""GET /sync-runs (the history, newest first, by kind, paged) and GET /sync-runs/{run_id} (a
weekly run's progress while it runs from the queue; a run no longer current is 404)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from access_core import bootstrap
from access_core.sync.service import WEEKLY_DRY_RUN, WeeklyBudget
from tests.integration.harness import T0, TENANT_ID, AdminApi, Club


def test_the_history_lists_every_recorded_run_newest_first_by_kind(
    club: Club, admin: AdminApi
) -> None:
    for kind in ("daily", "weekly", "daily"):
        assert admin("POST", "/sync", {"kind": kind}).status == 200

    every = admin("GET", "/sync-runs")
    assert every.status == 200, every.body
    assert [run["kind"] for run in every.body["runs"]] == ["daily", "weekly", "daily"]
    assert every.body["runs"][0]["started_at"] >= every.body["runs"][1]["started_at"]

    first = admin("GET", "/sync-runs", query={"kind": "daily", "limit": "1"})
    assert [run["kind"] for run in first.body["runs"]] == ["daily"]
    second = admin(
        "GET",
        "/sync-runs",
        query={"kind": "daily", "limit": "2", "cursor": first.body["next_cursor"]},
    )
    assert [run["kind"] for run in second.body["runs"]] == ["daily"]
    assert second.body["runs"][0]["run_id"] != first.body["runs"][0]["run_id"]

    latest_daily = first.body["runs"][0]["run_id"]
    assert admin("GET", f"/sync-runs/{latest_daily}").body["status"] == "succeeded"
    older = admin("GET", f"/sync-runs/{second.body['runs'][0]['run_id']}")
    assert older.status == 404
    assert older.body["error"] == "sync_run_not_found"
    assert admin("GET", "/sync-runs", query={"cursor": "forged"}).status == 422


def test_a_weekly_run_from_the_queue_shows_its_progress(club: Club, admin: AdminApi) -> None:
    for n in range(3):
        club.membership(f"m{n}", f"m{n}@example.com", "active", T0)
    club.converge()
    container = bootstrap.container()
    container.sync = replace(
        container.sync,
        inline_budget=WeeklyBudget(pages=1, members=1),
        step_budget=WeeklyBudget(pages=1, members=1),
    )

    started = admin("POST", "/sync", {"kind": "weekly"})
    assert started.body["status"] == "in_progress", started.body
    progress = admin("GET", f"/sync-runs/{started.body['run_id']}")
    assert progress.status == 200, progress.body
    assert progress.body["phase"] in {"list", "diff"}
    assert progress.body["step"] >= 1

    club.converge()
    done = admin("GET", f"/sync-runs/{started.body['run_id']}")
    assert done.body["status"] == "succeeded"
    assert done.body["members_checked"] == 3


def test_a_newer_dry_run_replaces_a_queued_one_whose_step_then_does_nothing(
    club: Club, admin: AdminApi
) -> None:
    first = admin("POST", "/sync", {"kind": "weekly", "dry_run": True})
    second = admin("POST", "/sync", {"kind": "weekly", "dry_run": True})
    assert first.status == second.status == 202
    assert first.body["run_id"] != second.body["run_id"]

    club.converge()  # both steps are delivered; only the second's runs

    assert admin("GET", f"/sync-runs/{first.body['run_id']}").status == 404
    done = admin("GET", f"/sync-runs/{second.body['run_id']}")
    assert done.body["status"] == "succeeded"
    assert admin("GET", "/sync-runs").body["runs"] == []  # dry runs are not in the history


@pytest.mark.parametrize(("attempts", "outcome"), [(1, "succeeded"), (2, "failed")])
def test_a_dry_run_whose_worker_stopped_is_run_again_once_then_recorded_failed(
    club: Club, admin: AdminApi, attempts: int, outcome: str
) -> None:
    started = admin("POST", "/sync", {"kind": "weekly", "dry_run": True})
    stores = bootstrap.container().stores
    record = stores.sync_runs.get(TENANT_ID, WEEKLY_DRY_RUN)
    assert record is not None
    # As an invocation that timed out leaves it: in progress, no result.
    stores.sync_runs.put(
        TENANT_ID, WEEKLY_DRY_RUN, {**record, "status": "in_progress", "attempts": attempts}
    )

    club.converge()

    run = admin("GET", f"/sync-runs/{started.body['run_id']}").body
    assert run["status"] == outcome
    if outcome == "failed":
        assert run["error"] == "dry_run_did_not_finish"
