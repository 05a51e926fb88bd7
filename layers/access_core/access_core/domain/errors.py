"""Refusals: what a service raises when it will not do what was asked, and what they name.

Each kind is answered once at the edge (`http/errors.py` gives it its HTTP status)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FieldProblem(BaseModel):
    """One offending field of a refused request."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="Where: body.plans.0.plan_id, query.dry_run, path.tenant_id")
    message: str
    type: str | None = Field(
        default=None, description="Machine-readable kind, e.g. missing, int_parsing"
    )


class DomainError(Exception):
    """A refusal the caller can act on, raised by a service and answered once at the edge
    (`http/errors.py` maps each kind to its HTTP status). `code` is machine-readable; the message
    is for a person and never carries a secret; `details` are further JSON fields of the answer
    (e.g. a window's times). Raised before anything is written."""

    code = "refused"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: list[FieldProblem] | None = None,
        retry_after_seconds: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields
        self.retry_after_seconds = retry_after_seconds
        self.details: dict[str, Any] = dict(details or {})


class MalformedRequest(DomainError):
    """The request cannot be read at all (not JSON, not UTF-8)."""

    code = "malformed_json"


class Unauthenticated(DomainError):
    """Who is asking cannot be established (no token, a bad signature)."""

    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    """No such thing, or not the caller's (answered alike, so ids cannot be probed)."""

    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state."""

    code = "conflict"


class ReusedEventId(Conflict):
    """An event id already received with another payload: a platform bug or a forgery."""

    code = "event_id_reused"


class TooLarge(DomainError):
    code = "payload_too_large"


class InvalidRequest(DomainError):
    """Readable, but its content is refused; `fields` names every offending field."""

    code = "invalid_request"


class Locked(DomainError):
    """The thing exists but is locked against this action now (a door in lockdown)."""

    code = "locked"


class RateLimited(DomainError):
    """Too many requests for a system the request needs; retry after `retry_after_seconds`."""

    code = "rate_limited"


class UpstreamFailed(DomainError):
    """A system the request needs answered in a way the bridge cannot use."""

    code = "upstream_error"


class Unavailable(DomainError):
    """A system the request needs cannot be reached now; retry after `retry_after_seconds`."""

    code = "unavailable"


class SecretsUnavailable(Unavailable):
    """The secret store could not be read (throttled, down): not the same as "no secret"."""

    code = "secrets_unavailable"

    def __init__(self, message: str = "Secrets could not be read now; retry shortly.") -> None:
        super().__init__(message, retry_after_seconds=5)
