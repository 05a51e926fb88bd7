"""The daily and weekly syncs pull from PushPress (docs/sync.md, "Pulling from PushPress") and
repair what lost webhooks left wrong: handlers, moto, the queue, the worker, Kisi's and
PushPress's emulators. PushPress pages hold 2 records here (conftest.PAGE_SIZE)."""

from __future__ import annotations

import dataclasses

from access_core import bootstrap
from access_core.domain.commands import WeeklySyncStep
from access_core.domain.events import MembershipStatus
from access_core.domain.model import ConnectionState
from access_core.domain.ports import DirectoryPage
from access_core.sync.platform_sync import PullBudget
from access_core.sync.service import continue_weekly_sync, latest_sync_runs
from tests.integration.harness import TENANT_ID, UNMANAGED_EMAIL, stack_state

from .conftest import PushPressClub, email_of, stack_container

LIST_CUSTOMERS = "GET /v3/customers"
GET_CUSTOMER = "GET /v3/customers/{uuid}"


def onboard(platform: PushPressClub, *refs: str) -> None:
    """Members active on the 24-hour plan, granted in Kisi by a daily sync (their webhooks were
    never delivered: the pull found them)."""
    for ref in refs:
        platform.add_member(ref)
    platform.lose_webhooks()
    result = platform.daily()
    assert result["status"] == "succeeded", (result["errors"], result.get("platform"))
    platform.club.converge()
    assert {email_of(ref) for ref in refs} <= platform.club.group_emails()
    platform.pushpress.reset_counts()
    platform.club.kisi.emulator.reset_counts()


def test_the_daily_pull_grants_members_whose_webhooks_never_came(platform: PushPressClub) -> None:
    platform.add_member("ann")
    platform.add_member("ben")
    platform.add_member("cy", plan="day-pass")  # no 24-hour access
    platform.pushpress.drop_deliveries(count=6)

    result = platform.daily()
    assert result["status"] == "succeeded"
    assert result["platform_drift"]["new_member"] == 3
    # Listed: active (2 pages of 2 and the empty third), pendcancel (an empty page); each new
    # member fetched for its email (the customer, then its enrollments).
    assert result["platform_calls"] == 3 + 1 + 3 * 2 == platform.calls()
    assert result["pulled"] == {"pages": 4, "records": 3, "skipped": 0, "fetched": 3}
    assert result["fed"]["applied"] == 3 + 3 * 2
    assert result["commands_enqueued"] == 3  # by the daily's Kisi pass, one per member
    assert result["kisi_calls"] == 1

    platform.club.converge()
    assert platform.club.group_emails() == {email_of("ann"), email_of("ben"), UNMANAGED_EMAIL}
    assert platform.club.stored_member("cy").email == email_of("cy")


def test_a_dropped_cancellation_is_revoked_by_the_daily_sync(platform: PushPressClub) -> None:
    onboard(platform, "ann", "ben")
    platform.pushpress.drop_deliveries(event="enrollment.status.changed")
    platform.set_status("ann", "canceled")
    assert [d["status"] for d in platform.pushpress.deliveries()][-1] == "dropped"
    assert platform.club.stored_member("ann").status is MembershipStatus.ACTIVE

    result = platform.daily()
    assert result["status"] == "succeeded"
    assert result["platform_drift"]["not_listed"] == 1
    [drift] = result["platform_drift"]["report"]
    assert drift == {
        "member_id": "ann",
        "kind": "not_listed",
        "held": "active on gold-24h",
        "listed": None,
    }
    # ben still listed as active: nothing fed for him; ann fetched on her own (2 calls).
    assert result["pulled"]["fetched"] == 1
    assert platform.calls(GET_CUSTOMER) == 1
    assert result["platform_calls"] == 2 + 1 + 2
    assert platform.club.stored_member("ann").status is MembershipStatus.CANCELLED

    platform.club.converge()
    assert email_of("ann") not in platform.club.group_emails()
    assert email_of("ben") in platform.club.group_emails()
    assert platform.club.kisi.emulator.call_count("DELETE /role_assignments/{id}") == 1


