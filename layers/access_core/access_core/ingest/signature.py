"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<raw body>" with the tenant's signing secret.

Headers: `X-Bridge-Timestamp: <unix seconds>`, `X-Bridge-Signature: v1=<hex digest>`. A timestamp
outside the tolerance window is refused (replay protection), and the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

TIMESTAMP_HEADER = "x-bridge-timestamp"
SIGNATURE_HEADER = "x-bridge-signature"
SIGNATURE_VERSION = "v1"
TOLERANCE_SECONDS = 300
# Verifying against this when the tenant is unknown keeps both refusals alike, in time too.
_UNKNOWN_TENANT_SECRET = "unknown-tenant-" + "0" * 32


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signature_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers a sender adds (used by tests, the demo and the docs' examples)."""
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(secret: str | None, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """True only for a known secret, a fresh timestamp and a matching signature.

    `headers` must have lower-case names (API Gateway v2 lower-cases them).
    """
    return verify_any([secret] if secret is not None else [], headers, body, now)


def is_fresh(timestamp_text: str, now: float) -> bool:
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        return False
    return abs(now - timestamp) <= TOLERANCE_SECONDS


def verify_any(secrets: Sequence[str], headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """True for a fresh timestamp and a signature made with any of `secrets` (a rotation
    overlap: the previous secret and the new one). No secret at all verifies nothing, after
    the same work as a wrong one."""
    timestamp_text = headers.get(TIMESTAMP_HEADER, "")
    signatures = headers.get(SIGNATURE_HEADER, "")
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        timestamp = 0
    # A sender may list several signatures (its own rotation): "v1=abc, v1=def".
    candidates = [s.strip().encode() for s in signatures.split(",")]
    matched = False
    for secret in secrets or [_UNKNOWN_TENANT_SECRET]:
        expected = sign(secret, timestamp, body).encode()
        for candidate in candidates:
            matched |= hmac.compare_digest(candidate, expected)
    return bool(secrets) and is_fresh(timestamp_text, now) and matched
