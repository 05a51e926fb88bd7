"""Domain errors as HTTP answers: the one place a refusal gets its status code and headers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from botocore.exceptions import BotoCoreError, ClientError

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
from access_core.infrastructure.faults import is_transient_fault
from access_core.infrastructure.storage import TransactionConflict

logger = logging.getLogger(__name__)

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


# How long a caller should wait after AWS throttled or failed a request (SDK retries included).
RETRY_AFTER_AWS_FAULT_SECONDS = 2


def install_domain_errors(
    app: APIGatewayHttpResolver,
    otherwise: Callable[[Exception], Response[dict[str, Any]]] | None = None,
) -> None:
    """Answer every `DomainError` a route raises with its status and a JSON error body, and a
    passing AWS fault (DynamoDB, SQS or SSM throttled or unavailable after the SDK's retries) with
    503 and Retry-After: the caller's request was fine, a retry will do. Any other AWS error goes
    to `otherwise` (or is raised, when there is none)."""

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def refused(error: DomainError) -> Response[dict[str, Any]]:
        return domain_error_response(error)

    @app.exception_handler([ClientError, BotoCoreError, TransactionConflict])  # type: ignore[untyped-decorator]
    def aws_fault(error: Exception) -> Response[dict[str, Any]]:
        if not is_transient_fault(error):
            if otherwise is None:
                raise error
            return otherwise(error)
        logger.warning("AWS fault answered 503", extra={"error_type": type(error).__name__})
        return domain_error_response(
            Unavailable(
                "A service the bridge relies on is busy; retry shortly.",
                code="service_unavailable",
                retry_after_seconds=RETRY_AFTER_AWS_FAULT_SECONDS,
            )
        )
