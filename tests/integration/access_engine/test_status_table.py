"""Every row of the status table (docs/access-rules.md), end to end: webhook, DynamoDB, SQS,
worker, Kisi."""

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import DAY_PASS_PLAN, T0, UNMANAGED_EMAIL, Club

EMAIL = "ada@example.com"


def now() -> datetime:
    return datetime.now(UTC)


def test_active_member_on_24h_plan_becomes_a_kisi_user_in_the_group(club: Club) -> None:
    response = club.membership("m1", EMAIL, "active", T0)
    assert response.status == 202
    assert response.body["status"] == "accepted"

    club.converge()

    assignment = club.group_assignments()[EMAIL]
    assert assignment["valid_until"] is None
    [user] = club.users_by_email()[EMAIL]
    assert user["metadata"].get("managed_by") == "kisi-access-bridge"
    stored = club.stored_member("m1")
    assert stored.kisi.sync_state.value == "in_sync"
    assert stored.kisi.grants[0].user_id == user["id"]


def test_pending_cancel_with_a_future_date_is_granted_until_that_date(club: Club) -> None:
    cancels_at = (now() + timedelta(days=10)).replace(microsecond=0)
    club.membership("m1", EMAIL, "pending_cancel", T0, cancellation_at=cancels_at)
    club.converge()

    valid_until = club.group_assignments()[EMAIL]["valid_until"]
    assert datetime.fromisoformat(valid_until) == cancels_at


def test_pending_cancel_whose_date_has_passed_is_revoked(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    club.converge()
    assert EMAIL in club.group_emails()

    club.membership(
        "m1",
        EMAIL,
        "pending_cancel",
        T0 + timedelta(hours=1),
        cancellation_at=now() - timedelta(days=1),
    )
    club.converge()
    assert EMAIL not in club.group_emails()


def test_pending_active_is_not_granted_until_active(club: Club) -> None:
    club.membership("m1", EMAIL, "pending_active", T0)
    club.converge()
    assert EMAIL not in club.group_emails()
    assert EMAIL not in club.users_by_email()

    club.membership("m1", EMAIL, "active", T0 + timedelta(hours=1))
    club.converge()
    assert EMAIL in club.group_emails()


@pytest.mark.parametrize("status", ["paused", "expired", "cancelled"])
def test_paused_expired_and_cancelled_are_revoked(club: Club, status: str) -> None:
    club.membership("m1", EMAIL, "active", T0)
    club.converge()
    assert EMAIL in club.group_emails()

    club.membership("m1", EMAIL, status, T0 + timedelta(hours=1))
    club.converge()

    assert EMAIL not in club.group_emails()
    # Revoking removes the assignment; the user stays (revoke mode "remove_assignment").
    assert len(club.users_by_email()[EMAIL]) == 1
    assert UNMANAGED_EMAIL in club.group_emails()


def test_a_plan_without_24h_access_grants_nothing_and_revokes(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0, plan_id=DAY_PASS_PLAN)
    club.converge()
    assert EMAIL not in club.group_emails()

    club.membership("m2", "bo@example.com", "active", T0)
    club.converge()
    club.membership(
        "m2", "bo@example.com", "active", T0 + timedelta(hours=1), plan_id=DAY_PASS_PLAN
    )
    club.converge()
    assert "bo@example.com" not in club.group_emails()


def test_member_deleted_in_the_platform_is_revoked(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    club.converge()
    club.post(
        "membership.deleted",
        {"member_id": "m1", "updated_at": (T0 + timedelta(hours=1)).isoformat()},
    )
    club.converge()
    assert EMAIL not in club.group_emails()


def test_delete_created_users_mode_deletes_only_users_we_created(deleting_club: Club) -> None:
    club = deleting_club
    club.membership("m1", EMAIL, "active", T0)
    club.membership("m2", UNMANAGED_EMAIL, "active", T0)  # adopts the coach's existing user
    club.converge()
    assert {EMAIL, UNMANAGED_EMAIL} <= club.group_emails()

    club.membership("m1", EMAIL, "cancelled", T0 + timedelta(hours=1))
    club.membership("m2", UNMANAGED_EMAIL, "cancelled", T0 + timedelta(hours=1))
    club.converge()

    users = club.users_by_email()
    assert EMAIL not in users  # created by us: deleted
    assert [u["id"] for u in users[UNMANAGED_EMAIL]] == [club.unmanaged_user_id]  # adopted: kept
    assert club.group_emails() == set()


def test_a_plan_losing_24h_access_revokes_every_member_on_it(club: Club) -> None:
    emails = [f"member{i}@example.com" for i in range(3)]
    for i, email in enumerate(emails):
        club.membership(f"m{i}", email, "active", T0)
    club.converge()
    assert set(emails) <= club.group_emails()

    response = club.plan("gold-24h", False, T0 + timedelta(days=1))
    assert response.status == 202
    club.converge()
    assert not set(emails) & club.group_emails()
    assert UNMANAGED_EMAIL in club.group_emails()

    club.plan("gold-24h", True, T0 + timedelta(days=2), group_id=club.other_group_id)
    club.converge()
    assert set(emails) <= club.group_emails(club.other_group_id)
