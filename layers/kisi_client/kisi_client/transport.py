"""How the client talks to Kisi: a shared connection pool, headers, pacing, retries, error mapping.

The API key is held as a ``SecretStr`` and put into the ``Authorization`` header of each request
only; the shared ``httpx.Client`` never holds it. Errors are raised outside ``except`` blocks, so
no httpx exception (whose request carries the headers) is ever chained to a ``KisiError``.
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

from kisi_client.errors import (
    KisiConflict,
    KisiError,
    KisiForbidden,
    KisiInvalidCredentials,
    KisiMalformedResponse,
    KisiNotFound,
    KisiRateLimited,
    KisiUnavailable,
    KisiValidationError,
)
from kisi_client.pacing import Pacer
from kisi_client.retry import RetryPolicy

logger = logging.getLogger("kisi_client")

DEFAULT_BASE_URL = "https://api.kisi.io"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_INTEGRATION_IDENTIFIER = "Kisi Access Bridge"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
# Failures that happen before any byte of the request reaches Kisi.
_NEVER_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_ERROR_CLASS_BY_STATUS: Mapping[int, type[KisiError]] = {
    401: KisiInvalidCredentials,
    403: KisiForbidden,
    404: KisiNotFound,
    409: KisiConflict,
    429: KisiRateLimited,
}
_RETRY_AFTER_SECONDS = re.compile(r"\d{1,9}(?:\.\d{1,6})?")

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
    """One Kisi call, described by its path template so calls can be counted per endpoint."""

    method: str
    path_template: str
    path_params: Mapping[str, int | str] = field(default_factory=dict)
    query: Mapping[str, str | int] | None = None
    body: Mapping[str, Any] | None = None

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


def _field_errors(raw: Any) -> dict[str, list[str]]:
    if isinstance(raw, Mapping):
        return {
            str(name): [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
            for name, messages in raw.items()
        }
    if isinstance(raw, list):
        return {"base": [str(message) for message in raw]}
    return {}


def error_from_response(response: httpx.Response, endpoint: str) -> KisiError:
    """The ``KisiError`` for a non-2xx answer, keeping Kisi's code and message."""
    status = response.status_code
    try:
        payload = response.json()
    except ValueError:
        payload = None
    code = message = None
    field_errors: dict[str, list[str]] = {}
    if isinstance(payload, Mapping):
        code = payload.get("code") if isinstance(payload.get("code"), str) else None
        for key in ("error", "message"):
            if isinstance(payload.get(key), str) and payload[key]:
                message = payload[key]
                break
        field_errors = _field_errors(payload.get("errors"))
    if status == 422:
        described = "; ".join(f"{name}: {', '.join(msgs)}" for name, msgs in field_errors.items())
        return KisiValidationError(
            message or described or "Kisi rejected the request body",
            errors=field_errors,
            status_code=status,
            code=code,
            endpoint=endpoint,
        )
    error_class = _ERROR_CLASS_BY_STATUS.get(status)
    if error_class is None:
        error_class = KisiUnavailable if status >= 500 else KisiError
    return error_class(
        message or f"Kisi answered HTTP {status} {response.reason_phrase}".rstrip(),
        status_code=status,
        code=code,
        endpoint=endpoint,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        possibly_executed=status >= 500,
    )


def decode_json(response: httpx.Response, endpoint: str) -> Any:
    """The JSON body of a 2xx answer, or ``KisiMalformedResponse`` (never a raw decode error)."""
    try:
        return response.json()
    except ValueError:
        pass
    content_type = response.headers.get("Content-Type", "no content type")
    raise KisiMalformedResponse(
        f"Kisi answered with a body that is not JSON ({content_type}, "
        f"{len(response.content)} bytes)",
        status_code=response.status_code,
        endpoint=endpoint,
        possibly_executed=True,
    )


def _failure_from_transport_error(error: httpx.RequestError, endpoint: str) -> KisiUnavailable:
    never_sent = isinstance(error, _NEVER_SENT_ERRORS)
    return KisiUnavailable(
        f"Kisi could not be reached: {type(error).__name__}: {error}",
        endpoint=endpoint,
        possibly_executed=not never_sent,
    )


