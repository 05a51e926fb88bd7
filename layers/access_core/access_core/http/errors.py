"""Domain errors as HTTP answers: the one place a refusal gets its status code and headers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from access_core.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidRequest,
    Locked,
    MalformedRequest,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthenticated,
    Unavailable,
    UpstreamFailed,
)
from access_core.http.events import api_response
from access_core.http.responses import error_response

STATUS_OF: dict[type[DomainError], int] = {
    MalformedRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    InvalidRequest: 422,
    Locked: 423,
    RateLimited: 429,
    UpstreamFailed: 502,
    Unavailable: 503,
}


def status_of(error: DomainError) -> int:
    """The status of the error's kind (its nearest listed base class)."""
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    raise TypeError(f"{type(error).__name__} has no HTTP status")


def domain_error_response(error: DomainError) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = dict(error.details)
    if error.fields is not None:
        extra["fields"] = [problem.model_dump(exclude_none=True) for problem in error.fields]
    response = error_response(status_of(error), error.code, error.message, **extra)
    if error.retry_after_seconds is not None:
        response.headers["Retry-After"] = str(error.retry_after_seconds)
    return api_response(response)


def install_domain_errors(app: APIGatewayHttpResolver) -> None:
    """Answer every `DomainError` a route raises with its status and a JSON error body."""

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def refused(error: DomainError) -> Response[dict[str, Any]]:
        return domain_error_response(error)
