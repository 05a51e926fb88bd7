"""The Kisi client over real HTTP against the Kisi emulator on loopback.

The client's pacer and the emulator run on the tests' one clock (its sleep moves that clock), so
pacing and retry waits are exercised without sleeping. Only the timeout test waits, for the client's
short read timeout.
"""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from kisi_client import (
    KisiClient,
    KisiConflict,
    KisiError,
    KisiInvalidCredentials,
    KisiNotFound,
    KisiUnavailable,
    PacerRegistry,
    RetryPolicy,
    UnlockFailureReason,
    is_managed_by,
)
from kisi_emulator import KisiEmulator, RunningEmulator, start_emulator
from tests.fakes import FakeClock

API_KEY = "club-key-for-client-tests"
MARKER = "kisi-access-bridge:tenant-it"
MEMBERS_IN_BIG_GROUP = 260

SEED: dict[str, Any] = {
    "admins": [{"ref": "owner", "email": "owner@club.example", "name": "Owner"}],
    "organizations": [
        {
            "ref": "club",
            "name": "Club",
            "domain": "club",
            "api_keys": [{"key": API_KEY, "admin": "owner"}],
            "places": [{"ref": "hall", "name": "Hall"}],
            "locks": [
                {"ref": "front", "name": "Front Door", "place": "hall"},
                {"ref": "back", "name": "Back Door", "place": "hall"},
            ],
            "groups": [
                {"ref": "members", "name": "Members", "place": "hall", "locks": ["front"]},
                {"ref": "big", "name": "Big"},
            ],
            "users": [
                {"ref": "ann", "email": "Ann.Smith@example.com", "name": "Ann Smith"},
                {"ref": "jo", "email": "joanna@example.com", "name": "Jo", "notes": "ann.smith"},
                *(
                    {"ref": f"m{n}", "email": f"member{n}@example.com"}
                    for n in range(MEMBERS_IN_BIG_GROUP)
                ),
            ],
            "role_assignments": [
                {"user": "ann", "group": "members"},
                *({"user": f"m{n}", "group": "big"} for n in range(MEMBERS_IN_BIG_GROUP)),
            ],
        }
    ],
}


@pytest.fixture
def emulator(clock: FakeClock) -> KisiEmulator:
    return KisiEmulator(clock=clock, rate_limit=True)


@pytest.fixture
def served(emulator: KisiEmulator) -> Iterator[RunningEmulator]:
    with start_emulator(emulator=emulator) as running:
        yield running


@pytest.fixture
def ids(emulator: KisiEmulator, served: RunningEmulator) -> dict[str, Any]:
    seeded: dict[str, Any] = emulator.seed(SEED)["organizations"]["club"]
    return seeded


@pytest.fixture
def pacers(clock: FakeClock) -> PacerRegistry:
    return PacerRegistry(clock=clock.monotonic, sleep=clock.sleep)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def make_client(served: RunningEmulator, pacers: PacerRegistry, http: httpx.Client) -> Any:
    def make(api_key: str = API_KEY, **options: Any) -> KisiClient:
        options.setdefault("timeout", 5.0)
        return KisiClient(
            api_key, base_url=served.base_url, pacers=pacers, http_client=http, **options
        )

    return make


@pytest.fixture
def client(make_client: Any, ids: dict[str, Any]) -> KisiClient:
    client: KisiClient = make_client()
    return client


def test_credentials_give_the_identity_behind_the_key(client: KisiClient) -> None:
    identity = client.validate_credentials()

    assert identity.user_email == "owner@club.example"
    assert (identity.organization.name, identity.organization.domain) == ("Club", "club")
    assert identity.rate_limit_key == f"kisi-user:{identity.user_id}"


def test_an_unknown_or_revoked_key_is_invalid_credentials(
    make_client: Any, emulator: KisiEmulator, ids: dict[str, Any]
) -> None:
    with pytest.raises(KisiInvalidCredentials) as unknown:
        make_client("not-a-key-of-anyone").validate_credentials()
    emulator.revoke_api_key(API_KEY)
    with pytest.raises(KisiInvalidCredentials):
        make_client().validate_credentials()

    assert unknown.value.code == "000401"


def test_locks_list_read_and_unlock(client: KisiClient, ids: dict[str, Any]) -> None:
    locks = {lock.name: lock for lock in client.iter_locks()}

    assert set(locks) == {"Front Door", "Back Door"}
    front = client.get_lock(ids["locks"]["front"])
    assert front.place_id == ids["places"]["hall"]
    assert client.unlock(front.id) == "Unlocked!"


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"locked_down": True}, UnlockFailureReason.LOCKED_DOWN),
        ({"online": False}, UnlockFailureReason.LOCK_OFFLINE),
        ({"forced_unlock_error": "fac002"}, UnlockFailureReason.DEVICE_UNAVAILABLE),
        ({"forced_unlock_error": "fcd8ef"}, UnlockFailureReason.DENIED),
    ],
)
def test_unlock_failures_carry_kisis_reason(
    client: KisiClient,
    emulator: KisiEmulator,
    ids: dict[str, Any],
    state: dict[str, Any],
    reason: UnlockFailureReason,
) -> None:
    emulator.set_lock_state(ids["id"], ids["locks"]["back"], **state)

    with pytest.raises(KisiError) as raised:  # the class follows Kisi's status
        client.unlock(ids["locks"]["back"])

    assert raised.value.unlock_failure_reason is reason
    assert emulator.call_count("POST /locks/{id}/unlock") == 1


def test_unlocking_an_unknown_door(client: KisiClient, ids: dict[str, Any]) -> None:
    with pytest.raises(KisiNotFound) as raised:
        client.unlock(999_999)

    assert raised.value.unlock_failure_reason is UnlockFailureReason.DOOR_NOT_FOUND


