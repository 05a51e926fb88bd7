"""Webhook deliveries, built and signed the way PushPress's SDK signs them.

The body is ``{"event": ..., "created": <unix seconds>, "data": {...}}``; the one signature
header, ``webhook-signature``, is the lower-case hex HMAC-SHA256 of ``JSON.stringify(data)``
keyed with the registration's signing secret as UTF-8 (docs/pushpress-api.md). The emulator's
``data`` holds only strings, integers below 2**53, booleans, nulls, lists and objects whose
keys are not integer-like, for which Python's compact ``json.dumps`` writes exactly what
JavaScript's ``JSON.stringify`` writes.

This module is the emulator's own signer, written apart from ``pushpress_client.webhooks``, so
the integration tests check one against the other.
"""

import enum
import hashlib
import hmac
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "webhook-signature"
USER_AGENT = "PushPressEmulator/1.0 (webhooks)"
DELIVERY_TIMEOUT_SECONDS = 5.0


class BodyFormat(enum.StrEnum):
    COMPACT = "compact"
    PRETTY = "pretty"
    """Indented, keys in another order: a receiver that verifies the raw bytes fails on it."""


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    """The receiver answered non-2xx or could not be reached."""
    DROPPED = "dropped"
    """Deliberately not sent: a lost webhook."""


def signature_for(data: Any, secret: str) -> str:
    signed = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def body_for(event: str, created: int, data: Any, body_format: BodyFormat) -> bytes:
    envelope = {"event": event, "created": created, "data": data}
    if body_format is BodyFormat.PRETTY:
        return json.dumps(
            {"data": data, "created": created, "event": event}, indent=2, ensure_ascii=False
        ).encode("utf-8")
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class Delivery:
    id: int
    webhook_id: str
    company_id: str
    url: str
    event: str
    created: int
    body: bytes
    signature: str
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    response_status: int | None = None
    error: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: self.signature,
        }

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "company_id": self.company_id,
            "url": self.url,
            "event": self.event,
            "created": self.created,
            "status": self.status.value,
            "attempts": self.attempts,
            "response_status": self.response_status,
            "error": self.error,
            "signature": self.signature,
            "body": self.body.decode("utf-8"),
        }


@dataclass(frozen=True)
class DeliveryOutcome:
    status: DeliveryStatus
    response_status: int | None
    error: str | None


@dataclass
class DropRule:
    """Drop the next ``remaining`` deliveries (of ``event``, or of any event when None)."""

    remaining: int
    event: str | None = None

    def take(self, event: str) -> bool:
        if self.remaining > 0 and (self.event is None or self.event == event):
            self.remaining -= 1
            return True
        return False


class Deliverer:
    """Posts deliveries, one attempt each (``redeliver`` is the control API's retry)."""

    def __init__(self, timeout: float = DELIVERY_TIMEOUT_SECONDS) -> None:
        self._timeout = timeout
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None or self._http.is_closed:
                # trust_env=False: never through a proxy from the environment.
                self._http = httpx.Client(timeout=self._timeout, trust_env=False)
            return self._http

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> "DeliveryOutcome":
        """Post once; never raises. Holds no lock while the receiver answers, so a receiver
        may call the emulator back."""
        try:
            response = self._client().post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            logger.info("webhook delivery to %s failed: %s", url, error)
            return DeliveryOutcome(DeliveryStatus.FAILED, None, f"{type(error).__name__}: {error}")
        if response.is_success:
            return DeliveryOutcome(DeliveryStatus.DELIVERED, response.status_code, None)
        return DeliveryOutcome(
            DeliveryStatus.FAILED, response.status_code, f"HTTP {response.status_code}"
        )

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None
