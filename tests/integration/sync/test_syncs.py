"""The daily and weekly syncs end to end: handlers, the queue, the worker and the Kisi emulator."""

import dataclasses
import time
from datetime import UTC, datetime, timedelta

from access_core import bootstrap
from access_core.domain.commands import WeeklySyncStep
from access_core.domain.model import ConnectionState
from access_core.sync.service import (
    WeeklyBudget,
    continue_weekly_sync,
    latest_sync_runs,
)
from kisi_client import KisiClient
from kisi_emulator.server import RunningEmulator
from tests.integration.harness import (
    API_KEY,
    T0,
    TENANT_ID,
    UNMANAGED_EMAIL,
    AdminApi,
    Club,
    stack_state,
)

from .conftest import SECOND_TENANT, add_second_club, daily, only_result, weekly

EMAIL = "ana@example.com"


def kisi_by_hand(club: Club) -> KisiClient:
    """Someone at the club changing Kisi directly, with the club's key."""
    return KisiClient(API_KEY, base_url=club.kisi.base_url)


def grant(club: Club, member_id: str, email: str) -> None:
    club.membership(member_id, email, "active", T0)
    club.converge()
    assert email in club.group_emails()


def purge_commands(club: Club) -> None:
    """The webhook stored the change but its command never reached the worker."""
    club.stack.sqs.purge_queue(QueueUrl=club.stack.resources.queue_urls["CommandQueue"])


# ---- daily ------------------------------------------------------------------------------------


def test_daily_run_repairs_a_missed_webhook_command(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    purge_commands(club)
    assert EMAIL not in club.group_emails()

    summary = daily(club)
    result = only_result(summary, TENANT_ID)
    assert result["status"] == "succeeded"
    assert result["counts"]["changed"] >= 1
    assert result["counts"]["unsynced"] >= 1
    assert result["commands_enqueued"] == 1  # the same member from both indexes: one command
    assert result["kisi_calls"] == 1  # the credentials check, nothing else
    assert club.kisi.emulator.call_count("GET /user") == 1
    assert club.kisi.emulator.call_count() == 1  # no Kisi write from the sync itself

    club.converge()
    assert EMAIL in club.group_emails()
    stored = latest_sync_runs(bootstrap.container().stores, TENANT_ID)
    assert stored["daily"] is not None
    assert stored["daily"]["status"] == "succeeded"
    assert club.stack_tenant().connection_state is ConnectionState.CONNECTED


def test_daily_run_revokes_a_pending_cancel_once_its_date_has_passed(club: Club) -> None:
    ends = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    club.membership("m1", EMAIL, "pending_cancel", T0, cancellation_at=ends)
    club.converge()
    assert club.group_assignments()[EMAIL]["valid_until"] is not None
    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.2)

    result = only_result(daily(club), TENANT_ID)
    assert result["counts"]["access_ended"] == 1
    club.converge()
    assert EMAIL not in club.group_emails()
    assert UNMANAGED_EMAIL in club.group_emails()


def test_daily_run_picks_only_recent_changes_and_unsynced_members(club: Club) -> None:
    grant(club, "m1", EMAIL)
    first = only_result(daily(club), TENANT_ID)
    club.converge()
    assert first["status"] == "succeeded"
    # Nothing changed since: the overlap may repeat m1, but the worker writes nothing to Kisi.
    club.kisi.emulator.reset_counts()
    only_result(daily(club), TENANT_ID)
    club.converge()
    assert club.kisi.emulator.call_count() == 1  # GET /user


