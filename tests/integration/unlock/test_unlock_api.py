"""The Unlock API end to end in-process (real handler, moto, the Kisi emulator): the doors list,
the unlock, every refusal, the call sequence (one DynamoDB round trip before Kisi when warm),
retry dedupe, audit entries and metrics."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from access_core import bootstrap
from access_core.infrastructure.storage import RecentUnlock
from access_core.unlock.storage import StoredUnlocks
from kisi_client import shared_http_client
from local_runtime.lambda_events import http_api_event
from tests.integration.harness import (
    ADMIN_EMAIL,
    API_KEY,
    PLAYER_ID,
    TENANT_ID,
    AdminApi,
    Club,
    UnlockApi,
    delete_kisi_lock,
)
from tests.integration.unlock.conftest import (
    WINDOW_MINUTES,
    Doors,
    book,
    cancel,
    kisi_unlocks,
    round_trips,
)


@pytest.fixture
def calls(club: Club) -> Iterator[list[str]]:
    """Every DynamoDB and SSM operation and every Kisi request the functions make, in order."""
    seen: list[str] = []

    def aws_call(event_name: str, **_: Any) -> None:
        service, operation = event_name.split(".")[1:3]
        seen.append(f"{service}.{operation}")

    def kisi_call(request: Any) -> None:
        seen.append(f"kisi {request.method} {request.url.path}")

    clients = [bootstrap.container().dynamodb, bootstrap.container().ssm]
    for client in clients:
        client.meta.events.register("before-call.*.*", aws_call)
    hooks = shared_http_client().event_hooks
    hooks["request"] = [*hooks["request"], kisi_call]
    yield seen
    for client in clients:
        client.meta.events.unregister("before-call.*.*", aws_call)
    hooks["request"] = [hook for hook in hooks["request"] if hook is not kisi_call]


def last_audit(club: Club) -> dict[str, Any]:
    return club.stack_audit()[0]


# ---- listing the doors -------------------------------------------------------------------------


def test_doors_lists_the_enabled_doors_and_the_window(
    club: Club, doors: Doors, player: UnlockApi
) -> None:
    booking = book(club, starts_in=timedelta(minutes=40))
    answer = player.doors("res-1")
    assert answer.status == 200
    body = answer.body
    assert {door["lock_id"] for door in body["doors"]} == {doors.front, doors.court}
    assert body["court"] == booking["court"]
    start = datetime.fromisoformat(body["start"])
    assert start == datetime.fromisoformat(booking["start"])
    assert datetime.fromisoformat(body["window"]["opens_at"]) == start - timedelta(
        minutes=WINDOW_MINUTES
    )
    assert datetime.fromisoformat(body["window"]["closes_at"]) == datetime.fromisoformat(
        booking["end"]
    )
    assert body["window"]["open_now"] is False
    assert body["unlock_allowed"] is False
    assert body["refusal"]["error"] == "window_not_open"
    assert club.kisi.emulator.counts()["total"] == 0


def test_doors_inside_the_window_can_be_unlocked(
    club: Club, doors: Doors, player: UnlockApi
) -> None:
    book(club)
    body = player.doors("res-1").body
    assert body["unlock_allowed"] is True
    assert body["refusal"] is None
    assert body["window"]["open_now"] is True
    # Ordered by place, then name: Clubhouse before Courts.
    assert [(door["place_name"], door["name"]) for door in body["doors"]] == [
        ("Clubhouse", "Front Door"),
        ("Courts", "Courts door 000"),
    ]


# ---- unlock ------------------------------------------------------------------------------------


def test_unlock_opens_the_door_in_kisi(club: Club, doors: Doors, player: UnlockApi) -> None:
    book(club)
    answer = player.unlock("res-1", doors.court)
    assert answer.status == 200
    assert answer.body["unlocked"] is True
    assert answer.body["deduplicated"] is False
    assert answer.body["door_name"] == "Courts door 000"
    [record] = kisi_unlocks(club)
    assert record["lock_id"] == doors.court
    assert record["success"] is True


def test_warm_unlock_is_a_count_one_read_and_one_claim_then_kisi(
    club: Club, doors: Doors, player: UnlockApi, calls: list[str]
) -> None:
    book(club)
    player.unlock("res-1", doors.front)  # cold: reads the key from SSM once
    assert calls[calls.index("dynamodb.BatchGetItem") + 1] == "ssm.GetParameter"
    calls.clear()
    before = round_trips()
    assert player.unlock("res-1", doors.court).status == 200
    assert calls == [
        "dynamodb.UpdateItem",  # the player's usage count (at most 30 requests a minute)
        "dynamodb.BatchGetItem",
        "dynamodb.PutItem",  # the door's claim: of two concurrent unlocks, one opens it
        f"kisi POST /locks/{doors.court}/unlock",
        "dynamodb.BatchWriteItem",  # the audit entry
    ]
    assert round_trips() - before == 4


def test_every_attempt_is_audited(club: Club, doors: Doors, player: UnlockApi) -> None:
    book(club)
    player.unlock("res-1", doors.court)
    opened = last_audit(club)
    assert opened["action"] == "unlock.opened"
    assert opened["actor"] == f"player:{PLAYER_ID}"
    assert opened["subject"] == "reservation:res-1"
    assert opened["detail"] | {"unlocked_at": None} == {
        "reservation_id": "res-1",
        "player_id": PLAYER_ID,
        "lock_id": doors.court,
        "reason": "allowed",
        "door_name": "Courts door 000",
        "unlocked_at": None,
        "code": "opened",
    }
    player.unlock("res-1", doors.side)
    refused = last_audit(club)
    assert refused["action"] == "unlock.refused"
    assert refused["detail"]["reason"] == "lock_disabled"
    assert refused["detail"]["code"] == "door_not_found"


def test_attempts_are_counted_without_a_tenant_dimension(
    club: Club, doors: Doors, player: UnlockApi, capsys: pytest.CaptureFixture[str]
) -> None:
    book(club)
    capsys.readouterr()
    player.unlock("res-1", doors.court)
    player.unlock("res-1", doors.side)
    records = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    names = [
        metric["Name"]
        for record in records
        for directive in record["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    ]
    assert names.count("UnlockAttempts") == 2
    assert "UnlockOpened" in names
    assert "UnlockDoorNotFound" in names
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            assert all(TENANT_ID not in json.dumps(dims) for dims in directive["Dimensions"])
            assert all("tenant" not in dim for dims in directive["Dimensions"] for dim in dims)


# ---- refusals ----------------------------------------------------------------------------------


def test_before_the_window_403_with_its_times(club: Club, doors: Doors, player: UnlockApi) -> None:
    booking = book(club, starts_in=timedelta(minutes=40))
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (403, "window_not_open")
    opens = datetime.fromisoformat(booking["start"]) - timedelta(minutes=WINDOW_MINUTES)
    assert datetime.fromisoformat(answer.body["window_opens_at"]) == opens
    assert datetime.fromisoformat(answer.body["window_closes_at"]) == datetime.fromisoformat(
        booking["end"]
    )
    assert opens.astimezone(UTC).strftime("%H:%M") in answer.body["message"]
    assert kisi_unlocks(club) == []


def test_after_the_end_403(club: Club, doors: Doors, player: UnlockApi) -> None:
    book(club, starts_in=timedelta(hours=-2), length=timedelta(hours=1))
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (403, "window_closed")
    assert player.doors("res-1").body["refusal"]["error"] == "window_closed"


def test_cancelled_409_at_once(club: Club, doors: Doors, player: UnlockApi) -> None:
    book(club)
    assert player.unlock("res-1", doors.court).status == 200
    cancel(club)
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (409, "reservation_cancelled")
    assert player.doors("res-1").status == 409
    assert len(kisi_unlocks(club)) == 1


@pytest.mark.parametrize("reservation_id", ["res-unknown", "res-other-players"])
def test_not_the_players_reservation_404_alike(
    club: Club, doors: Doors, player: UnlockApi, reservation_id: str
) -> None:
    book(club, "res-other-players", players=("someone-else",))
    for answer in (player.unlock(reservation_id, doors.court), player.doors(reservation_id)):
        assert answer.status == 404
        assert answer.body == {
            "error": "reservation_not_found",
            "message": f"You have no reservation {reservation_id!r} here.",
        }
    assert kisi_unlocks(club) == []


def test_a_cancelled_reservation_of_another_player_is_still_404(
    club: Club, doors: Doors, player: UnlockApi
) -> None:
    book(club, players=("someone-else",))
    cancel(club)
    assert player.unlock("res-1", doors.court).body["error"] == "reservation_not_found"


@pytest.mark.parametrize("which", ["side", "unknown"])
def test_a_door_players_may_not_open_404(
    club: Club, doors: Doors, player: UnlockApi, which: str
) -> None:
    book(club)
    lock_id = doors.side if which == "side" else 987654
    answer = player.unlock("res-1", lock_id)
    assert (answer.status, answer.body["error"]) == (404, "door_not_found")
    assert kisi_unlocks(club) == []


def test_a_door_gone_from_kisi_is_never_unlocked(
    club: Club, admin: AdminApi, doors: Doors, player: UnlockApi
) -> None:
    book(club)
    delete_kisi_lock(club, doors.court)
    assert admin("POST", "/locks/sync").status == 200
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (404, "door_not_found")
    assert last_audit(club)["detail"]["reason"] == "lock_missing_in_kisi"
    assert doors.court not in {door["lock_id"] for door in player.doors("res-1").body["doors"]}


def test_door_access_disabled_403(
    club: Club, admin: AdminApi, doors: Doors, player: UnlockApi
) -> None:
    book(club)
    assert (
        admin("PUT", "/settings", {"platform": "canonical", "door_access_enabled": False}).status
        == 200
    )
    for answer in (player.unlock("res-1", doors.court), player.doors("res-1")):
        assert (answer.status, answer.body["error"]) == (403, "door_access_disabled")
    assert kisi_unlocks(club) == []


def test_kisi_disconnected_503_without_a_kisi_call(
    club: Club, admin: AdminApi, doors: Doors, player: UnlockApi
) -> None:
    book(club)
    assert player.unlock("res-1", doors.front).status == 200  # the client is cached now
    assert admin("DELETE", "/kisi-credentials").status == 200
    club.kisi.emulator.reset_counts()
    answer = player.unlock("res-1", doors.court)
    assert (answer.status, answer.body["error"]) == (503, "kisi_not_connected")
    assert "Retry-After" not in answer.headers
    assert club.kisi.emulator.counts()["total"] == 0


def test_a_new_key_is_used_at_once(
    club: Club, admin: AdminApi, doors: Doors, player: UnlockApi
) -> None:
    """The cached key is dropped when the tenant's connection changes, however young it is."""
    book(club)
    assert player.unlock("res-1", doors.front).status == 200
    new_key = "kisi-second-key-0123456789abcdef"
    club.kisi.emulator.seed(
        {
            "admins": [{"ref": "owner", "email": ADMIN_EMAIL}],
            "organizations": [
                {"ref": "club", "id": club.organization_id,
                 "api_keys": [{"key": new_key, "admin": "owner"}]}
            ],
        }
    )  # fmt: skip
    assert admin("PUT", "/kisi-credentials", {"api_key": new_key}).status == 200
    club.kisi.emulator.revoke_api_key(API_KEY)
    assert player.unlock("res-1", doors.court).status == 200


