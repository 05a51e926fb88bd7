"""The admin's test unlock with the Unlock API's fakes: it opens only an enabled door of a
connected club, through the same claim and Kisi client, answers Kisi's refusals as a player's
unlock does, and audits every attempt as the admin's."""

from __future__ import annotations

import pytest

from access_core.admin.tools import TEST_UNLOCK_RESERVATION, admin_unlock
from access_core.admin.tools_models import AdminUnlockRequest
from access_core.domain.caller import Caller
from access_core.domain.model import ConnectionState
from kisi_client import KisiConflict, KisiInvalidCredentials
from tests.answers import Answer, answer_of
from tests.unit.test_unlock_service import COURT, OLD, SIDE, TENANT, World, make_world

ADMIN = Caller(subject="admin-7", tenant_id=TENANT, roles=frozenset({"admin"}))


def unlock(world: World, lock_id: int = COURT) -> Answer:
    return answer_of(lambda: admin_unlock(ADMIN, AdminUnlockRequest(lock_id=lock_id), world.deps))


def test_an_enabled_door_opens_with_one_read_the_claim_kisi_and_the_audit() -> None:
    world = make_world()

    answer = unlock(world)

    assert answer.status_code == 200, answer.body
    assert answer.body["door_name"] == "Court Gate"
    assert answer.body["deduplicated"] is False
    assert world.kisi.unlocked == [COURT]
    assert world.log == [
        "store.get_unlock_facts",
        "ssm.kisi_api_key",
        "store.claim_unlock",
        "kisi.unlock",
        "store.put_audit",
    ]
    (entry,) = world.store.audit
    assert (entry.action, entry.actor, entry.subject) == (
        "admin.test_unlock",
        "admin:admin-7",
        f"lock:{COURT}",
    )
    # The claim is the admin's own: a player's claim on the door is another key.
    assert (TEST_UNLOCK_RESERVATION, "admin:admin-7", COURT) in world.store.recent
    assert world.metrics.counts["AdminTestUnlocks"] == 1


def test_a_repeat_within_the_dedupe_seconds_does_not_open_the_door_again() -> None:
    world = make_world()
    assert unlock(world).status_code == 200

    again = unlock(world)

    assert again.status_code == 200
    assert again.body["deduplicated"] is True
    assert world.kisi.unlocked == [COURT]


@pytest.mark.parametrize(
    ("lock_id", "status", "code"),
    [(SIDE, 409, "door_not_enabled"), (OLD, 409, "door_not_enabled"), (999, 404, "door_not_found")],
)
def test_a_door_players_cannot_open_is_refused_before_kisi(
    lock_id: int, status: int, code: str
) -> None:
    world = make_world()

    answer = unlock(world, lock_id)

    assert (answer.status_code, answer.body["error"]) == (status, code)
    assert world.log == ["store.get_unlock_facts"]


def test_a_disconnected_club_is_refused_without_reading_its_key() -> None:
    world = make_world()
    assert world.store.tenant is not None
    world.store.tenant = world.store.tenant.model_copy(
        update={"connection_state": ConnectionState.DISCONNECTED}
    )

    answer = unlock(world)

    assert (answer.status_code, answer.body["error"]) == (409, "kisi_not_connected")
    assert world.log == ["store.get_unlock_facts"]


def test_kisi_refusing_answers_as_the_unlock_api_releases_the_claim_and_audits() -> None:
    world = make_world()
    world.kisi.failure = KisiConflict("lockdown", status_code=409, code="fad001")

    answer = unlock(world)

    assert (answer.status_code, answer.body["error"]) == (423, "door_locked_down")
    assert world.store.recent == {}
    (entry,) = world.store.audit
    assert entry.action == "admin.test_unlock_failed"
    assert entry.detail["code"] == "door_locked_down"


def test_a_key_kisi_no_longer_accepts_stops_the_club_calling_kisi() -> None:
    world = make_world()
    world.kisi.failure = KisiInvalidCredentials("refused", status_code=401)

    answer = unlock(world)

    assert (answer.status_code, answer.body["error"]) == (503, "kisi_credentials_invalid")
    assert world.store.invalid_credentials_marked
