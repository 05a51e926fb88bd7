"""Domain errors answered at the edge: each kind's status, its code, fields and Retry-After."""

from __future__ import annotations

import json

import pytest

from access_core.domain.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    Forbidden,
    InvalidRequest,
    MalformedRequest,
    NotFound,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from access_core.http.errors import STATUS_OF, domain_error_response, status_of
from access_core.ingest.service import InvalidPayload, UnknownPlatform, WebhookUnauthenticated

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (MalformedRequest("not JSON"), 400, "malformed_json"),
        (Unauthenticated("who?"), 401, "unauthorized"),
        (Forbidden("no"), 403, "forbidden"),
        (NotFound("none"), 404, "not_found"),
        (Conflict("clash"), 409, "conflict"),
        (TooLarge("big"), 413, "payload_too_large"),
        (InvalidRequest("bad"), 422, "invalid_request"),
        (Unavailable("down"), 503, "unavailable"),
        (UnknownPlatform("no adapter"), 404, "unknown_platform"),
        (WebhookUnauthenticated("bad signature"), 401, "unauthorized"),
        (InvalidPayload("schema"), 422, "invalid_payload"),
        (NotFound("gone", code="door_not_found"), 404, "door_not_found"),
    ],
)
def test_each_kind_has_its_status_and_code(error: DomainError, status: int, code: str) -> None:
    response = domain_error_response(error)
    assert response.status_code == status
    assert isinstance(response.body, dict)
    assert response.body == {"error": code, "message": error.message}


def test_fields_and_retry_after_are_answered() -> None:
    error = Unavailable(
        "Kisi is down",
        code="kisi_unavailable",
        fields=[FieldProblem(field="body.api_key", message="checked")],
        retry_after_seconds=7,
    )
    response = domain_error_response(error)
    assert response.headers["Retry-After"] == "7"
    assert isinstance(response.body, dict)
    assert response.body["fields"] == [{"field": "body.api_key", "message": "checked"}]
    assert json.loads(json.dumps(response.body))["error"] == "kisi_unavailable"


def test_a_bare_domain_error_has_no_status() -> None:
    with pytest.raises(TypeError):
        status_of(DomainError("which kind?"))


def test_every_kind_is_a_client_an_upstream_or_an_availability_status() -> None:
    """No refusal is a 500: a 5xx says only that a system the bridge needs failed (502) or
    cannot be reached now (503)."""
    assert all(400 <= status < 500 or status in (502, 503) for status in STATUS_OF.values())
