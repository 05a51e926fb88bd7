"""The base of every error an API client raises, whatever the API.

No error ever holds the API key, the request headers or an httpx object (which would carry
them); ``redact`` takes the key out of the text should a server or proxy echo it back.
"""

from typing import ClassVar, Self

REDACTED = "[redacted]"


class HttpApiError(Exception):
    """A failed API call: the API's message, the HTTP status, the endpoint (``"GET /users/{id}"``)
    and the wait the API asked for (``Retry-After``, in seconds).

    ``possibly_executed`` is True when the API may have carried the request out although the
    client saw a failure (a 5xx, a read timeout, a 2xx with a body it could not read): a
    non-idempotent call must then be checked, not blindly repeated. ``retryable`` marks the
    kinds a ``RetryPolicy`` may send again (a rate limit, an unavailable server).
    """

    retryable: ClassVar[bool] = False
    repr_fields: ClassVar[tuple[str, ...]] = ("message", "status_code", "endpoint")

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

    def details(self) -> list[str]:
        """What ``str`` adds after the message, in parentheses."""
        details = []
        if self.endpoint:
            details.append(self.endpoint)
        if self.status_code is not None:
            details.append(f"HTTP {self.status_code}")
        return details

    def __str__(self) -> str:
        details = self.details()
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.repr_fields)
        return f"{type(self).__name__}({fields})"

    def redact(self, secret: str) -> Self:
        """This error without ``secret`` in its text."""
        self.message = self.message.replace(secret, REDACTED)
        self.args = (self.message,)
        return self