@pytest.mark.parametrize(
    "claims",
    [None, {"sub": PLAYER_ID}, {"tenant_id": TENANT_ID}],
    ids=["no token", "no tenant", "no subject"],
)
def test_no_usable_token_401(
    club: Club, doors: Doors, player: UnlockApi, claims: dict[str, str] | None
) -> None:
    book(club)
    for answer in (
        player.unlock("res-1", doors.court, claims=claims),
        player.doors("res-1", claims=claims),
    ):
        assert (answer.status, answer.body["error"]) == (401, "unauthorized")
    assert kisi_unlocks(club) == []


def test_invalid_paths_422_unknown_routes_404_wrong_methods_405(
    club: Club, doors: Doors, player: UnlockApi
) -> None:
    book(club)
    for lock_id in ("abc", "0", "-3"):
        answer = player.unlock("res-1", lock_id)
        assert (answer.status, answer.body["error"]) == (422, "invalid_request")
        assert answer.body["fields"][0]["field"] == "path.lock_id"
    assert player.doors("res 1").status == 422

    def call(method: str, path: str) -> Any:
        event = http_api_event(
            method=method,
            route_key=f"{method} {path}",
            path=path,
            jwt_claims={"sub": PLAYER_ID, "tenant_id": TENANT_ID},
        )
        return club.stack.invoke_http("UnlockFunction", event)

    anonymous = club.stack.invoke_http(
        "UnlockFunction",
        http_api_event(method="GET", route_key="$default", path="/v1/reservations/res-1/nothing"),
    )
    assert (anonymous.status, anonymous.body["error"]) == (401, "unauthorized")
    missing = call("GET", "/v1/reservations/res-1/nothing")
    assert (missing.status, missing.body["error"]) == (404, "route_not_found")
    assert "docs/unlock-api.md" in missing.body["message"]
    wrong = call("GET", f"/v1/reservations/res-1/doors/{doors.court}/unlock")
    assert (wrong.status, wrong.body["error"]) == (405, "method_not_allowed")
    assert wrong.headers["Allow"] == "POST"
    assert kisi_unlocks(club) == []


