"""Role assignments: the current and the legacy body, duplicates, filters, deletion."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kisi_emulator import RunningEmulator


def current_body(user_id: int | str, group_id: int | str, **extra: Any) -> dict[str, Any]:
    return {
        "role_assignment": {
            "role_id": "group_basic",
            "applies_to_type": "Group",
            "applies_to_id": group_id,
            "assignee_type": "User",
            "assignee_id": user_id,
            "notify": False,
            "valid_from": None,
            "valid_until": None,
            **extra,
        }
    }


def legacy_body(user_id: int | str, group_id: int | str, **extra: Any) -> dict[str, Any]:
    return {
        "role_assignment": {
            "user_id": user_id,
            "group_id": group_id,
            "role_id": "group_basic",
            **extra,
        }
    }


def test_the_current_body_answers_every_field(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    user_id, group_id = ids_a["users"]["joanna"], ids_a["groups"]["members"]

    response = club_a.post(
        "/role_assignments",
        json=current_body(user_id, group_id, valid_until="2025-02-01T00:00:00+01:00"),
    )

    assert response.status_code == 200
    assignment = response.json()
    assert isinstance(assignment["id"], int)
    assert assignment["role_id"] == "group_basic"
    assert (assignment["applies_to_type"], assignment["applies_to_id"]) == ("Group", group_id)
    assert (assignment["assignee_type"], assignment["assignee_id"]) == ("User", user_id)
    assert assignment["assignee"] == {"id": user_id, "email": "joanna@example.com", "name": "Jo"}
    assert assignment["valid_from"] is None
    assert assignment["valid_until"] == "2025-01-31T23:00:00.000Z"
    assert assignment["created_at"] == "2025-01-06T09:00:00.000Z"
    assert (assignment["user_id"], assignment["group_id"]) == (user_id, group_id)


def test_the_legacy_body_is_accepted(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    user_id, group_id = ids_a["users"]["joanna"], ids_a["groups"]["staff"]

    response = club_a.post(
        "/role_assignments",
        json=legacy_body(user_id, group_id, valid_from="2025-01-01T00:00:00Z"),
    )

    assert response.status_code == 200
    assert response.json()["applies_to_id"] == group_id
    assert response.json()["assignee_id"] == user_id
    assert response.json()["valid_from"] == "2025-01-01T00:00:00.000Z"


def test_ids_sent_as_strings_are_accepted(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    body = legacy_body(str(ids_a["users"]["joanna"]), str(ids_a["groups"]["staff"]))

    assert club_a.post("/role_assignments", json=body).status_code == 200


@pytest.mark.parametrize("make_body", [current_body, legacy_body])
def test_a_duplicate_assignment_is_409(
    club_a: httpx.Client, ids_a: dict[str, Any], make_body: Callable[..., dict[str, Any]]
) -> None:
    """Ann is already in Members (seeded)."""
    response = club_a.post(
        "/role_assignments", json=make_body(ids_a["users"]["ann"], ids_a["groups"]["members"])
    )

    assert response.status_code == 409
    assert response.json()["code"] == "000409"


@pytest.mark.parametrize(
    ("user", "group"), [("missing", "members"), ("ann", "missing"), ("bob", "members")]
)
def test_an_unknown_user_or_group_is_404(
    club_a: httpx.Client, ids_a: dict[str, Any], ids_b: dict[str, Any], user: str, group: str
) -> None:
    user_id = {**ids_a["users"], "bob": ids_b["users"]["bob"]}.get(user, 999999)
    group_id = ids_a["groups"].get(group, 999999)

    response = club_a.post("/role_assignments", json=current_body(user_id, group_id))

    assert response.status_code == 404
    assert response.json()["code"] == "000404"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"role_id": "administrator"}, "role_id"),
        ({"role_id": None}, "role_id"),
        ({"applies_to_type": "Place"}, "applies_to_type"),
        ({"assignee_type": "Member"}, "assignee_type"),
        ({"assignee_id": None}, "assignee_id"),
        ({"notify": "yes"}, "notify"),
        ({"valid_from": "tomorrow"}, "valid_from"),
        (
            {"valid_from": "2025-02-01T00:00:00Z", "valid_until": "2025-01-01T00:00:00Z"},
            "valid_until",
        ),
    ],
)
def test_invalid_fields_are_422(
    club_a: httpx.Client, ids_a: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    body = current_body(ids_a["users"]["joanna"], ids_a["groups"]["staff"], **change)

    response = club_a.post("/role_assignments", json=body)

    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_notify_makes_kisi_email_the_user(
    kisi: RunningEmulator, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    user_id, group_id = ids_a["users"]["joanna"], ids_a["groups"]["staff"]

    club_a.post("/role_assignments", json=current_body(user_id, group_id, notify=True))

    emails = kisi.emulator.snapshot(ids_a["id"])["emails"]
    assert [(email["to"], email["kind"]) for email in emails] == [
        ("joanna@example.com", "access_granted")
    ]


@pytest.fixture
def assignments(
    club_a: httpx.Client, ids_a: dict[str, Any]
) -> tuple[dict[str, int], dict[str, int]]:
    """Members: Ann (seeded) and Jo; Staff: Jo."""
    users, groups = ids_a["users"], ids_a["groups"]
    for user, group in [("joanna", "members"), ("joanna", "staff")]:
        club_a.post("/role_assignments", json=current_body(users[user], groups[group]))
    return users, groups


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"applies_to_type": "Group", "applies_to_id": "{members}"}, ["ann", "joanna"]),
        ({"group_id": "{members}"}, ["ann", "joanna"]),
        ({"applies_to_type": "Group", "applies_to_id": "{staff}"}, ["joanna"]),
        ({"assignee_type": "User", "assignee_id": "{joanna}"}, ["joanna", "joanna"]),
        ({"user_id": "{ann}"}, ["ann"]),
        ({"applies_to_type": "Place"}, []),
        ({}, ["ann", "joanna", "joanna"]),
    ],
)
def test_list_filters(
    club_a: httpx.Client,
    assignments: tuple[dict[str, int], dict[str, int]],
    params: dict[str, Any],
    expected: list[str],
) -> None:
    users, groups = assignments
    names = {**users, **groups}
    query = {key: value.format(**names) for key, value in params.items()}
    emails = {users["ann"]: "ann", users["joanna"]: "joanna"}

    response = club_a.get("/role_assignments", params={**query, "limit": 250})

    assert response.status_code == 200
    assert sorted(emails[a["assignee"]["id"]] for a in response.json()) == expected


def test_delete_answers_204_then_404(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    assignment_id = ids_a["role_assignments"][0]

    first = club_a.delete(f"/role_assignments/{assignment_id}")
    second = club_a.delete(f"/role_assignments/{assignment_id}")

    assert first.status_code == 204
    assert second.status_code == 404
    assert second.json()["code"] == "000404"