def test_a_member_created_while_webhooks_were_down_is_granted_by_the_weekly_sync(
    platform: PushPressClub,
) -> None:
    onboard(platform, "ann")
    platform.pushpress.drop_deliveries(count=2)  # customer.created, enrollment.created
    platform.add_member("dee")

    result = platform.weekly()
    assert result["status"] == "succeeded"
    assert result["platform_drift"]["new_member"] == 1
    assert result["platform_drift"]["profile_changed"] == 1  # dee's email, from the listing
    # Every enrollment (2: one page and the empty next) and every customer (3: 2 pages and the
    # empty third); no member fetched, the customers listing has the emails.
    assert result["platform_calls"] == 2 + 3 == platform.calls()
    assert platform.calls(GET_CUSTOMER) == 0
    assert result["fed"]["applied"] == 2
    assert result["fed"]["commands"] == 2  # queued by the intake, as webhooks do

    platform.club.converge()
    assert email_of("dee") in platform.club.group_emails()
    assert platform.club.kisi.emulator.call_count("POST /users") == 1
    assert latest_sync_runs(bootstrap.container().stores, TENANT_ID)["weekly"] is not None


def test_a_pushpress_outage_during_the_daily_sync_is_retried_by_the_next_run_losing_nothing(
    platform: PushPressClub,
) -> None:
    onboard(platform, "ann", "ben")
    platform.set_status("ann", "canceled")  # its webhook is never posted
    platform.add_member("cy")
    # PushPress goes down after the listing: every member fetch fails (the client's retries too).
    platform.pushpress.inject_fault(kind="outage", path_prefix="/customers")

    first = platform.daily()
    assert first["status"] == "failed"
    [error] = first["errors"]
    assert error.startswith("platform_unavailable")
    assert first["platform"]["status"] == "paused"
    assert first["platform"]["resumes"] == "next run"
    assert first["platform"]["to_fetch"] == 2  # ann (gone from the listing), cy (no email yet)
    assert first["kisi_calls"] == 1  # Kisi is synced all the same
    assert first["fed"]["applied"] == 1  # cy's listed membership, stored before the outage

    platform.pushpress.clear_faults()
    platform.pushpress.reset_counts()
    second = platform.daily()
    assert second["status"] == "succeeded"
    assert second["platform"]["resumed_from"] == first["run_id"]
    # Resumed where it stopped: no page read again, the two members fetched.
    assert second["pulled"]["pages"] == first["pulled"]["pages"] == 3
    assert second["pulled"]["fetched"] == 2
    assert second["platform_calls"] == 2 * 2 == platform.calls()
    platform.club.converge()
    assert email_of("ann") not in platform.club.group_emails()
    assert email_of("cy") in platform.club.group_emails()

    # The pull is done: the next run begins a new one.
    third = platform.daily()
    assert third["platform"]["resumed_from"] is None
    assert third["platform_drift"]["total"] == 0


def test_a_pushpress_outage_during_the_weekly_listing_is_resumed_by_the_next_weekly_run(
    platform: PushPressClub,
) -> None:
    onboard(platform, "ann")
    platform.add_member("dee")
    platform.pushpress.inject_fault(kind="outage", path_prefix="/customers")

    first = platform.weekly()
    assert first["status"] == "failed"
    assert first["error"].startswith("platform_unavailable")
    assert first["platform"]["listing"] == "customers"
    assert first["platform"]["page"] == 1
    assert first["kisi_calls"] == 1  # the Kisi reconciliation ran anyway

    platform.pushpress.clear_faults()
    platform.pushpress.reset_counts()
    second = platform.weekly()
    assert second["status"] == "succeeded"
    assert second["platform"]["resumed_from"] == first["run_id"]
    # Resumed at the customers' first page: the enrollments were not listed again.
    assert second["platform_calls"] == 3 == platform.calls(LIST_CUSTOMERS) == platform.calls()
    platform.club.converge()
    assert email_of("dee") in platform.club.group_emails()


def test_a_pulled_record_older_than_a_stored_webhook_changes_nothing(
    platform: PushPressClub,
) -> None:
    onboard(platform, "ann", "ben")
    # Webhooks' `created` comes from PushPress's clock; it is ahead of ours here, so the
    # bridge takes each delivery at the time it arrives.
    platform.pushpress.advance_clock(60)

    def cancel_ann_while_listed(status: str | None, page: DirectoryPage) -> None:
        """PushPress cancels ann just after the sync read her as active; the webhook arrives
        before the sync stores what it read."""
        if status == "active" and page.page == 1:
            platform.set_status("ann", "canceled")
            [answer] = platform.deliver_webhooks()
            assert answer.status == 202, answer.body

    stack_container().after_page = cancel_ann_while_listed
    result = platform.daily()
    stack_container().after_page = None

    assert result["status"] == "succeeded", (result["errors"], result.get("platform"))
    assert result["platform_drift"]["membership_changed"] == 1  # listed active, held cancelled
    assert result["fed"] == {"applied": 0, "duplicate": 0, "stale": 1, "commands": 0}
    assert platform.club.stored_member("ann").status is MembershipStatus.CANCELLED
    platform.club.converge()
    assert email_of("ann") not in platform.club.group_emails()
    assert email_of("ben") in platform.club.group_emails()


