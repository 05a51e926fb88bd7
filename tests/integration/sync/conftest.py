"""The syncs on an in-process stack (real handlers, moto, the Kisi emulator) with one club, and a
second club in its own Kisi organisation for the multi-tenant cases."""

from collections.abc import Iterator
from typing import Any

import pytest

from kisi_emulator.server import RunningEmulator
from tests.integration.harness import Club, make_club, restored_environment, run_schedule

SECOND_TENANT = "club-2"
SECOND_KEY = "kisi-second-key-0123456789abcdef"


@pytest.fixture
def club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    with restored_environment():
        yield make_club(kisi)


def weekly(club: Club, **event: Any) -> dict[str, Any]:
    return run_schedule(club, "SyncWeeklyFunction", **event)


def daily(club: Club, **event: Any) -> dict[str, Any]:
    return run_schedule(club, "SyncDailyFunction", **event)


def only_result(summary: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = summary["results"]
    [result] = [r for r in results if r["tenant_id"] == tenant_id]
    return result


def add_second_club(club: Club, kisi: RunningEmulator) -> int:
    """A second tenant with its own Kisi organisation and key; returns its group id."""
    document = {
        "admins": [{"ref": "boss", "email": "boss@other.example"}],
        "organizations": [
            {
                "ref": "other",
                "name": "Other Club",
                "api_keys": [{"key": SECOND_KEY, "admin": "boss"}],
                "places": [{"ref": "hq", "name": "Hall"}],
                "groups": [{"ref": "24h", "name": "24h", "place": "hq"}],
            }
        ],
    }
    seeded = kisi.emulator.seed(document)["organizations"]["other"]
    group_id: int = seeded["groups"]["24h"]
    club.stack.add_tenant(SECOND_TENANT, api_key=SECOND_KEY, kisi_group_id=group_id)
    return group_id
