"""Exceptions raised by the PushPress client, one class per kind of answer the caller acts on.

Every error keeps PushPress's message when PushPress sent one. No error ever holds the API key,
the request headers or an httpx object (which would carry them).
"""

from http_client_kit.errors import HttpApiError


class PushPressError(HttpApiError):
    """Base of every error the client raises; also used as-is for statuses with no class below.

    ``possibly_executed`` is True when PushPress may have carried the request out although the
    client saw a failure (a 5xx, a read timeout). Every call this client makes is a read, so it
    only matters to callers that add writes.
    """


class PushPressAuthError(PushPressError):
    """401, 403, 407 or 511: the API key is wrong, revoked, or may not act for this company."""


class PushPressNotFound(PushPressError):
    """404: no such object (or no such endpoint)."""


class PushPressBadRequest(PushPressError):
    """400, 413, 414, 415, 422, 431 and other 4xx: PushPress refused the request as sent."""


class PushPressRateLimited(PushPressError):
    """429: PushPress did not serve the request; ``retry_after`` is its wait in seconds, if sent."""

    retryable = True


class PushPressUnavailable(PushPressError):
    """5xx, 408, a timeout or a connection failure. ``possibly_executed`` is False only when the
    request provably never left (the connection could not be opened)."""

    retryable = True


class PushPressInvalidResponse(PushPressError):
    """PushPress answered 2xx with a body that is not JSON, not the shape this client expects,
    or a listing whose pages do not advance."""
