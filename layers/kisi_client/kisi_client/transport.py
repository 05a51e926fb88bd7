"""How the client talks to Kisi: the HTTP client kit's transport with Kisi's headers, Kisi's
error mapping and a warning when Kisi marks an endpoint deprecated.

The API key is held as a ``SecretStr`` and put into the ``Authorization`` header of each request
only; the shared ``httpx.Client`` never holds it. Errors are raised outside ``except`` blocks, so
no httpx exception (whose request carries the headers) is ever chained to a ``KisiError``.
"""

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from http_client_kit.pacing import Pacer
from http_client_kit.retry import RetryPolicy
from http_client_kit.transport import HttpTransport, SharedPool
from http_client_kit.transport import parse_retry_after as parse_retry_after
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

logger = logging.getLogger("kisi_client")

DEFAULT_BASE_URL = "https://api.kisi.io"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_INTEGRATION_IDENTIFIER = "Kisi Access Bridge"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
_ERROR_CLASS_BY_STATUS: Mapping[int, type[KisiError]] = {
    401: KisiInvalidCredentials,
    403: KisiForbidden,
    404: KisiNotFound,
    409: KisiConflict,
    429: KisiRateLimited,
}

_SHARED_POOL = SharedPool(DEFAULT_TIMEOUT)


def shared_http_client() -> httpx.Client:
    """The process-wide connection pool, created on first use and kept across warm invocations."""
    return _SHARED_POOL.get()


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


class KisiTransport(HttpTransport):
    """Sends ``ApiRequest``s to Kisi: paced, retried per ``RetryPolicy``, counted, errors mapped."""

    service = "Kisi"
    log = logger
    idempotent_methods = IDEMPOTENT_METHODS
    unavailable_error = KisiUnavailable
    malformed_error = KisiMalformedResponse
    # A 2xx whose body cannot be read may still have been carried out.
    malformed_possibly_executed = True

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
        static_headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-Kisi-Integration-Identifier": integration_identifier,
        }
        if integration_contact:
            static_headers["X-Kisi-Integration-Contact"] = integration_contact
        super().__init__(
            api_key,
            pacer=pacer,
            retry=retry,
            base_url=base_url,
            example_base_url=DEFAULT_BASE_URL,
            timeout=timeout,
            http_client=http_client,
            pool=_SHARED_POOL,
            static_headers=static_headers,
        )
        self._deprecations_logged: set[str] = set()

    def __repr__(self) -> str:
        return f"KisiTransport(base_url={self.base_url!r}, pacer={self.pacer!r})"

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"KISI-LOGIN {api_key}"}

    def error_from_response(self, response: httpx.Response, endpoint: str) -> KisiError:
        return error_from_response(response, endpoint)

    def inspect(self, response: httpx.Response, endpoint: str) -> None:
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
