"""Transport rules of docs/kisi-api.md: auth, wrapped bodies, status codes and error bodies."""

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from .conftest import Connect

UNKNOWN_ENDPOINT = {
    "code": "000404",
    "error": "The endpoint does not exist, please check your request.",
}


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    "authorization",
    [None, "KISI-LOGIN not-a-key", "Bearer {key}", "KISI-LOGIN", "Token {key}", "{key}"],
)
def test_missing_or_bad_key_is_401_with_kisi_body(
    connect: Connect, keys: SimpleNamespace, authorization: str | None
) -> None:
    headers = {"Authorization": authorization.format(key=keys.a)} if authorization else {}
    response = connect(None).get("/user", headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "000401"
    assert isinstance(body["error"], str)
    assert body["error"]


def test_current_user_carries_its_organization(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    response = club_a.get("/user")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "owner@club-a.example"
    assert body["organization"]["id"] == ids_a["id"]
    assert body["organization"]["name"] == "Club A"
    assert set(body["organization"]) >= {"id", "name", "domain"}


def test_current_organization(club_a: httpx.Client, ids_a: dict[str, Any]) -> None:
    response = club_a.get("/organization")

    assert response.status_code == 200
    assert response.json()["id"] == ids_a["id"]


def test_the_scheme_name_is_case_insensitive(
    connect: Connect, keys: SimpleNamespace, seeded: dict[str, Any]
) -> None:
    response = connect(None).get("/user", headers={"Authorization": f"kisi-login {keys.a}"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing"), ("GET", "/users/1/whatever"), ("PUT", "/users/1"), ("POST", "/locks")],
)
def test_unknown_endpoint_is_404_000404(club_a: httpx.Client, method: str, path: str) -> None:
    response = club_a.request(method, path)

    assert response.status_code == 404
    assert response.json() == UNKNOWN_ENDPOINT


def test_unknown_endpoint_answers_404_before_asking_for_a_key(
    connect: Connect, seeded: dict[str, Any]
) -> None:
    response = connect(None).get("/nothing")

    assert response.status_code == 404
    assert response.json() == UNKNOWN_ENDPOINT


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users", {"email": "new@example.com"}),
        ("/users", {"users": {"email": "new@example.com"}}),
        ("/users", {"user": "new@example.com"}),
        ("/role_assignments", {"role_id": "group_basic", "user_id": 1, "group_id": 2}),
        ("/users", []),
    ],
)
def test_a_body_not_wrapped_in_the_resource_name_is_422(
    club_a: httpx.Client, path: str, body: object
) -> None:
    response = club_a.post(path, json=body)

    assert response.status_code == 422
    wrapper = path.strip("/").removesuffix("s")
    assert response.json() == {"errors": {wrapper: ["can't be blank"]}}


def test_a_body_sent_without_json_content_type_is_not_read(club_a: httpx.Client) -> None:
    response = club_a.post(
        "/users",
        content=b'{"user": {"email": "new@example.com"}}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/users", "/role_assignments", "/locks/1/unlock"])
def test_malformed_json_is_400(club_a: httpx.Client, path: str) -> None:
    response = club_a.post(path, content=b'{"user": {"email": ')

    assert response.status_code == 400
    assert response.json()["code"] == "000400"
    assert response.json()["error"]


def test_invalid_fields_are_422_with_field_errors(club_a: httpx.Client) -> None:
    response = club_a.post(
        "/users",
        json={"user": {"email": "not-an-email", "access_enabled": "yes", "notes": 5}},
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["email"] == ["is invalid"]
    assert set(errors) == {"email", "access_enabled", "notes"}


def test_patch_and_delete_answer_204_without_a_body(
    club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    user_id = ids_a["users"]["joanna"]
    patched = club_a.patch(f"/users/{user_id}", json={"user": {"name": "Joanna"}})
    assignment_id = ids_a["role_assignments"][0]
    unassigned = club_a.delete(f"/role_assignments/{assignment_id}")
    deleted = club_a.delete(f"/users/{user_id}")

    for response in (patched, unassigned, deleted):
        assert response.status_code == 204
        assert response.content == b""
        assert "content-type" not in response.headers


def test_collections_are_bare_arrays(club_a: httpx.Client) -> None:
    for path in ("/users", "/locks", "/places", "/groups", "/role_assignments"):
        response = club_a.get(path)
        assert response.status_code == 200
        assert isinstance(response.json(), list), path
        assert "X-Collection-Range" in response.headers


def test_a_non_numeric_id_is_not_found(club_a: httpx.Client) -> None:
    response = club_a.get("/users/abc")

    assert response.status_code == 404
    assert response.json()["code"] == "000404"
