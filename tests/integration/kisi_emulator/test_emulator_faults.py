"""Fault injection: errors, outages, 429 storms, latency, timeouts, deprecation headers."""

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kisi_emulator import RunningEmulator
from kisi_emulator.testing import kisi_headers, running_emulator
from tests.fakes import FakeClock

from .conftest import Connect, statuses

NEW_USER = {"user": {"email": "held@example.com", "send_emails": False, "confirm": True}}


def test_an_error_fault_answers_503_with_kisis_error_body(
    kisi: RunningEmulator, club_a: httpx.Client
) -> None:
    kisi.emulator.inject_fault(kind="error")

    response = club_a.get("/user")

    assert response.status_code == 503
    assert response.json() == {"error": "Service unavailable.", "code": "000503"}


def test_an_error_fault_may_use_another_5xx(kisi: RunningEmulator, club_a: httpx.Client) -> None:
    kisi.emulator.inject_fault(kind="error", status=500)

    assert club_a.get("/user").status_code == 500


SOLO_KEY = "solo-club-key"
SOLO_CLUB = {
    "admins": [{"ref": "solo", "email": "solo@example.com"}],
    "organizations": [{"name": "Solo Club", "api_keys": [{"key": SOLO_KEY, "admin": "solo"}]}],
}


def statuses_under_errors(fault_seed: int, **fault: Any) -> list[int]:
    """30 calls to a fresh emulator whose one fault fails each call with probability 0.5."""
    with running_emulator(fault_seed=fault_seed) as running:
        running.emulator.seed(SOLO_CLUB)
        running.emulator.inject_fault(kind="error", probability=0.5, **fault)
        with httpx.Client(
            base_url=running.base_url, headers=kisi_headers(SOLO_KEY), verify=False
        ) as client:
            return statuses(client, 30)


def test_probabilistic_errors_repeat_with_the_same_seed() -> None:
    first = statuses_under_errors(fault_seed=7)
    again = statuses_under_errors(fault_seed=7)
    other = statuses_under_errors(fault_seed=8)

    assert first == again
    assert set(first) == {200, 503}
    assert other != first


def test_a_fault_may_bring_its_own_seed() -> None:
    assert statuses_under_errors(fault_seed=1, seed=99) == statuses_under_errors(
        fault_seed=2, seed=99
    )


def test_an_outage_lasts_its_window_on_the_emulator_clock(
    kisi: RunningEmulator, club_a: httpx.Client, clock: FakeClock
) -> None:
    kisi.emulator.inject_fault(kind="outage", duration_seconds=30)

    during = statuses(club_a, 2)
    clock.advance(29.9)
    near_the_end = club_a.get("/user").status_code
    clock.advance(0.1)
    after = club_a.get("/user").status_code

    assert during == [503, 503]
    assert (near_the_end, after) == (503, 200)
    assert kisi.emulator.faults() == []


def test_an_outage_without_a_window_lasts_until_cleared(
    control: httpx.Client, club_a: httpx.Client
) -> None:
    injected = control.post("/faults", json={"kind": "outage"})
    during = statuses(club_a, 3)
    cleared = control.delete("/faults")

    assert injected.status_code == 200
    assert during == [503] * 3
    assert cleared.status_code == 204
    assert club_a.get("/user").status_code == 200


def test_a_429_storm_for_n_requests(control: httpx.Client, club_a: httpx.Client) -> None:
    control.post("/faults", json={"kind": "rate_limit", "max_requests": 3})

    responses = [club_a.get("/user") for _ in range(4)]

    assert [r.status_code for r in responses] == [429, 429, 429, 200]
    assert responses[0].headers["Retry-After"] == "1"
    assert responses[0].json()["code"] == "000429"


def test_a_429_storm_for_n_seconds(
    kisi: RunningEmulator, club_a: httpx.Client, clock: FakeClock
) -> None:
    kisi.emulator.inject_fault(kind="rate_limit", duration_seconds=2)

    during = statuses(club_a, 8)
    clock.advance(2)

    assert during == [429] * 8
    assert club_a.get("/user").status_code == 200


def test_faults_can_be_scoped_to_a_method_and_path_prefix(
    kisi: RunningEmulator, club_a: httpx.Client
) -> None:
    kisi.emulator.inject_fault(kind="outage", method="post", path_prefix="/users")

    created = club_a.post("/users", json=NEW_USER)
    listed = club_a.get("/users")
    unlocked = club_a.post(f"/locks/{club_a.get('/locks').json()[0]['id']}/unlock")

    assert (created.status_code, listed.status_code, unlocked.status_code) == (503, 200, 200)


