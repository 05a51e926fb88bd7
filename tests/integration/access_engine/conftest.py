"""An in-process stack (real handlers, moto, Kisi emulator) with one connected club."""

from collections.abc import Iterator

import pytest

from access_core.domain.model import RevokeMode
from kisi_emulator.server import RunningEmulator
from tests.integration.harness import (
    ADMIN_EMAIL,
    API_KEY,
    DAY_PASS_PLAN,
    GOLD_PLAN,
    T0,
    TENANT_ID,
    UNMANAGED_EMAIL,
    Club,
    make_club,
    restored_environment,
    seed_kisi,
)

__all__ = [
    "ADMIN_EMAIL",
    "API_KEY",
    "DAY_PASS_PLAN",
    "GOLD_PLAN",
    "T0",
    "TENANT_ID",
    "UNMANAGED_EMAIL",
    "Club",
    "make_club",
    "seed_kisi",
]


@pytest.fixture
def club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    with restored_environment():
        yield make_club(kisi)


@pytest.fixture
def deleting_club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    """A club whose revoke mode also deletes the Kisi users we created."""
    with restored_environment():
        yield make_club(kisi, revoke_mode=RevokeMode.DELETE_CREATED_USERS)
