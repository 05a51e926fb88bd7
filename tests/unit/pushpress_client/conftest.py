"""Fixtures for the PushPress client tests; the doubles live in fakes.py."""

import pytest

from pushpress_client import PacerRegistry, PushPressClient

from .fakes import FakeClock, FakePushPress


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pacers(clock: FakeClock) -> PacerRegistry:
    return PacerRegistry(clock=clock, sleep=clock.sleep)


@pytest.fixture
def pushpress(clock: FakeClock, pacers: PacerRegistry) -> FakePushPress:
    return FakePushPress(clock, pacers)


@pytest.fixture
def client(pushpress: FakePushPress) -> PushPressClient:
    return pushpress.client()
