"""Fixtures for the Kisi client tests; the doubles live in kisi_fakes.py."""

import pytest

from kisi_client import KisiClient, PacerRegistry

from .kisi_fakes import FakeClock, FakeKisi


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pacers(clock: FakeClock) -> PacerRegistry:
    return PacerRegistry(clock=clock, sleep=clock.sleep)


@pytest.fixture
def kisi(clock: FakeClock, pacers: PacerRegistry) -> FakeKisi:
    return FakeKisi(clock, pacers)


@pytest.fixture
def client(kisi: FakeKisi) -> KisiClient:
    return kisi.client()
