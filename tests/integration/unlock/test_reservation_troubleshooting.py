"""The Admin API's "why can (or can't) this player open the doors?" for a reservation: the unlock
decision with its reason, what the player's app is answered, the reservation data used and the
enabled doors. Read-only, no Kisi call; club admins of that tenant only."""

from datetime import datetime, timedelta
from typing import Any

from tests.integration.harness import PLAYER_ID, AdminApi, Club, UnlockApi, player_claims
from tests.integration.unlock.conftest import WINDOW_MINUTES, Doors, book, cancel

ROUTE = "/reservations/res-1/access"


def explain(admin: AdminApi, player_id: str = PLAYER_ID, **query: str) -> dict[str, Any]:
    answer = admin("GET", ROUTE, query={"player_id": player_id, **query})
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def test_allowed_with_the_data_it_used(
    club: Club, admin: AdminApi, doors: Doors, player: UnlockApi
) -> None:
    booking = book(club)
    body = explain(admin)
    decision = body["decision"]
    assert decision["allowed"] is True
    assert decision["reason"] == "allowed"
    assert (decision["player_status"], decision["player_error"]) == (200, None)
    start = datetime.fromisoformat(booking["start"])
    assert datetime.fromisoformat(decision["window"]["opens_at"]) == start - timedelta(
        minutes=WINDOW_MINUTES
    )
    assert body["reservation"]["player_ids"] == booking["player_ids"]
    assert body["reservation"]["status"] == "confirmed"
    assert body["door_access_enabled"] is True
    assert body["pre_reservation_window_minutes"] == WINDOW_MINUTES
    assert body["kisi_connection"] == "connected"
    assert [door["lock_id"] for door in body["enabled_locks"]] == [doors.front, doors.court]
    assert body["lock_id"] is None
    # The player's own call agrees.
    assert player.unlock("res-1", doors.court).status == 200


def test_what_the_player_is_not_told(club: Club, admin: AdminApi, doors: Doors) -> None:
    book(club, players=("someone-else",))
    decision = explain(admin)["decision"]
    assert decision["reason"] == "player_not_on_reservation"
    assert (decision["player_status"], decision["player_error"]) == (404, "reservation_not_found")
    assert explain(admin, "someone-else")["decision"]["allowed"] is True


def test_never_received(club: Club, admin: AdminApi, doors: Doors) -> None:
    body = explain(admin)
    assert body["reservation"] is None
    assert body["decision"]["reason"] == "reservation_not_found"
    assert body["decision"]["window"] is None


def test_window_cancellation_and_doors(club: Club, admin: AdminApi, doors: Doors) -> None:
    book(club, starts_in=timedelta(hours=2))
    early = explain(admin)["decision"]
    assert (early["reason"], early["player_status"]) == ("window_not_open", 403)
    disabled = explain(admin, lock_id=str(doors.side))
    assert disabled["lock_id"] == doors.side
    assert disabled["decision"]["reason"] == "window_not_open"
    cancel(club)
    cancelled = explain(admin)["decision"]
    assert (cancelled["reason"], cancelled["player_error"]) == (
        "reservation_cancelled",
        "reservation_cancelled",
    )
    assert cancelled["window"] is not None, "the window is shown even when the decision stops"


def test_a_door_players_may_not_open(club: Club, admin: AdminApi, doors: Doors) -> None:
    book(club)
    body = explain(admin, lock_id=str(doors.side))
    assert body["decision"]["reason"] == "lock_disabled"
    assert (body["decision"]["player_status"], body["decision"]["player_error"]) == (
        404,
        "door_not_found",
    )
    assert explain(admin, lock_id=str(doors.court))["decision"]["allowed"] is True


def test_read_only_and_no_kisi_call(club: Club, admin: AdminApi, doors: Doors) -> None:
    book(club)
    audit_before = club.stack_audit()
    explain(admin, lock_id=str(doors.court))
    assert club.stack_audit() == audit_before
    assert club.kisi.emulator.counts()["total"] == 0


def test_refusals(club: Club, admin: AdminApi, doors: Doors) -> None:
    book(club)
    missing = admin("GET", ROUTE)
    assert (missing.status, missing.body["error"]) == (422, "invalid_request")
    assert missing.body["fields"][0]["field"] == "query.player_id"
    bad_lock = admin("GET", ROUTE, query={"player_id": PLAYER_ID, "lock_id": "0"})
    assert bad_lock.status == 422
    as_player = admin("GET", ROUTE, query={"player_id": PLAYER_ID}, claims=player_claims())
    assert (as_player.status, as_player.body["error"]) == (403, "admin_role_required")
    other_admin = AdminApi(club.stack, tenant_id="club-2")
    foreign = other_admin(
        "GET", ROUTE, query={"player_id": PLAYER_ID}, claims={"sub": "a", "tenant_id": "club-1",
                                                             "roles": "[admin]"}
    )  # fmt: skip
    assert (foreign.status, foreign.body["error"]) == (404, "tenant_not_found")
