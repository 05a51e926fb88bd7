"""Kisi's Event Webhook integration, emulated: `lock.unlock` events sent to registered URLs.

An organisation admin adds an integration of type *Event Webhook* with a URL and, optionally, a
signature key; Kisi then POSTs each event as JSON, with `X-Signature: sha256=<hex>`, the
HMAC-SHA256 of the raw body keyed with that key (docs/kisi-api.md). The emulator sends one for
each unlock made with `unlock_as` (a user opening a door in the Kisi app), synchronously, and
keeps each delivery's answer so a test can see what the receiver said.

This module is the emulator's own signer, written apart from the bridge's verifier
(`access_core.ingest.kisi_events`), so the tests check one against the other.
"""

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Signature"
USER_AGENT = "KisiEmulator/1.0 (event webhooks)"
DELIVERY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class EventWebhook:
    id: int
    organization_id: int
    url: str
    secret: str | None

    def to_wire(self) -> dict[str, Any]:
        # The signature key is write-only, as in Kisi's dashboard.
        return {
            "id": self.id,
            "organization_id": self.organization_id,
            "url": self.url,
            "signed": bool(self.secret),
        }


@dataclass
class EventDelivery:
    webhook_id: int
    event: dict[str, Any]
    status: int | None = None
    response: Any = None
    error: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "event": self.event,
            "status": self.status,
            "response": self.response,
            "error": self.error,
        }


@dataclass
class EventLog:
    webhooks: list[EventWebhook] = field(default_factory=list)
    deliveries: list[EventDelivery] = field(default_factory=list)


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def unlock_event(
    *,
    organization_id: int,
    place_id: int | None,
    lock_id: int,
    lock_name: str,
    user_id: int,
    user_email: str,
    user_name: str | None,
    success: bool,
    error_code: str | None,
    error_message: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The fields of Kisi's sample `lock.unlock` payload, plus `actor_email`."""
    return {
        "uuid": str(uuid.uuid4()),
        "type": "lock.unlock",
        "actor_type": "User",
        "actor_id": user_id,
        "actor_name": user_name,
        "actor_email": user_email,
        "object_type": "Lock",
        "object_id": lock_id,
        "object_name": lock_name,
        "organization_id": organization_id,
        "place_id": place_id,
        "success": success,
        "error_code": error_code,
        "error_message": error_message,
        "created_at": at.isoformat().replace("+00:00", "Z"),
    }


def deliver(webhook: EventWebhook, event: dict[str, Any]) -> EventDelivery:
    """POST the event to the webhook's URL (call without holding the emulator's lock)."""
    body = json.dumps(event, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if webhook.secret:
        headers[SIGNATURE_HEADER] = signature(body, webhook.secret)
    delivery = EventDelivery(webhook.id, event)
    try:
        answer = httpx.post(
            webhook.url, content=body, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as error:
        delivery.error = type(error).__name__
        return delivery
    delivery.status = answer.status_code
    try:
        delivery.response = answer.json()
    except ValueError:
        delivery.response = answer.text[:500]
    return delivery
