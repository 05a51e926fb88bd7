"""The webhook service's verification step (ingest/service.py `authenticated_tenant`) with fakes:
each platform is checked against its own secret set, cached then once fresh; an unknown tenant
costs one secret read and nothing else; a refused request reads no tenant, writes nothing,
sends nothing and logs no secret."""

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from access_core.domain.commands import QueuedCommand
from access_core.domain.model import Tenant
from access_core.domain.secrets import (
    DEFAULT_ROTATION_OVERLAP,
    StoredSecret,
    WebhookSecretStatus,
    secret_status,
    usable,
    with_new_secret,
    without_previous,
)
from access_core.infrastructure.storage import Stores
from access_core.ingest.service import (
    WebhookDependencies,
    WebhookRequest,
    WebhookUnauthenticated,
    receive_webhook,
)
from access_core.ingest.signature import signature_headers
from pushpress_emulator.deliveries import signature_for

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TENANT = "club-1"
PUSHPRESS_SECRET = "pushpress-signing-secret-1"
ROTATED_SECRET = "pushpress-signing-secret-2"
TOKEN = "playbypoint-token-abcdef012345"
BRIDGE_SECRET = "bridge-secret-abcdef012345"
CHECKIN = json.dumps(
    {"event": "checkin.created", "created": 1741964531, "data": {"id": "chk_1"}}
).encode()
PLAYBYPOINT_IGNORED = json.dumps(
    {"webhook_id": "w1", "event": "payment_completed", "data": {"payment": {}}}
).encode()
CANONICAL_IGNORED = json.dumps({"id": "e1", "type": "member.checked_in", "data": {}}).encode()


class InMemorySecrets:
    """A SecretStore in memory, with a cache per (tenant, platform) as SsmSecretStore has: a
    plain read answers the cache once filled, a refresh reads what is stored now (another
    container may have rotated it). Counts the reads."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], list[StoredSecret]] = {}
        self.cache: dict[tuple[str, str], list[StoredSecret]] = {}
        self.reads: list[tuple[str, str, bool]] = []

    def webhook_secrets(
        self, tenant_id: str, platform: str, *, refresh: bool = False
    ) -> list[StoredSecret]:
        self.reads.append((tenant_id, platform, refresh))
        key = (tenant_id, platform)
        if refresh or key not in self.cache:
            if key not in self.stored:
                return []  # a missing parameter is not cached
            self.cache[key] = list(self.stored[key])
        return list(self.cache[key])

    def add_webhook_secret(
        self, tenant_id: str, platform: str, secret: str, *, overlap: timedelta | None = None
    ) -> WebhookSecretStatus:
        key = (tenant_id, platform)
        window = DEFAULT_ROTATION_OVERLAP if overlap is None else overlap
        self.stored[key] = with_new_secret(
            self.stored.get(key, []), secret, now=NOW, overlap=window
        )
        return secret_status(platform, self.stored[key], NOW)

    def end_webhook_secret_overlap(self, tenant_id: str, platform: str) -> WebhookSecretStatus:
        key = (tenant_id, platform)
        self.stored[key] = without_previous(self.stored.get(key, []))
        return secret_status(platform, self.stored[key], NOW)

    def delete_webhook_secrets(self, tenant_id: str, platform: str) -> None:
        self.stored.pop((tenant_id, platform), None)

    def webhook_secret_status(self, tenant_id: str, platform: str) -> WebhookSecretStatus:
        return secret_status(platform, self.stored.get((tenant_id, platform), []), NOW)

    def webhook_secret(self, tenant_id: str, *, refresh: bool = False) -> str | None:
        current = usable(self.webhook_secrets(tenant_id, "canonical", refresh=refresh), NOW)
        return current[0] if current else None

    def put_webhook_secret(self, tenant_id: str, secret: str) -> None:
        self.add_webhook_secret(tenant_id, "canonical", secret)

    def kisi_api_key(self, tenant_id: str, *, hint: str | None = None) -> str | None:
        return None

    def put_kisi_api_key(self, tenant_id: str, api_key: str) -> None:
        raise AssertionError("the webhook path writes no secret")

    def delete_kisi_api_key(self, tenant_id: str) -> None:
        raise AssertionError("the webhook path writes no secret")

    def platform_api_key(
        self, tenant_id: str, platform: str, *, hint: str | None = None
    ) -> str | None:
        raise AssertionError("the webhook path reads no platform API key")

    def put_platform_api_key(self, tenant_id: str, platform: str, api_key: str) -> None:
        raise AssertionError("the webhook path writes no secret")

    def delete_platform_api_key(self, tenant_id: str, platform: str) -> None:
        raise AssertionError("the webhook path writes no secret")


class Recorder:
    """Stands in for the stores and the queue: answers `tenants.get`, records every call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @property
    def tenants(self) -> "Recorder":
        return self

    def get(self, tenant_id: str) -> Tenant | None:
        self.calls.append("tenants.get")
        return Tenant(tenant_id=tenant_id) if tenant_id == TENANT else None

    def send(self, commands: Sequence[QueuedCommand]) -> None:
        self.calls.append("queue.send")

    def delay_retry(self, receipt_handle: str, delay_seconds: int) -> None:
        self.calls.append("queue.delay_retry")

    def requeue(self, body: str, message_group_id: str) -> None:
        self.calls.append("queue.requeue")

    def dead_letter(self, body: str, message_group_id: str, reason: str) -> None:
        self.calls.append("queue.dead_letter")

    def __getattr__(self, name: str) -> Callable[..., None]:
        def record(*args: object, **kwargs: object) -> None:
            self.calls.append(name)

        return record


