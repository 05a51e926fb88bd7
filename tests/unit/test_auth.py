"""The caller from API Gateway's verified JWT claims."""

import pytest

from access_core.domain.caller import Caller, caller_from_claims, claims_of


def test_caller_from_claims_reads_subject_tenant_and_flattened_roles() -> None:
    caller = caller_from_claims({"sub": "p-1", "tenant_id": "club-1", "roles": "[admin player]"})
    assert caller == Caller("p-1", "club-1", frozenset({"admin", "player"}))
    assert caller.is_admin


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (["admin"], {"admin"}),
        ("admin", {"admin"}),
        ("[player]", {"player"}),
        ("admin,player", {"admin", "player"}),
        ("[]", set()),
        (None, set()),
        (42, set()),
    ],
)
def test_roles_in_every_shape_an_identity_provider_sends(roles: object, expected: set[str]) -> None:
    caller = caller_from_claims({"sub": "a", "tenant_id": "t", "roles": roles})
    assert caller is not None
    assert caller.roles == expected
    assert caller.is_admin == ("admin" in expected)


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {"sub": "a"},
        {"tenant_id": "t"},
        {"sub": " ", "tenant_id": "t"},
        {"sub": "a", "tenant_id": ""},
    ],
)
def test_no_caller_without_a_subject_and_a_tenant(claims: dict[str, str] | None) -> None:
    assert caller_from_claims(claims) is None


def test_the_tenant_and_roles_claims_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    claims = {"sub": "a", "custom:tenant": "club-9", "cognito:groups": "[admin]"}
    assert caller_from_claims(claims) is None
    monkeypatch.setenv("JWT_TENANT_CLAIM", "custom:tenant")
    monkeypatch.setenv("JWT_ROLES_CLAIM", "cognito:groups")
    assert caller_from_claims(claims) == Caller("a", "club-9", frozenset({"admin"}))


def test_claims_of_reads_the_http_api_authorizer_context() -> None:
    event = {"requestContext": {"authorizer": {"jwt": {"claims": {"sub": "a"}, "scopes": None}}}}
    assert claims_of(event) == {"sub": "a"}
    assert claims_of({"requestContext": {}}) is None
    assert claims_of({}) is None
