"""The control API under /_emulator/ and its Python twin: seed, state, access, counts, reset."""

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kisi_emulator import KisiError, RunningEmulator
from tests.fakes import FakeClock

from .conftest import Connect


def test_seed_over_http_answers_the_ids_by_ref(control: httpx.Client, connect: Connect) -> None:
    document = {
        "admins": [{"ref": "boss", "email": "boss@example.com", "name": "Boss"}],
        "organizations": [
            {
                "ref": "gym",
                "name": "Gym",
                "api_keys": [{"key": "gym-key-000", "admin": "boss"}, {"admin": "boss"}],
                "places": [{"name": "Floor"}],
                "locks": [{"ref": "door", "name": "Door", "place": "Floor"}],
                "groups": [{"ref": "all", "name": "All", "locks": ["door"]}],
                "users": [{"email": "m@example.com"}],
                "role_assignments": [{"user": "m@example.com", "group": "all"}],
            }
        ],
    }

    response = control.post("/seed", json=document)

    assert response.status_code == 200
    result = response.json()
    gym = result["organizations"]["gym"]
    assert gym["api_keys"][0] == "gym-key-000"
    assert len(gym["api_keys"][1]) >= 32
    assert set(gym) == {"id", "api_keys", "places", "locks", "groups", "users", "role_assignments"}
    assert list(gym["users"]) == ["m@example.com"]
    client = connect(gym["api_keys"][1])
    assert client.get("/user").json()["id"] == result["admins"]["boss"]
    assert client.get(f"/groups/{gym['groups']['all']}").json()["users_count"] == 1
    assert control.get("/organizations").json() == [client.get("/organization").json()]


def test_a_failed_seed_changes_nothing(control: httpx.Client) -> None:
    document = {
        "organizations": [
            {"name": "Half", "places": [{"name": "P"}], "locks": [{"name": "L", "place": "nope"}]}
        ]
    }

    response = control.post("/seed", json=document)

    assert response.status_code == 422
    assert "locks.place" in response.json()["errors"]
    assert control.get("/organizations").json() == []


@pytest.mark.parametrize(
    "document",
    [
        {"organizations": [{"name": "X", "users": [{"email": "bad"}]}]},
        {"organizations": [{"name": "X", "users": [{"email": "a@b.co"}, {"email": "A@B.CO"}]}]},
        {"organizations": [{"name": "X", "unknown_field": 1}]},
        {"organizations": [{}]},
    ],
)
def test_invalid_seeds_are_refused(control: httpx.Client, document: dict[str, Any]) -> None:
    response = control.post("/seed", json=document)

    assert response.status_code in {409, 422}
    assert control.get("/organizations").json() == []