def test_a_dry_run_shows_the_platform_drift_and_writes_nothing(platform: PushPressClub) -> None:
    onboard(platform, "ann", "ben")
    platform.set_status("ann", "canceled")
    platform.add_member("dee")
    before = stack_state(platform.club.stack)
    kisi_before = platform.club.snapshot()

    daily = platform.daily(dry_run=True)
    assert daily["dry_run"] is True
    assert daily["platform_drift"]["new_member"] == 1
    assert daily["platform_drift"]["not_listed"] == 1
    assert {(d["member_id"], d["kind"]) for d in daily["platform_drift"]["report"]} == {
        ("dee", "new_member"),
        ("ann", "not_listed"),
    }
    assert daily["platform"]["to_fetch"] == 2  # what a real run would read: nothing fetched
    assert platform.calls(GET_CUSTOMER) == 0
    assert daily["commands_enqueued"] == 0

    weekly = platform.weekly(dry_run=True)
    assert weekly["dry_run"] is True
    drift = weekly["platform_drift"]
    assert (drift["new_member"], drift["membership_changed"], drift["profile_changed"]) == (1, 1, 1)
    assert weekly["drift_total"] == 0  # Kisi's listing matches what the bridge holds
    assert "@" not in str(weekly["platform_drift"]["report"])  # member ids, no email

    assert stack_state(platform.club.stack) == before
    assert platform.club.snapshot() == kisi_before


def test_a_refused_pushpress_key_is_marked_invalid_and_kisi_is_still_synced(
    platform: PushPressClub,
) -> None:
    platform.add_member("ann")
    platform.pushpress.revoke_api_key("pp-platform-sync-key-0123456789abcdef")

    result = platform.daily()
    assert result["status"] == "failed"
    assert result["errors"] == ["platform_credentials_invalid"]
    assert result["platform"]["status"] == "credentials_invalid"
    assert result["kisi_calls"] == 1
    tenant = platform.club.stack_tenant()
    assert tenant.platform_api_state is ConnectionState.INVALID_CREDENTIALS
    assert tenant.platform_api_checked_at is not None

    # With the key refused, the tenant has no platform directory: the daily sync as before.
    again = platform.daily()
    assert again["status"] == "succeeded"
    assert "platform" not in again
    assert "platform_calls" not in again


def test_a_daily_pull_larger_than_its_budget_goes_on_in_queued_steps(
    platform: PushPressClub,
) -> None:
    refs = ["ann", "ben", "cy", "dee", "eve"]
    for ref in refs:
        platform.add_member(ref)
    container = stack_container()
    container.sync = dataclasses.replace(
        container.sync,
        inline_pull_budget=PullBudget(calls=2, events=1),
        step_pull_budget=PullBudget(calls=2, events=1),
    )

    first = platform.daily()
    assert first["status"] == "in_progress"
    assert first["platform_calls"] == 2
    assert first["kisi_calls"] == 0  # the Kisi pass follows the pull's last step

    platform.club.converge()  # the steps, then the convergences the last one queued
    done = latest_sync_runs(bootstrap.container().stores, TENANT_ID)["daily"]
    assert done is not None
    assert done["status"] == "succeeded"
    assert done["run_id"] == first["run_id"]
    # Listed once (3 pages of active and the empty fourth, one of pendcancel), each member
    # fetched once: no call repeated across the steps.
    assert done["platform_calls"] == 4 + 1 + 5 * 2
    assert done["pulled"] == {"pages": 5, "records": 5, "skipped": 0, "fetched": 5}
    assert done["commands_enqueued"] == 5
    assert {email_of(ref) for ref in refs} <= platform.club.group_emails()

    # A step delivered again after the run finished does nothing.
    stale = WeeklySyncStep(tenant_id=TENANT_ID, run_id=first["run_id"], step=1)
    assert continue_weekly_sync(container.sync, stale) is None
