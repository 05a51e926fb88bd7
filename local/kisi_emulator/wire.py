"""Kisi's wire format: error bodies, timestamps, pagination, on the emulator kit's requests and
responses as plain data.

Every response the emulator sends is built here, so there is one error-body helper and one
pagination function for all endpoints (and Kisi answers PATCH and DELETE with the kit's
`no_content_response`: a 204 with no body at all).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulator_kit.wire import EmulatorError, EmulatorResponse

COLLECTION_RANGE_HEADER = "X-Collection-Range"
MAX_OFFSET = 20000

UNKNOWN_ENDPOINT_MESSAGE = "The endpoint does not exist, please check your request."


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> EmulatorResponse:
    """Kisi's general error body: `{"error": "<message>", "code": "<6 hex chars>"}`."""
    return EmulatorResponse(status, {"error": message, "code": code}, dict(headers or {}))


def validation_response(errors: Mapping[str, Sequence[str]]) -> EmulatorResponse:
    """Kisi's 422 body: `{"errors": {"<field>": ["msg", ...]}}`."""
    return EmulatorResponse(422, {"errors": {name: list(msgs) for name, msgs in errors.items()}})


def unknown_endpoint_response() -> EmulatorResponse:
    return error_response(404, "000404", UNKNOWN_ENDPOINT_MESSAGE)


class KisiError(EmulatorError):
    """An answer with Kisi's general error body; raised anywhere below a handler."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_response(self) -> EmulatorResponse:
        return error_response(self.status, self.code, self.message)


class KisiValidationError(EmulatorError):
    """A 422 with field errors."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        super().__init__(json.dumps(errors))
        self.errors = {name: list(msgs) for name, msgs in errors.items()}

    def to_response(self) -> EmulatorResponse:
        return validation_response(self.errors)


def bad_request(message: str) -> KisiError:
    return KisiError(400, "000400", message)


def not_found(what: str) -> KisiError:
    return KisiError(404, "000404", f"{what} not found.")


def conflict(message: str) -> KisiError:
    return KisiError(409, "000409", message)


def format_timestamp(moment: datetime) -> str:
    """Kisi's (Rails') timestamp format: UTC with milliseconds, `2025-01-06T09:00:00.000Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_optional_timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 with an offset or `Z`; a time without an offset is taken as UTC."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class PageLimits:
    default: int
    maximum: int


def _int_parameter(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None


def paginate(
    items: Sequence[Any], query: Mapping[str, str], limits: PageLimits
) -> EmulatorResponse:
    """A bare JSON array of one page, and `X-Collection-Range: <first>-<last>/<total>`.

    A limit above the endpoint's maximum is clamped to it; limit < 1, offset < 0 and
    offset > 20000 are 400s. A page with nothing on it gives `*/<total>` (`*/0` when empty).
    """
    limit = _int_parameter(query, "limit", limits.default)
    offset = _int_parameter(query, "offset", 0)
    if limit < 1:
        raise bad_request("limit must be at least 1")
    if offset < 0:
        raise bad_request("offset must not be negative")
    if offset > MAX_OFFSET:
        raise bad_request(f"offset must be less than or equal to {MAX_OFFSET}")
    page = list(items[offset : offset + min(limit, limits.maximum)])
    total = len(items)
    collection_range = f"{offset}-{offset + len(page) - 1}/{total}" if page else f"*/{total}"
    return EmulatorResponse(200, page, {COLLECTION_RANGE_HEADER: collection_range})


def rate_limited_response() -> EmulatorResponse:
    """429 for Kisi's rate limit (and the 429-storm fault)."""
    return error_response(
        429, "000429", "Too many requests, please slow down.", {"Retry-After": "1"}
    )


def server_error_response(status: int) -> EmulatorResponse:
    """The 5xx answers of injected faults; the code follows the `000<status>` pattern."""
    messages = {503: "Service unavailable.", 504: "Gateway timeout."}
    return error_response(status, f"000{status}", messages.get(status, "Internal server error."))
