"""Places, locks and groups: fields, filters and computed counts."""

from typing import Any

import httpx
import pytest

LOCK_FIELDS = {
    "id",
    "name",
    "description",
    "place_id",
    "place",
    "online",
    "configured",
    "locked_down",
    "time_restriction_enabled",
}


def test_lock_fields(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    lock = club_a.get(f"/locks/{ids_a['locks']['front']}").json()

    assert set(lock) >= LOCK_FIELDS
    assert lock["name"] == "Front Door"
    assert lock["description"] == "street"
    assert lock["place"] == {"id": ids_a["places"]["hall"], "name": "Hall"}
    assert lock["place_id"] == ids_a["places"]["hall"]
    assert (lock["online"], lock["configured"], lock["locked_down"]) == (True, True, False)


def test_locks_filter_by_place(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    response = club_a.get("/locks", params={"place_id": ids_a["places"]["annex"]})

    assert [lock["id"] for lock in response.json()] == [ids_a["locks"]["shed"]]
    assert response.headers["X-Collection-Range"] == "0-0/1"


def test_locks_filter_by_ids_and_query(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    front, back = ids_a["locks"]["front"], ids_a["locks"]["back"]

    by_ids = club_a.get("/locks", params={"ids": f"{front},{back}"}).json()
    by_query = club_a.get("/locks", params={"query": "door"}).json()
    by_description = club_a.get("/locks", params={"query": "STREET"}).json()

    assert [lock["id"] for lock in by_ids] == [front, back]
    assert [lock["id"] for lock in by_query] == [front, back]
    assert [lock["id"] for lock in by_description] == [front]


def test_locks_sort_descending_by_name(club_a: httpx.Client) -> None:
    names = [lock["name"] for lock in club_a.get("/locks", params={"sort": "-name"}).json()]

    assert names == ["Garden Shed", "Front Door", "Back Door"]


@pytest.mark.parametrize(
    "params", [{"place_id": "hall"}, {"ids": "1,x"}, {"sort": "colour"}, {"sort": "place"}]
)
def test_malformed_filters_are_400(club_a: httpx.Client, params: dict[str, Any]) -> None:
    response = club_a.get("/locks", params=params)

    assert response.status_code == 400
    assert response.json()["code"] == "000400"


def test_an_unknown_lock_is_404(club_a: httpx.Client) -> None:
    response = club_a.get("/locks/999999")

    assert response.status_code == 404
    assert response.json()["code"] == "000404"


def test_group_fields_and_counts(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    group = club_a.get(f"/groups/{ids_a['groups']['members']}").json()

    assert group["name"] == "Members"
    assert group["place_id"] == ids_a["places"]["hall"]
    assert group["users_count"] == 1
    assert group["locks_count"] == 2
    assert group["time_restriction_enabled"] is False


def test_users_count_follows_role_assignments(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    group_id = ids_a["groups"]["members"]
    assignment = club_a.post(
        "/role_assignments",
        json={
            "role_assignment": {
                "role_id": "group_basic",
                "user_id": ids_a["users"]["joanna"],
                "group_id": group_id,
            }
        },
    ).json()
    after_grant = club_a.get(f"/groups/{group_id}").json()["users_count"]

    club_a.delete(f"/role_assignments/{assignment['id']}")
    after_revoke = club_a.get(f"/groups/{group_id}").json()["users_count"]

    assert (after_grant, after_revoke) == (2, 1)


def test_groups_filter_by_ids_query_and_place(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    members, staff = ids_a["groups"]["members"], ids_a["groups"]["staff"]

    assert [g["id"] for g in club_a.get("/groups", params={"query": "staff"}).json()] == [staff]
    assert [g["id"] for g in club_a.get("/groups", params={"ids": str(members)}).json()] == [
        members
    ]
    in_hall = club_a.get("/groups", params={"place_id": ids_a["places"]["hall"]}).json()
    assert [g["id"] for g in in_hall] == [members]


def test_an_org_wide_group_has_no_place(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    assert club_a.get(f"/groups/{ids_a['groups']['staff']}").json()["place_id"] is None


def test_places_list_and_show(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    places = club_a.get("/places").json()
    hall = club_a.get(f"/places/{ids_a['places']['hall']}").json()

    assert [place["name"] for place in places] == ["Hall", "Annex"]
    assert hall["locks_count"] == 2
