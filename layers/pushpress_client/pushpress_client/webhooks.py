"""Verifying PushPress webhook deliveries: a pure function, no I/O, no AWS.

PushPress's scheme, as its SDK implements it (``src/hooks/webhook-security-custom.ts`` in
PushPress/pushpress-ts; docs/pushpress-api.md has the details and sources):

- one header, ``webhook-signature``: the lower-case hex HMAC-SHA256 of
  ``JSON.stringify(body.data)``: the ``data`` member re-serialised by JavaScript, not the raw
  body, and not the ``event`` / ``created`` envelope;
- the key is the webhook's ``signingSecret`` as UTF-8 bytes, used as is (no prefix stripped,
  no base64 decoding);
- no timestamp or delivery id header: nothing in the signature stops a replay, and ``event``
  and ``created`` are not covered by it.

What this verifier adds, none of which weakens the check:

- several secrets, any of which may match (rotation: keep the old secret next to the new one
  until deliveries signed with it stop; ``VerifiedWebhook.secret_index`` says which matched);
- several signatures in the header, separated by commas or blanks (a proxy that joins repeated
  headers), any of which may match; upper-case hex is accepted;
- the raw body as a second signed content: PushPress's SDK signed the raw body before
  2025-02-04 (commit 018919d "Sign body.data when working with webhooks");
- an optional age check of the body's ``created`` (Unix seconds; milliseconds are recognised).
  ``created`` is not signed, so this guards against accidental redelivery of old bodies only,
  not against an attacker, who can replay a captured ``data`` with any ``created``. Treat a
  webhook as a trigger and read the current state from the API when it matters.

Failures raise ``WebhookVerificationError`` with a ``WebhookFailure`` reason. Messages never
contain a secret, a signature or header values.
"""

import enum
import hashlib
import hmac
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from pushpress_client import js_json
from pushpress_client.models import Customer, Enrollment

SIGNATURE_HEADER = "webhook-signature"
DEFAULT_TOLERANCE_SECONDS = 300.0
# A created value this large is milliseconds: as seconds it would lie after the year 5000.
_MILLISECONDS_THRESHOLD = 10**11
_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_SEPARATORS = re.compile(r"[\s,]+")
_MAX_SIGNATURES = 16

type Secret = str | SecretStr


class WebhookFailure(enum.StrEnum):
    """Why a delivery was refused."""

    MISSING_HEADER = "missing_header"
    """No ``webhook-signature`` header, or an empty one."""
    MALFORMED_SIGNATURE = "malformed_signature"
    """The header holds no 64-hex-digit signature."""
    MALFORMED_BODY = "malformed_body"
    """The body is not a JSON object with a ``data`` member that JavaScript finds truthy."""
    FORGED = "forged"
    """No signature matches any secret: wrong secret, or a body changed after signing."""
    BAD_TIMESTAMP = "bad_timestamp"
    """An age check was asked for and ``created`` is missing or not a number."""
    STALE = "stale"
    """``created`` lies further than the tolerance from ``now``, in either direction."""


class WebhookVerificationError(Exception):
    def __init__(self, reason: WebhookFailure, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail

    def __repr__(self) -> str:
        return f"WebhookVerificationError(reason={self.reason.value!r}, detail={self.detail!r})"


class SignedContent(enum.StrEnum):
    """What the matching signature covers."""

    DATA = "data"
    """``JSON.stringify(body.data)``: PushPress's scheme."""
    RAW_BODY = "raw_body"
    """The raw body bytes: the SDK's scheme before 2025-02-04 (also covers the envelope)."""


@dataclass(frozen=True, slots=True)
class VerifiedWebhook:
    """A delivery whose signature matched. ``event`` and ``created`` come from the envelope,
    which the ``DATA`` scheme does not sign."""

    event: str | None
    created: float | None
    data: Any
    secret_index: int
    signed_content: SignedContent

    def enrollment(self) -> Enrollment:
        """``data`` as an Enrollment (``enrollment.created`` / ``enrollment.status.changed``)."""
        return Enrollment.model_validate(self.data)

    def customer(self) -> Customer:
        """``data`` as a Customer (``customer.created`` / ``.details.changed`` / ...)."""
        return Customer.model_validate(self.data)


def sign(data: Any, secret: Secret) -> str:
    """The ``webhook-signature`` PushPress sends for a body whose ``data`` is ``data``."""
    return _hex_hmac(_secret_bytes(secret), js_json.stringify(data).encode("utf-8"))


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[Secret],
    *,
    now: datetime | None = None,
    tolerance: float | None = DEFAULT_TOLERANCE_SECONDS,
) -> VerifiedWebhook:
    """Verify one delivery; return what it carries or raise ``WebhookVerificationError``.

    ``headers``: the request headers (names in any case; a repeated header joined by commas).
    ``body``: the raw request body. ``secrets``: every secret currently accepted (non-empty).
    ``now`` and ``tolerance``: check that ``created`` lies within ``tolerance`` seconds of
    ``now``; ``now=None`` or ``tolerance=None`` skips that check.
    """
    keys = [_secret_bytes(secret) for secret in secrets]
    usable = [(index, key) for index, key in enumerate(keys) if key]
    if not usable:
        raise ValueError("verify_webhook needs at least one non-empty secret")
    if tolerance is not None and (math.isnan(tolerance) or tolerance < 0):
        raise ValueError("tolerance must be a non-negative number of seconds")

    signatures = _signatures(headers)
    envelope = _envelope(body)
    data = envelope["data"]
    contents = (
        (SignedContent.DATA, js_json.stringify(data).encode("utf-8")),
        (SignedContent.RAW_BODY, body),
    )
    match = _first_match(usable, contents, signatures)
    if match is None:
        raise WebhookVerificationError(
            WebhookFailure.FORGED, "no signature matches any accepted secret"
        )
    secret_index, signed_content = match
    created = envelope.get("created")
    created_seconds = _created_seconds(created)
    if now is not None and tolerance is not None:
        _check_age(created_seconds, now, tolerance)
    event = envelope.get("event")
    return VerifiedWebhook(
        event=event if isinstance(event, str) else None,
        created=created_seconds,
        data=data,
        secret_index=secret_index,
        signed_content=signed_content,
    )