def test_a_seed_may_add_to_an_existing_organization(
    kisi: RunningEmulator, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    result = kisi.emulator.seed(
        {
            "organizations": [
                {
                    "id": ids_a["id"],
                    "users": [{"ref": "late", "email": "late@example.com"}],
                    "role_assignments": [{"user": "late", "group": ids_a["groups"]["staff"]}],
                }
            ]
        }
    )

    late_id = result["organizations"]["Club A"]["users"]["late"]
    assert club_a.get(f"/users/{late_id}").json()["email"] == "late@example.com"
    assert club_a.get("/role_assignments", params={"user_id": late_id}).json()


def test_the_snapshot_holds_the_whole_organization(
    control: httpx.Client, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    club_a.post(f"/locks/{ids_a['locks']['back']}/unlock")

    state = control.get(f"/organizations/{ids_a['id']}").json()

    assert state["organization"]["name"] == "Club A"
    assert [admin["email"] for admin in state["admins"]] == ["owner@club-a.example"]
    assert len(state["places"]) == 2
    assert {lock["name"] for lock in state["locks"]} == {"Front Door", "Back Door", "Garden Shed"}
    assert all("forced_unlock_error" in lock for lock in state["locks"])
    members = next(group for group in state["groups"] if group["name"] == "Members")
    assert members["lock_ids"] == [ids_a["locks"]["front"], ids_a["locks"]["back"]]
    assert {user["email"] for user in state["users"]} == {
        "owner@club-a.example",
        "Ann.Smith@example.com",
        "joanna@example.com",
    }
    assert [a["assignee"]["email"] for a in state["role_assignments"]] == ["Ann.Smith@example.com"]
    assert [entry["lock_id"] for entry in state["unlocks"]] == [ids_a["locks"]["back"]]
    assert state["emails"] == []


def test_an_unknown_organization_is_404(control: httpx.Client) -> None:
    assert control.get("/organizations/999999").status_code == 404


def grant(client: httpx.Client, user_id: int, group_id: int, **window: str) -> None:
    body = {"role_assignment": {"role_id": "group_basic", "user_id": user_id, "group_id": group_id}}
    body["role_assignment"].update(window)
    assert client.post("/role_assignments", json=body).status_code == 200


def test_effective_access_honours_valid_until(
    kisi: RunningEmulator, club_a: httpx.Client, ids_a: dict[str, Any], clock: FakeClock
) -> None:
    grant(
        club_a,
        ids_a["users"]["joanna"],
        ids_a["groups"]["staff"],
        valid_until="2025-01-06T10:00:00Z",
    )

    before = kisi.emulator.effective_access(ids_a["id"], user_id=ids_a["users"]["joanna"])
    clock.advance(3600)
    at_the_end = kisi.emulator.effective_access(ids_a["id"], user_id=ids_a["users"]["joanna"])

    assert before["group_ids"] == [ids_a["groups"]["staff"]]
    assert at_the_end["group_ids"] == []
    assert at_the_end["assigned_group_ids"] == [ids_a["groups"]["staff"]]


def test_effective_access_honours_valid_from(
    control: httpx.Client, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    user_id, members = ids_a["users"]["joanna"], ids_a["groups"]["members"]
    grant(club_a, user_id, members, valid_from="2025-01-07T09:00:00Z")
    path = f"/organizations/{ids_a['id']}/users/{user_id}/access"

    not_yet = control.get(path).json()
    advanced = control.post("/clock/advance", json={"seconds": 86400})
    started = control.get(path).json()

    assert not_yet["group_ids"] == []
    assert advanced.json()["now"].startswith("2025-01-07T09:00:00")
    assert started["group_ids"] == [members]
    assert started["lock_ids"] == [ids_a["locks"]["front"], ids_a["locks"]["back"]]


def test_a_user_without_access_enabled_has_no_effective_access(
    control: httpx.Client, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    club_a.patch(f"/users/{ids_a['users']['ann']}", json={"user": {"access_enabled": False}})

    access = control.get(
        f"/organizations/{ids_a['id']}/access", params={"email": "ANN.SMITH@example.com"}
    ).json()

    assert access["access_enabled"] is False
    assert access["group_ids"] == []
    assert access["lock_ids"] == []
    assert access["assigned_group_ids"] == [ids_a["groups"]["members"]]


def test_effective_access_of_an_unknown_email_is_404(
    control: httpx.Client, ids_a: dict[str, Any]
) -> None:
    path = f"/organizations/{ids_a['id']}/access"

    assert control.get(path, params={"email": "nobody@example.com"}).status_code == 404
    assert control.get(path).status_code == 400


def test_counts_by_endpoint_template_organization_and_key_owner(
    kisi: RunningEmulator,
    club_a: httpx.Client,
    club_b: httpx.Client,
    ids_a: dict[str, Any],
    ids_b: dict[str, Any],
) -> None:
    club_a.get(f"/users/{ids_a['users']['ann']}")
    club_a.get(f"/users/{ids_a['users']['joanna']}")
    club_a.post("/users", json={"user": {"email": "Ann.Smith@example.com"}})
    club_b.get("/locks")

    counts = kisi.emulator.counts()
    owner_a = str(club_a.get("/user").json()["id"])

    assert counts["total"] == 4
    assert counts["by_endpoint"] == {"GET /locks": 1, "GET /users/{id}": 2, "POST /users": 1}
    assert counts["by_status"] == {"200": 3, "409": 1}
    assert counts["by_organization"][str(ids_a["id"])]["total"] == 3
    assert counts["by_organization"][str(ids_b["id"])]["by_endpoint"] == {"GET /locks": 1}
    assert counts["by_user"][owner_a]["by_endpoint"]["GET /users/{id}"] == 2
    assert kisi.emulator.call_count("GET /users/{id}", organization_id=ids_a["id"]) == 2
    assert kisi.emulator.call_count(organization_id=ids_b["id"]) == 1


def test_counts_over_http_and_their_reset(
    control: httpx.Client, club_a: httpx.Client, connect: Connect
) -> None:
    club_a.get("/user")
    connect("wrong-key").get("/user")

    counted = control.get("/counts").json()
    reset = control.delete("/counts")

    assert counted["total"] == 2
    assert counted["by_organization"]["anonymous"]["by_status"] == {"401": 1}
    assert reset.status_code == 204
    assert control.get("/counts").json()["total"] == 0


def test_the_control_api_is_not_counted(control: httpx.Client, kisi: RunningEmulator) -> None:
    control.get("/counts")
    control.get("/health")

    assert kisi.emulator.counts()["total"] == 0


@pytest.mark.usefixtures("seeded")
def test_a_revoked_key_answers_401_and_the_users_other_key_still_works(
    control: httpx.Client, connect: Connect, keys: SimpleNamespace
) -> None:
    revoked = control.delete(f"/api_keys/{keys.a}")

    assert revoked.status_code == 204
    assert connect(keys.a).get("/user").status_code == 401
    assert connect(keys.a_second).get("/user").status_code == 200
    assert control.delete(f"/api_keys/{keys.a}").status_code == 404


def test_a_user_who_lost_every_key_may_be_deleted(
    kisi: RunningEmulator,
    connect: Connect,
    keys: SimpleNamespace,
    club_b: httpx.Client,
    ids_b: dict[str, Any],
) -> None:
    old_owner_id = club_b.get("/user").json()["id"]
    kisi.emulator.revoke_api_key(keys.b)
    kisi.emulator.seed(
        {
            "admins": [{"email": "new.owner@club-b.example"}],
            "organizations": [
                {
                    "id": ids_b["id"],
                    "api_keys": [{"key": "club-b-key-new", "admin": "new.owner@club-b.example"}],
                }
            ],
        }
    )

    response = connect("club-b-key-new").delete(f"/users/{old_owner_id}")

    assert response.status_code == 204


def test_reset_forgets_everything(
    control: httpx.Client, club_a: httpx.Client, kisi: RunningEmulator
) -> None:
    club_a.get("/user")
    kisi.emulator.inject_fault(kind="outage", path_prefix="/locks")

    response = control.post("/reset")

    assert response.status_code == 204
    assert control.get("/organizations").json() == []
    assert control.get("/faults").json() == []
    assert club_a.get("/user").status_code == 401


def test_the_python_api_raises_kisi_errors(kisi: RunningEmulator, ids_a: dict[str, Any]) -> None:
    with pytest.raises(KisiError) as raised:
        kisi.emulator.snapshot(999999)

    assert raised.value.status == 404
    with pytest.raises(KisiError):
        kisi.emulator.effective_access(ids_a["id"], email="nobody@example.com")


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nothing"), ("GET", ""), ("POST", "/counts"), ("GET", "/seed")]
)
def test_an_unknown_control_endpoint_is_404(control: httpx.Client, method: str, path: str) -> None:
    response = control.request(method, path)

    assert response.status_code == 404
    assert response.json()["code"] == "000404"


def test_a_malformed_control_body_is_400(control: httpx.Client) -> None:
    assert control.post("/seed", content=b"{").status_code == 400
    assert control.post("/faults", json=[1]).status_code == 400


def test_config_and_clock(control: httpx.Client) -> None:
    assert control.get("/config").json() == {"rate_limit": False, "fault_seed": 0}
    assert control.patch("/config", json={"fault_seed": 5}).json()["fault_seed"] == 5
    assert control.get("/clock").json()["now"] == "2025-01-06T09:00:00+00:00"
    assert control.post("/clock/advance", json={"seconds": -1}).status_code == 422
