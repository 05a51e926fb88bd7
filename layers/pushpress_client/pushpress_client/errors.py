"""Exceptions raised by the PushPress client, one class per kind of answer the caller acts on.

Every error keeps PushPress's message when PushPress sent one. No error ever holds the API key,
the request headers or an httpx object (which would carry them).
"""


class PushPressError(Exception):
    """Base of every error the client raises; also used as-is for statuses with no class below.

    ``possibly_executed`` is True when PushPress may have carried the request out although the
    client saw a failure (a 5xx, a read timeout). Every call this client makes is a read, so it
    only matters to callers that add writes.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        endpoint: str | None = None,
        retry_after: float | None = None,
        possibly_executed: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.endpoint = endpoint
        self.retry_after = retry_after
        self.possibly_executed = possibly_executed

    def __str__(self) -> str:
        details = []
        if self.endpoint:
            details.append(self.endpoint)
        if self.status_code is not None:
            details.append(f"HTTP {self.status_code}")
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status_code={self.status_code!r}, "
            f"endpoint={self.endpoint!r})"
        )


class PushPressAuthError(PushPressError):
    """401, 403, 407 or 511: the API key is wrong, revoked, or may not act for this company."""


class PushPressNotFound(PushPressError):
    """404: no such object (or no such endpoint)."""


class PushPressBadRequest(PushPressError):
    """400, 413, 414, 415, 422, 431 and other 4xx: PushPress refused the request as sent."""


class PushPressRateLimited(PushPressError):
    """429: PushPress did not serve the request; ``retry_after`` is its wait in seconds, if sent."""


class PushPressUnavailable(PushPressError):
    """5xx, 408, a timeout or a connection failure. ``possibly_executed`` is False only when the
    request provably never left (the connection could not be opened)."""


class PushPressInvalidResponse(PushPressError):
    """PushPress answered 2xx with a body that is not JSON, not the shape this client expects,
    or a listing whose pages do not advance."""
