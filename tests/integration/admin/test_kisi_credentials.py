"""PUT/DELETE /kisi-credentials: a key is checked against Kisi before it is stored, is stored
write-only (only its last 4 characters come back), can be replaced, and disconnecting removes it
and stops every Kisi call for the tenant until a key is connected again."""

from typing import Any

import pytest

from access_core import bootstrap
from access_core.domain.errors import SecretsUnavailable
from tests.integration.conftest import LogCapture
from tests.integration.harness import (
    ADMIN_EMAIL,
    API_KEY,
    GOLD_PLAN,
    T0,
    AdminApi,
    Club,
    secret_parameters,
    stack_state,
)

NEW_KEY = "kisi-replacement-key-9876543210zyxw"
UNKNOWN_KEY = "kisi-unknown-key-000000000000aaaa"
ADA = "ada@example.com"


def add_api_key(club: Club, key: str) -> None:
    """A second API key of the club's Kisi admin (same organisation, same rate budget)."""
    club.kisi.emulator.seed(
        {
            "admins": [{"ref": "owner", "email": ADMIN_EMAIL}],
            "organizations": [
                {"id": club.organization_id, "api_keys": [{"key": key, "admin": "owner"}]}
            ],
        }
    )


def connect(admin: AdminApi, key: str, group_id: int | None = None) -> Any:
    body: dict[str, Any] = {"api_key": key}
    if group_id is not None:
        body["group_id"] = group_id
    return admin("PUT", "/kisi-credentials", body)


def test_a_valid_key_is_stored_and_only_its_hint_is_answered(
    club: Club, admin: AdminApi, all_logs: LogCapture
) -> None:
    add_api_key(club, NEW_KEY)

    result = connect(admin, NEW_KEY, club.other_group_id)

    assert result.status == 200, result.body
    body = result.body
    assert body["connection_state"] == "connected"
    assert body["kisi_key_hint"] == NEW_KEY[-4:]
    assert body["kisi_organization_id"] == club.organization_id
    assert body["kisi_organization_name"] == "Test Club"
    assert body["kisi_group_id"] == club.other_group_id
    assert body["connection_checked_at"] is not None
    assert secret_parameters(club.stack)["kisi-api-key"] == NEW_KEY
    tenant = club.stack_tenant()
    assert (tenant.kisi_key_hint, tenant.kisi_group_id) == (NEW_KEY[-4:], club.other_group_id)
    assert NEW_KEY not in str(body) + str(result.headers)
    assert NEW_KEY not in str(stack_state(club.stack)["items"])
    assert NEW_KEY not in all_logs.text
    assert admin("GET", "/settings").body["kisi_key_hint"] == NEW_KEY[-4:]


def test_connecting_re_evaluates_every_plan(club: Club, admin: AdminApi) -> None:
    add_api_key(club, NEW_KEY)
    depth = club.stack.queue_depth()

    result = connect(admin, NEW_KEY)

    assert result.body["reevaluating_plans"] == ["day-pass", GOLD_PLAN]
    assert club.stack.queue_depth() == depth + 2


@pytest.mark.parametrize(
    ("key", "group", "error"),
    [
        (UNKNOWN_KEY, None, "kisi_key_invalid"),
        (API_KEY, 987654, "kisi_group_not_found"),
    ],
    ids=["key-kisi-refuses", "group-not-in-the-organisation"],
)
def test_a_key_or_group_kisi_refuses_is_a_422_and_nothing_is_stored(
    club: Club, admin: AdminApi, all_logs: LogCapture, key: str, group: int | None, error: str
) -> None:
    before = stack_state(club.stack)

    result = connect(admin, key, group)

    assert result.status == 422, result.body
    assert result.body["error"] == error
    assert "nothing was stored" in result.body["message"]
    assert stack_state(club.stack) == before
    assert key not in str(result.body) + str(result.headers) + all_logs.text


def test_a_revoked_key_is_refused_and_the_stored_one_stays(club: Club, admin: AdminApi) -> None:
    add_api_key(club, NEW_KEY)
    club.kisi.emulator.revoke_api_key(NEW_KEY)
    before = stack_state(club.stack)

    result = connect(admin, NEW_KEY)

    assert result.status == 422
    assert result.body["error"] == "kisi_key_invalid"
    assert stack_state(club.stack) == before
    assert secret_parameters(club.stack)["kisi-api-key"] == API_KEY


def test_kisi_unreachable_is_a_503_with_retry_after_and_nothing_is_stored(
    club: Club, admin: AdminApi, all_logs: LogCapture
) -> None:
    add_api_key(club, NEW_KEY)
    club.kisi.emulator.inject_fault(kind="outage")
    before = stack_state(club.stack)

    result = connect(admin, NEW_KEY)

    assert result.status == 503, result.body
    assert result.body["error"] == "kisi_unavailable"
    assert int(result.headers["Retry-After"]) > 0
    assert stack_state(club.stack) == before
    assert NEW_KEY not in all_logs.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"api_key": "short"}, "body.api_key"),
        ({"api_key": "has a space in the middle!"}, "body.api_key"),
        ({"api_key": "kisi-key-with-umlauts-\u00e4\u00f6\u00fc"}, "body.api_key"),
        ({"api_key": NEW_KEY, "group_id": "vip"}, "body.group_id"),
        ({"api_key": NEW_KEY, "group_id": -3}, "body.group_id"),
        ({"api_key": NEW_KEY, "organisation": 1}, "body.organisation"),
        ({}, "body.api_key"),
    ],
    ids=[
        "too-short",
        "whitespace",
        "not-ascii",
        "group-not-int",
        "group-negative",
        "extra-field",
        "no-key",
    ],
)
def test_a_malformed_credentials_body_is_a_422_without_calling_kisi(
    club: Club, admin: AdminApi, body: dict[str, Any], field: str
) -> None:
    before = stack_state(club.stack)

    result = admin("PUT", "/kisi-credentials", body)

    assert result.status == 422
    assert [problem["field"] for problem in result.body["fields"]] == [field]
    assert stack_state(club.stack) == before
    assert club.kisi.emulator.call_count() == 0