class NoWork:
    def run_once(
        self, key: Mapping[str, str], fingerprint: str, work: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        raise AssertionError("no event should be applied here")


class Counts:
    def __init__(self) -> None:
        self.counted: list[str] = []

    def count(self, name: str, value: int = 1) -> None:
        self.counted.append(name)


@dataclass
class World:
    deps: WebhookDependencies
    secrets: InMemorySecrets
    recorder: Recorder
    metrics: Counts


@pytest.fixture
def world() -> World:
    secrets = InMemorySecrets()
    for platform, value in (
        ("pushpress", PUSHPRESS_SECRET),
        ("playbypoint", TOKEN),
        ("canonical", BRIDGE_SECRET),
    ):
        secrets.add_webhook_secret(TENANT, platform, value)
    recorder = Recorder()
    metrics = Counts()
    deps = WebhookDependencies(
        # Only `tenants.get` may be reached by what these tests send: anything else is recorded.
        stores=cast(Stores, recorder),
        queue=recorder,
        secrets=secrets,
        idempotency=NoWork(),
        metrics=metrics,
        clock=lambda: NOW,
    )
    return World(deps, secrets, recorder, metrics)


def pushpress(
    body: bytes = CHECKIN, secret: str = PUSHPRESS_SECRET, tenant: str = TENANT
) -> WebhookRequest:
    headers = {"webhook-signature": signature_for(json.loads(body)["data"], secret)}
    return WebhookRequest("pushpress", tenant, headers, body)


def playbypoint(token: str = TOKEN, tenant: str = TENANT) -> WebhookRequest:
    return WebhookRequest(
        "playbypoint", tenant, {"authorization": f"Bearer {token}"}, PLAYBYPOINT_IGNORED
    )


def refused(deps: WebhookDependencies, request: WebhookRequest) -> WebhookUnauthenticated:
    with pytest.raises(WebhookUnauthenticated) as caught:
        receive_webhook(request, deps)
    return caught.value


@pytest.mark.parametrize(
    "request_",
    [pushpress(), playbypoint(), WebhookRequest("canonical", TENANT, {}, CANONICAL_IGNORED)],
    ids=["pushpress", "playbypoint", "canonical"],
)
def test_an_unknown_tenant_costs_one_table_read_and_no_secret_read(
    world: World, request_: WebhookRequest
) -> None:
    """Issue 14, H1: SSM's throughput is the account's, shared by every tenant's secret reads;
    unsigned traffic naming made-up tenants must not spend it."""
    unknown = WebhookRequest(request_.platform, "no-such-club", request_.headers, request_.body)

    refused(world.deps, unknown)

    assert world.secrets.reads == []
    assert world.recorder.calls == ["tenants.get"]
    assert world.metrics.counted == ["WebhookUnauthorized"]


@pytest.mark.parametrize(
    "request_",
    [
        pushpress(secret="not-the-signing-secret"),
        WebhookRequest("pushpress", TENANT, {}, CHECKIN),
        playbypoint(token="not-the-token-0123"),
        WebhookRequest("playbypoint", TENANT, {}, PLAYBYPOINT_IGNORED),
    ],
    ids=["pushpress-forged", "pushpress-missing", "playbypoint-forged", "playbypoint-missing"],
)
def test_a_refused_delivery_reads_its_set_cached_then_fresh_and_touches_nothing(
    world: World, request_: WebhookRequest
) -> None:
    refused(world.deps, request_)

    assert world.secrets.reads == [
        (TENANT, request_.platform, False),
        (TENANT, request_.platform, True),
    ]
    assert world.recorder.calls == ["tenants.get"]


def test_each_platform_reads_its_own_set(world: World) -> None:
    for request_ in (pushpress(), playbypoint()):
        assert receive_webhook(request_, world.deps).status == "ignored"
    assert [platform for _, platform, _ in world.secrets.reads] == ["pushpress", "playbypoint"]


def test_a_secret_rotated_in_another_container_verifies_after_one_fresh_read(
    world: World,
) -> None:
    assert receive_webhook(pushpress(), world.deps).status == "ignored"  # caches the set
    world.secrets.add_webhook_secret(TENANT, "pushpress", ROTATED_SECRET)  # elsewhere

    receipt = receive_webhook(pushpress(secret=ROTATED_SECRET), world.deps)

    assert receipt.status == "ignored"
    assert world.secrets.reads[-2:] == [(TENANT, "pushpress", False), (TENANT, "pushpress", True)]
    assert world.recorder.calls == ["tenants.get", "tenants.get"]


def test_a_secret_past_its_overlap_is_refused_even_from_the_cache(world: World) -> None:
    world.secrets.add_webhook_secret(TENANT, "pushpress", ROTATED_SECRET, overlap=timedelta(0))
    stale = [StoredSecret(PUSHPRESS_SECRET, NOW - timedelta(days=2), valid_until=NOW)]
    world.secrets.cache[(TENANT, "pushpress")] = stale  # cached before the window ended

    refused(world.deps, pushpress())

    assert world.recorder.calls == ["tenants.get"]  # read, nothing written


def test_the_bridge_hmac_does_not_open_the_native_endpoints(world: World) -> None:
    headers = signature_headers(BRIDGE_SECRET, int(NOW.timestamp()), CHECKIN)
    for platform in ("pushpress", "playbypoint"):
        refused(world.deps, WebhookRequest(platform, TENANT, headers, CHECKIN))
    assert world.recorder.calls == ["tenants.get", "tenants.get"]  # read, nothing written


def test_refusals_log_a_reason_and_no_secret(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="access_core")
    refused(world.deps, playbypoint(token=TOKEN + "x"))
    refused(world.deps, pushpress(secret=ROTATED_SECRET))
    text = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert "forged" in text
    for secret in (TOKEN, PUSHPRESS_SECRET, ROTATED_SECRET):
        assert secret not in text
    assert signature_for(json.loads(CHECKIN)["data"], ROTATED_SECRET) not in text
