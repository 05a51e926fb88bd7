"""Webhook secrets with a rotation overlap: pure rules, no I/O.

A tenant holds, per webhook secret set (`canonical`: the bridge's own HMAC secret; `pushpress`:
PushPress's signing secret; `playbypoint`: Playbypoint's bearer token), a few secrets, newest
first. The newest has no end (`valid_until` None): it is the current one. Adding a secret keeps
the ones before it valid for an overlap window (default 24 hours), so that deliveries signed
before the platform switched, and containers that cached the old set, still verify; secrets
past their window are dropped when the set is next written. A verifier uses only the secrets
valid at its own `now` (`usable`), so a secret expires on time whatever a cache holds.

Values never appear in a repr, a status or an error message (`WebhookSecretStatus` carries none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_ROTATION_OVERLAP = timedelta(hours=24)
# The current secret and up to three previous ones still in their window: rotating more often
# than that within one window ends the oldest window early (the set has to fit an SSM value).
MAX_SECRETS = 4
MAX_SECRET_LENGTH = 512
MIN_SECRET_LENGTH = 8


@dataclass(frozen=True)
class StoredSecret:
    value: str = field(repr=False)
    added_at: datetime
    valid_until: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        return self.valid_until is None or now < self.valid_until


@dataclass(frozen=True)
class SecretState:
    """One stored secret, without its value."""

    added_at: datetime
    valid_until: datetime | None
    current: bool


@dataclass(frozen=True)
class WebhookSecretStatus:
    """What an admin may see of a tenant's secret set: when each secret was added and until when
    it is accepted. No secret material."""

    secret_set: str
    secrets: tuple[SecretState, ...]

    @property
    def configured(self) -> bool:
        return bool(self.secrets)

    @property
    def previous_valid_until(self) -> datetime | None:
        """The end of the overlap: when the last previous secret stops being accepted."""
        ends = [s.valid_until for s in self.secrets if s.valid_until is not None]
        return max(ends, default=None)


def checked_secret(value: str) -> str:
    """`value` if it can serve as a webhook secret; ValueError (naming no part of it) if not.

    Secrets are used exactly as stored, so an admin's paste should be stripped before this.
    """
    if not isinstance(value, str):
        raise TypeError("a webhook secret is text")
    if not MIN_SECRET_LENGTH <= len(value) <= MAX_SECRET_LENGTH:
        raise ValueError(
            f"a webhook secret has {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
        )
    if value != value.strip() or not value.isprintable():
        raise ValueError("a webhook secret has no surrounding blanks or control characters")
    return value


def usable(secrets: Sequence[StoredSecret], now: datetime) -> list[str]:
    """The values a verifier accepts at `now`, newest first."""
    return [secret.value for secret in secrets if secret.valid_at(now)]


def with_new_secret(
    secrets: Sequence[StoredSecret], value: str, *, now: datetime, overlap: timedelta
) -> list[StoredSecret]:
    """The set after `value` becomes the current secret: every other secret still valid is kept
    until `now + overlap` at the latest (an earlier end stays), expired ones are dropped, and at
    most MAX_SECRETS are kept (the oldest go first). `overlap` zero ends the others now.

    Adding the current value again restarts nothing but its `added_at`; adding a previous value
    makes it current again.
    """
    if overlap < timedelta(0):
        raise ValueError("the rotation overlap cannot be negative")
    new = StoredSecret(checked_secret(value), added_at=now)
    window_end = now + overlap
    previous = [
        StoredSecret(
            secret.value,
            secret.added_at,
            window_end if secret.valid_until is None else min(secret.valid_until, window_end),
        )
        for secret in secrets
        if secret.value != value and secret.valid_at(now)
    ]
    return [new, *(secret for secret in previous if secret.valid_at(now))][:MAX_SECRETS]


def without_previous(secrets: Sequence[StoredSecret]) -> list[StoredSecret]:
    """Only the current secret(s): ends the overlap at once (a leaked previous secret)."""
    return [secret for secret in secrets if secret.valid_until is None]


def secret_status(
    secret_set: str, secrets: Sequence[StoredSecret], now: datetime
) -> WebhookSecretStatus:
    return WebhookSecretStatus(
        secret_set=secret_set,
        secrets=tuple(
            SecretState(s.added_at, s.valid_until, current=s.valid_until is None)
            for s in secrets
            if s.valid_at(now)
        ),
    )
