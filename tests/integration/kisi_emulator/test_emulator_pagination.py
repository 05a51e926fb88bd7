"""Pagination as docs/kisi-api.md pins it: limit/offset, per-endpoint default and max limits, bare
arrays and `X-Collection-Range: <first>-<last>/<total>` (`*/0` when empty)."""

from typing import Any

import pytest

from kisi_emulator import KisiEmulator, RunningEmulator

from .conftest import Connect

KEY = "paged-org-key"


def seed_org(
    emulator: KisiEmulator,
    *,
    users: int = 0,
    locks: int = 0,
    groups: int = 0,
    places: int = 0,
    assignments: int = 0,
) -> None:
    """A fresh organisation holding exactly the given numbers of records (plus its admin user,
    who is one of its users)."""
    document = {
        "admins": [{"ref": "admin", "email": "admin@paged.example"}],
        "organizations": [
            {
                "ref": "paged",
                "name": "Paged Club",
                "api_keys": [{"key": KEY, "admin": "admin"}],
                "places": [{"ref": f"p{n}", "name": f"Place {n:03}"} for n in range(places)],
                "locks": [{"name": f"Lock {n:03}", "place": "p0"} for n in range(locks)],
                "groups": [{"ref": f"g{n}", "name": f"Group {n:03}"} for n in range(groups)],
                "users": [
                    {"ref": f"u{n}", "email": f"user{n:03}@example.com"}
                    for n in range(max(users, assignments))
                ],
                "role_assignments": [{"user": f"u{n}", "group": "g0"} for n in range(assignments)],
            }
        ],
    }
    emulator.seed(document)


ENDPOINTS = [
    # path, default limit, max limit, what to seed (max + 20 records)
    pytest.param("/users", 50, 100, {"users": 119}, id="users"),
    pytest.param("/locks", 50, 250, {"places": 1, "locks": 270}, id="locks"),
    pytest.param("/places", 50, 250, {"places": 270}, id="places"),
    pytest.param("/groups", 10, 250, {"groups": 270}, id="groups"),
    pytest.param("/role_assignments", 10, 250, {"groups": 1, "assignments": 270}, id="assignments"),
]


@pytest.mark.parametrize(("path", "default_limit", "max_limit", "records"), ENDPOINTS)
def test_default_and_max_limit_per_endpoint(
    kisi: RunningEmulator,
    connect: Connect,
    path: str,
    default_limit: int,
    max_limit: int,
    records: dict[str, int],
) -> None:
    seed_org(kisi.emulator, **records)
    client = connect(KEY)

    by_default = client.get(path)
    beyond_max = client.get(path, params={"limit": 1000})
    at_max = client.get(path, params={"limit": max_limit})

    assert len(by_default.json()) == default_limit
    assert by_default.headers["X-Collection-Range"] == f"0-{default_limit - 1}/{max_limit + 20}"
    assert len(beyond_max.json()) == max_limit
    assert beyond_max.headers["X-Collection-Range"] == f"0-{max_limit - 1}/{max_limit + 20}"
    assert at_max.json() == beyond_max.json()


def test_a_middle_page_names_its_range_over_the_total(
    kisi: RunningEmulator, connect: Connect
) -> None:
    seed_org(kisi.emulator, groups=15)

    response = connect(KEY).get("/groups", params={"offset": 10, "limit": 10})

    assert response.status_code == 200
    assert response.headers["X-Collection-Range"] == "10-14/15"
    assert [group["name"] for group in response.json()] == [f"Group {n:03}" for n in range(10, 15)]


@pytest.mark.parametrize("path", ["/role_assignments", "/groups", "/locks", "/places"])
def test_an_empty_collection_is_star_slash_zero(
    kisi: RunningEmulator, connect: Connect, path: str
) -> None:
    seed_org(kisi.emulator)

    response = connect(KEY).get(path)

    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["X-Collection-Range"] == "*/0"


def test_an_offset_past_the_end_gives_an_empty_page_over_the_total(
    kisi: RunningEmulator, connect: Connect
) -> None:
    seed_org(kisi.emulator, groups=15)

    response = connect(KEY).get("/groups", params={"offset": 15, "limit": 10})

    assert response.json() == []
    assert response.headers["X-Collection-Range"] == "*/15"


def test_pages_walk_the_whole_collection_once_in_order(
    kisi: RunningEmulator, connect: Connect
) -> None:
    seed_org(kisi.emulator, groups=1, assignments=23)
    client = connect(KEY)

    seen: list[int] = []
    for offset in range(0, 30, 10):
        page = client.get("/role_assignments", params={"offset": offset, "limit": 10}).json()
        seen.extend(assignment["id"] for assignment in page)

    assert len(seen) == 23
    assert seen == sorted(set(seen))


def test_offset_20000_is_the_last_allowed(kisi: RunningEmulator, connect: Connect) -> None:
    seed_org(kisi.emulator)
    client = connect(KEY)

    allowed = client.get("/users", params={"offset": 20000})
    refused = client.get("/users", params={"offset": 20001})

    assert allowed.status_code == 200
    assert allowed.headers["X-Collection-Range"] == "*/1"
    assert refused.status_code == 400
    assert refused.json()["code"] == "000400"


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": "ten"}, {"offset": -1}, {"offset": "1.5"}]
)
def test_invalid_limit_or_offset_is_400(
    kisi: RunningEmulator, connect: Connect, params: dict[str, Any]
) -> None:
    seed_org(kisi.emulator)

    response = connect(KEY).get("/users", params=params)

    assert response.status_code == 400
    assert set(response.json()) == {"code", "error"}
