"""The mass-revoke circuit breaker end to end on the in-process stack: a burst of cancellations
(webhooks, DynamoDB, SQS, worker, Kisi), the held revokes in the Admin API, approval and
rejection, and the daily sync passing the same gate."""

from datetime import timedelta

from access_core import bootstrap
from tests.integration.harness import AdminApi
from tests.integration.sync.conftest import daily

from .conftest import T0, TENANT_ID, Club

MEMBERS = [f"m{n:02}" for n in range(20)]
CANCELLED = MEMBERS[:10]


def email(member_id: str) -> str:
    return f"{member_id}@example.com"


def club_of_twenty(club: Club) -> None:
    for member_id in MEMBERS:
        club.membership(member_id, email(member_id), "active", T0)
    club.converge()
    assert {email(m) for m in MEMBERS} <= club.group_emails()


def cancel_ten(club: Club) -> None:
    for member_id in CANCELLED:
        club.membership(member_id, email(member_id), "cancelled", T0 + timedelta(hours=1))
    club.kisi.emulator.reset_counts()
    club.converge()


def held_ids(admin: AdminApi) -> list[str]:
    answer = admin("GET", "/quarantine")
    assert answer.status == 200, answer.body
    return [revoke["member_id"] for revoke in answer.body["revokes"]]


def test_a_burst_of_ten_cancellations_in_a_club_of_twenty_holds_those_beyond_the_threshold(
    club: Club,
) -> None:
    admin = AdminApi(club.stack)
    club_of_twenty(club)

    cancel_ten(club)

    # 20% of 20 members: 4 revokes an hour go through; the other 6 wait, with access.
    applied, held = CANCELLED[:4], CANCELLED[4:]
    in_group = club.group_emails()
    assert not {email(m) for m in applied} & in_group
    assert {email(m) for m in held} <= in_group
    assert club.kisi.emulator.counts()["total"] == len(applied)  # one removal each, no more
    assert held_ids(admin) == held
    assert club.stored_member(held[0]).kisi.last_error is not None
    assert [e["subject"] for e in club.stack_audit() if e["action"] == "quarantine.held"] == (
        held[::-1]
    )


def test_approval_revokes_exactly_the_approved_and_rejection_keeps_access(club: Club) -> None:
    admin = AdminApi(club.stack)
    club_of_twenty(club)
    cancel_ten(club)
    held = CANCELLED[4:]
    rejected, approved = held[:2], held[2:]
    # One of the approved comes back before the admin looks: approving it must not revoke it.
    returned = approved[0]
    club.membership(returned, email(returned), "active", T0 + timedelta(hours=2))
    club.converge()

    refused = admin("POST", "/quarantine/reject", {"member_ids": [rejected[0], "m19"]})
    assert refused.status == 422
    assert refused.body["fields"][0]["field"] == "body.member_ids.1"
    assert held_ids(admin) == held  # nothing changed

    answer = admin("POST", "/quarantine/reject", {"member_ids": rejected})
    assert answer.status == 200, answer.body
    assert answer.body["still_held"] == len(approved)
    answer = admin("POST", "/quarantine/approve", {})
    assert answer.status == 200, answer.body
    assert answer.body["member_ids"] == approved
    club.kisi.emulator.reset_counts()
    club.converge()

    in_group = club.group_emails()
    assert not {email(m) for m in approved if m != returned} & in_group
    assert email(returned) in in_group
    assert {email(m) for m in rejected} <= in_group
    assert {email(m) for m in MEMBERS[10:]} <= in_group
    assert club.kisi.emulator.counts()["total"] == len(approved) - 1
    assert held_ids(admin) == []
    actions = [e["action"] for e in club.stack_audit()]
    assert "admin.quarantine_rejected" in actions
    assert "admin.quarantine_approved" in actions

    # A rejected member stays granted when a sync queues it again with the same state.
    daily(club)
    club.converge()
    assert {email(m) for m in rejected} <= club.group_emails()


def test_the_daily_sync_neither_bypasses_the_quarantine_nor_trips_it_again(club: Club) -> None:
    admin = AdminApi(club.stack)
    club_of_twenty(club)
    cancel_ten(club)
    window, _ = bootstrap.container().stores.quarantine.revoke_facts(TENANT_ID, "none")

    daily(club)  # queues the unsynced members again: the six held ones
    club.kisi.emulator.reset_counts()  # (the sync itself checks the key with Kisi)
    club.converge()

    assert club.kisi.emulator.counts()["total"] == 0
    assert held_ids(admin) == CANCELLED[4:]
    again, _ = bootstrap.container().stores.quarantine.revoke_facts(TENANT_ID, "none")
    assert again.revokes == window.revokes


def test_a_threshold_of_zero_turns_the_breaker_off(club: Club) -> None:
    admin = AdminApi(club.stack)
    settings = admin("GET", "/settings").body
    assert settings["mass_revoke_threshold_percent"] == 20
    answer = admin(
        "PUT",
        "/settings",
        {"platform": "canonical", "door_access_enabled": False, "mass_revoke_threshold_percent": 0},
    )
    assert answer.status == 200, answer.body
    assert answer.body["mass_revoke_threshold_percent"] == 0
    club_of_twenty(club)

    cancel_ten(club)

    assert not {email(m) for m in CANCELLED} & club.group_emails()
    assert held_ids(admin) == []
