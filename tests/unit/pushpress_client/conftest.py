"""Fixtures for the PushPress client tests; the doubles live in fakes.py, the clock (the `clock`
fixture, tests/conftest.py) in tests/fakes.py."""

import pytest

from pushpress_client import PacerRegistry, PushPressClient
from tests.fakes import FakeClock

from .fakes import FakePushPress


@pytest.fixture
def pacers(clock: FakeClock) -> PacerRegistry:
    return PacerRegistry(clock=clock.monotonic, sleep=clock.sleep)


@pytest.fixture
def pushpress(clock: FakeClock, pacers: PacerRegistry) -> FakePushPress:
    return FakePushPress(clock, pacers)


@pytest.fixture
def client(pushpress: FakePushPress) -> PushPressClient:
    return pushpress.client()
