"""Users: create, find by email (exact) or query (fuzzy), update, delete."""

from typing import Any

import httpx
import pytest

from kisi_emulator import RunningEmulator
from tests.fakes import FakeClock

NEW_USER = {
    "email": "New.Member@Example.com",
    "name": "New Member",
    "send_emails": False,
    "confirm": True,
    "access_enabled": True,
    "metadata": {"source": "pushpress", "member_id": 42, "vip": False},
    "notes": "managed-by: bridge\n  tenant=t1  ",
}


def test_create_user_answers_200_with_every_field(club_a: httpx.Client, clock: FakeClock) -> None:
    response = club_a.post("/users", json={"user": NEW_USER})

    assert response.status_code == 200
    user = response.json()
    assert isinstance(user["id"], int)
    assert user["email"] == "New.Member@Example.com"
    assert user["name"] == "New Member"
    assert user["access_enabled"] is True
    assert user["metadata"] == NEW_USER["metadata"]
    assert user["notes"] == NEW_USER["notes"]
    assert user["created_at"] == user["updated_at"] == "2025-01-06T09:00:00.000Z"


def test_notes_and_metadata_round_trip_exactly(club_a: httpx.Client) -> None:
    notes = "  Ünïcødé ✓ \t\n{json-ish: [1]} trailing space "
    created = club_a.post("/users", json={"user": {**NEW_USER, "notes": notes}}).json()

    fetched = club_a.get(f"/users/{created['id']}").json()

    assert fetched["notes"] == notes
    assert fetched["metadata"] == NEW_USER["metadata"]
    assert fetched == created


@pytest.mark.parametrize("email", ["new.member@example.com", "NEW.MEMBER@EXAMPLE.COM"])
def test_a_duplicate_email_is_409_whatever_its_case(
    club_a: httpx.Client, email: str | None
) -> None:
    club_a.post("/users", json={"user": NEW_USER})

    response = club_a.post("/users", json={"user": {**NEW_USER, "email": email}})

    assert response.status_code == 409
    assert response.json()["code"] == "000409"
    assert response.json()["error"]


def test_the_same_email_may_exist_in_another_organization(
    club_a: httpx.Client, club_b: httpx.Client
) -> None:
    club_a.post("/users", json={"user": NEW_USER})

    response = club_b.post("/users", json={"user": NEW_USER})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({f"k{n}": n for n in range(51)}, "must have at most 50 keys"),
        ({"nested": {"a": 1}}, "must be a flat object"),
        ({"list": [1]}, "must be a flat object"),
        ("text", "must be a flat object"),
    ],
)
def test_metadata_must_be_flat_and_at_most_50_keys(
    club_a: httpx.Client, metadata: object, message: str
) -> None:
    response = club_a.post("/users", json={"user": {**NEW_USER, "metadata": metadata}})

    assert response.status_code == 422
    assert response.json() == {"errors": {"metadata": [message]}}


def test_fifty_metadata_keys_are_fine(club_a: httpx.Client) -> None:
    metadata = {f"k{n}": n for n in range(50)}

    response = club_a.post("/users", json={"user": {**NEW_USER, "metadata": metadata}})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "email", [None, "", "no-at-sign", "a@b", "two@@example.com", "sp ace@x.io"]
)
def test_an_invalid_or_missing_email_is_422(club_a: httpx.Client, email: str | None) -> None:
    response = club_a.post("/users", json={"user": {**NEW_USER, "email": email}})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["email"]


