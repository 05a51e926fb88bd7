"""Receiving a platform webhook: authenticate, validate, store the state, enqueue convergence.

Nothing is written unless the request is authentic and its whole payload is valid. No Kisi call is
made on this path: the worker converges members from the queue.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from access_core.domain import json_text
from access_core.domain.errors import (
    FieldProblem,
    InvalidRequest,
    MalformedRequest,
    NotFound,
    TooLarge,
    Unauthenticated,
)
from access_core.domain.model import Tenant
from access_core.domain.ports import Clock, CommandQueue, MetricsSink, SecretStore
from access_core.domain.secrets import usable
from access_core.domain.usage import WEBHOOKS_PER_TENANT, admit
from access_core.infrastructure.storage import Stores
from access_core.ingest.platforms import PayloadInvalid, get_adapter
from access_core.ingest.verification import NO_SECRET, Verification, WebhookVerifier, refused
from access_core.membership.intake import not_after, store_platform_events

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BODY_BYTES = 256 * 1024


class IdempotencyGuard(Protocol):
    """Runs `work` once per key; a repeated key returns the first result without running it.
    A repeated key with another `fingerprint` raises `domain.errors.ReusedEventId` (nothing
    runs)."""

    def run_once(
        self, key: Mapping[str, str], fingerprint: str, work: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WebhookRequest:
    platform: str
    tenant_id: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class WebhookReceipt:
    """What became of an authentic, valid webhook: `accepted` (stored, with what the events
    changed) or `ignored` (an event type or case the bridge does not act on, with the reason)."""

    status: str
    event_id: str
    details: Mapping[str, Any]

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "event_id": self.event_id, **self.details}


class UnknownPlatform(NotFound):
    code = "unknown_platform"


class WebhookUnauthenticated(Unauthenticated):
    """A bad signature and an unknown tenant are answered alike, so tenant ids cannot be probed."""


class InvalidPayload(InvalidRequest):
    code = "invalid_payload"


@dataclass(frozen=True)
class WebhookDependencies:
    stores: Stores
    queue: CommandQueue
    secrets: SecretStore
    idempotency: IdempotencyGuard
    metrics: MetricsSink
    clock: Clock


def authenticated_tenant(
    request: WebhookRequest, verifier: WebhookVerifier, deps: WebhookDependencies, now: datetime
) -> Tenant:
    """The tenant the request is for, once its size, the tenant and the signature are checked and
    it is counted against the club's usage limit; raises the refusal otherwise (nothing written)."""
    if len(request.body) > MAX_WEBHOOK_BODY_BYTES:
        raise TooLarge(f"Webhook bodies are limited to {MAX_WEBHOOK_BODY_BYTES} bytes.")
    # The tenant first: an id that names no tenant costs one DynamoDB read and no SSM call, so
    # unsigned traffic cannot spend the account's SSM throughput that every tenant's secret reads
    # share. It is answered like a bad signature, so tenant ids cannot be probed.
    tenant = deps.stores.tenants.get(request.tenant_id)
    if tenant is not None and not _signed_by_tenant(request, verifier, deps, now):
        tenant = None
    if tenant is None:
        deps.metrics.count("WebhookUnauthorized")
        raise WebhookUnauthenticated("Invalid signature or unknown tenant.")
    # Counted once authenticated: forged traffic cannot use up a club's limit.
    admit(
        deps.stores.usage,
        tenant.tenant_id,
        request.platform,
        WEBHOOKS_PER_TENANT,
        now,
        deps.metrics,
    )
    return tenant


def receive_webhook(request: WebhookRequest, deps: WebhookDependencies) -> WebhookReceipt:
    """Raises a `DomainError` (nothing written) for an unknown platform, a body too large, a bad
    signature or unknown tenant, a body that is not JSON, or a payload the platform's schema
    refuses."""
    adapter = get_adapter(request.platform)
    if adapter is None:
        raise UnknownPlatform(f"No webhook adapter for {request.platform!r}.")
    now = deps.clock()
    tenant = authenticated_tenant(request, adapter.verifier, deps, now)
    try:
        payload = json_text.loads(request.body)
    except json_text.NotJson as error:
        raise MalformedRequest(f"The body is not valid JSON: {error}.") from None
    try:
        translation = adapter.translate(payload)
    except PayloadInvalid as invalid:
        deps.metrics.count("WebhookInvalid")
        raise InvalidPayload(
            "The payload does not match the platform's schema.",
            fields=[FieldProblem(field=e.field, message=e.message) for e in invalid.errors],
        ) from None
    if translation.ignored_reason is not None:
        logger.info(
            "webhook ignored",
            extra={
                "tenant_id": tenant.tenant_id,
                "platform": request.platform,
                "event_type": translation.source_event_type,
                "reason": translation.ignored_reason,
            },
        )
        deps.metrics.count("WebhookIgnored")
        return WebhookReceipt(
            "ignored", translation.source_event_id, {"reason": translation.ignored_reason}
        )
    idempotency_key = {
        "tenant_id": tenant.tenant_id,
        "platform": request.platform,
        "event_id": translation.source_event_id,
    }
    events = translation.events
    if not adapter.signs_event_times:
        events = not_after(events, now)
    fingerprint = hashlib.sha256(
        "\n".join(event.model_dump_json() for event in translation.events).encode()
    ).hexdigest()
    summary = deps.idempotency.run_once(
        idempotency_key,
        fingerprint,
        lambda: store_platform_events(deps.stores, deps.queue, tenant, events).as_dict(),
    )
    deps.metrics.count("WebhookAccepted")
    return WebhookReceipt("accepted", translation.source_event_id, summary)


def _signed_by_tenant(
    request: WebhookRequest, verifier: WebhookVerifier, deps: WebhookDependencies, now: datetime
) -> bool:
    """Verify with the platform's strategy against the tenant's cached secrets for it (those
    valid at `now`: a secret past its rotation overlap no longer verifies, whatever the cache
    holds), then once with a fresh read: after a rotation the platform signs with the new secret
    while this container may still cache the old set. No secret at all (an unknown tenant, or a
    platform the tenant has not connected) was just read from SSM, as a missing parameter is not
    cached: no second read then, and no refresh bookkeeping for ids that name no tenant."""
    cached = deps.secrets.webhook_secrets(request.tenant_id, verifier.secret_set)
    outcome: Verification = refused(NO_SECRET)
    if cached:
        outcome = verifier.verify(request.headers, request.body, usable(cached, now), now)
        if not outcome.verified:
            fresh = deps.secrets.webhook_secrets(
                request.tenant_id, verifier.secret_set, refresh=True
            )
            if fresh != cached:
                outcome = verifier.verify(request.headers, request.body, usable(fresh, now), now)
    if not outcome.verified:
        # A fixed word (forged, stale, missing_header, ...): never a secret or a header value.
        logger.info(
            "webhook refused",
            extra={
                "tenant_id": request.tenant_id,
                "platform": request.platform,
                "reason": outcome.reason,
            },
        )
    return outcome.verified