def test_one_fault_can_be_cleared_by_id(
    kisi: RunningEmulator, control: httpx.Client, club_a: httpx.Client
) -> None:
    outage = control.post("/faults", json={"kind": "outage", "path_prefix": "/locks"}).json()
    storm = control.post("/faults", json={"kind": "rate_limit", "path_prefix": "/users"}).json()

    removed = control.delete(f"/faults/{outage['id']}")
    missing = control.delete(f"/faults/{outage['id']}")

    assert removed.status_code == 204
    assert missing.status_code == 404
    assert [fault["id"] for fault in control.get("/faults").json()] == [storm["id"]]
    assert club_a.get("/locks").status_code == 200
    assert club_a.get("/users").status_code == 429


def test_latency_delays_but_does_not_fail(kisi: RunningEmulator, club_a: httpx.Client) -> None:
    fault = kisi.emulator.inject_fault(kind="latency", latency_ms=20)

    response = club_a.get("/user")

    assert response.status_code == 200
    assert kisi.emulator.faults() == [{**fault, "fired": 1}]


def test_a_timeout_fault_holds_the_answer_after_the_request_took_effect(
    kisi: RunningEmulator, connect: Connect, keys: SimpleNamespace, ids_a: dict[str, Any]
) -> None:
    kisi.emulator.inject_fault(kind="timeout", hold_seconds=5, method="POST")
    impatient = connect(keys.a, timeout=0.2)

    with pytest.raises(httpx.ReadTimeout):
        impatient.post("/users", json=NEW_USER)
    kisi.emulator.clear_faults()  # lets the held answer go

    emails = [user["email"] for user in kisi.emulator.snapshot(ids_a["id"])["users"]]
    assert "held@example.com" in emails
    assert kisi.emulator.call_count("POST /users", status=200) == 1
    assert impatient.post("/users", json=NEW_USER).status_code == 409


def test_a_timeout_fault_that_drops_the_request(
    kisi: RunningEmulator, connect: Connect, keys: SimpleNamespace, ids_a: dict[str, Any]
) -> None:
    kisi.emulator.inject_fault(kind="timeout", hold_seconds=5, applied=False, max_requests=1)
    impatient = connect(keys.a, timeout=0.2)

    with pytest.raises(httpx.ReadTimeout):
        impatient.post("/users", json=NEW_USER)
    kisi.emulator.clear_faults()

    emails = [user["email"] for user in kisi.emulator.snapshot(ids_a["id"])["users"]]
    assert "held@example.com" not in emails
    assert kisi.emulator.call_count("POST /users", status=504) == 1
    assert impatient.post("/users", json=NEW_USER).status_code == 200


def test_a_dropped_request_answers_504_once_the_hold_ends(
    kisi: RunningEmulator, club_a: httpx.Client
) -> None:
    kisi.emulator.inject_fault(kind="timeout", hold_seconds=0.2, applied=False)

    response = club_a.get("/user")

    assert response.status_code == 504
    assert response.json()["code"] == "000504"


def test_the_deprecated_fault_adds_deprecation_and_sunset_headers(
    kisi: RunningEmulator, club_a: httpx.Client
) -> None:
    kisi.emulator.inject_fault(kind="deprecated", path_prefix="/role_assignments")

    marked = club_a.get("/role_assignments")
    unmarked = club_a.get("/users")

    assert marked.status_code == 200
    assert marked.headers["Deprecation"] == "true"
    assert marked.headers["Sunset"].endswith(" GMT")
    assert "Deprecation" not in unmarked.headers


def test_faults_leave_the_control_api_alone(kisi: RunningEmulator, control: httpx.Client) -> None:
    kisi.emulator.inject_fault(kind="outage")

    assert control.get("/counts").status_code == 200
    assert control.get("/health").json()["status"] == "ok"


def test_faulted_calls_are_counted(kisi: RunningEmulator, club_a: httpx.Client) -> None:
    kisi.emulator.inject_fault(kind="outage", max_requests=2)

    statuses(club_a, 3)

    counts = kisi.emulator.counts()
    assert counts["by_status"] == {"200": 1, "503": 2}
    assert counts["by_endpoint"] == {"GET /user": 3}


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "flood"},
        {"kind": "error", "probability": 1.5},
        {"kind": "error", "status": 404},
        {"kind": "latency"},
        {"kind": "timeout"},
        {"kind": "outage", "colour": "red"},
    ],
)
def test_an_invalid_fault_is_422(control: httpx.Client, spec: dict[str, Any]) -> None:
    response = control.post("/faults", json=spec)

    assert response.status_code == 422
    assert response.json()["errors"]
