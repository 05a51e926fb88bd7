"""PushPress's wire format: error bodies and pagination, on the emulator kit's requests and
responses as plain data.

Every response the emulator sends is built here: one error-body helper and one pagination
function for every listing.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from emulator_kit.wire import EmulatorError, EmulatorResponse, ok_response

API_PREFIX = "/v3"
FIRST_PAGE = 1
# PushPress's SDK assumes 10 items a page when no limit is given. PushPress publishes no maximum;
# the emulator serves at most MAX_LIMIT and clamps larger limits (a server-side cap, which the
# client must survive: see pushpress_client.pagination).
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class ApiError(EmulatorError):
    """An answer with PushPress's error body ``{"message": ...}``, raised below a handler."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def to_response(self) -> EmulatorResponse:
        return error_response(self.status, self.message, self.headers)


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> EmulatorResponse:
    """PushPress's error body (the SDK's error classes read ``message``)."""
    return EmulatorResponse(status, {"message": message}, dict(headers or {}))


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized: missing or invalid API-KEY")


def unknown_endpoint_response() -> EmulatorResponse:
    return error_response(404, "Route not found")


def rate_limited_response(retry_after: int = 1) -> EmulatorResponse:
    return error_response(429, "Too Many Requests", {"Retry-After": str(retry_after)})


def server_error_response(status: int) -> EmulatorResponse:
    messages = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    return error_response(status, messages.get(status, "Internal Server Error"))


def _positive_int(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit():
        raise bad_request(f"{name} must be a positive integer")
    value = int(raw)
    if value < 1:
        raise bad_request(f"{name} must be a positive integer")
    return value


def paginate(items: Sequence[Any], query: Mapping[str, str]) -> EmulatorResponse:
    """One page as PushPress answers it: ``{"data": {"resultArray": [...]}}``, no total.

    ``page`` is 1-based; a page past the end is an empty ``resultArray``; a ``limit`` above
    ``MAX_LIMIT`` is clamped to it; non-positive or non-integer values are 400s.
    """
    page = _positive_int(query, "page", FIRST_PAGE)
    limit = min(_positive_int(query, "limit", DEFAULT_LIMIT), MAX_LIMIT)
    start = (page - 1) * limit
    return ok_response({"data": {"resultArray": list(items[start : start + limit])}})
