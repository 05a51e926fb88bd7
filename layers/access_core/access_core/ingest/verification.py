"""How each platform's webhook delivery is authenticated: one strategy per platform, chosen by its
adapter (`PlatformAdapter.verifier`). Pure: headers, body, the secrets accepted now and the time
in, a `Verification` out; no I/O, nothing logged.

- `BridgeSignature` (`canonical`): our HMAC, `X-Bridge-Timestamp` within 300 s and
  `X-Bridge-Signature: v1=<hex>` over `<timestamp>.<raw body>` (signature.py);
- `PushPressSignature` (`pushpress`): PushPress's `webhook-signature`, the hex HMAC-SHA256 of
  `JSON.stringify(body.data)` keyed with the signing secret
  (`pushpress_client.webhooks.verify_webhook`); PushPress sends no timestamp to check;
- `BearerToken` (`playbypoint`): `Authorization: Bearer <token>`, compared in constant time.

Every strategy accepts any of several secrets (a rotation overlap: domain/secrets.py). The
`reason` of a refusal is one of a few fixed words, safe to log: it never carries a secret, a
signature or a header value.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from access_core.ingest import signature
from pushpress_client.webhooks import WebhookVerificationError, verify_webhook

VERIFIED = "verified"
NO_SECRET = "no_secret"
MISSING_HEADER = "missing_header"
MALFORMED_HEADER = "malformed_header"
STALE = "stale"
FORGED = "forged"
AUTHORIZATION_HEADER = "authorization"
BEARER_SCHEME = "bearer"


@dataclass(frozen=True)
class Verification:
    verified: bool
    reason: str


ACCEPTED = Verification(True, VERIFIED)


def refused(reason: str) -> Verification:
    return Verification(False, reason)


class WebhookVerifier(Protocol):
    """`secret_set` names the tenant secrets the strategy checks against (SecretStore's
    `platform` argument)."""

    @property
    def secret_set(self) -> str: ...

    def verify(
        self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: datetime
    ) -> Verification:
        """`headers` have lower-case names; `secrets` are those valid at `now`."""
        ...


@dataclass(frozen=True)
class BridgeSignature:
    secret_set: str = "canonical"

    def verify(
        self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: datetime
    ) -> Verification:
        if not secrets:
            return refused(NO_SECRET)
        if not headers.get(signature.SIGNATURE_HEADER):
            return refused(MISSING_HEADER)
        timestamp = headers.get(signature.TIMESTAMP_HEADER, "").strip()
        if not timestamp.isascii() or not timestamp.isdigit():
            return refused(MALFORMED_HEADER)
        if signature.verify_any(secrets, headers, body, now.timestamp()):
            return ACCEPTED
        return refused(STALE if not signature.is_fresh(timestamp, now.timestamp()) else FORGED)


_PUSHPRESS_REASONS = {
    "missing_header": MISSING_HEADER,
    "malformed_signature": MALFORMED_HEADER,
    # A body PushPress cannot have signed (not JSON, no data): as good as forged.
    "malformed_body": FORGED,
    "forged": FORGED,
}


@dataclass(frozen=True)
class PushPressSignature:
    """PushPress signs `data`, not the envelope, and sends no timestamp: a valid signature says
    the `data` came from PushPress once, not when. `created` and `event` are unsigned, so they
    are not checked here (nothing an attacker could not change); the replay protection that
    remains is described in docs/webhooks.md."""

    secret_set: str = "pushpress"

    def verify(
        self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: datetime
    ) -> Verification:
        keys = [secret for secret in secrets if secret]
        if not keys:
            return refused(NO_SECRET)
        try:
            verify_webhook(headers, body, keys, now=None, tolerance=None)
        except WebhookVerificationError as error:
            return refused(_PUSHPRESS_REASONS.get(error.reason.value, FORGED))
        return ACCEPTED


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class BearerToken:
    """`Authorization: Bearer <token>` (the scheme in any case). Each accepted token is compared
    with the presented one through their SHA-256 digests, so the comparison takes the same time
    whatever the lengths, and every accepted token is compared."""

    secret_set: str = "playbypoint"

    def verify(
        self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: datetime
    ) -> Verification:
        if not secrets:
            return refused(NO_SECRET)
        value = headers.get(AUTHORIZATION_HEADER, "").strip()
        if not value:
            return refused(MISSING_HEADER)
        scheme, _, token = value.partition(" ")
        token = token.strip()
        if scheme.lower() != BEARER_SCHEME or not token:
            return refused(MALFORMED_HEADER)
        presented = _digest(token)
        matched = False
        for secret in secrets:
            matched |= hmac.compare_digest(presented, _digest(secret))
        return ACCEPTED if matched else refused(FORGED)
