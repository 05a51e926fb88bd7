"""How a client talks to its API: a request described by its path template, a process-wide
connection pool, and a transport that paces, retries, counts and maps errors.

The API key is held as a ``SecretStr`` and put into the headers of each request only; the shared
``httpx.Client`` never holds it. Errors are raised outside ``except`` blocks, so no httpx
exception (whose request carries the headers) is ever chained to a client's error, and every
error is redacted of the key before it is raised.

A client subclasses ``HttpTransport`` with what is its API's own: the name it gives the API in
messages, its logger, its idempotent methods, its authentication headers, its error classes and
how an error answer maps to them.
"""

import email.utils
import logging
import re
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from http_client_kit.errors import HttpApiError
from http_client_kit.pacing import Pacer
from http_client_kit.retry import RetryPolicy

# Failures that happen before any byte of the request reaches the API.
NEVER_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRY_AFTER_SECONDS = re.compile(r"\d{1,9}(?:\.\d{1,6})?")


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One API call, described by its path template so calls can be counted per endpoint."""

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


class SharedPool:
    """A process-wide connection pool, created on first use, kept across warm invocations and
    made anew if someone closed it. Each client module keeps one (its ``shared_http_client``)."""

    def __init__(self, timeout: httpx.Timeout) -> None:
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def get(self) -> httpx.Client:
        with self._lock:
            if self._client is None or self._client.is_closed:
                self._client = httpx.Client(
                    timeout=self._timeout,
                    limits=httpx.Limits(
                        max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0
                    ),
                )
            return self._client


def checked_base_url(base_url: str, example: str) -> str:
    """``base_url`` without a trailing slash; ValueError unless it is an absolute http(s) URL."""
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an absolute http(s) URL, e.g. {example}")
    return base_url.rstrip("/")


class HttpTransport(ABC):
    """Sends ``ApiRequest``s: paced, retried per ``RetryPolicy``, counted, errors mapped.

    ``request_counts`` counts HTTP requests sent (retries included) by endpoint.
    """

    service: ClassVar[str]
    """The API's name in messages and log lines: "Kisi"."""
    log: ClassVar[logging.Logger]
    idempotent_methods: ClassVar[frozenset[str]]
    unavailable_error: ClassVar[type[HttpApiError]]
    """Raised for a transport failure (timeout, connection refused)."""
    malformed_error: ClassVar[type[HttpApiError]]
    """Raised for a 2xx answer that is not JSON, or not the shape of its model."""
    malformed_possibly_executed: ClassVar[bool] = False

    def __init__(
        self,
        api_key: str,
        *,
        pacer: Pacer,
        retry: RetryPolicy,
        base_url: str,
        example_base_url: str,
        timeout: float | httpx.Timeout,
        http_client: httpx.Client | None,
        pool: SharedPool,
        static_headers: Mapping[str, str],
    ) -> None:
        self._api_key = SecretStr(api_key)
        self.base_url = checked_base_url(base_url, example_base_url)
        self.pacer = pacer
        self.retry = retry
        self._timeout = timeout
        self._http = http_client if http_client is not None else pool.get()
        self._static_headers = dict(static_headers)
        self.request_counts: Counter[str] = Counter()

    @abstractmethod
    def auth_headers(self, api_key: str) -> dict[str, str]:
        """The headers that carry ``api_key``, sent before the static headers."""

    @abstractmethod
    def error_from_response(self, response: httpx.Response, endpoint: str) -> HttpApiError:
        """The client's error for a non-2xx answer."""

    def inspect(self, response: httpx.Response, endpoint: str) -> None:  # noqa: B027 (optional hook)
        """Look at every answer before it is judged (e.g. for deprecation headers)."""

    def send(self, request: ApiRequest) -> httpx.Response:
        """Send until it succeeds or the retry policy gives up; return the 2xx answer."""
        idempotent = request.method in self.idempotent_methods
        attempts_made = 0
        waited = 0.0
        while True:
            attempts_made += 1
            try:
                return self._send_once(request)
            except HttpApiError as error:
                delay = self.retry.delay_before_retry(
                    error, attempts_made=attempts_made, waited=waited, idempotent=idempotent
                )
                if delay is None:
                    raise
                self.log.warning(
                    "%s call failed, retrying in %.2f s (attempt %d of %d): %s",
                    self.service,
                    delay,
                    attempts_made + 1,
                    self.retry.max_attempts,
                    error,
                )
                # Through the pacer, so every client of this identity waits too.
                self.pacer.hold_off(delay)
                waited += delay

    def fetch[M: BaseModel](self, request: ApiRequest, model: type[M]) -> M:
        """Send ``request`` and read its answer as one ``model``."""
        response = self.send(request)
        return self.parse(model, self.json_of(response, request.endpoint), request.endpoint)

    def json_of(self, response: httpx.Response, endpoint: str) -> Any:
        """The JSON body of a 2xx answer, or ``malformed_error`` (never a raw decode error)."""
        try:
            return response.json()
        except ValueError:
            pass
        content_type = response.headers.get("Content-Type", "no content type")
        raise self.malformed_error(
            f"{self.service} answered with a body that is not JSON ({content_type}, "
            f"{len(response.content)} bytes)",
            status_code=response.status_code,
            endpoint=endpoint,
            possibly_executed=self.malformed_possibly_executed,
        )

    def parse[M: BaseModel](self, model: type[M], data: Any, endpoint: str) -> M:
        """``data`` as a ``model``, or ``malformed_error`` naming the first problem."""
        try:
            return model.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            location = ".".join(str(part) for part in first["loc"]) or "body"
            failure = self.malformed_error(
                f"{self.service} answered with an unexpected {model.__name__} shape "
                f"({error.error_count()} problem(s); first at {location}: {first['msg']})",
                endpoint=endpoint,
                possibly_executed=self.malformed_possibly_executed,
            )
        raise failure

    def _send_once(self, request: ApiRequest) -> httpx.Response:
        self.pacer.acquire()
        self.request_counts[request.endpoint] += 1
        failure: HttpApiError
        try:
            response = self._http.request(
                request.method,
                self.base_url + request.path,
                params=dict(request.query) if request.query else None,
                json=dict(request.body) if request.body is not None else None,
                headers={
                    **self.auth_headers(self._api_key.get_secret_value()),
                    **self._static_headers,
                },
                timeout=self._timeout,
            )
        except httpx.RequestError as transport_error:
            failure = self.unavailable_error(
                f"{self.service} could not be reached: "
                f"{type(transport_error).__name__}: {transport_error}",
                endpoint=request.endpoint,
                possibly_executed=not isinstance(transport_error, NEVER_SENT_ERRORS),
            )
        else:
            self.inspect(response, request.endpoint)
            if response.is_success:
                return response
            failure = self.error_from_response(response, request.endpoint)
        raise failure.redact(self._api_key.get_secret_value())


class ApiClient:
    """What every client built on an ``HttpTransport`` tells about itself."""

    _transport: HttpTransport

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def pacer(self) -> Pacer:
        return self._transport.pacer

    @property
    def request_counts(self) -> Counter[str]:
        """HTTP requests sent (retries included), keyed by endpoint: ``"GET /users/{user_id}"``."""
        return self._transport.request_counts

    @property
    def total_requests(self) -> int:
        return self._transport.request_counts.total()
