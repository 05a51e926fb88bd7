"""Property-based API test: schemathesis generates requests (valid and invalid) for every operation
of docs/openapi.json, they go to the real handlers in-process as API Gateway would send them
(the template's route, a payload 2.0 event with the verified claims of an admin or a player of
the test club), and no answer may be a 500 or break the document's own schema for its status.

Bounded: a few examples per operation, no deadline (moto and the emulator are not timed)."""

import os
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from moto import mock_aws
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kisi_emulator.testing import running_emulator
from local_runtime.aws_resources import StackResources
from local_runtime.lambda_events import LocalLambdaContext, http_api_event
from local_runtime.stack_model import StackModel
from local_runtime.template import function_handler
from scripts.openapi_export import OUTPUT
from tests.integration.conftest import FAKE_AWS_ENVIRONMENT
from tests.integration.harness import (
    PLAYER_ID,
    T0,
    TENANT_ID,
    AdminApi,
    Club,
    admin_claims,
    make_club,
    player_claims,
    restored_environment,
)

SCHEMA = schemathesis.openapi.from_path(OUTPUT)
MEMBER_ID = "m1"
RESERVATION_ID = "r1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def stack() -> Iterator[Club]:
    """One stack for every operation (state carries over, as it would in a deployed API): the
    test club with a member, a reservation of the player's that is open for years, and locks."""
    with restored_environment(), running_emulator() as kisi:
        os.environ.update(FAKE_AWS_ENVIRONMENT)
        with mock_aws():
            club = make_club(kisi)
            club.membership(MEMBER_ID, "ada@example.com", "active", T0)
            club.converge()
            club.post(
                "reservation.upserted",
                {
                    "reservation_id": RESERVATION_ID,
                    "player_ids": [PLAYER_ID],
                    "court": "Court 1",
                    "start": T0.isoformat(),
                    "end": T0.replace(year=T0.year + 10).isoformat(),
                    "updated_at": T0.isoformat(),
                },
            )
            admin = AdminApi(club.stack)
            admin("POST", "/locks/sync")
            admin("PUT", "/locks/enabled", {"lock_ids": [front_door(club)]})
            yield club


def front_door(club: Club) -> int:
    return int(
        next(lock["id"] for lock in club.snapshot()["locks"] if lock["name"] == "Front Door")
    )


def pin_to_the_club(case: schemathesis.Case[Any], club: Club) -> None:
    """Admin routes name the caller's own tenant (other tenants are test_admin_security's), and
    half the generated ids name the seeded member, reservation or door, so that the answers for
    objects that exist are exercised too, not only the 404s of random ids."""
    parameters = case.path_parameters or {}
    if "tenant_id" in parameters:
        parameters["tenant_id"] = TENANT_ID
    known = {"member_id": MEMBER_ID, "reservation_id": RESERVATION_ID, "lock_id": front_door(club)}
    for name, value in known.items():
        generated = parameters.get(name)
        if isinstance(generated, str | int) and len(str(generated)) % 2 == 0:
            parameters[name] = value


ROUTES = StackModel(StackResources(), {}).routes()


def api_gateway(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """API Gateway (HTTP API) and Lambda as one WSGI app: the template route that serves the
    request, a payload 2.0 event with the verified claims of the test club's admin (admin routes)
    or player (the others), the function's real handler, its proxy answer as the response."""
    method = environ["REQUEST_METHOD"]
    path = urlsplit(environ.get("REQUEST_URI") or quote(environ["PATH_INFO"])).path
    query: dict[str, str] = {}
    for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    headers = {
        name.removeprefix("HTTP_").replace("_", "-").lower(): str(value)
        for name, value in environ.items()
        if name.startswith("HTTP_") or name in {"CONTENT_TYPE", "CONTENT_LENGTH"}
    }
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    route = next((route for route in ROUTES if route.match(method, path) is not None), None)
    if route is None:  # what API Gateway answers for a method and path no route serves
        start_response("404 Not Found", [("content-type", "application/json")])
        return [b'{"message":"Not Found"}']
    event = http_api_event(
        method=method,
        route_key=route.route_key,
        path=path,
        path_parameters=route.match(method, path),
        query=query or None,
        headers=headers,
        body=body or None,
        jwt_claims=admin_claims() if path.startswith("/v1/admin/") else player_claims(PLAYER_ID),
    )
    answer = function_handler(route.function)(event, LocalLambdaContext(route.function))
    status = int(answer["statusCode"])
    start_response(f"{status} {HTTPStatus(status).phrase}", list(answer["headers"].items()))
    return [str(answer.get("body") or "").encode()]


SCHEMA.app = api_gateway


@SCHEMA.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_no_500_and_every_answer_matches_the_document(
    case: schemathesis.Case[Any], stack: Club
) -> None:
    pin_to_the_club(case, stack)

    case.call_and_validate(checks=CHECKS)
