"""Helpers for tests in any folder: a served emulator (or a pytest fixture that does), PushPress
headers, an in-process httpx transport, and ``WebhookReceiver``, a loopback endpoint that
records the deliveries it gets."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self

import httpx
import pytest

from kisi_emulator.clock import Clock
from pushpress_emulator.emulator import PushPressEmulator
from pushpress_emulator.server import RunningEmulator, start_emulator
from pushpress_emulator.wire import EmulatorRequest

FixtureScope = Literal["session", "package", "module", "class", "function"]


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

    @pytest.fixture(scope=scope, name=name)
    def fixture() -> Iterator[RunningEmulator]:
        with running_emulator(rate_limit=rate_limit, seed_demo=seed_demo) as running:
            yield running

    return fixture


def pushpress_headers(api_key: str, company_id: str | None = None) -> dict[str, str]:
    """The headers PushPress's API expects, for hand-written requests in tests."""
    headers = {"API-KEY": api_key, "Accept": "application/json"}
    if company_id is not None:
        headers["company-id"] = company_id
    return headers


def in_process_transport(emulator: PushPressEmulator) -> httpx.MockTransport:
    """An httpx transport answering from ``emulator`` without a socket."""

    def answer(request: httpx.Request) -> httpx.Response:
        emulated = emulator.handle(
            EmulatorRequest.from_target(
                request.method,
                request.url.raw_path.decode("ascii"),
                dict(request.headers),
                request.read(),
            )
        )
        return httpx.Response(
            emulated.status, headers=emulated.all_headers(), content=emulated.body_bytes()
        )

    return httpx.MockTransport(answer)


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


class WebhookReceiver:
    """A loopback webhook endpoint: records every POST and answers ``status`` (settable, e.g.
    500 to make deliveries fail). ``url`` is what to register with the emulator."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[ReceivedWebhook] = []
        self._lock = threading.Lock()
        self._server = _ReceiverServer(self)
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhooks/pushpress"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def record(self, webhook: ReceivedWebhook) -> int:
        with self._lock:
            self.received.append(webhook)
            return self.status

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