# ---- retry dedupe ------------------------------------------------------------------------------


def test_a_client_retry_does_not_unlock_twice(
    club: Club, doors: Doors, player: UnlockApi, calls: list[str]
) -> None:
    book(club)
    first = player.unlock("res-1", doors.court)
    calls.clear()
    retry = player.unlock("res-1", doors.court)
    assert retry.status == 200
    assert retry.body["deduplicated"] is True
    assert retry.body["unlocked_at"] == first.body["unlocked_at"]
    assert len(kisi_unlocks(club)) == 1
    assert calls == ["dynamodb.UpdateItem", "dynamodb.BatchGetItem", "dynamodb.BatchWriteItem"]
    assert last_audit(club)["action"] == "unlock.deduplicated"


def test_dedupe_is_per_door_and_per_player(club: Club, doors: Doors, player: UnlockApi) -> None:
    book(club)
    partner = UnlockApi(club.stack, player_id="partner-9")
    assert player.unlock("res-1", doors.court).body["deduplicated"] is False
    assert player.unlock("res-1", doors.front).body["deduplicated"] is False
    assert partner.unlock("res-1", doors.court).body["deduplicated"] is False
    assert len(kisi_unlocks(club)) == 3


def test_an_expired_dedupe_record_does_not_hold_the_door(
    club: Club, doors: Doors, player: UnlockApi
) -> None:
    """DynamoDB's TTL deletes late: a record past its time is ignored, and replaced."""
    book(club)
    past = datetime.now(UTC) - timedelta(minutes=1)
    unlocks = StoredUnlocks(bootstrap.container().stores)
    stale = RecentUnlock(past, past + timedelta(seconds=5))
    assert unlocks.claim_unlock(TENANT_ID, "res-1", PLAYER_ID, doors.court, stale)
    answer = player.unlock("res-1", doors.court)
    assert answer.body["deduplicated"] is False
    assert len(kisi_unlocks(club)) == 1
    assert player.unlock("res-1", doors.court).body["deduplicated"] is True


