"""Shared set-up: each test is marked by its folder (unit, integration, e2e, infra); the `clock`
fixture is the tests' one clock."""

from pathlib import Path

import pytest

from tests.fakes import FakeClock

TESTS_ROOT = Path(__file__).parent
KINDS = {"unit", "integration", "e2e", "infra"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(item.path).relative_to(TESTS_ROOT).parts
        if parts and parts[0] in KINDS:
            item.add_marker(parts[0])


@pytest.fixture
def clock() -> FakeClock:
    """The tests' one clock (tests/fakes.py): it moves only when a test or a sleep moves it."""
    return FakeClock()
