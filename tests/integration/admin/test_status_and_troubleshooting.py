"""GET /status (connection, member counts, the command DLQ's depth) and GET
/members/{id}/access (why a member has or has not access: the decision with its reason, the
platform data it used, and what Kisi was last told)."""

from datetime import timedelta

import pytest

from tests.integration.harness import (
    API_KEY,
    DAY_PASS_PLAN,
    GOLD_PLAN,
    T0,
    TENANT_ID,
    AdminApi,
    Club,
    stack_state,
)

ADA = "ada@example.com"


def test_status_counts_members_with_access_pending_and_in_sync(club: Club, admin: AdminApi) -> None:
    club.membership("m1", ADA, "active", T0)
    club.membership("m2", "bo@example.com", "active", T0, plan_id=DAY_PASS_PLAN)
    club.membership("m4", "dee@example.com", "active", T0)
    club.converge()
    club.post(
        "membership.deleted", {"member_id": "m4", "updated_at": (T0 + timedelta(1)).isoformat()}
    )
    club.converge()
    club.membership("m3", "cy@example.com", "active", T0)  # not converged yet

    result = admin("GET", "/status")

    assert result.status == 200, result.body
    body = result.body
    assert body["tenant_id"] == TENANT_ID
    assert body["members"] == {
        "members": 3,
        "with_access": 1,
        "in_sync": 3,
        "pending": 1,
        "failed": 0,
    }
    connection = body["connection"]
    assert connection["state"] == "connected"
    assert connection["kisi_organization_id"] == club.organization_id
    assert connection["kisi_key_hint"] == API_KEY[-4:]
    assert set(body["syncs"]) >= {"daily", "weekly"}
    assert body["dead_letter_queue"] == {"depth": 0, "shared": True}
    assert body["checked_at"] is not None


