"""POST /locks/sync, GET /locks, PUT /locks/enabled: every lock Kisi lists is imported (pages of
250), each lock's enabled flag survives syncs, locks gone from Kisi are marked, and the selection
of enabled locks is all or nothing."""

from typing import Any

import pytest

from tests.integration.harness import (
    API_KEY,
    AdminApi,
    Club,
    delete_kisi_lock,
    seed_kisi_locks,
    stack_state,
)

MANY = 260


def locks_by_id(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {lock["lock_id"]: lock for lock in body["locks"]}


def kisi_lock_ids(club: Club) -> set[int]:
    return {lock["id"] for lock in club.snapshot()["locks"]}


def test_sync_imports_every_lock_page_by_page(club: Club, admin: AdminApi) -> None:
    seed_kisi_locks(club, MANY)
    in_kisi = kisi_lock_ids(club)
    assert len(in_kisi) == MANY + 1

    result = admin("POST", "/locks/sync")

    assert result.status == 200, result.body
    body = result.body
    assert (body["kisi_locks"], body["added"], body["updated"]) == (MANY + 1, MANY + 1, 0)
    assert (body["missing_in_kisi"], body["enabled"]) == (0, 0)
    assert club.kisi.emulator.call_count("GET /locks") == 2
    listed = admin("GET", "/locks").body
    assert set(locks_by_id(listed)) == in_kisi
    front = next(lock for lock in listed["locks"] if lock["name"] == "Front Door")
    assert front["place_name"] == "Clubhouse"
    assert front["place_id"] is not None
    assert front["online"] is True
    assert (front["enabled"], front["missing_in_kisi"]) == (False, False)
    assert front["synced_at"] is not None
    assert club.stack_audit()[0]["action"] == "admin.locks_synced"


def test_enabled_flags_survive_a_sync_and_locks_gone_from_kisi_are_marked(
    club: Club, admin: AdminApi
) -> None:
    annex = seed_kisi_locks(club, 3)
    admin("POST", "/locks/sync")
    saved = admin("PUT", "/locks/enabled", {"lock_ids": annex[:2]})
    assert saved.status == 200, saved.body
    delete_kisi_lock(club, annex[1])
    club.kisi.emulator.set_lock_state(club.organization_id, annex[0], online=False)

    result = admin("POST", "/locks/sync")

    assert result.status == 200
    assert (result.body["updated"], result.body["added"]) == (3, 0)
    assert (result.body["missing_in_kisi"], result.body["enabled"]) == (1, 1)
    locks = locks_by_id(admin("GET", "/locks").body)
    assert len(locks) == 4
    assert locks[annex[0]]["enabled"] is True
    assert locks[annex[0]]["online"] is False
    assert locks[annex[1]]["missing_in_kisi"] is True
    assert locks[annex[1]]["enabled"] is True
    assert locks[annex[2]]["enabled"] is False
    assert not any(lock["missing_in_kisi"] for i, lock in locks.items() if i != annex[1])


def test_saving_the_selection_enables_exactly_the_listed_locks(club: Club, admin: AdminApi) -> None:
    annex = seed_kisi_locks(club, 3)
    admin("POST", "/locks/sync")
    admin("PUT", "/locks/enabled", {"lock_ids": annex[:2]})

    result = admin("PUT", "/locks/enabled", {"lock_ids": [annex[2]]})

    assert result.status == 200
    enabled = {i for i, lock in locks_by_id(result.body).items() if lock["enabled"]}
    assert enabled == {annex[2]}
    stored = {i for i, lock in locks_by_id(admin("GET", "/locks").body).items() if lock["enabled"]}
    assert stored == {annex[2]}
    assert admin("PUT", "/locks/enabled", {"lock_ids": []}).status == 200
    assert not any(lock["enabled"] for lock in admin("GET", "/locks").body["locks"])


def test_an_unknown_lock_id_refuses_the_whole_selection(club: Club, admin: AdminApi) -> None:
    annex = seed_kisi_locks(club, 2)
    admin("POST", "/locks/sync")
    before = stack_state(club.stack)

    result = admin("PUT", "/locks/enabled", {"lock_ids": [annex[0], 999_001, 999_000]})

    assert result.status == 422, result.body
    assert result.body["error"] == "unknown_locks"
    assert result.body["lock_ids"] == [999_000, 999_001]
    assert stack_state(club.stack) == before


def test_a_lock_gone_from_kisi_cannot_be_enabled(club: Club, admin: AdminApi) -> None:
    annex = seed_kisi_locks(club, 2)
    admin("POST", "/locks/sync")
    delete_kisi_lock(club, annex[1])
    admin("POST", "/locks/sync")
    before = stack_state(club.stack)

    result = admin("PUT", "/locks/enabled", {"lock_ids": annex})

    assert result.status == 422, result.body
    assert result.body["error"] == "locks_missing_in_kisi"
    assert result.body["lock_ids"] == [annex[1]]
    assert stack_state(club.stack) == before
    assert admin("PUT", "/locks/enabled", {"lock_ids": annex[:1]}).status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lock_ids": [1, 1]}, "body.lock_ids"),
        ({"lock_ids": [0]}, "body.lock_ids.0"),
        ({"lock_ids": ["front"]}, "body.lock_ids.0"),
        ({"lock_ids": 5}, "body.lock_ids"),
        ({"lock_ids": [], "all": True}, "body.all"),
        ({}, "body.lock_ids"),
    ],
    ids=["repeated", "zero", "not-an-id", "not-a-list", "extra-field", "missing"],
)
def test_a_malformed_selection_is_a_422_and_changes_nothing(
    club: Club, admin: AdminApi, body: dict[str, Any], field: str
) -> None:
    admin("POST", "/locks/sync")
    before = stack_state(club.stack)

    result = admin("PUT", "/locks/enabled", body)

    assert result.status == 422
    assert [problem["field"] for problem in result.body["fields"]] == [field]
    assert stack_state(club.stack) == before