def test_a_replaced_key_is_the_one_used_from_then_on(club: Club, admin: AdminApi) -> None:
    add_api_key(club, NEW_KEY)
    connect(admin, NEW_KEY)
    club.kisi.emulator.revoke_api_key(API_KEY)
    club.converge()
    club.kisi.emulator.reset_counts()

    club.membership("m1", ADA, "active", T0)
    club.converge()

    assert ADA in club.group_emails()
    assert club.kisi.emulator.call_count(status=401) == 0
    assert club.stack_tenant().connection_state.value == "connected"


def test_disconnect_deletes_the_key_and_stops_all_kisi_traffic_until_reconnected(
    club: Club, admin: AdminApi
) -> None:
    result = admin("DELETE", "/kisi-credentials")

    assert result.status == 200, result.body
    assert result.body["connection_state"] == "disconnected"
    assert result.body["kisi_key_hint"] is None
    assert "kisi-api-key" not in secret_parameters(club.stack)
    assert "webhook-secret" in secret_parameters(club.stack)
    settings = admin("GET", "/settings").body
    assert (settings["connection_state"], settings["kisi_key_hint"]) == ("disconnected", None)

    # A member the platform grants meanwhile: accepted, but Kisi hears nothing of it.
    club.kisi.emulator.reset_counts()
    assert club.membership("m1", ADA, "active", T0).status < 300
    club.converge()
    assert club.kisi.emulator.call_count() == 0
    member = club.stored_member("m1")
    assert member.kisi.sync_state.value != "in_sync"
    assert member.kisi.last_error == "kisi_not_connected"
    assert ADA not in club.group_emails()
    assert admin("POST", "/locks/sync").status == 409

    # Connecting again converges what happened meanwhile.
    reconnected = connect(admin, API_KEY)
    assert reconnected.status == 200
    assert GOLD_PLAN in reconnected.body["reevaluating_plans"]
    club.converge()
    assert ADA in club.group_emails()
    assert club.stored_member("m1").kisi.sync_state.value == "in_sync"


def test_disconnecting_twice_is_harmless(club: Club, admin: AdminApi) -> None:
    assert admin("DELETE", "/kisi-credentials").status == 200
    before = stack_state(club.stack)["parameters"]

    again = admin("DELETE", "/kisi-credentials")

    assert again.status == 200
    assert again.body["connection_state"] == "disconnected"
    assert stack_state(club.stack)["parameters"] == before


def test_credentials_of_a_tenant_without_settings_are_a_404(club: Club) -> None:
    api = AdminApi(club.stack, tenant_id="club-9")
    before = stack_state(club.stack)

    result = api("PUT", "/kisi-credentials", {"api_key": API_KEY})

    assert result.status == 404
    assert result.body["error"] == "tenant_not_found"
    assert stack_state(club.stack) == before


def test_a_replaced_key_is_used_by_a_worker_that_cached_the_old_one(
    club: Club, admin_in_own_container: AdminApi
) -> None:
    admin = admin_in_own_container
    club.membership("m1", ADA, "active", T0)
    club.converge()  # the worker has cached the key
    add_api_key(club, NEW_KEY)
    assert connect(admin, NEW_KEY).status == 200
    club.kisi.emulator.revoke_api_key(API_KEY)  # why the admin replaced it

    club.membership("m2", "bo@example.com", "active", T0)
    club.converge()

    assert "bo@example.com" in club.group_emails()
    assert club.stack_tenant().connection_state.value == "connected"


def test_a_key_that_cannot_be_stored_leaves_the_tenant_disconnected_not_half_connected(
    club: Club, admin: AdminApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: the key used to be written before the tenant record. Now the tenant stops using
    Kisi first; SSM failing then leaves it disconnected (no function pairs a new key with the
    old key's identity), and the admin's retry connects it."""
    secrets = bootstrap.container().admin.secrets

    def unavailable(tenant_id: str, api_key: str) -> None:
        raise SecretsUnavailable()

    monkeypatch.setattr(secrets, "put_kisi_api_key", unavailable)
    answer = admin("PUT", "/kisi-credentials", {"api_key": API_KEY})
    assert answer.status == 503
    assert club.stack_tenant().connection_state.value == "disconnected"
    monkeypatch.undo()
    assert admin("PUT", "/kisi-credentials", {"api_key": API_KEY}).status == 200
    assert club.stack_tenant().connection_state.value == "connected"
