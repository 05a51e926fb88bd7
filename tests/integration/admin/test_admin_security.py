"""Who may call the Admin API, on every route it has (read from the resolver itself, so a route
added later is covered too): no usable token 401, no admin role 403, another tenant's id 404 (the
same answer whether or not that tenant exists); a refusal changes nothing and calls no Kisi. The
Kisi key and webhook secrets appear in no response and no log line."""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from local_runtime.in_process import HttpResult
from tests.integration.conftest import LogCapture
from tests.integration.harness import (
    API_KEY,
    T0,
    TENANT_ID,
    AdminApi,
    Club,
    admin_claims,
    player_claims,
    stack_state,
)

OTHER_TENANT = "club-2"
MISSING_TENANT = "club-404"
PATH_VALUES = {"member_id": "m1", "reservation_id": "r1"}
BODIES = {
    ("PUT", "/settings"): {"platform": "canonical", "door_access_enabled": True},
    ("PUT", "/kisi-credentials"): {"api_key": API_KEY},
    ("PUT", "/locks/enabled"): {"lock_ids": []},
}


def admin_schema() -> dict[str, Any]:
    import admin_handler

    schema: dict[str, Any] = admin_handler.app.get_openapi_schema().model_dump(
        by_alias=True, exclude_none=True, mode="json"
    )
    return schema


@dataclass(frozen=True)
class Operation:
    """One route of the Admin API, with a valid request: path parameters filled in, the required
    query parameters and the body."""

    method: str
    path: str
    body: Any
    query: dict[str, str]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def call(
        self, api: AdminApi, claims: Mapping[str, Any] | Literal["admin"] | None = "admin"
    ) -> HttpResult:
        return api(self.method, self.path, self.body, query=self.query, claims=claims)


def admin_operations() -> list[Operation]:
    """Every route the Admin resolver has, each with a valid request."""
    schema = admin_schema()
    components = schema["components"]["schemas"]
    prefix = "/v1/admin/tenants/{tenant_id}"
    operations = []
    for path, item in schema["paths"].items():
        assert path.startswith(prefix), path
        concrete = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1], "x"), path[len(prefix) :])
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = BODIES.get((method.upper(), concrete))
            if body is None and "application/json" in content:
                body = example(content["application/json"]["schema"], components)
            query = {
                parameter["name"]: str(example(parameter["schema"], components))
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "query" and parameter.get("required")
            }
            operations.append(Operation(method.upper(), concrete, body, query))
    assert len(operations) >= 10
    return sorted(operations, key=str)


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value a (documented) request schema accepts: required fields only."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("default", "const"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return example(schema["anyOf"][0], components)
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: example(properties[name], components) for name in schema.get("required", [])}
    simple = {"array": [], "boolean": False, "integer": max(1, schema.get("minimum", 1))}
    if kind in simple:
        return simple[kind]
    return "x" * max(1, schema.get("minLength", 1))


@pytest.fixture
def other_club(club: Club) -> AdminApi:
    """A second tenant with settings and a member, on the same stack."""
    secret = club.stack.add_tenant(OTHER_TENANT, api_key=None, name="Other")
    other = AdminApi(club.stack, tenant_id=OTHER_TENANT)
    club.stack.post_webhook(
        "canonical",
        OTHER_TENANT,
        {
            "id": "evt-other",
            "type": "membership.upserted",
            "data": {
                "member_id": "m1",
                "email": "other@example.com",
                "plan_id": "gold-24h",
                "status": "active",
                "updated_at": T0.isoformat(),
            },
        },
        secret=secret,
    )
    return other


def call_every_route(
    api: AdminApi, claims: Mapping[str, Any] | None
) -> Iterator[tuple[str, HttpResult]]:
    for operation in admin_operations():
        yield str(operation), operation.call(api, claims)


def assert_every_route_refuses(
    club: Club, api: AdminApi, claims: Mapping[str, Any] | None, status: int, error: str
) -> list[dict[str, Any]]:
    before = stack_state(club.stack)
    club.kisi.emulator.reset_counts()
    bodies = []
    for route, result in call_every_route(api, claims):
        assert (result.status, result.body["error"]) == (status, error), route
        bodies.append(result.body)
    assert stack_state(club.stack) == before
    assert club.kisi.emulator.call_count() == 0
    return bodies


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {"tenant_id": TENANT_ID, "roles": "[admin]"},
        {"sub": "admin-7", "roles": "[admin]"},
        {"sub": " ", "tenant_id": TENANT_ID, "roles": "[admin]"},
    ],
    ids=["no-token", "no-claims", "no-subject", "no-tenant", "blank-subject"],
)
def test_no_usable_token_is_a_401_on_every_route(
    club: Club, admin: AdminApi, claims: dict[str, Any] | None
) -> None:
    assert_every_route_refuses(club, admin, claims, 401, "unauthorized")


