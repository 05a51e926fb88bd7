"""POST /locks/{id}/unlock: success, Kisi's error codes and the unlock log."""

from typing import Any

import httpx
import pytest

from kisi_emulator import RunningEmulator


def unlock(client: httpx.Client, lock_id: int | str) -> httpx.Response:
    return client.post(f"/locks/{lock_id}/unlock")


def test_unlock_answers_unlocked_and_is_logged(
    kisi: RunningEmulator, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    lock_id = ids_a["locks"]["front"]

    response = unlock(club_a, lock_id)

    assert response.status_code == 200
    assert response.json() == {"message": "Unlocked!"}
    assert kisi.emulator.unlock_log(ids_a["id"]) == [
        {
            "lock_id": lock_id,
            "actor_id": club_a.get("/user").json()["id"],
            "actor_email": "owner@club-a.example",
            "success": True,
            "code": None,
            "created_at": "2025-01-06T09:00:00.000Z",
        }
    ]


def test_unlock_accepts_the_optional_context_body(
    club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    context = {"context": {"location": {"latitude": 1.0, "longitude": 2.0}, "services": []}}

    response = club_a.post(f"/locks/{ids_a['locks']['front']}/unlock", json=context)

    assert response.status_code == 200


@pytest.mark.parametrize("lock_id", ["999999", "front-door"])
def test_an_unknown_lock_is_404_fad10e(club_a: httpx.Client, lock_id: str) -> None:
    response = unlock(club_a, lock_id)

    assert response.status_code == 404
    assert response.json()["code"] == "fad10e"


def test_another_organizations_lock_is_404_fad10e(
    club_b: httpx.Client, ids_a: dict[str, Any]
) -> None:
    response = unlock(club_b, ids_a["locks"]["front"])

    assert response.status_code == 404
    assert response.json()["code"] == "fad10e"


@pytest.mark.parametrize(
    ("lock_state", "status", "code"),
    [
        ({"online": False}, 503, "fad107"),
        ({"locked_down": True}, 409, "fad001"),
        ({"configured": False}, 503, "fac001"),
        ({"forced_unlock_error": "fac003"}, 503, "fac003"),
        ({"forced_unlock_error": "34ffaa"}, 403, "34ffaa"),
        ({"forced_unlock_error": "f35ade"}, 403, "f35ade"),
    ],
)
def test_unlock_errors_carry_kisis_codes(
    control: httpx.Client,
    club_a: httpx.Client,
    ids_a: dict[str, Any],
    lock_state: dict[str, Any],
    status: int,
    code: str,
) -> None:
    lock_id = ids_a["locks"]["front"]
    changed = control.patch(f"/organizations/{ids_a['id']}/locks/{lock_id}", json=lock_state)

    response = unlock(club_a, lock_id)

    assert changed.status_code == 200
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["error"]
    log = control.get(f"/organizations/{ids_a['id']}/unlocks").json()
    assert [(entry["success"], entry["code"]) for entry in log] == [(False, code)]


def test_a_lock_back_online_unlocks_again(
    kisi: RunningEmulator, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    lock_id = ids_a["locks"]["front"]
    kisi.emulator.set_lock_state(ids_a["id"], lock_id, online=False)
    offline = unlock(club_a, lock_id)

    lock = kisi.emulator.set_lock_state(ids_a["id"], lock_id, online=True)
    online = unlock(club_a, lock_id)

    assert (offline.status_code, online.status_code) == (503, 200)
    assert lock["online"] is True
    assert club_a.get(f"/locks/{lock_id}").json()["online"] is True


def test_online_unknown_does_not_block_an_unlock(
    kisi: RunningEmulator, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    lock_id = ids_a["locks"]["front"]
    kisi.emulator.set_lock_state(ids_a["id"], lock_id, online=None)

    assert unlock(club_a, lock_id).status_code == 200
    assert club_a.get(f"/locks/{lock_id}").json()["online"] is None


def test_locked_down_wins_over_offline(
    kisi: RunningEmulator, club_a: httpx.Client, ids_a: dict[str, Any]
) -> None:
    lock_id = ids_a["locks"]["front"]
    kisi.emulator.set_lock_state(ids_a["id"], lock_id, online=False, locked_down=True)

    assert unlock(club_a, lock_id).json()["code"] == "fad001"


def test_a_key_owner_with_access_disabled_is_refused_fcd8ff(club_a: httpx.Client) -> None:
    owner_id = club_a.get("/user").json()["id"]
    club_a.patch(f"/users/{owner_id}", json={"user": {"access_enabled": False}})

    response = unlock(club_a, club_a.get("/locks").json()[0]["id"])

    assert response.status_code == 403
    assert response.json()["code"] == "fcd8ff"


def test_the_control_api_refuses_an_unknown_error_code(
    control: httpx.Client, ids_a: dict[str, Any]
) -> None:
    response = control.patch(
        f"/organizations/{ids_a['id']}/locks/{ids_a['locks']['front']}",
        json={"forced_unlock_error": "123456"},
    )

    assert response.status_code == 422
    assert "forced_unlock_error" in response.json()["errors"]
