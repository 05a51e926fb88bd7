"""Fixtures for the Kisi client tests; the doubles live in kisi_fakes.py, the clock (the `clock`
fixture, tests/conftest.py) in tests/fakes.py."""

import pytest

from kisi_client import KisiClient, PacerRegistry
from tests.fakes import FakeClock

from .kisi_fakes import FakeKisi


@pytest.fixture
def pacers(clock: FakeClock) -> PacerRegistry:
    return PacerRegistry(clock=clock.monotonic, sleep=clock.sleep)


@pytest.fixture
def kisi(clock: FakeClock, pacers: PacerRegistry) -> FakeKisi:
    return FakeKisi(clock, pacers)


@pytest.fixture
def client(kisi: FakeKisi) -> KisiClient:
    return kisi.client()
