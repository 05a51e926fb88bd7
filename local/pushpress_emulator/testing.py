"""Helpers for tests in any folder: a served emulator (or a pytest fixture that does), PushPress
headers, an in-process httpx transport, and ``WebhookReceiver``, a loopback endpoint that
records the deliveries it gets."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from emulator_kit import testing
from emulator_kit.clock import Clock
from emulator_kit.server import BackgroundServer, StopsOnExit
from emulator_kit.testing import FixtureScope
from pushpress_emulator.emulator import PushPressEmulator
from pushpress_emulator.server import RunningEmulator, start_emulator

__all__ = [
    "FixtureScope",
    "ReceivedWebhook",
    "WebhookReceiver",
    "emulator_fixture",
    "in_process_transport",
    "pushpress_headers",
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
    """An emulator on a free loopback port for the ``with`` block. The rate limit is off by
    default here: tests that exercise it pass ``rate_limit=True`` and a ``ManualClock``."""
    emulator = PushPressEmulator(clock=clock, rate_limit=rate_limit, fault_seed=fault_seed)
    if seed_demo:
        emulator.seed_demo()
    with start_emulator(emulator=emulator) as running:
        yield running


def emulator_fixture(
    name: str,
    *,
    scope: FixtureScope = "function",
    rate_limit: bool = False,
    seed_demo: bool = False,
) -> Any:
    """A pytest fixture called ``name`` yielding a ``RunningEmulator``; in a conftest:
    ``pushpress = emulator_fixture("pushpress", seed_demo=True)``."""
    return testing.served_fixture(
        name, lambda: running_emulator(rate_limit=rate_limit, seed_demo=seed_demo), scope
    )


def pushpress_headers(api_key: str, company_id: str | None = None) -> dict[str, str]:
    """The headers PushPress's API expects, for hand-written requests in tests."""
    headers = {"API-KEY": api_key, "Accept": "application/json"}
    if company_id is not None:
        headers["company-id"] = company_id
    return headers


def in_process_transport(emulator: PushPressEmulator) -> httpx.MockTransport:
    """An httpx transport answering from ``emulator`` without a socket."""
    return testing.in_process_transport(emulator.handle)


@dataclass(frozen=True)
class ReceivedWebhook:
    path: str
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: "WebhookReceiver") -> None:
        self.receiver = receiver
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: _ReceiverServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        status = self.server.receiver.record(ReceivedWebhook(self.path, headers, body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebhookReceiver(StopsOnExit):
    """A loopback webhook endpoint: records every POST and answers ``status`` (settable, e.g.
    500 to make deliveries fail). ``url`` is what to register with the emulator."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[ReceivedWebhook] = []
        self._lock = threading.Lock()
        self._server = BackgroundServer(_ReceiverServer(self), "webhook-receiver")
        self.url = f"http://127.0.0.1:{self._server.port}/webhooks/pushpress"

    def record(self, webhook: ReceivedWebhook) -> int:
        with self._lock:
            self.received.append(webhook)
            return self.status

    def stop(self) -> None:
        self._server.stop()
