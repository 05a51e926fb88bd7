"""Two clubs on one stack, each with its own Kisi organisation: a player of one reaches nothing of
the other (its reservations and doors are 404, as if they did not exist), whatever ids it sends,
and the same player id in both clubs is two different players."""

from dataclasses import dataclass

import pytest

from access_core import bootstrap
from tests.integration.harness import PLAYER_ID, AdminApi, Club, UnlockApi
from tests.integration.unlock.conftest import Doors, book, kisi_unlocks

OTHER_TENANT = "club-2"
OTHER_KEY = "kisi-other-club-key-0123456789ab"


@dataclass
class OtherClub:
    organization_id: int
    door: int
    secret: str
    player: UnlockApi


@pytest.fixture
def other(club: Club, doors: Doors) -> OtherClub:
    seeded = club.kisi.emulator.seed(
        {
            "admins": [{"ref": "boss", "email": "boss@other.example"}],
            "organizations": [
                {
                    "ref": "other",
                    "name": "Other Club",
                    "api_keys": [{"key": OTHER_KEY, "admin": "boss"}],
                    "places": [{"ref": "hall", "name": "Hall"}],
                    "locks": [{"ref": "hall-door", "name": "Hall Door", "place": "hall"}],
                }
            ],
        }
    )["organizations"]["other"]
    secret = club.stack.add_tenant(
        OTHER_TENANT,
        api_key=OTHER_KEY,
        door_access_enabled=True,
        pre_reservation_window_minutes=15,
    )
    admin = AdminApi(club.stack, tenant_id=OTHER_TENANT)
    door = seeded["locks"]["hall-door"]
    assert admin("POST", "/locks/sync").status == 200
    assert admin("PUT", "/locks/enabled", {"lock_ids": [door]}).status == 200
    book(club, "res-b", tenant_id=OTHER_TENANT, secret=secret)
    return OtherClub(seeded["id"], door, secret, UnlockApi(club.stack, tenant_id=OTHER_TENANT))


def test_a_player_reaches_nothing_of_another_club(
    club: Club, doors: Doors, player: UnlockApi, other: OtherClub
) -> None:
    book(club, "res-a")
    attempts = {
        "their reservation": player.unlock("res-b", other.door),
        "their reservation, our door": player.unlock("res-b", doors.court),
        "their doors list": player.doors("res-b"),
    }
    for name, answer in attempts.items():
        assert (answer.status, answer.body["error"]) == (404, "reservation_not_found"), name
    ours_their_door = player.unlock("res-a", other.door)
    assert (ours_their_door.status, ours_their_door.body["error"]) == (404, "door_not_found")
    assert other.door not in {door["lock_id"] for door in player.doors("res-a").body["doors"]}
    assert kisi_unlocks(club, other.organization_id) == []
    # A reservation id that does not exist anywhere is answered exactly the same way.
    nowhere = player.unlock("res-nowhere", other.door).body
    theirs = player.unlock("res-b", other.door).body
    assert nowhere == {**theirs, "message": theirs["message"].replace("res-b", "res-nowhere")}


def test_the_same_player_id_in_each_club_opens_only_its_own_doors(
    club: Club, doors: Doors, player: UnlockApi, other: OtherClub
) -> None:
    book(club, "res-a")
    assert player.unlock("res-a", doors.court).status == 200
    assert other.player.unlock("res-b", other.door).status == 200
    assert other.player.unlock("res-a", doors.court).status == 404
    assert other.player.unlock("res-b", doors.court).body["error"] == "door_not_found"
    assert [u["lock_id"] for u in kisi_unlocks(club)] == [doors.court]
    assert [u["lock_id"] for u in kisi_unlocks(club, other.organization_id)] == [other.door]
    # Each club's audit holds only its own players' attempts, its own reservation ids.
    ours = [e for e in club.stack_audit() if e["action"].startswith("unlock.")]
    theirs = [
        e
        for e in bootstrap.container().stores.audit.recent(OTHER_TENANT)
        if e["action"].startswith("unlock.")
    ]
    assert [(e["action"], e["detail"]["reservation_id"]) for e in ours] == [
        ("unlock.opened", "res-a")
    ]
    assert sorted((e["action"], e["detail"]["reservation_id"]) for e in theirs) == [
        ("unlock.opened", "res-b"),
        ("unlock.refused", "res-a"),
        ("unlock.refused", "res-b"),
    ]
    assert {e["detail"]["player_id"] for e in ours + theirs} == {PLAYER_ID}


def test_a_reservation_id_shared_by_both_clubs_is_each_clubs_own(
    club: Club, doors: Doors, player: UnlockApi, other: OtherClub
) -> None:
    book(club, "res-b", players=("someone-else",))
    # club-1's res-b does not list the player; club-2's does, but it is not club-1's.
    assert player.unlock("res-b", doors.court).body["error"] == "reservation_not_found"
    assert other.player.unlock("res-b", other.door).status == 200