def test_ensure_user_adopts_by_email_ignoring_case(client: KisiClient, ids: dict[str, Any]) -> None:
    user, created = client.ensure_user(
        "ann.smith@EXAMPLE.com", "Ann", send_emails=False, marker=MARKER
    )

    assert (user.id, created) == (ids["users"]["ann"], False)
    assert not is_managed_by(user, MARKER)


def test_ensure_user_creates_once_then_finds_its_user(
    client: KisiClient, emulator: KisiEmulator, ids: dict[str, Any]
) -> None:
    made, created = client.ensure_user("new@example.com", "New", send_emails=False, marker=MARKER)
    again, created_again = client.ensure_user(
        "New@Example.com", "New", send_emails=False, marker=MARKER
    )

    assert created
    assert not created_again
    assert again.id == made.id
    assert is_managed_by(client.get_user(made.id), MARKER)
    assert emulator.call_count("POST /users") == 1


def test_a_create_that_timed_out_is_not_reposted_but_found(
    make_client: Any, emulator: KisiEmulator, ids: dict[str, Any]
) -> None:
    emulator.inject_fault(
        kind="timeout",
        hold_seconds=5,
        applied=True,
        method="POST",
        path_prefix="/users",
        max_requests=1,
    )
    client = make_client(timeout=httpx.Timeout(0.3))

    user, created = client.ensure_user("late@example.com", "Late", send_emails=False, marker=MARKER)

    assert created
    assert user.email == "late@example.com"
    assert emulator.call_count("POST /users") == 1


def test_group_assignments_ensure_recover_replace_and_remove(
    client: KisiClient, emulator: KisiEmulator, ids: dict[str, Any]
) -> None:
    group_id, user_id = ids["groups"]["members"], ids["users"]["jo"]
    until = datetime(2025, 2, 1, tzinfo=UTC)

    made = client.ensure_group_assignment(user_id, group_id, valid_until=until)
    again = client.ensure_group_assignment(user_id, group_id, valid_until=None)
    replaced = client.replace_group_assignment(again, valid_until=until + timedelta(days=7))

    assert again.id == made.id
    assert made.valid_until == until
    assert emulator.call_count("POST /role_assignments", status=409) == 1
    assert replaced.valid_until == until + timedelta(days=7)
    members = {a.user_id: a for a in client.iter_group_assignments(group_id)}
    assert set(members) == {ids["users"]["ann"], user_id}
    assert members[user_id].assignee_email == "joanna@example.com"
    assert client.remove_assignment(replaced.id) is True
    assert client.remove_assignment(replaced.id) is False


def test_a_duplicate_in_a_big_group_is_found_with_one_filtered_lookup(
    client: KisiClient, ids: dict[str, Any]
) -> None:
    last_member = ids["users"][f"m{MEMBERS_IN_BIG_GROUP - 1}"]

    found = client.ensure_group_assignment(last_member, ids["groups"]["big"], valid_until=None)

    assert found.user_id == last_member
    assert found.group_id == ids["groups"]["big"]
    assert client.request_counts["POST /role_assignments"] == 1
    assert client.request_counts["GET /role_assignments"] == 1


def test_a_big_group_is_read_in_pages_of_250(client: KisiClient, ids: dict[str, Any]) -> None:
    members = [a.user_id for a in client.iter_group_assignments(ids["groups"]["big"])]

    assert len(members) == len(set(members)) == MEMBERS_IN_BIG_GROUP
    assert client.request_counts["GET /role_assignments"] == 2


def test_paced_requests_stay_under_kisis_rate_limit(
    client: KisiClient, emulator: KisiEmulator, ids: dict[str, Any]
) -> None:
    for _ in range(12):
        client.get_lock(ids["locks"]["front"])

    assert emulator.call_count(status=429) == 0
    assert client.total_requests == 12


def test_unpaced_bursts_are_rate_limited_and_retried_after_kisis_wait(
    make_client: Any, emulator: KisiEmulator, ids: dict[str, Any], clock: FakeClock
) -> None:
    client = make_client(requests_per_second=1000.0, pacer_key="unpaced")

    for _ in range(12):
        client.get_lock(ids["locks"]["front"])

    assert emulator.call_count(status=429) >= 1
    assert emulator.call_count("GET /locks/{id}", status=200) == 12
    assert 1.0 in clock.sleeps  # the emulator's Retry-After


def test_an_outage_gives_up_within_the_retry_bounds(
    make_client: Any, emulator: KisiEmulator, ids: dict[str, Any], clock: FakeClock
) -> None:
    emulator.inject_fault(kind="outage", path_prefix="/groups")
    client = make_client(retry=RetryPolicy(max_attempts=3, max_total_wait=30))

    with pytest.raises(KisiUnavailable):
        client.get_group(ids["groups"]["members"])

    assert emulator.call_count("GET /groups/{id}") == 3
    assert sum(s for s in clock.sleeps if s >= 1.0) <= 30


def test_a_deprecated_endpoint_logs_a_warning(
    client: KisiClient,
    emulator: KisiEmulator,
    ids: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.inject_fault(kind="deprecated", path_prefix="/locks")

    with caplog.at_level(logging.WARNING, logger="kisi_client"):
        list(client.iter_locks())

    assert any("deprecated" in r.getMessage() for r in caplog.records)


def test_a_raw_create_of_an_existing_assignment_conflicts_and_find_sees_it(
    client: KisiClient, ids: dict[str, Any]
) -> None:
    group_id, user_id = ids["groups"]["members"], ids["users"]["ann"]
    with pytest.raises(KisiConflict):
        client.create_group_assignment(user_id, group_id)

    assert client.find_group_assignment(user_id, group_id) is not None
