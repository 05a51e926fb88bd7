"""Exceptions raised by the Kisi client, one class per kind of answer the caller acts on.

Every error keeps Kisi's 6-hex ``code`` and message when Kisi sent them. No error ever holds the
API key, the request headers or an httpx object (which would carry them).
"""

import enum
from collections.abc import Mapping
from typing import ClassVar, Self

from http_client_kit.errors import REDACTED, HttpApiError


class UnlockFailureReason(enum.StrEnum):
    """Why ``POST /locks/{id}/unlock`` failed, in the terms a person at the door is told."""

    DENIED = "denied"
    DISABLED = "disabled"
    SCHEDULE = "schedule"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    LOCKED_DOWN = "locked_down"
    DOOR_NOT_FOUND = "door_not_found"
    DEVICE_UNAVAILABLE = "device_unavailable"
    LOCK_OFFLINE = "lock_offline"
    RATE_LIMITED = "rate_limited"
    INVALID_CREDENTIALS = "invalid_credentials"
    KISI_UNAVAILABLE = "kisi_unavailable"
    UNEXPECTED = "unexpected"


UNLOCK_FAILURE_BY_CODE: Mapping[str, UnlockFailureReason] = {
    "fcd8ef": UnlockFailureReason.DENIED,
    "afc496": UnlockFailureReason.DENIED,
    "fcd8ff": UnlockFailureReason.DISABLED,
    "34ffaa": UnlockFailureReason.SCHEDULE,
    "f35ade": UnlockFailureReason.EXPIRED,
    "f358de": UnlockFailureReason.NOT_YET_VALID,
    "fad001": UnlockFailureReason.LOCKED_DOWN,
    "fad10e": UnlockFailureReason.DOOR_NOT_FOUND,
    "fac001": UnlockFailureReason.DEVICE_UNAVAILABLE,
    "fac002": UnlockFailureReason.DEVICE_UNAVAILABLE,
    "fac003": UnlockFailureReason.DEVICE_UNAVAILABLE,
    "fac004": UnlockFailureReason.DEVICE_UNAVAILABLE,
    "fad107": UnlockFailureReason.LOCK_OFFLINE,
    "ffffff": UnlockFailureReason.UNEXPECTED,
}


class KisiError(HttpApiError):
    """Base of every error the client raises; also used as-is for statuses with no class below.

    ``possibly_executed`` is True when Kisi may have carried the request out even though the
    client saw a failure (a 5xx, a read timeout, a 2xx with a body it could not read): a
    non-idempotent call must then be checked, not blindly repeated.
    """

    unlock_fallback: ClassVar[UnlockFailureReason] = UnlockFailureReason.UNEXPECTED
    repr_fields = ("message", "status_code", "code", "endpoint")

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        endpoint: str | None = None,
        retry_after: float | None = None,
        possibly_executed: bool = False,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            endpoint=endpoint,
            retry_after=retry_after,
            possibly_executed=possibly_executed,
        )
        self.code = code

    def details(self) -> list[str]:
        return [*super().details(), *([f"code {self.code}"] if self.code else [])]

    @property
    def unlock_failure_reason(self) -> UnlockFailureReason:
        """The reason this error means for an unlock; meaningful for errors raised by ``unlock``.

        Kisi's code decides when it is a known unlock code; otherwise the kind of error does.
        """
        if self.code is not None and self.code.lower() in UNLOCK_FAILURE_BY_CODE:
            return UNLOCK_FAILURE_BY_CODE[self.code.lower()]
        return self.unlock_fallback


class KisiInvalidCredentials(KisiError):
    """401: the API key is wrong, expired, or its user lost admin rights."""

    unlock_fallback = UnlockFailureReason.INVALID_CREDENTIALS


class KisiForbidden(KisiError):
    """403: the key's user may not do this."""

    unlock_fallback = UnlockFailureReason.DENIED


class KisiNotFound(KisiError):
    """404: no such object, or no such endpoint."""

    unlock_fallback = UnlockFailureReason.DOOR_NOT_FOUND


class KisiConflict(KisiError):
    """409: the object already exists (duplicate user email, duplicate assignment), or the
    door refused an unlock (see ``unlock_failure_reason``)."""


class KisiValidationError(KisiError):
    """422: Kisi rejected the body; ``errors`` is Kisi's ``{field: [messages]}``."""

    def __init__(
        self,
        message: str,
        *,
        errors: Mapping[str, list[str]],
        status_code: int | None = None,
        code: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, endpoint=endpoint)
        self.errors = dict(errors)

    def redact(self, secret: str) -> Self:
        super().redact(secret)
        self.errors = {
            name: [message.replace(secret, REDACTED) for message in messages]
            for name, messages in self.errors.items()
        }
        return self


class KisiRateLimited(KisiError):
    """429: Kisi did not execute the request; ``retry_after`` is Kisi's wait in seconds, if sent."""

    retryable = True
    unlock_fallback = UnlockFailureReason.RATE_LIMITED


class KisiUnavailable(KisiError):
    """5xx, timeout or connection failure. ``possibly_executed`` tells whether the request may
    have reached Kisi (False only when it provably never left, e.g. the connection failed)."""

    retryable = True
    unlock_fallback = UnlockFailureReason.KISI_UNAVAILABLE


class KisiMalformedResponse(KisiError):
    """Kisi answered with a body that is not JSON or not the shape this client expects."""


class KisiPaginationLimitExceeded(KisiError):
    """The collection is larger than Kisi's ``offset <= 20000`` lets a client read.

    Raised instead of returning a truncated list: a caller diffing a group against the desired
    state must not mistake the unreadable tail for missing members.
    """