def test_daily_dry_run_enqueues_and_records_nothing(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    purge_commands(club)
    before = stack_state(club.stack)
    result = only_result(daily(club, tenant_id=TENANT_ID, dry_run=True), TENANT_ID)
    assert result["counts"]["members"] == 1
    assert result["commands_enqueued"] == 0
    assert stack_state(club.stack) == before


def test_tenant_with_invalid_credentials_is_reported_and_skipped(
    club: Club, kisi: RunningEmulator
) -> None:
    add_second_club(club, kisi)
    kisi.emulator.revoke_api_key("kisi-second-key-0123456789abcdef")
    club.membership("m1", EMAIL, "active", T0)
    purge_commands(club)

    summary = daily(club)
    assert summary["tenants"] == 2
    assert summary["failed"] == 1
    assert summary["succeeded"] == 1
    failed = only_result(summary, SECOND_TENANT)
    assert failed["errors"] == ["credentials_invalid"]
    stores = bootstrap.container().stores
    second = stores.tenants.get(SECOND_TENANT)
    assert second is not None
    assert second.connection_state is ConnectionState.INVALID_CREDENTIALS
    club.converge()
    assert EMAIL in club.group_emails()  # the other tenant went on

    weekly_summary = weekly(club)
    assert only_result(weekly_summary, SECOND_TENANT)["status"] == "skipped"
    assert only_result(weekly_summary, TENANT_ID)["status"] == "succeeded"


# ---- weekly -----------------------------------------------------------------------------------


def test_weekly_undoes_a_hand_made_removal_and_leaves_unmanaged_users_alone(club: Club) -> None:
    grant(club, "m1", EMAIL)
    grant(club, "m2", "bo@example.com")
    hand = kisi_by_hand(club)
    hand.remove_assignment(club.group_assignments()[EMAIL]["id"])
    unmanaged_before = club.group_assignments()[UNMANAGED_EMAIL]
    club.kisi.emulator.reset_counts()

    result = only_result(weekly(club, tenant_id=TENANT_ID), TENANT_ID)
    assert result["status"] == "succeeded"
    assert result["drift"] == {"missing_grant": 1, "unexpected_access": 0, "wrong_valid_until": 0}
    assert result["commands_enqueued"] == 1
    assert result["kisi_calls"] == 1  # one page: the plans all use the default group
    assert result["unmanaged_assignments"] == 1

    club.kisi.emulator.reset_counts()
    club.converge()
    assert EMAIL in club.group_emails()
    # The listing told the worker the user id: one POST, no lookup.
    assert club.kisi.emulator.call_count() == 1
    assert club.kisi.emulator.call_count("POST /role_assignments") == 1
    assert club.group_assignments()[UNMANAGED_EMAIL] == unmanaged_before


def test_weekly_removes_hand_made_access_of_a_managed_user_and_fixes_dates(club: Club) -> None:
    grant(club, "m1", EMAIL)
    ends = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    club.membership("m2", "bo@example.com", "pending_cancel", T0, cancellation_at=ends)
    club.membership("m3", "cy@example.com", "cancelled", T0)
    club.converge()
    hand = kisi_by_hand(club)
    users = {u["email"]: u["id"] for u in club.snapshot()["users"]}
    # By hand: m2's end date removed, cancelled m3 given access, m1 also put into VIP (a group
    # none of the club's plans uses: not the bridge's to reconcile).
    hand.create_group_assignment(users[EMAIL], club.other_group_id)
    bo = club.group_assignments()["bo@example.com"]
    hand.remove_assignment(bo["id"])
    hand.create_group_assignment(users["bo@example.com"], club.group_id)
    cy = hand.create_user("cy@example.com", "Cy", send_emails=False, marker="someone-else")
    hand.create_group_assignment(cy.id, club.group_id)

    result = only_result(weekly(club, tenant_id=TENANT_ID), TENANT_ID)
    assert result["drift"] == {"missing_grant": 0, "unexpected_access": 1, "wrong_valid_until": 1}
    club.kisi.emulator.reset_counts()
    club.converge()

    assert EMAIL in club.group_emails(club.other_group_id)
    assert "cy@example.com" not in club.group_emails()
    assert "cy@example.com" in club.users_by_email()  # not ours: never deleted
    valid_until = club.group_assignments()["bo@example.com"]["valid_until"]
    assert datetime.fromisoformat(valid_until) == ends
    assert UNMANAGED_EMAIL in club.group_emails()
    # Exactly the drift: one removal, and (remove, create) for the wrong date.
    assert club.kisi.emulator.call_count("DELETE /role_assignments/{id}") == 2
    assert club.kisi.emulator.call_count("POST /role_assignments") == 1
    assert club.kisi.emulator.call_count() == 3

    again = only_result(weekly(club, tenant_id=TENANT_ID), TENANT_ID)
    assert again["drift_total"] == 0
    assert again["commands_enqueued"] == 0


def test_weekly_dry_run_reports_the_drift_and_changes_nothing(club: Club) -> None:
    grant(club, "m1", EMAIL)
    kisi_by_hand(club).remove_assignment(club.group_assignments()[EMAIL]["id"])
    before = stack_state(club.stack)
    kisi_before = club.snapshot()

    result = only_result(weekly(club, tenant_id=TENANT_ID, dry_run=True), TENANT_ID)
    assert result["dry_run"] is True
    assert result["drift_total"] == 1
    [drift] = result["drift_report"]
    assert drift["member_id"] == "m1"
    assert drift["kind"] == "missing_grant"
    assert drift["email"] == EMAIL
    assert drift["reason"] == "active"
    assert result["commands_enqueued"] == 0
    assert stack_state(club.stack) == before
    assert club.snapshot() == kisi_before


def test_interrupted_weekly_run_resumes_without_duplicate_writes(club: Club) -> None:
    emails = [f"member{i}@example.com" for i in range(6)]
    for i, email in enumerate(emails):
        club.membership(f"m{i}", email, "active", T0)
    purge_commands(club)  # six members never granted: six missing grants
    container = bootstrap.container()
    # The sync, and the worker's weekly steps, take small budgets (injected in the container).
    container.sync = dataclasses.replace(
        container.sync,
        inline_budget=WeeklyBudget(pages=1, members=2),
        step_budget=WeeklyBudget(pages=1, members=2),
    )
    small = container.sync
    # Kisi fails the first listing call (and the client's retries): the run pauses there and
    # goes on from the queue, a bounded step at a time.
    club.kisi.emulator.inject_fault(
        kind="outage", method="GET", path_prefix="/role_assignments", max_requests=3
    )

    first = only_result(weekly(club, tenant_id=TENANT_ID), TENANT_ID)
    assert first["status"] == "in_progress"
    cursor = bootstrap.container().stores.sync_runs.get(TENANT_ID, "weekly#cursor")
    assert cursor is not None
    assert cursor["step"] >= 1

    club.converge()
    stores = bootstrap.container().stores
    done = latest_sync_runs(stores, TENANT_ID)["weekly"]
    assert done is not None
    assert done["status"] == "succeeded"
    assert done["drift"]["missing_grant"] == 6
    assert done["members_checked"] == 6
    assert set(emails) <= club.group_emails()
    assert club.kisi.emulator.call_count("POST /users") == 6
    assert club.kisi.emulator.call_count("POST /role_assignments") == 6
    assert club.kisi.emulator.call_count(status=409) == 0

    # A step delivered again after the run finished does nothing.
    stale = WeeklySyncStep(tenant_id=TENANT_ID, run_id=done["run_id"], step=1)
    assert continue_weekly_sync(small, stale) is None


def test_admin_sync_route_runs_one_tenant_and_status_reports_it(club: Club) -> None:
    grant(club, "m1", EMAIL)
    kisi_by_hand(club).remove_assignment(club.group_assignments()[EMAIL]["id"])
    admin = AdminApi(club.stack)

    # A weekly dry run is a job (a large club's takes longer than an HTTP request may).
    dry = admin("POST", "/sync", {"kind": "weekly", "dry_run": True})
    assert dry.status == 202, dry.body
    assert dry.body["status"] == "queued"
    run_path = f"/sync-runs/{dry.body['run_id']}"
    assert admin("GET", run_path).body["status"] == "queued"
    club.converge()
    report = admin("GET", run_path)
    assert report.status == 200, report.body
    assert report.body["dry_run"] is True
    assert report.body["status"] == "succeeded"
    assert report.body["drift"]["missing_grant"] == 1
    assert EMAIL not in club.group_emails()  # a dry run changes nothing

    real = admin("POST", "/sync", {"kind": "weekly", "dry_run": False})
    assert real.status == 200
    assert real.body["commands_enqueued"] == 1
    club.converge()
    assert EMAIL in club.group_emails()

    assert admin("POST", "/sync", {"kind": "daily", "dry_run": False}).status == 200
    assert admin("POST", "/sync", {"kind": "hourly"}).status == 422
    status = admin("GET", "/status")
    assert status.body["syncs"]["weekly"]["status"] == "succeeded"
    assert status.body["syncs"]["daily"]["status"] == "succeeded"