def _secret_bytes(secret: Secret) -> bytes:
    text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not isinstance(text, str):
        raise TypeError("secrets must be strings")
    return text.encode("utf-8")


def _hex_hmac(key: bytes, content: bytes) -> str:
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def _signatures(headers: Mapping[str, str]) -> list[bytes]:
    values = [value for name, value in headers.items() if name.lower() == SIGNATURE_HEADER]
    joined = ",".join(value for value in values if isinstance(value, str))
    entries = [entry for entry in _SEPARATORS.split(joined) if entry]
    if not entries:
        raise WebhookVerificationError(
            WebhookFailure.MISSING_HEADER, f"no {SIGNATURE_HEADER} header"
        )
    signatures = [
        bytes.fromhex(entry)
        for entry in entries[:_MAX_SIGNATURES]
        if _HEX_SIGNATURE.fullmatch(entry)
    ]
    if not signatures:
        raise WebhookVerificationError(
            WebhookFailure.MALFORMED_SIGNATURE,
            f"{SIGNATURE_HEADER} holds no 64-hex-digit HMAC-SHA256",
        )
    return signatures


def _envelope(body: bytes) -> Mapping[str, Any]:
    try:
        # As fetch's Request.json() reads it: UTF-8, a leading BOM dropped, bad bytes replaced.
        text = body.decode("utf-8-sig", errors="replace")
        parsed = js_json.parse(text)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep to parse
        raise WebhookVerificationError(
            WebhookFailure.MALFORMED_BODY, "the body is not JSON"
        ) from None
    if not isinstance(parsed, dict):
        raise WebhookVerificationError(
            WebhookFailure.MALFORMED_BODY, "the body is not a JSON object"
        )
    if not js_json.is_truthy(parsed.get("data")):
        raise WebhookVerificationError(
            WebhookFailure.MALFORMED_BODY, "the body has no data to verify"
        )
    return parsed


def _first_match(
    keys: Sequence[tuple[int, bytes]],
    contents: Sequence[tuple[SignedContent, bytes]],
    signatures: Sequence[bytes],
) -> tuple[int, SignedContent] | None:
    for index, key in keys:
        for kind, content in contents:
            expected = hmac.new(key, content, hashlib.sha256).digest()
            if any(hmac.compare_digest(expected, signature) for signature in signatures):
                return index, kind
    return None


def _created_seconds(created: Any) -> float | None:
    if isinstance(created, bool) or not isinstance(created, int | float):
        return None
    if not math.isfinite(created):
        return None
    value = float(created)
    return value / 1000 if abs(value) >= _MILLISECONDS_THRESHOLD else value


def _check_age(created: float | None, now: datetime, tolerance: float) -> None:
    if created is None:
        raise WebhookVerificationError(
            WebhookFailure.BAD_TIMESTAMP, "created is missing or not a Unix timestamp"
        )
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    age = now.timestamp() - created
    if abs(age) > tolerance:
        direction = "old" if age > 0 else "in the future"
        raise WebhookVerificationError(
            WebhookFailure.STALE,
            f"created is {abs(age):.0f} s {direction}, beyond the {tolerance:.0f} s tolerance",
        )
