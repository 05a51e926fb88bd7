"""How the client talks to PushPress: the HTTP client kit's transport with PushPress's headers
and the status codes PushPress's SDK maps to errors.

Authentication is PushPress's ``API-KEY`` header, plus ``company-id`` for API keys that serve
several companies (docs/pushpress-api.md). The API key is held as a ``SecretStr`` and put into
the headers of each request only; the shared ``httpx.Client`` never holds it. Errors are raised
outside ``except`` blocks, so no httpx exception (whose request carries the headers) is ever
chained to a ``PushPressError``.
"""

import logging
from collections.abc import Mapping

import httpx

from http_client_kit.pacing import Pacer
from http_client_kit.retry import RetryPolicy
from http_client_kit.transport import HttpTransport, SharedPool
from http_client_kit.transport import parse_retry_after as parse_retry_after
from pushpress_client.errors import (
    PushPressAuthError,
    PushPressBadRequest,
    PushPressError,
    PushPressInvalidResponse,
    PushPressNotFound,
    PushPressRateLimited,
    PushPressUnavailable,
)

logger = logging.getLogger("pushpress_client")

DEFAULT_BASE_URL = "https://api.pushpress.com/v3"
# The SDK's default timeout is 10 s per request (timeoutMs 10000).
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_USER_AGENT = "kisi-access-bridge-pushpress-client/1.0"
API_KEY_HEADER = "API-KEY"
COMPANY_ID_HEADER = "company-id"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_AUTH_STATUSES = frozenset({401, 403, 407, 511})
_TIMEOUT_STATUSES = frozenset({408})

_SHARED_POOL = SharedPool(DEFAULT_TIMEOUT)


def shared_http_client() -> httpx.Client:
    """The process-wide connection pool, created on first use and kept across warm invocations."""
    return _SHARED_POOL.get()


def _error_message(response: httpx.Response) -> str | None:
    """PushPress's error bodies carry ``message`` (the SDK's error classes read ``message``)."""
    try:
        payload = response.json()
    except ValueError:
        return None
    if not isinstance(payload, Mapping):
        return None
    for key in ("message", "error"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value[:500]
    return None


def error_from_response(response: httpx.Response, endpoint: str) -> PushPressError:
    """The ``PushPressError`` for a non-2xx answer, with the status codes the SDK maps."""
    status = response.status_code
    message = _error_message(response) or (
        f"PushPress answered HTTP {status} {response.reason_phrase}".rstrip()
    )
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    error_class: type[PushPressError]
    if status in _AUTH_STATUSES:
        error_class = PushPressAuthError
    elif status == 404:
        error_class = PushPressNotFound
    elif status == 429:
        error_class = PushPressRateLimited
    elif status >= 500 or status in _TIMEOUT_STATUSES:
        error_class = PushPressUnavailable
    elif status >= 400:
        error_class = PushPressBadRequest
    else:
        error_class = PushPressError
    return error_class(
        message,
        status_code=status,
        endpoint=endpoint,
        retry_after=retry_after,
        possibly_executed=status >= 500,
    )


def _checked_header_value(name: str, value: str) -> str:
    if not value or value != value.strip() or any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{name} must be a non-empty single-line string without blanks around")
    return value


class PushPressTransport(HttpTransport):
    """Sends ``ApiRequest``s to PushPress: paced, retried per ``RetryPolicy``, counted, errors
    mapped."""

    service = "PushPress"
    log = logger
    idempotent_methods = IDEMPOTENT_METHODS
    unavailable_error = PushPressUnavailable
    malformed_error = PushPressInvalidResponse

    def __init__(
        self,
        api_key: str,
        *,
        pacer: Pacer,
        retry: RetryPolicy,
        company_id: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        http_client: httpx.Client | None = None,
    ) -> None:
        # The message names the argument, never its value.
        checked_key = _checked_header_value("api_key", api_key)
        self.company_id = (
            _checked_header_value("company_id", company_id) if company_id is not None else None
        )
        static_headers = {"Accept": "application/json", "User-Agent": user_agent}
        if self.company_id is not None:
            static_headers[COMPANY_ID_HEADER] = self.company_id
        super().__init__(
            checked_key,
            pacer=pacer,
            retry=retry,
            base_url=base_url,
            example_base_url=DEFAULT_BASE_URL,
            timeout=timeout,
            http_client=http_client,
            pool=_SHARED_POOL,
            static_headers=static_headers,
        )

    def __repr__(self) -> str:
        return (
            f"PushPressTransport(base_url={self.base_url!r}, company_id={self.company_id!r}, "
            f"pacer={self.pacer!r})"
        )

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {API_KEY_HEADER: api_key}

    def error_from_response(self, response: httpx.Response, endpoint: str) -> PushPressError:
        return error_from_response(response, endpoint)
