"""Objects of one organisation are invisible to another organisation's keys."""

from typing import Any

import httpx
import pytest


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/users/{users[ann]}"),
        ("PATCH", "/users/{users[ann]}"),
        ("DELETE", "/users/{users[ann]}"),
        ("GET", "/locks/{locks[front]}"),
        ("GET", "/groups/{groups[members]}"),
        ("GET", "/places/{places[hall]}"),
        ("DELETE", "/role_assignments/{role_assignments[0]}"),
    ],
)
def test_another_organizations_record_is_404(
    club_b: httpx.Client, ids_a: dict[str, Any], method: str, path: str
) -> None:
    response = club_b.request(method, path.format(**ids_a), json={"user": {"name": "hijack"}})

    assert response.status_code == 404
    assert response.json()["code"] == "000404"


def test_lists_show_only_the_callers_organization(
    club_a: httpx.Client, club_b: httpx.Client, ids_a: dict[str, Any], ids_b: dict[str, Any]
) -> None:
    for path, kind in [("/users", "users"), ("/locks", "locks"), ("/groups", "groups")]:
        b_ids = {record["id"] for record in club_b.get(path).json()}
        assert b_ids.isdisjoint(ids_a[kind].values()), path
        assert set(ids_b[kind].values()) <= b_ids, path
    assert club_b.get("/role_assignments").json() == []
    assert club_b.get("/users", params={"email": "ann.smith@example.com"}).json() == []


def test_another_organizations_records_cannot_be_assigned(
    club_b: httpx.Client, ids_a: dict[str, Any], ids_b: dict[str, Any]
) -> None:
    body = {
        "role_assignment": {
            "role_id": "group_basic",
            "user_id": ids_b["users"]["bob"],
            "group_id": ids_a["groups"]["members"],
        }
    }

    assert club_b.post("/role_assignments", json=body).status_code == 404


def test_each_key_sees_its_own_organization(
    club_a: httpx.Client, club_b: httpx.Client, ids_a: dict[str, Any], ids_b: dict[str, Any]
) -> None:
    assert club_a.get("/organization").json()["id"] == ids_a["id"]
    assert club_b.get("/organization").json()["id"] == ids_b["id"]