def test_email_filter_is_exact_and_case_insensitive(
    club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    exact = club_a.get("/users", params={"email": "ann.smith@EXAMPLE.com"})
    partial = club_a.get("/users", params={"email": "ann"})

    assert [user["id"] for user in exact.json()] == [ids_a["users"]["ann"]]
    assert exact.json()[0]["email"] == "Ann.Smith@example.com"
    assert partial.json() == []
    assert partial.headers["X-Collection-Range"] == "*/0"


def test_query_is_fuzzy_over_email_name_and_notes(
    club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    """'ann' is in Ann's email and name, in joanna's email and in her notes ('likes ann')."""
    response = club_a.get("/users", params={"query": "ann"})

    assert {user["id"] for user in response.json()} == {
        ids_a["users"]["ann"],
        ids_a["users"]["joanna"],
    }


def test_query_matches_text_only_in_notes(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    response = club_a.get("/users", params={"query": "LIKES"})

    assert [user["id"] for user in response.json()] == [ids_a["users"]["joanna"]]


def test_users_include_the_key_owner(club_a: httpx.Client) -> None:
    emails = {user["email"] for user in club_a.get("/users").json()}

    assert "owner@club-a.example" in emails


def test_ids_filter(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    wanted = ids_a["users"]["ann"], ids_a["users"]["joanna"]

    response = club_a.get("/users", params={"ids": f"{wanted[0]},{wanted[1]},999999"})

    assert sorted(user["id"] for user in response.json()) == sorted(wanted)


def test_patch_changes_the_given_fields_and_updated_at(
    club_a: httpx.Client, ids_a: dict[str, Any], clock: FakeClock
) -> None:
    user_id = ids_a["users"]["ann"]
    before = club_a.get(f"/users/{user_id}").json()
    clock.advance(60)

    response = club_a.patch(
        f"/users/{user_id}",
        json={"user": {"access_enabled": False, "metadata": {"a": "1"}, "notes": "paused"}},
    )
    after = club_a.get(f"/users/{user_id}").json()

    assert response.status_code == 204
    assert after["access_enabled"] is False
    assert after["metadata"] == {"a": "1"}
    assert after["notes"] == "paused"
    assert after["name"] == before["name"]
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] == "2025-01-06T09:01:00.000Z"


def test_patch_validates_and_ignores_fields_it_does_not_permit(
    club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    user_id = ids_a["users"]["ann"]

    invalid = club_a.patch(f"/users/{user_id}", json={"user": {"access_enabled": "no"}})
    ignored = club_a.patch(f"/users/{user_id}", json={"user": {"email": "other@example.com"}})

    assert invalid.status_code == 422
    assert invalid.json() == {"errors": {"access_enabled": ["must be true or false"]}}
    assert ignored.status_code == 204
    assert club_a.get(f"/users/{user_id}").json()["email"] == "Ann.Smith@example.com"


def test_delete_removes_the_user_and_their_role_assignments(
    club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    user_id = ids_a["users"]["ann"]

    response = club_a.delete(f"/users/{user_id}")

    assert response.status_code == 204
    assert club_a.get(f"/users/{user_id}").status_code == 404
    assert club_a.get("/role_assignments", params={"assignee_id": user_id}).json() == []
    assert club_a.delete(f"/users/{user_id}").status_code == 404


def test_a_key_owner_cannot_be_deleted(club_a: httpx.Client) -> None:
    owner_id = club_a.get("/user").json()["id"]

    response = club_a.delete(f"/users/{owner_id}")

    assert response.status_code == 422
    assert "base" in response.json()["errors"]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_an_unknown_user_is_404(club_a: httpx.Client, method: str) -> None:
    response = club_a.request(method, "/users/999999", json={"user": {"name": "x"}})

    assert response.status_code == 404
    assert response.json()["code"] == "000404"


def test_send_emails_decides_whether_kisi_emails_the_user(
    kisi: RunningEmulator, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    club_a.post("/users", json={"user": {**NEW_USER, "send_emails": True}})
    club_a.post("/users", json={"user": {**NEW_USER, "email": "quiet@example.com"}})

    emails = kisi.emulator.snapshot(ids_a["id"])["emails"]

    assert [(email["to"], email["kind"]) for email in emails] == [
        ("New.Member@Example.com", "sign_in_instructions")
    ]
