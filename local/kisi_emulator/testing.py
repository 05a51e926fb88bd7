"""Helpers for tests in any folder: start an emulator (or a pytest fixture that does), Kisi
headers, and an in-process httpx transport for unit tests that must not open sockets."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from emulator_kit import testing
from emulator_kit.clock import Clock
from emulator_kit.testing import FixtureScope
from kisi_emulator.emulator import KisiEmulator
from kisi_emulator.server import RunningEmulator, start_emulator

__all__ = [
    "FixtureScope",
    "emulator_fixture",
    "in_process_transport",
    "kisi_headers",
    "running_emulator",
]


@contextmanager
def running_emulator(
    *,
    clock: Clock | None = None,
    rate_limit: bool = False,
    fault_seed: int = 0,
    seed_demo: bool = False,
) -> Iterator[RunningEmulator]:
    """An emulator served on a free loopback port for the `with` block. The rate limit is off
    by default here: tests that exercise it pass `rate_limit=True` and a `ManualClock`."""
    emulator = KisiEmulator(clock=clock, rate_limit=rate_limit, fault_seed=fault_seed)
    if seed_demo:
        emulator.seed_demo()
    with start_emulator(emulator=emulator) as running:
        yield running


def emulator_fixture(
    name: str,
    *,
    scope: FixtureScope = "function",
    rate_limit: bool = False,
    fault_seed: int = 0,
    seed_demo: bool = False,
) -> Any:
    """A pytest fixture called `name` yielding a `RunningEmulator`; in a conftest:
    `kisi = emulator_fixture("kisi", seed_demo=True)`."""
    return testing.served_fixture(
        name,
        lambda: running_emulator(rate_limit=rate_limit, fault_seed=fault_seed, seed_demo=seed_demo),
        scope,
    )


def kisi_headers(api_key: str) -> dict[str, str]:
    """The headers the Kisi API expects, for hand-written requests in tests."""
    return {
        "Authorization": f"KISI-LOGIN {api_key}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }


def in_process_transport(emulator: KisiEmulator) -> httpx.MockTransport:
    """An httpx transport answering from `emulator` without a socket (timeout faults then only
    delay: a real client timeout needs the HTTP server)."""
    return testing.in_process_transport(emulator.handle)
