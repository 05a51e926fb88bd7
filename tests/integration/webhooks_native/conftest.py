"""A club on an in-process stack whose PushPress signing secret and Playbypoint token are stored
(tests/integration/harness.py `make_club`), for the native webhook endpoints."""

from collections.abc import Iterator

import pytest

from kisi_emulator.server import RunningEmulator
from tests.integration.harness import Club, make_club, restored_environment


@pytest.fixture
def club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    with restored_environment():
        yield make_club(kisi)
