"""What the JSON HTTP APIs (Admin, Unlock) share: a resolver with request validation and a bounded
JSON body parser, the OpenAPI description of each route's answers, and the handlers that turn
every refusal (invalid request, body too large or not JSON, unknown route, wrong method, crash)
into a JSON error with a machine-readable `error` code and a human `message`.

Handlers build their resolver with `json_resolver()`, then `install_json_errors(...)` once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.types import EventHandlerInstance
from pydantic import BaseModel, BeforeValidator
from pydantic_core import PydanticCustomError

from access_core.domain import json_text
from access_core.domain.caller import Caller, claims_of
from access_core.domain.errors import DomainError
from access_core.http.errors import domain_error_response, install_domain_errors
from access_core.http.events import api_response
from access_core.http.responses import error_response

MAX_BODY_BYTES = 64 * 1024
MAX_KISI_ID = 2**53
_DECIMAL_DIGITS = re.compile(r"[1-9][0-9]{0,15}")


def _decimal_id(value: object) -> object:
    """A Kisi id in a path or query: decimal digits only, as Kisi writes them. Pydantic's lax int
    would read "6.0", "06", "+6" and "6_0" (as 60) too, opening another door than the one named."""
    if isinstance(value, str) and not _DECIMAL_DIGITS.fullmatch(value):
        raise PydanticCustomError("int_parsing", "must be a Kisi id: decimal digits, no sign")
    return value


# The type of a Kisi id path or query parameter (with Path(...) or Query(...) metadata).
KisiIdParameter = Annotated[int, BeforeValidator(_decimal_id)]
BODY_STATUSES = frozenset({400, 413, 415})
BODY_ERROR_DESCRIPTIONS: Mapping[int, str] = {
    400: "The body is not valid JSON",
    413: f"The body is over {MAX_BODY_BYTES} bytes",
    415: "The body is not application/json",
}


class BodyTooLarge(Exception):
    pass


def bounded_json(text: str) -> Any:
    """The resolver's JSON body parser: refuses a body over the limit before parsing it."""
    if len(text.encode()) > MAX_BODY_BYTES:
        raise BodyTooLarge
    try:
        return json_text.loads(text)
    except json_text.NotJson as error:
        # The form Powertools' validation turns into its json_invalid problem (answered 400).
        raise json.JSONDecodeError(str(error), "", 0) from None


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading JSON bodies only. Powertools also parses form and
    multipart bodies into a route's model (and crashes, a 500, on a multipart type without a
    boundary); these APIs take application/json alone, so any other media type is a 415."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def _get_body(self, app: EventHandlerInstance) -> dict[str, Any]:
        content_type = app.current_event.headers.get("content-type", "").strip().lower()
        if content_type and not content_type.startswith("application/json"):
            raise RequestUnsupportedContentType(
                "Unsupported content type",
                errors=[{"type": "unsupported_content_type", "loc": ("body",), "msg": ""}],
            )
        body: dict[str, Any] = super()._get_body(app)
        return body


class _AfterCallerCheck(OpenAPIRequestValidationMiddleware):
    """`validation`, run only for a caller `refusal` lets through."""

    def __init__(
        self,
        refusal: Callable[[Any], Response[Any] | None],
        validation: OpenAPIRequestValidationMiddleware,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._refusal = refusal
        self._validation = validation

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        refused = self._refusal(app)
        return refused if refused is not None else self._validation.handler(app, next_middleware)


def json_resolver() -> APIGatewayHttpResolver:
    """An HTTP API (payload 2.0) resolver validating requests against the routes' models."""
    app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=bounded_json)
    app._request_validation_middleware = JsonBodyValidation()
    return app


# (the token's verified claims or None, the path parameters) -> the caller; raises the refusal
Authorize = Callable[[Mapping[str, Any] | None, Mapping[str, str]], Caller]


