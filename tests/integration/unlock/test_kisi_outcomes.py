"""What Kisi answers an unlock, as the player's app sees it: each outcome its own status and code,
Retry-After where retrying helps, audited with Kisi's code; and the API key in no response and no
log line, whatever happens."""

from typing import Any

import pytest

from access_core.domain.model import ConnectionState
from tests.integration.conftest import LogCapture
from tests.integration.harness import API_KEY, Club, UnlockApi
from tests.integration.unlock.conftest import Doors, book, kisi_unlocks


def failure(club: Club) -> dict[str, Any]:
    entry = club.stack_audit()[0]
    assert entry["action"] == "unlock.failed"
    detail: dict[str, Any] = entry["detail"]
    return detail


@pytest.mark.parametrize(
    ("lock_state", "status", "code", "kisi_code"),
    [
        ({"online": False}, 503, "door_offline", "fad107"),
        ({"configured": False}, 503, "door_offline", "fac001"),
        ({"forced_unlock_error": "fac003"}, 503, "door_offline", "fac003"),
        ({"locked_down": True}, 423, "door_locked_down", "fad001"),
        ({"forced_unlock_error": "fcd8ef"}, 403, "kisi_access_denied", "fcd8ef"),
        ({"forced_unlock_error": "34ffaa"}, 403, "kisi_access_denied", "34ffaa"),
        ({"forced_unlock_error": "ffffff"}, 502, "kisi_error", "ffffff"),
    ],
)
def test_door_outcomes(
    club: Club,
    doors: Doors,
    player: UnlockApi,
    lock_state: dict[str, Any],
    status: int,
    code: str,
    kisi_code: str,
) -> None:
    book(club)
    club.kisi.emulator.set_lock_state(club.organization_id, doors.court, **lock_state)
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (status, code)
    assert "Retry-After" not in answer.headers
    assert failure(club)["kisi_code"] == kisi_code
    # Not remembered: once the door is back, the player's next tap opens it.
    club.kisi.emulator.set_lock_state(
        club.organization_id,
        doors.court,
        online=True,
        configured=True,
        locked_down=False,
        forced_unlock_error=None,
    )
    assert player.unlock("res-1", doors.court).status == 200


def test_kisi_outage_503_with_retry_after_and_no_retry_of_the_unlock(
    club: Club, doors: Doors, player: UnlockApi
) -> None:
    book(club)
    club.kisi.emulator.inject_fault(kind="outage")
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (503, "kisi_unavailable")
    assert answer.headers["Retry-After"] == "5"
    assert answer.body["retry_after_seconds"] == 5
    assert "may have opened" in answer.body["message"]
    # A 503 may have opened the door: the client does not repeat the unlock by itself.
    assert club.kisi.emulator.call_count("POST /locks/{id}/unlock") == 1
    assert failure(club)["possibly_executed"] is True
    club.kisi.emulator.clear_faults()
    assert player.unlock("res-1", doors.court).status == 200


def test_kisi_rate_limit_429_with_retry_after(club: Club, doors: Doors, player: UnlockApi) -> None:
    book(club)
    club.kisi.emulator.inject_fault(kind="rate_limit")
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (429, "kisi_rate_limited")
    assert answer.headers["Retry-After"] == "1"
    # One retry within the short budget (a 429 was not executed), then the answer.
    assert club.kisi.emulator.call_count("POST /locks/{id}/unlock") == 2
    assert kisi_unlocks(club) == []


def test_a_single_429_is_absorbed_by_one_retry(club: Club, doors: Doors, player: UnlockApi) -> None:
    book(club)
    club.kisi.emulator.inject_fault(kind="rate_limit", max_requests=1)
    answer = player.unlock("res-1", doors.court)
    assert answer.status == 200
    assert len(kisi_unlocks(club)) == 1


def test_a_refused_key_503_and_the_tenant_is_marked(
    club: Club, doors: Doors, player: UnlockApi
) -> None:
    book(club)
    club.kisi.emulator.revoke_api_key(API_KEY)
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (503, "kisi_credentials_invalid")
    assert club.stack_tenant().connection_state is ConnectionState.INVALID_CREDENTIALS
    club.kisi.emulator.reset_counts()
    again = player.unlock("res-1", doors.front)
    assert (again.status, again.body["error"]) == (503, "kisi_not_connected")
    assert club.kisi.emulator.counts()["total"] == 0


def test_the_key_appears_in_no_response_and_no_log_line(
    club: Club, doors: Doors, player: UnlockApi, all_logs: LogCapture
) -> None:
    book(club)
    answers = [player.doors("res-1"), player.unlock("res-1", doors.court)]
    answers.append(player.unlock("res-1", doors.court))  # deduplicated
    club.kisi.emulator.set_lock_state(club.organization_id, doors.front, online=False)
    answers.append(player.unlock("res-1", doors.front))
    club.kisi.emulator.inject_fault(kind="outage", max_requests=1)
    answers.append(
        player.unlock("res-1", doors.court, claims={"sub": "partner-9", "tenant_id": "club-1"})
    )
    club.kisi.emulator.inject_fault(kind="rate_limit")
    answers.append(
        player.unlock("res-1", doors.court, claims={"sub": "partner-9", "tenant_id": "club-1"})
    )
    club.kisi.emulator.clear_faults()
    club.kisi.emulator.revoke_api_key(API_KEY)
    answers.append(
        player.unlock("res-1", doors.court, claims={"sub": "partner-9", "tenant_id": "club-1"})
    )
    answers.append(player.unlock("res-1", "not-a-number"))  # fmt: skip
    statuses = [answer.status for answer in answers]
    assert statuses == [200, 200, 200, 503, 503, 429, 503, 422]
    for answer in answers:
        assert API_KEY not in repr(answer.body)
        assert API_KEY not in repr(answer.headers)
    assert all_logs.lines, "the capture saw the stack's log lines"
    assert API_KEY not in all_logs.text
    assert API_KEY[-12:] not in all_logs.text
    assert API_KEY not in repr(club.stack_audit())
