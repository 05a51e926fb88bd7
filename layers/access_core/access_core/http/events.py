"""The API Gateway side of an HTTP function: the request's raw body and headers, and a service's
answer as the resolver's JSON response."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from pydantic import BaseModel

from access_core.domain.errors import TooLarge
from access_core.http.responses import ServiceResponse


def api_response(response: ServiceResponse) -> Response[dict[str, Any]]:
    """A service's answer as the HTTP API's JSON response."""
    return Response(
        status_code=response.status_code,
        content_type=content_types.APPLICATION_JSON,
        body=response.body,
        headers=response.headers or None,
    )


def ok(
    result: BaseModel | Mapping[str, Any], *, headers: Mapping[str, str] | None = None
) -> Response[dict[str, Any]]:
    """A service's result (its model, or a JSON object) as a 200 JSON response."""
    body = result.model_dump(mode="json") if isinstance(result, BaseModel) else dict(result)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=dict(headers) if headers else None,
    )


def raw_body(event: BaseProxyEvent) -> bytes:
    """The request body exactly as sent (signatures are computed over these bytes)."""
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()


def lower_case_headers(event: BaseProxyEvent) -> dict[str, str]:
    return {name.lower(): value for name, value in (event.headers or {}).items()}


def refuse_oversized_body(event: Mapping[str, Any], max_bytes: int) -> dict[str, Any] | None:
    """The 413 answer to an HTTP API event whose body is over `max_bytes`, judged from the raw
    event before anything is decoded, parsed, read or written (HTTP APIs accept up to 10 MB and
    have no setting for less); None for a body that may be within the limit (the routes check the
    decoded size again)."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        return None
    smallest_size = len(body) * 3 // 4 - 2 if event.get("isBase64Encoded") else len(body)
    if smallest_size <= max_bytes:
        return None
    answer = TooLarge(f"Bodies are limited to {max_bytes} bytes.")
    return {
        "statusCode": 413,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps({"error": answer.code, "message": answer.message}),
    }