def _redacted(error: KisiError, secret: str) -> KisiError:
    """``error`` without ``secret`` in its text, should a server or proxy echo the key back."""
    error.message = error.message.replace(secret, "[redacted]")
    error.args = (error.message,)
    if isinstance(error, KisiValidationError):
        error.errors = {
            name: [message.replace(secret, "[redacted]") for message in messages]
            for name, messages in error.errors.items()
        }
    return error


def _checked_base_url(base_url: str) -> str:
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("base_url must be an absolute http(s) URL, e.g. https://api.kisi.io")
    return base_url.rstrip("/")


class KisiTransport:
    """Sends ``ApiRequest``s: paced, retried per ``RetryPolicy``, counted, errors mapped."""

    def __init__(
        self,
        api_key: str,
        *,
        pacer: Pacer,
        base_url: str = DEFAULT_BASE_URL,
        integration_identifier: str = DEFAULT_INTEGRATION_IDENTIFIER,
        integration_contact: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy,
        http_client: httpx.Client | None = None,
    ) -> None:
        if not api_key or api_key != api_key.strip():
            raise ValueError("api_key must be a non-empty string without surrounding blanks")
        self._api_key = SecretStr(api_key)
        self.base_url = _checked_base_url(base_url)
        self.pacer = pacer
        self.retry = retry
        self._timeout = timeout
        self._http = http_client if http_client is not None else shared_http_client()
        self._static_headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-Kisi-Integration-Identifier": integration_identifier,
        }
        if integration_contact:
            self._static_headers["X-Kisi-Integration-Contact"] = integration_contact
        self.request_counts: Counter[str] = Counter()
        self._deprecations_logged: set[str] = set()

    def __repr__(self) -> str:
        return f"KisiTransport(base_url={self.base_url!r}, pacer={self.pacer!r})"

    def send(self, request: ApiRequest) -> httpx.Response:
        """Send until it succeeds or the retry policy gives up; return the 2xx answer."""
        attempts_made = 0
        waited = 0.0
        while True:
            attempts_made += 1
            try:
                return self._send_once(request)
            except KisiError as error:
                delay = self.retry.delay_before_retry(
                    error, attempts_made=attempts_made, waited=waited, idempotent=request.idempotent
                )
                if delay is None:
                    raise
                logger.warning(
                    "Kisi call failed, retrying in %.2f s (attempt %d of %d): %s",
                    delay,
                    attempts_made + 1,
                    self.retry.max_attempts,
                    error,
                )
                # Through the pacer, so every client of this Kisi identity waits too.
                self.pacer.hold_off(delay)
                waited += delay

    def _send_once(self, request: ApiRequest) -> httpx.Response:
        self.pacer.acquire()
        self.request_counts[request.endpoint] += 1
        failure: KisiError
        try:
            response = self._http.request(
                request.method,
                self.base_url + request.path,
                params=dict(request.query) if request.query else None,
                json=dict(request.body) if request.body is not None else None,
                headers=self._headers(),
                timeout=self._timeout,
            )
        except httpx.RequestError as transport_error:
            failure = _failure_from_transport_error(transport_error, request.endpoint)
        else:
            self._warn_if_deprecated(response, request.endpoint)
            if response.is_success:
                return response
            failure = error_from_response(response, request.endpoint)
        raise _redacted(failure, self._api_key.get_secret_value())

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"KISI-LOGIN {self._api_key.get_secret_value()}",
            **self._static_headers,
        }

    def _warn_if_deprecated(self, response: httpx.Response, endpoint: str) -> None:
        deprecation = response.headers.get("Deprecation")
        sunset = response.headers.get("Sunset")
        if (deprecation or sunset) and endpoint not in self._deprecations_logged:
            self._deprecations_logged.add(endpoint)
            logger.warning(
                "Kisi marks %s as deprecated (Deprecation: %s, Sunset: %s)",
                endpoint,
                deprecation or "-",
                sunset or "-",
            )
