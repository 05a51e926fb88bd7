"""The helpers other test folders reuse, and the demo organisation they (and the CLI) seed."""

import httpx
import pytest

from kisi_emulator import (
    DEMO_API_KEY,
    DEMO_GROUP_NAME,
    DEMO_ORGANIZATION_NAME,
    KisiEmulator,
    RunningEmulator,
)
from kisi_emulator.testing import emulator_fixture, in_process_transport, kisi_headers

from .conftest import Connect

demo = emulator_fixture("demo", seed_demo=True)


def test_the_fixture_factory_serves_the_demo_organization(demo: RunningEmulator) -> None:
    with httpx.Client(base_url=demo.base_url, headers=kisi_headers(DEMO_API_KEY)) as client:
        user = client.get("/user").json()
        locks = client.get("/locks").json()
        groups = client.get("/groups", params={"query": DEMO_GROUP_NAME}).json()
        users = client.get("/users").json()
        places = client.get("/places").json()

    assert user["organization"]["name"] == DEMO_ORGANIZATION_NAME
    assert len(places) == 2
    assert len(locks) == 5
    assert [lock["name"] for lock in locks if lock["online"] is False] == ["Locker Rooms"]
    assert [lock["name"] for lock in locks if lock["locked_down"]] == ["Court Gate South"]
    assert [group["name"] for group in groups] == [DEMO_GROUP_NAME]
    assert groups[0]["locks_count"] == 3
    assert "front.desk@demo-club.example" in {u["email"] for u in users}
    assert demo.emulator.rate_limit_enabled is False


def test_the_in_process_transport_answers_without_a_socket() -> None:
    emulator = KisiEmulator(rate_limit=False)
    emulator.seed_demo()
    transport = in_process_transport(emulator)

    with httpx.Client(
        transport=transport, base_url="http://kisi.invalid", headers=kisi_headers(DEMO_API_KEY)
    ) as client:
        found = client.get("/users", params={"email": "casey.morgan@EXAMPLE.com"})
        created = client.post("/users", json={"user": {"email": "new@example.com"}})
        missing = client.get("/nope")

    assert [user["name"] for user in found.json()] == ["Casey Morgan"]
    assert found.headers["X-Collection-Range"] == "0-0/1"
    assert created.status_code == 200
    assert missing.status_code == 404
    assert emulator.call_count() == 3


def test_the_control_api_seeds_the_demo_organization(
    control: httpx.Client, connect: Connect
) -> None:
    seeded = control.post("/seed/demo").json()

    demo_ids = seeded["organizations"]["demo"]
    client = connect(DEMO_API_KEY)
    assert client.get("/organization").json()["name"] == DEMO_ORGANIZATION_NAME
    assert client.get(f"/groups/{demo_ids['groups']['members_24h']}").json()["users_count"] == 1


def test_the_system_clock_can_be_moved_forward() -> None:
    emulator = KisiEmulator()
    before = emulator.clock.now()

    moved = emulator.advance_clock(86400)

    assert (moved - before).total_seconds() >= 86400
    with pytest.raises(ValueError, match="forward"):
        emulator.advance_clock(-1)