@pytest.mark.parametrize(
    "claims",
    [
        player_claims(),
        admin_claims(roles=""),
        admin_claims(roles="[administrator]"),
        {"sub": "admin-7", "tenant_id": TENANT_ID},
    ],
    ids=["player", "no-roles", "similar-role", "roles-missing"],
)
def test_a_token_without_the_admin_role_is_a_403_on_every_route(
    club: Club, admin: AdminApi, claims: dict[str, Any]
) -> None:
    assert_every_route_refuses(club, admin, claims, 403, "admin_role_required")


def test_a_list_of_roles_with_admin_in_it_is_an_admin(club: Club, admin: AdminApi) -> None:
    result = admin("GET", "/settings", claims=admin_claims(roles="[player admin]"))

    assert result.status == 200


def test_an_admin_of_another_tenant_reaches_nothing_and_cannot_tell_it_exists(
    club: Club, other_club: AdminApi
) -> None:
    mine = admin_claims(TENANT_ID)
    existing = assert_every_route_refuses(club, other_club, mine, 404, "tenant_not_found")
    missing = assert_every_route_refuses(
        club, AdminApi(club.stack, tenant_id=MISSING_TENANT), mine, 404, "tenant_not_found"
    )

    assert existing == missing
    assert not any("club-2" in str(body) or "Other" in str(body) for body in existing)


def test_the_other_tenants_admin_reaches_nothing_of_this_club(
    club: Club, admin: AdminApi, other_club: AdminApi
) -> None:
    club.membership("m1", "ada@example.com", "active", T0)
    club.converge()

    theirs = admin_claims(OTHER_TENANT, subject="admin-of-club-2")
    assert_every_route_refuses(club, admin, theirs, 404, "tenant_not_found")
    # Their own tenant answers normally, with their data only.
    own = other_club("GET", "/members/m1/access")
    assert own.status == 200
    assert own.body["member"]["email"] == "other@example.com"
    assert other_club("GET", "/settings").body["tenant_id"] == OTHER_TENANT


@pytest.mark.parametrize(
    ("claims", "status", "error"),
    [
        (None, 401, "unauthorized"),
        (player_claims(), 403, "admin_role_required"),
        (admin_claims(OTHER_TENANT), 404, "tenant_not_found"),
    ],
    ids=["no-token", "player", "other-tenant-admin"],
)
def test_the_caller_is_refused_before_the_request_is_validated(
    club: Club, admin: AdminApi, claims: dict[str, Any] | None, status: int, error: str
) -> None:
    """A refused caller learns nothing about the route's request model."""
    before = stack_state(club.stack)

    for raw in (b"{not json", b'{"platform": "canonical", "door_access_enabled": 1, "x": 2}'):
        result = admin("PUT", "/settings", raw_body=raw, claims=claims)
        assert (result.status, result.body["error"]) == (status, error)
        assert "fields" not in result.body
    bad_path = admin("GET", "/members/" + "m" * 500 + "/access", claims=claims)
    assert (bad_path.status, bad_path.body["error"]) == (status, error)
    assert stack_state(club.stack) == before


def test_no_secret_appears_in_any_response_or_log_line(
    club: Club, admin: AdminApi, all_logs: LogCapture
) -> None:
    """Every route, the refusals included; the one exception is the rotate response itself."""
    club.membership("m1", "ada@example.com", "active", T0)
    club.converge()
    answers: list[HttpResult] = []
    secrets = {API_KEY, club.webhook_secret}
    for operation in admin_operations():
        result = operation.call(admin)
        if str(operation) == "POST /webhook-secret":
            secrets.add(result.body["secret"])
        else:
            answers.append(result)
    for claims in (None, player_claims(), admin_claims("club-404")):
        answers += [result for _, result in call_every_route(admin, claims)]
    answers.append(admin("PUT", "/kisi-credentials", {"api_key": API_KEY, "group_id": 5}))
    answers.append(admin("PUT", "/kisi-credentials", {"api_key": API_KEY + " x"}))
    answers.append(admin("PUT", "/kisi-credentials", raw_body=f'{{"api_key": "{API_KEY}'.encode()))

    seen = "\n".join(f"{a.status} {a.body} {dict(a.headers)}" for a in answers)
    for secret in secrets:
        assert secret not in seen
        assert secret not in all_logs.text
    assert len(answers) > 40
