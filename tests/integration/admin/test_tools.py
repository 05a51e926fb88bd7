"""The admin's tools on the in-process stack: test member (the worker's decision for one email,
nothing written), test reservation (the Unlock API's decision per player) and the migration
report (the weekly listing against the members, nothing written, Kisi calls counted)."""

from datetime import UTC, datetime, timedelta

from access_core import bootstrap
from tests.integration.harness import (
    DAY_PASS_PLAN,
    T0,
    UNMANAGED_EMAIL,
    AdminApi,
    Club,
    stack_state,
)

ADA = "ada@example.com"


def test_test_member_answers_the_decision_and_the_writes_without_changing_anything(
    club: Club, admin: AdminApi
) -> None:
    cancels = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    club.membership("m1", ADA, "pending_cancel", T0, cancellation_at=cancels)
    before = stack_state(club.stack)

    result = admin("POST", "/tools/test-member", {"email": " ADA@example.com "})

    assert result.status == 200, result.body
    body = result.body
    assert body["email"] == ADA
    assert body["granted"] is True
    assert body["kisi_group_ids"] == [club.group_id]
    (member,) = body["members"]
    assert member["decision"]["reason"] == "pending_cancel_until_date"
    assert datetime.fromisoformat(member["decision"]["valid_until"]) == cancels
    (change,) = member["kisi_changes"]
    assert (change["action"], change["kisi_group_id"]) == ("grant", club.group_id)
    assert stack_state(club.stack) == before
    assert club.kisi.emulator.counts()["total"] == 0


def test_test_member_takes_a_family_latest_end_and_names_who_has_no_access(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    club.membership("m2", ADA, "active", T0, plan_id=DAY_PASS_PLAN)
    club.converge()

    body = admin("POST", "/tools/test-member", {"email": ADA}).body

    decisions = {m["member_id"]: m["decision"] for m in body["members"]}
    assert decisions["m1"]["granted"] is True
    assert decisions["m2"]["reason"] == "plan_without_24h_access"
    # Converged: the worker has nothing left to write for either.
    assert [m["kisi_changes"] for m in body["members"]] == [[], []]


def test_test_member_of_an_unknown_email_grants_nothing(club: Club, admin: AdminApi) -> None:
    body = admin("POST", "/tools/test-member", {"email": "nobody@example.com"}).body

    assert (body["granted"], body["members"], body["kisi_group_ids"]) == (False, [], [])


def test_test_member_refuses_a_malformed_email(club: Club, admin: AdminApi) -> None:
    result = admin("POST", "/tools/test-member", {"email": "not an email"})

    assert result.status == 422
    assert result.body["fields"][0]["field"].endswith("email")


def test_test_reservation_judges_every_player_and_404s_an_unknown_reservation(
    club: Club, admin: AdminApi
) -> None:
    assert (
        admin("PUT", "/settings", {"platform": "canonical", "door_access_enabled": True}).status
        == 200
    )
    now = datetime.now(UTC)
    club.post(
        "reservation.upserted",
        {
            "reservation_id": "res-9",
            "player_ids": ["p-2", "p-1"],
            "court": "Court 1",
            "start": (now - timedelta(minutes=5)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
            "status": "confirmed",
            "updated_at": now.isoformat(),
        },
    )

    body = admin("POST", "/tools/test-reservation", {"reservation_id": "res-9"}).body
    one = admin("POST", "/tools/test-reservation", {"reservation_id": "res-9", "player_id": "x"})
    unknown = admin("POST", "/tools/test-reservation", {"reservation_id": "res-0"})

    assert [p["player_id"] for p in body["players"]] == ["p-1", "p-2"]
    assert all(p["decision"]["allowed"] for p in body["players"])
    (stranger,) = one.body["players"]
    assert stranger["decision"]["reason"] == "player_not_on_reservation"
    assert stranger["decision"]["player_status"] == 404
    assert (unknown.status, unknown.body["error"]) == (404, "reservation_not_found")


def test_migration_report_sorts_kisi_users_into_adopted_unmanaged_and_duplicates(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    club.converge()
    club.membership("m2", ADA, "cancelled", T0)
    club.membership("m3", "bo@example.com", "active", T0)  # not in Kisi yet
    club.kisi.emulator.reset_counts()
    before = stack_state(club.stack)
    stores = bootstrap.container().stores
    trips_before = stores.round_trips

    result = admin("GET", "/tools/migration-report")
    round_trips = stores.round_trips - trips_before

    assert result.status == 200, result.body
    body = result.body
    assert body["kisi_group_ids"] == sorted({club.group_id})
    assert [(u["email"], u["member_ids"], u["would_be_granted"]) for u in body["adopted"]] == [
        (ADA, ["m1", "m2"], True)
    ]
    assert [u["email"] for u in body["unmanaged"]] == [UNMANAGED_EMAIL]
    assert [(d["email"], d["member_ids"]) for d in body["duplicates"]] == [(ADA, ["m1", "m2"])]
    assert body["counts"] == {
        "kisi_users": 2,
        "adopted": 1,
        "unmanaged": 1,
        "duplicates": 1,
        "members": 3,
        "members_to_invite": 1,
    }
    # One GET /role_assignments page for the one group; nothing written.
    assert body["kisi_calls"] == 1
    assert club.kisi.emulator.counts()["total"] == 1
    # The admin's usage count, the tenant, its plans, one page of members.
    assert round_trips == 4
    assert stack_state(club.stack) == before


def test_migration_report_needs_kisi_connected(club: Club, admin: AdminApi) -> None:
    assert admin("DELETE", "/kisi-credentials").status == 200

    result = admin("GET", "/tools/migration-report")

    assert (result.status, result.body["error"]) == (409, "kisi_not_connected")
