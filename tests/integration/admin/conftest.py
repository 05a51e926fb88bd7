"""The Admin API on an in-process stack with one connected club (club-1) and the Kisi emulator."""

import os
from collections.abc import Iterator

import pytest

from kisi_emulator.server import RunningEmulator
from tests.integration.harness import AdminApi, Club, make_club, restored_environment


@pytest.fixture
def club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    with restored_environment():
        club = make_club(kisi)
        # The template gives the admin function the command DLQ's URL (for GET /status).
        os.environ["COMMAND_DLQ_URL"] = club.stack.resources.queue_urls["CommandDeadLetterQueue"]
        yield club


@pytest.fixture
def admin(club: Club) -> AdminApi:
    return AdminApi(club.stack)
