"""How the client talks to PushPress: a shared connection pool, headers, pacing, retries, errors.

Authentication is PushPress's ``API-KEY`` header, plus ``company-id`` for API keys that serve
several companies (docs/pushpress-api.md). The API key is held as a ``SecretStr`` and put into
the headers of each request only; the shared ``httpx.Client`` never holds it. Errors are raised
outside ``except`` blocks, so no httpx exception (whose request carries the headers) is ever
chained to a ``PushPressError``.
"""

import email.utils
import logging
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from pushpress_client.errors import (
    PushPressAuthError,
    PushPressBadRequest,
    PushPressError,
    PushPressInvalidResponse,
    PushPressNotFound,
    PushPressRateLimited,
    PushPressUnavailable,
)
from pushpress_client.pacing import Pacer
from pushpress_client.retry import RetryPolicy

logger = logging.getLogger("pushpress_client")

DEFAULT_BASE_URL = "https://api.pushpress.com/v3"
# The SDK's default timeout is 10 s per request (timeoutMs 10000).
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_USER_AGENT = "kisi-access-bridge-pushpress-client/1.0"
API_KEY_HEADER = "API-KEY"
COMPANY_ID_HEADER = "company-id"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
# Failures that happen before any byte of the request reaches PushPress.
_NEVER_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_AUTH_STATUSES = frozenset({401, 403, 407, 511})
_TIMEOUT_STATUSES = frozenset({408})
_RETRY_AFTER_SECONDS = re.compile(r"\d{1,9}(?:\.\d{1,6})?")
_REDACTED = "[redacted]"

_shared_http_client: httpx.Client | None = None
_shared_http_client_lock = threading.Lock()


def shared_http_client() -> httpx.Client:
    """The process-wide connection pool, created on first use and kept across warm invocations."""
    global _shared_http_client
    with _shared_http_client_lock:
        if _shared_http_client is None or _shared_http_client.is_closed:
            _shared_http_client = httpx.Client(
                timeout=DEFAULT_TIMEOUT,
                limits=httpx.Limits(
                    max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0
                ),
            )
        return _shared_http_client


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One PushPress call, described by its path template so calls can be counted per endpoint."""

    method: str
    path_template: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str | int] | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path_template}"

    @property
    def path(self) -> str:
        quoted = {name: quote(str(value), safe="") for name, value in self.path_params.items()}
        return self.path_template.format(**quoted)

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if _RETRY_AFTER_SECONDS.fullmatch(value):
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


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


def decode_json(response: httpx.Response, endpoint: str) -> Any:
    """The JSON body of a 2xx answer, or ``PushPressInvalidResponse`` (never a decode error)."""
    try:
        return response.json()
    except ValueError:
        pass
    content_type = response.headers.get("Content-Type", "no content type")
    raise PushPressInvalidResponse(
        f"PushPress answered with a body that is not JSON ({content_type}, "
        f"{len(response.content)} bytes)",
        status_code=response.status_code,
        endpoint=endpoint,
    )


def _failure_from_transport_error(error: httpx.RequestError, endpoint: str) -> PushPressError:
    never_sent = isinstance(error, _NEVER_SENT_ERRORS)
    return PushPressUnavailable(
        f"PushPress could not be reached: {type(error).__name__}: {error}",
        endpoint=endpoint,
        possibly_executed=not never_sent,
    )


def redact(error: PushPressError, secret: str) -> PushPressError:
    """``error`` without ``secret`` in its text, should a server or proxy echo the key back."""
    error.message = error.message.replace(secret, _REDACTED)
    error.args = (error.message,)
    return error


def _checked_base_url(base_url: str) -> str:
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            "base_url must be an absolute http(s) URL, e.g. https://api.pushpress.com/v3"
        )
    return base_url.rstrip("/")


def _checked_header_value(name: str, value: str) -> str:
    if not value or value != value.strip() or any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{name} must be a non-empty single-line string without blanks around")
    return value


class PushPressTransport:
    """Sends ``ApiRequest``s: paced, retried per ``RetryPolicy``, counted, errors mapped."""

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
        self._api_key = SecretStr(_checked_header_value("api_key", api_key))
        self.company_id = (
            _checked_header_value("company_id", company_id) if company_id is not None else None
        )
        self.base_url = _checked_base_url(base_url)
        self.pacer = pacer
        self.retry = retry
        self._timeout = timeout
        self._http = http_client if http_client is not None else shared_http_client()
        self._static_headers = {"Accept": "application/json", "User-Agent": user_agent}
        if self.company_id is not None:
            self._static_headers[COMPANY_ID_HEADER] = self.company_id
        self.request_counts: Counter[str] = Counter()

    def __repr__(self) -> str:
        return (
            f"PushPressTransport(base_url={self.base_url!r}, company_id={self.company_id!r}, "
            f"pacer={self.pacer!r})"
        )

    def send(self, request: ApiRequest) -> httpx.Response:
        """Send until it succeeds or the retry policy gives up; return the 2xx answer."""
        attempts_made = 0
        waited = 0.0
        while True:
            attempts_made += 1
            try:
                return self._send_once(request)
            except PushPressError as error:
                delay = self.retry.delay_before_retry(
                    error, attempts_made=attempts_made, waited=waited, idempotent=request.idempotent
                )
                if delay is None:
                    raise
                logger.warning(
                    "PushPress call failed, retrying in %.2f s (attempt %d of %d): %s",
                    delay,
                    attempts_made + 1,
                    self.retry.max_attempts,
                    error,
                )
                # Through the pacer, so every client of this API key waits too.
                self.pacer.hold_off(delay)
                waited += delay

    def _send_once(self, request: ApiRequest) -> httpx.Response:
        self.pacer.acquire()
        self.request_counts[request.endpoint] += 1
        failure: PushPressError
        try:
            response = self._http.request(
                request.method,
                self.base_url + request.path,
                params=dict(request.query) if request.query else None,
                headers={API_KEY_HEADER: self._api_key.get_secret_value(), **self._static_headers},
                timeout=self._timeout,
            )
        except httpx.RequestError as transport_error:
            failure = _failure_from_transport_error(transport_error, request.endpoint)
        else:
            if response.is_success:
                return response
            failure = error_from_response(response, request.endpoint)
        raise redact(failure, self._api_key.get_secret_value())