def test_status_shows_failed_members_and_a_key_kisi_stopped_accepting(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    club.converge()
    club.kisi.emulator.revoke_api_key(API_KEY)
    club.membership("m2", "bo@example.com", "active", T0)
    club.membership("m3", "cy@example.com", "active", T0)
    club.converge()

    body = admin("GET", "/status").body

    assert body["connection"]["state"] == "invalid_credentials"
    assert body["members"]["failed"] == 2
    assert body["members"]["with_access"] == 1
    assert body["members"]["in_sync"] == 1


def test_status_reports_the_dead_letter_queue_depth(club: Club, admin: AdminApi) -> None:
    club.stack.sqs.send_message(
        QueueUrl=club.stack.resources.queue_urls["CommandDeadLetterQueue"],
        MessageBody='{"kind": "converge_member"}',
        MessageGroupId="tenant-club-1",
        MessageDeduplicationId="dead-1",
    )

    assert admin("GET", "/status").body["dead_letter_queue"] == {"depth": 1, "shared": True}


def test_status_without_a_configured_dead_letter_queue_says_null(
    club: Club, admin: AdminApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMMAND_DLQ_URL")

    result = admin("GET", "/status")

    assert result.status == 200
    assert result.body["dead_letter_queue"] is None


def test_status_of_a_disconnected_club(club: Club, admin: AdminApi) -> None:
    admin("DELETE", "/kisi-credentials")

    connection = admin("GET", "/status").body["connection"]

    assert connection["state"] == "disconnected"
    assert connection["kisi_key_hint"] is None
    assert connection["checked_at"] is not None


def test_a_granted_member_is_explained_with_the_data_used_and_the_kisi_record(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    club.converge()

    result = admin("GET", "/members/m1/access")

    assert result.status == 200, result.body
    body = result.body
    decision = body["decision"]
    assert (decision["granted"], decision["reason"]) == (True, "active")
    assert decision["kisi_group_id"] == club.group_id
    assert decision["explanation"]
    member = body["member"]
    assert (member["email"], member["plan_id"], member["status"]) == (ADA, GOLD_PLAN, "active")
    assert member["deleted"] is False
    assert member["version"] == 1
    assert body["plan"]["plan_id"] == GOLD_PLAN
    assert body["plan"]["has_24h_access"] is True
    assert body["default_kisi_group_id"] == club.group_id
    kisi = body["kisi"]
    assert kisi["sync_state"] == "in_sync"
    assert kisi["synced_version"] == 1
    assert kisi["last_error"] is None
    [grant] = kisi["grants"]
    assignment = club.group_assignments()[ADA]
    assert (grant["email"], grant["group_id"]) == (ADA, club.group_id)
    assert grant["assignment_id"] == assignment["id"]
    assert grant["user_id"] == assignment["assignee_id"]
    assert grant["user_created_by_us"] is True
    assert (body["in_sync"], body["pending_kisi_changes"]) == (True, [])
    assert body["kisi_connection"] == "connected"


def test_a_member_not_converged_yet_shows_what_the_worker_still_has_to_write(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)

    body = admin("GET", "/members/m1/access").body

    assert body["decision"]["granted"] is True
    assert body["in_sync"] is False
    assert body["kisi"]["sync_state"] == "pending"
    assert body["kisi"]["grants"] == []
    assert body["pending_kisi_changes"] == [f"grant {ADA} Kisi group {club.group_id}"]


@pytest.mark.parametrize(
    ("status", "plan_id", "reason"),
    [
        ("paused", GOLD_PLAN, "paused"),
        ("cancelled", GOLD_PLAN, "cancelled"),
        ("pending_active", GOLD_PLAN, "pending_active"),
        ("active", DAY_PASS_PLAN, "plan_without_24h_access"),
        ("active", "unknown-plan", "plan_unknown"),
    ],
)
def test_a_member_without_access_is_explained_with_its_reason(
    club: Club, admin: AdminApi, status: str, plan_id: str, reason: str
) -> None:
    club.membership("m1", ADA, "active", T0)
    club.converge()
    club.membership("m1", ADA, status, T0 + timedelta(hours=1), plan_id=plan_id)

    body = admin("GET", "/members/m1/access").body

    assert body["decision"]["granted"] is False
    assert body["decision"]["reason"] == reason
    assert body["member"]["status"] == status
    assert body["member"]["version"] == 2
    assert body["pending_kisi_changes"] == [f"revoke {ADA} from Kisi group {club.group_id}"]
    club.converge()
    after = admin("GET", "/members/m1/access").body
    assert (after["in_sync"], after["pending_kisi_changes"], after["kisi"]["grants"]) == (
        True,
        [],
        [],
    )


def test_a_pending_cancellation_is_explained_with_its_end(club: Club, admin: AdminApi) -> None:
    ends = T0 + timedelta(days=3650)
    club.membership("m1", ADA, "pending_cancel", T0, cancellation_at=ends)
    club.converge()

    body = admin("GET", "/members/m1/access").body

    assert body["decision"]["reason"] == "pending_cancel_until_date"
    assert body["decision"]["valid_until"] == body["member"]["cancellation_at"]
    assert body["kisi"]["grants"][0]["valid_until"] is not None


def test_a_member_failing_in_kisi_shows_the_last_error(club: Club, admin: AdminApi) -> None:
    admin("DELETE", "/kisi-credentials")
    club.membership("m1", ADA, "active", T0)
    club.converge()

    body = admin("GET", "/members/m1/access").body

    assert body["kisi"]["sync_state"] == "failed"
    assert body["kisi"]["last_error"] == "kisi_not_connected"
    assert body["kisi_connection"] == "disconnected"
    assert body["in_sync"] is False


def test_an_unknown_member_is_a_404_and_reads_change_nothing(club: Club, admin: AdminApi) -> None:
    before = stack_state(club.stack)

    result = admin("GET", "/members/nobody/access")

    assert result.status == 404
    assert result.body["error"] == "member_not_found"
    assert admin("GET", "/status").status == 200
    assert stack_state(club.stack) == before
