"""The Unlock API on an in-process stack: one club (club-1) with door access enabled, a 15-minute
pre-reservation window, Kisi connected to the emulator and three doors synced from Kisi, two of
them enabled for players."""

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from access_core import bootstrap
from kisi_emulator.server import RunningEmulator
from tests.integration.harness import (
    PLAYER_ID,
    AdminApi,
    Club,
    UnlockApi,
    make_club,
    restored_environment,
    seed_kisi_locks,
)

WINDOW_MINUTES = 15
SAMPLE_RESERVATION = (
    Path(__file__).parents[3] / "events" / "webhooks" / "canonical" / "reservation_upserted.json"
)
_versions = itertools.count(1)


@dataclass(frozen=True)
class Doors:
    front: int  # the seed's Front Door (Clubhouse), enabled
    court: int  # Courts door 000, enabled
    side: int  # Courts door 001, synced but not enabled


@pytest.fixture
def club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    with restored_environment():
        yield make_club(
            kisi, door_access_enabled=True, pre_reservation_window_minutes=WINDOW_MINUTES
        )


@pytest.fixture
def admin(club: Club) -> AdminApi:
    return AdminApi(club.stack)


@pytest.fixture
def doors(club: Club, admin: AdminApi) -> Doors:
    court, side = seed_kisi_locks(club, 2, place="Courts")
    front = next(lock["id"] for lock in club.snapshot()["locks"] if lock["name"] == "Front Door")
    assert admin("POST", "/locks/sync").status == 200
    assert admin("PUT", "/locks/enabled", {"lock_ids": [front, court]}).status == 200
    club.kisi.emulator.reset_counts()
    return Doors(front=front, court=court, side=side)


@pytest.fixture
def player(club: Club) -> UnlockApi:
    return UnlockApi(club.stack)


def book(
    club: Club,
    reservation_id: str = "res-1",
    *,
    starts_in: timedelta = timedelta(minutes=5),
    length: timedelta = timedelta(hours=1),
    players: tuple[str, ...] = (PLAYER_ID, "partner-9"),
    tenant_id: str | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    """Send the sample reservation.upserted webhook (events/) for a booking starting `starts_in`
    from now; returns its data."""
    envelope = json.loads(SAMPLE_RESERVATION.read_text())
    now = datetime.now(UTC)
    data = envelope["data"]
    data.update(
        reservation_id=reservation_id,
        player_ids=list(players),
        start=(now + starts_in).isoformat(),
        end=(now + starts_in + length).isoformat(),
        updated_at=(now + timedelta(microseconds=next(_versions))).isoformat(),
    )
    envelope["id"] = f"evt-{reservation_id}-{next(_versions)}"
    if tenant_id is None:
        accepted = club.post_platform("canonical", envelope)
    else:
        accepted = club.stack.post_webhook("canonical", tenant_id, envelope, secret=secret)
    assert accepted.status == 202, accepted.body
    return dict(data)


def cancel(club: Club, reservation_id: str = "res-1") -> None:
    data = {
        "reservation_id": reservation_id,
        "updated_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
    }
    assert club.post("reservation.cancelled", data).status == 202


def kisi_unlocks(club: Club, organization_id: int | None = None) -> list[dict[str, Any]]:
    """Kisi's unlock log for the club's organisation (every attempt Kisi saw)."""
    return club.kisi.emulator.unlock_log(organization_id or club.organization_id)


def round_trips() -> int:
    return bootstrap.container().stores.round_trips
