"""The reliability suite's fixtures: the Kisi worker without wall-clock waits, and a check, after
every test, that no secret was shown.

The worker paces itself below Kisi's 5 requests/s and waits out 429s and 5xx backoffs through its
pacer, with real sleeps. Here the pacer runs on the tests' clock, which its sleeps move forward, so
the suite exercises the same pacing and retry decisions without waiting for them; and the worker's
client times out after a fraction of a second, so the emulator's held responses (timeout faults)
cost little wall time.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from access_core.domain.model import Tenant
from access_core.kisi import gateway as kisi_gateway
from kisi_client import KisiClient
from kisi_client.pacing import PacerRegistry
from kisi_emulator.server import RunningEmulator
from local_runtime.in_process import HttpResult, InProcessStack
from tests.fakes import FakeClock
from tests.integration.conftest import FAKE_AWS_ENVIRONMENT, LogCapture
from tests.integration.harness import API_KEY, Club, make_club, restored_environment

WORKER_READ_TIMEOUT_SECONDS = 1.0


UnpacedKisiClient = Callable[[Tenant, str], KisiClient]


@pytest.fixture
def unpaced_worker(kisi: RunningEmulator, clock: FakeClock) -> UnpacedKisiClient:
    """The worker's Kisi client as built in production, but paced on `clock` and with a
    short read timeout: pass it to `make_club(worker_kisi_client=...)` (the clock's `slept` is the
    pacing and backoff skipped)."""
    pacers = PacerRegistry(clock=clock.monotonic, sleep=clock.sleep)

    def worker_kisi_client(tenant: Tenant, api_key: str) -> KisiClient:
        built = kisi_gateway.worker_kisi_client(tenant, api_key, kisi.base_url, None)
        return KisiClient(
            api_key,
            base_url=kisi.base_url,
            retry=kisi_gateway.WORKER_RETRY_POLICY,
            requests_per_second=built.pacer.requests_per_second,
            pacer_key=built.pacer_key,
            pacers=pacers,
            timeout=httpx.Timeout(WORKER_READ_TIMEOUT_SECONDS, connect=2.0),
        )

    return worker_kisi_client


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's fake credentials, for tests that open their own `mock_aws()` (one per example)."""
    for name, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def club(aws: None, kisi: RunningEmulator, unpaced_worker: UnpacedKisiClient) -> Iterator[Club]:
    """One connected club on an in-process stack, its worker unpaced (see `unpaced_worker`)."""
    with restored_environment():
        yield make_club(kisi, worker_kisi_client=unpaced_worker)


@dataclass
class Exposure:
    """The secrets of the test and every text it showed the outside world: response bodies and
    headers (recorded here for the in-process API; tests add what else they produce)."""

    secrets: set[str] = field(default_factory=lambda: {API_KEY})
    texts: list[str] = field(default_factory=list)

    def shown(self, *texts: object) -> None:
        self.texts.extend(text if isinstance(text, str) else repr(text) for text in texts)


@pytest.fixture(autouse=True)
def no_secret_exposed(
    monkeypatch: pytest.MonkeyPatch, all_logs: LogCapture, capfd: pytest.CaptureFixture[str]
) -> Iterator[Exposure]:
    """Across the whole reliability suite: no Kisi API key and no webhook signing secret in any
    response (body or headers), log record, or line written to stdout/stderr."""
    exposure = Exposure()
    invoke_http = InProcessStack.invoke_http
    add_tenant = InProcessStack.add_tenant

    def recording_invoke_http(
        self: InProcessStack, function: str, event: dict[str, Any]
    ) -> HttpResult:
        result = invoke_http(self, function, event)
        exposure.shown(result.body, dict(result.headers))
        return result

    def recording_add_tenant(
        self: InProcessStack, tenant_id: str, *, api_key: str | None, **settings: Any
    ) -> str:
        secret = add_tenant(self, tenant_id, api_key=api_key, **settings)
        exposure.secrets.add(secret)
        return secret

    monkeypatch.setattr(InProcessStack, "invoke_http", recording_invoke_http)
    monkeypatch.setattr(InProcessStack, "add_tenant", recording_add_tenant)
    yield exposure
    captured = capfd.readouterr()
    everything = "\n".join([captured.out, captured.err, all_logs.text, *exposure.texts])
    leaked = sorted(secret[:4] + "..." for secret in exposure.secrets if secret in everything)
    assert leaked == [], "secrets shown in a response, a log record or the output"
