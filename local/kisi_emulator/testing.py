"""Helpers for tests in any folder: start an emulator (or a pytest fixture that does), Kisi
headers, and an in-process httpx transport for unit tests that must not open sockets."""

import time
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
    "patient_client",
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


class _WaitsOutRateLimits(httpx.BaseTransport):
    """Sends a request again after a 429, waiting the Retry-After Kisi (the emulator) names."""

    ATTEMPTS = 8

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self.ATTEMPTS - 1):
            response = self._inner.handle_request(request)
            if response.status_code != 429:
                return response
            response.read()
            response.close()
            time.sleep(min(5.0, float(response.headers.get("retry-after") or 1)))
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def patient_client(base_url: str, *, timeout: float = 30) -> httpx.Client:
    """An httpx client to Kisi (or the emulator) for scripts and tests that read Kisi beside a
    running stack: the stack's worker shares the Kisi user's 5 requests/s, so a read can meet a
    429; this client waits it out as a person at Kisi's dashboard would."""
    return httpx.Client(
        base_url=base_url, timeout=timeout, transport=_WaitsOutRateLimits(httpx.HTTPTransport())
    )
