"""Connecting the club's platform (issue 13): the PushPress API key is checked before it is
stored, write-only like the Kisi key; the webhook secret or token the admin pastes from the
platform is stored with a rotation overlap and never shown again."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from access_core import bootstrap
from access_core.domain.events import PlanUpdated
from access_core.domain.ports import (
    DirectoryPage,
    MemberFacts,
    PlatformAccount,
    PlatformAuthError,
    PlatformDirectory,
    PlatformUnavailable,
)
from tests.integration.harness import AdminApi, Club

PUSHPRESS_KEY = "pp-live-key-0123456789abcdef"
SIGNING_SECRET = "pp-signing-secret-0123456789"


@dataclass
class CheckedDirectory:
    """A platform API that only answers the credentials check, as told."""

    refuse: Exception | None = None
    checked: list[str] = field(default_factory=list)
    granting_statuses: tuple[str, ...] = ("active",)
    calls_made: int = 0

    def check_credentials(self) -> PlatformAccount:
        self.calls_made += 1
        if self.refuse is not None:
            raise self.refuse
        return PlatformAccount(account_id="company-1", name="Riverside Barbell")

    def member_facts(self, member_id: str, *, enrollment_id: str | None = None) -> MemberFacts:
        raise AssertionError("not called by the admin")

    def list_enrollments(self, *, status: str | None = None, page: int = 1) -> DirectoryPage:
        raise AssertionError("not called by the admin")

    def list_customers(self, *, page: int = 1) -> DirectoryPage:
        raise AssertionError("not called by the admin")

    def plan(self, plan_id: str) -> PlanUpdated | None:
        raise AssertionError("not called by the admin")


@pytest.fixture
def directory(admin: AdminApi) -> CheckedDirectory:
    checked = CheckedDirectory()

    def for_key(api_key: str, company_id: str | None) -> PlatformDirectory:
        checked.checked.append(api_key)
        return checked

    container = bootstrap.container()
    container.admin = replace(container.admin, platform_for_key=for_key)
    assert (
        admin("PUT", "/settings", {"platform": "pushpress", "door_access_enabled": True}).status
        == 200
    )
    return checked


def connect(admin: AdminApi, **extra: Any) -> Any:
    return admin(
        "PUT", "/platform-credentials", {"platform": "pushpress", "api_key": PUSHPRESS_KEY, **extra}
    )


def test_a_checked_key_is_stored_write_only(
    admin: AdminApi, club: Club, directory: CheckedDirectory
) -> None:
    answer = connect(admin, company_id="company-1")
    assert answer.status == 200, answer.body
    assert answer.body["state"] == "connected"
    assert answer.body["account_name"] == "Riverside Barbell"
    assert answer.body["key_hint"] == PUSHPRESS_KEY[-4:]
    assert PUSHPRESS_KEY not in repr(answer.body)
    tenant = club.stack_tenant()
    assert tenant.platform_api_connected
    assert tenant.platform_company_id == "company-1"
    stored = bootstrap.container().secret_store.platform_api_key(tenant.tenant_id, "pushpress")
    assert stored == PUSHPRESS_KEY
    assert bootstrap.container().platform_directory(tenant) is not None


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (PlatformAuthError("refused"), 422, "platform_key_invalid"),
        (PlatformUnavailable("down", retry_after=7), 503, "platform_unavailable"),
    ],
)
def test_a_refused_or_unreachable_check_stores_nothing(
    admin: AdminApi,
    club: Club,
    directory: CheckedDirectory,
    refusal: Exception,
    status: int,
    code: str,
) -> None:
    directory.refuse = refusal
    answer = connect(admin)
    assert (answer.status, answer.body["error"]) == (status, code)
    tenant = club.stack_tenant()
    assert not tenant.platform_api_connected
    assert (
        bootstrap.container().secret_store.platform_api_key(tenant.tenant_id, "pushpress") is None
    )
    if status == 503:
        assert answer.headers["Retry-After"] == "7"


def test_the_platform_must_be_the_clubs(admin: AdminApi, directory: CheckedDirectory) -> None:
    assert (
        admin("PUT", "/settings", {"platform": "playbypoint", "door_access_enabled": True}).status
        == 200
    )
    answer = connect(admin)
    assert (answer.status, answer.body["error"]) == (409, "platform_mismatch")
    assert directory.checked == []


def test_disconnecting_deletes_the_key(
    admin: AdminApi, club: Club, directory: CheckedDirectory
) -> None:
    assert connect(admin).status == 200
    answer = admin("DELETE", "/platform-credentials")
    assert answer.status == 200
    assert answer.body["state"] == "disconnected"
    assert answer.body["key_hint"] is None
    tenant = club.stack_tenant()
    assert (
        bootstrap.container().secret_store.platform_api_key(tenant.tenant_id, "pushpress") is None
    )
    assert bootstrap.container().platform_directory(tenant) is None


def test_a_pasted_secret_is_accepted_with_an_overlap_and_never_shown(
    admin: AdminApi, directory: CheckedDirectory
) -> None:
    first = admin("PUT", "/webhook-secrets/pushpress", {"secret": f"  {SIGNING_SECRET}\n"})
    assert first.status == 200, first.body
    assert first.body["configured"] is True
    assert first.body["webhook_path"] == "/webhooks/pushpress/club-1"
    second = admin("PUT", "/webhook-secrets/pushpress", {"secret": SIGNING_SECRET + "-new"})
    current, previous = second.body["secrets"][:2]
    assert current["current"]
    assert not previous["current"]
    assert previous["valid_until"] is not None
    assert datetime.fromisoformat(previous["valid_until"]) > datetime.now(UTC)
    ended = admin("DELETE", "/webhook-secrets/pushpress/previous")
    assert [s["current"] for s in ended.body["secrets"]] == [True]
    for answer in (first, second, ended, admin("GET", "/webhook-secrets/pushpress")):
        assert SIGNING_SECRET not in repr(answer.body)


@pytest.mark.parametrize("secret", ["short", "x" * 2000, "tab\tinside-the-secret"])
def test_a_secret_that_cannot_be_one_is_refused(
    admin: AdminApi, directory: CheckedDirectory, secret: str
) -> None:
    before = admin("GET", "/webhook-secrets/playbypoint").body
    answer = admin("PUT", "/webhook-secrets/playbypoint", {"secret": secret})
    assert answer.status == 422
    assert answer.body["error"] in ("webhook_secret_invalid", "invalid_request")
    assert secret not in repr(answer.body)
    assert admin("GET", "/webhook-secrets/playbypoint").body == before


def test_the_bridges_own_secret_is_not_pasted(admin: AdminApi) -> None:
    answer = admin("PUT", "/webhook-secrets/canonical", {"secret": SIGNING_SECRET})
    assert answer.status == 422
    assert answer.body["fields"][0]["field"] == "path.platform"


def test_the_status_shows_the_platform_connection(
    admin: AdminApi, directory: CheckedDirectory
) -> None:
    assert admin("GET", "/status").body["platform_api"]["state"] == "disconnected"
    assert connect(admin).status == 200
    shown = admin("GET", "/status").body["platform_api"]
    assert shown["state"] == "connected"
    assert shown["key_hint"] == PUSHPRESS_KEY[-4:]
    assert PUSHPRESS_KEY not in repr(shown)