def authorize_every_request(
    app: APIGatewayHttpResolver,
    authorize: Authorize,
    admit: Callable[[Caller], None] | None = None,
) -> Callable[[], Caller]:
    """Run `authorize` before every route, unknown ones included, then `admit` (the caller's
    usage limit): a refusal is answered at once, otherwise the caller is kept for the route.
    Returns the function routes get it from."""

    def refusal(app: APIGatewayHttpResolver) -> Response[Any] | None:
        if "caller" in app.context:
            return None  # checked (and counted) once per request: both middlewares ask
        try:
            verified = authorize(
                claims_of(app.current_event.raw_event), app.request.path_parameters
            )
            if admit is not None:
                admit(verified)
        except DomainError as refused:
            return domain_error_response(refused)
        app.context["caller"] = verified
        return None

    def check_caller(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        refused = refusal(app)
        return refused if refused is not None else next_middleware(app)

    app.use(middlewares=[check_caller])
    # Powertools validates the request before any other middleware runs: the caller is checked
    # first, so that a refused caller gets its 401/403/404, not a 422 about the request's body.
    app._request_validation_middleware = _AfterCallerCheck(
        refusal, app._request_validation_middleware
    )

    def caller() -> Caller:
        verified: Caller = app.context["caller"]
        return verified

    return caller


@dataclass(frozen=True)
class ResponseDocs:
    """How one API documents its routes' answers in the OpenAPI document: `error_model` for every
    refusal, described by `descriptions`; `always` are the statuses every route can answer."""

    error_model: type[BaseModel]
    descriptions: Mapping[int, str]
    always: frozenset[int]

    def documented(
        self, ok: type[BaseModel], description: str, *errors: int, body: bool = False
    ) -> dict[int, OpenAPIResponse]:
        """The route's responses: `ok` on 200, the error model on each refusal status."""
        statuses = {*self.always, *errors} | (BODY_STATUSES if body else set())
        responses: dict[int, OpenAPIResponse] = {
            200: {"description": description, "content": {"application/json": {"model": ok}}}
        }
        for status in sorted(statuses):
            responses[status] = {
                "description": self.descriptions[status],
                "content": {"application/json": {"model": self.error_model}},
            }
        return responses


CRASH_MESSAGE = "Something went wrong; nothing is known to have changed."


def install_json_errors(
    app: APIGatewayHttpResolver,
    *,
    logger: Logger,
    api_name: str,
    docs: str,
    crash_message: str = CRASH_MESSAGE,
) -> None:
    """Answer every refusal of `app` as JSON: 400 (malformed JSON, not UTF-8), 413, 415, 422 with
    every offending field, 404 for an unknown route (naming `docs`), 405 with `Allow` for a known
    path and another method, and 500 for anything unexpected (logged, without the request)."""

    def answer(status: int, error: str, message: str, **extra: Any) -> Response[dict[str, Any]]:
        return api_response(error_response(status, error, message, **extra))

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
        problems = error.errors()
        malformed = next((p for p in problems if p.get("type") == "json_invalid"), None)
        if malformed is not None:
            detail = (malformed.get("ctx") or {}).get("error", "")
            return answer(400, "malformed_json", f"The body is not valid JSON ({detail}).")
        fields = [
            {
                "field": ".".join(str(part) for part in problem.get("loc", ())),
                "message": str(problem.get("msg", "")),
                "type": str(problem.get("type", "")),
            }
            for problem in problems
        ]
        names = ", ".join(f["field"] for f in fields)
        return answer(
            422, "invalid_request", f"Invalid request: {names}. Nothing was changed.", fields=fields
        )

    @app.exception_handler(BodyTooLarge)  # type: ignore[untyped-decorator]
    def body_too_large(_: BodyTooLarge) -> Response[dict[str, Any]]:
        return answer(413, "payload_too_large", f"Bodies are limited to {MAX_BODY_BYTES} bytes.")

    @app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
    def body_not_text(_: UnicodeDecodeError) -> Response[dict[str, Any]]:
        return answer(400, "malformed_json", "The body is not UTF-8 text.")

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def unsupported_content_type(_: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
        return answer(415, "unsupported_media_type", "Send the body as application/json.")

    @cache
    def route_methods() -> dict[re.Pattern[str], tuple[str, ...]]:
        """Each documented path (as a pattern) and its methods, from the resolver's own schema."""
        paths = app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)["paths"]
        return {
            re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))): tuple(
                method.upper() for method in sorted(item)
            )
            for path, item in paths.items()
        }

    @app.not_found
    def route_not_found(_: NotFoundError) -> Response[dict[str, Any]]:
        method = app.current_event.http_method.upper()
        path = app.current_event.path
        matching = sorted(
            methods for pattern, methods in route_methods().items() if pattern.fullmatch(path)
        )
        allowed = [name for methods in matching for name in methods]
        if allowed:
            response = error_response(
                405,
                "method_not_allowed",
                f"{method} is not supported here; use {', '.join(allowed)}.",
            )
            response.headers["Allow"] = ", ".join(sorted(set(allowed)))
            return api_response(response)
        return answer(404, "route_not_found", f"No route {method} {path}: see {docs}.")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(error: Exception) -> Response[dict[str, Any]]:
        logger.exception(f"{api_name} request failed", extra={"error_type": type(error).__name__})
        return answer(500, "internal_error", crash_message)

    install_domain_errors(app, otherwise=unexpected)