def test_a_live_claim_is_not_overwritten_by_a_concurrent_unlock(club: Club, doors: Doors) -> None:
    """Issue 14, L5: two unlocks that both missed the record (concurrent) both try to claim the
    door; the conditional write lets only the first, which alone calls Kisi."""
    now = datetime.now(UTC)
    stores = bootstrap.container().stores
    unlocks = StoredUnlocks(stores)
    first = RecentUnlock(now, now + timedelta(seconds=5))
    second = RecentUnlock(now + timedelta(seconds=1), now + timedelta(seconds=6))
    assert unlocks.claim_unlock(TENANT_ID, "res-1", PLAYER_ID, doors.court, first)
    assert not unlocks.claim_unlock(TENANT_ID, "res-1", PLAYER_ID, doors.court, second)
    facts = stores.reservations.unlock_facts(TENANT_ID, "res-1", PLAYER_ID, doors.court)
    assert facts.recent_unlock == first
    unlocks.release_unlock(TENANT_ID, "res-1", PLAYER_ID, doors.court, second)  # not its claim
    assert (
        stores.reservations.unlock_facts(TENANT_ID, "res-1", PLAYER_ID, doors.court).recent_unlock
        == first
    )
    unlocks.release_unlock(TENANT_ID, "res-1", PLAYER_ID, doors.court, first)
    facts = stores.reservations.unlock_facts(TENANT_ID, "res-1", PLAYER_ID, doors.court)
    assert facts.recent_unlock is None