def test_sync_without_a_connected_kisi_is_a_409(club: Club, admin: AdminApi) -> None:
    admin("DELETE", "/kisi-credentials")
    club.kisi.emulator.reset_counts()
    before = stack_state(club.stack)

    result = admin("POST", "/locks/sync")

    assert result.status == 409
    assert result.body["error"] == "kisi_not_connected"
    assert stack_state(club.stack) == before
    assert club.kisi.emulator.call_count() == 0


def test_sync_with_a_key_kisi_no_longer_accepts_marks_the_credentials_invalid(
    club: Club, admin: AdminApi
) -> None:
    admin("POST", "/locks/sync")
    locks_before = admin("GET", "/locks").body
    club.kisi.emulator.revoke_api_key(API_KEY)

    result = admin("POST", "/locks/sync")

    assert result.status == 409
    assert result.body["error"] == "kisi_credentials_invalid"
    assert admin("GET", "/locks").body == locks_before
    assert admin("GET", "/status").body["connection"]["state"] == "invalid_credentials"


def test_sync_while_kisi_is_down_is_a_503_and_changes_nothing(club: Club, admin: AdminApi) -> None:
    admin("POST", "/locks/sync")
    club.kisi.emulator.inject_fault(kind="outage")
    before = stack_state(club.stack)

    result = admin("POST", "/locks/sync")

    assert result.status == 503
    assert result.body["error"] == "kisi_unavailable"
    assert int(result.headers["Retry-After"]) > 0
    assert stack_state(club.stack) == before


def test_locks_of_a_tenant_without_settings_are_a_404(club: Club) -> None:
    api = AdminApi(club.stack, tenant_id="club-9")

    requests: list[tuple[str, str, Any]] = [
        ("GET", "/locks", None),
        ("POST", "/locks/sync", None),
        ("PUT", "/locks/enabled", {"lock_ids": []}),
    ]
    for method, path, body in requests:
        result = api(method, path, body)
        assert (result.status, result.body["error"]) == (404, "tenant_not_found"), path
