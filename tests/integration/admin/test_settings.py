"""PUT/GET /settings: create and update a club's settings and its plans' 24-hour flags; members of
the plans whose effective access changed are re-evaluated (and converge in Kisi), the others are
not; a refused request changes nothing."""

from datetime import timedelta
from typing import Any

import pytest

from access_core import bootstrap
from access_core.infrastructure.storage import StoredPlan
from access_core.infrastructure.storage.tenants import TenantStore
from tests.integration.harness import (
    API_KEY,
    DAY_PASS_PLAN,
    GOLD_PLAN,
    T0,
    TENANT_ID,
    AdminApi,
    Club,
    admin_claims,
    stack_state,
)

ADA = "ada@example.com"
BO = "bo@example.com"


def settings_body(**changes: Any) -> dict[str, Any]:
    return {"platform": "canonical", "door_access_enabled": True, **changes}


def plans_by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {plan["plan_id"]: plan for plan in body["plans"]}


def test_get_settings_shows_the_club_its_plans_and_only_the_key_hint(
    club: Club, admin: AdminApi
) -> None:
    result = admin("GET", "/settings")

    assert result.status == 200
    body = result.body
    assert body["tenant_id"] == TENANT_ID
    assert body["connection_state"] == "connected"
    assert body["kisi_group_id"] == club.group_id
    assert body["kisi_key_hint"] == API_KEY[-4:]
    assert API_KEY not in str(body)
    plans = plans_by_id(body)
    assert set(plans) == {GOLD_PLAN, DAY_PASS_PLAN}
    assert plans[GOLD_PLAN]["has_24h_access"] is True
    assert plans[GOLD_PLAN]["effective_kisi_group_id"] == club.group_id
    assert plans[GOLD_PLAN]["flags_set_by"] == "platform"
    assert plans[DAY_PASS_PLAN]["has_24h_access"] is False


def test_put_creates_a_new_tenant_with_defaults_and_queues_nothing(club: Club) -> None:
    new_club = AdminApi(club.stack, tenant_id="club-2")
    assert new_club("GET", "/settings").status == 404
    depth = club.stack.queue_depth()

    created = new_club(
        "PUT",
        "/settings",
        {
            "platform": "playbypoint",
            "door_access_enabled": True,
            "name": "Second Club",
            "plans": [{"plan_id": "all-hours", "has_24h_access": True, "kisi_group_id": 42}],
        },
    )

    assert created.status == 200, created.body
    body = created.body
    assert body["tenant_id"] == "club-2"
    assert body["platform"] == "playbypoint"
    assert body["pre_reservation_window_minutes"] == 15
    assert body["send_invitation_emails"] is True
    assert body["revoke_mode"] == "remove_assignment"
    assert body["connection_state"] == "disconnected"
    assert body["kisi_key_hint"] is None
    assert body["reevaluating_plans"] == []
    assert plans_by_id(body)["all-hours"]["flags_set_by"] == "admin"
    assert club.stack.queue_depth() == depth
    assert new_club("GET", "/settings").body == {**body, "reevaluating_plans": []}
    stored = bootstrap.container().stores.tenants.get("club-2")
    assert stored is not None
    assert stored.name == "Second Club"


def test_put_updates_the_given_fields_and_keeps_the_omitted_ones(
    club: Club, admin: AdminApi
) -> None:
    admin("PUT", "/settings", settings_body(pre_reservation_window_minutes=30, name="Gym"))

    result = admin("PUT", "/settings", {"platform": "pushpress", "door_access_enabled": False})

    assert result.status == 200
    body = result.body
    assert body["platform"] == "pushpress"
    assert body["door_access_enabled"] is False
    assert body["pre_reservation_window_minutes"] == 30
    assert body["name"] == "Gym"
    assert body["kisi_group_id"] == club.group_id
    assert body["connection_state"] == "connected"
    tenant = club.stack_tenant()
    assert (tenant.platform, tenant.pre_reservation_window_minutes) == ("pushpress", 30)
    assert tenant.kisi_identity is not None
    actions = [entry["action"] for entry in club.stack_audit()]
    assert actions[:2] == ["admin.settings_saved", "admin.settings_saved"]
    assert club.stack_audit()[0]["actor"] == "admin:admin-7"


def test_a_plan_losing_24h_access_re_evaluates_only_its_members_and_they_converge(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    club.membership("m2", BO, "active", T0, plan_id=DAY_PASS_PLAN)
    club.converge()
    assert ADA in club.group_emails()
    depth = club.stack.queue_depth()

    result = admin(
        "PUT",
        "/settings",
        settings_body(plans=[{"plan_id": GOLD_PLAN, "has_24h_access": False}]),
    )

    assert result.status == 200, result.body
    assert result.body["reevaluating_plans"] == [GOLD_PLAN]
    gold = plans_by_id(result.body)[GOLD_PLAN]
    assert (gold["has_24h_access"], gold["flags_set_by"]) == (False, "admin")
    assert club.stack.queue_depth() == depth + 1
    club.converge()
    assert ADA not in club.group_emails()
    assert club.stored_member("m1").kisi.sync_state.value == "in_sync"


def test_a_plan_gaining_24h_access_with_its_own_group_grants_that_group(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m2", BO, "active", T0, plan_id=DAY_PASS_PLAN)
    club.converge()
    assert BO not in club.group_emails() | club.group_emails(club.other_group_id)

    plan = {"plan_id": DAY_PASS_PLAN, "has_24h_access": True, "kisi_group_id": club.other_group_id}
    result = admin("PUT", "/settings", settings_body(plans=[plan]))

    assert result.body["reevaluating_plans"] == [DAY_PASS_PLAN]
    assert plans_by_id(result.body)[DAY_PASS_PLAN]["effective_kisi_group_id"] == (
        club.other_group_id
    )
    club.converge()
    assert BO in club.group_emails(club.other_group_id)
    assert BO not in club.group_emails()


def test_changing_the_default_group_re_evaluates_only_the_plans_that_use_it(
    club: Club, admin: AdminApi
) -> None:
    vip_plan = {"plan_id": "vip", "has_24h_access": True, "kisi_group_id": club.other_group_id}
    admin("PUT", "/settings", settings_body(plans=[vip_plan]))
    club.membership("m1", ADA, "active", T0)
    club.converge()

    result = admin("PUT", "/settings", settings_body(kisi_group_id=club.other_group_id))

    # gold uses the default group; vip has its own; the day pass has no 24-hour access.
    assert result.body["reevaluating_plans"] == [GOLD_PLAN]
    club.converge()
    assert ADA in club.group_emails(club.other_group_id)
    assert ADA not in club.group_emails()


def test_saving_the_same_settings_again_re_evaluates_nothing(club: Club, admin: AdminApi) -> None:
    body = settings_body(plans=[{"plan_id": GOLD_PLAN, "has_24h_access": True}])
    admin("PUT", "/settings", body)
    depth = club.stack.queue_depth()

    again = admin("PUT", "/settings", body)

    assert again.status == 200
    assert again.body["reevaluating_plans"] == []
    assert club.stack.queue_depth() == depth


def test_the_later_change_owns_a_plans_flags_admin_or_platform(club: Club, admin: AdminApi) -> None:
    admin(
        "PUT", "/settings", settings_body(plans=[{"plan_id": GOLD_PLAN, "has_24h_access": False}])
    )
    # A platform webhook older than the admin's change is stale: the admin's flag stays.
    club.plan(GOLD_PLAN, True, T0 - timedelta(days=1))
    gold = plans_by_id(admin("GET", "/settings").body)[GOLD_PLAN]
    assert (gold["has_24h_access"], gold["flags_set_by"]) == (False, "admin")

    # One sent after the admin's change wins.
    club.plan(GOLD_PLAN, True, T0 + timedelta(days=3650))
    gold = plans_by_id(admin("GET", "/settings").body)[GOLD_PLAN]
    assert (gold["has_24h_access"], gold["flags_set_by"]) == (True, "platform")


def test_a_plan_changed_meanwhile_is_a_409_and_nothing_is_saved(
    club: Club, admin: AdminApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A platform plan.updated lands between the admin's read of the plans and the write."""
    stores = bootstrap.container().stores
    seen: dict[str, Any] = {}

    class PlansThenAWebhook(TenantStore):
        def plans(self, tenant_id: str) -> list[StoredPlan]:
            plans = super().plans(tenant_id)
            if "state" not in seen:
                club.plan(GOLD_PLAN, True, T0 + timedelta(days=1), group_id=club.other_group_id)
                seen["state"] = stack_state(club.stack)
            return plans

    monkeypatch.setattr(stores, "tenants", PlansThenAWebhook(stores.table))

    result = admin(
        "PUT",
        "/settings",
        settings_body(
            pre_reservation_window_minutes=45,
            plans=[{"plan_id": GOLD_PLAN, "has_24h_access": False}],
        ),
    )

    assert result.status == 409
    assert result.body["error"] == "settings_conflict"
    assert stack_state(club.stack) == seen["state"]
    assert club.stack_tenant().pre_reservation_window_minutes == 15
    gold = plans_by_id(admin("GET", "/settings").body)[GOLD_PLAN]
    assert (gold["has_24h_access"], gold["kisi_group_id"]) == (True, club.other_group_id)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (settings_body(pre_reservation_window_minutes=-1), ["body.pre_reservation_window_minutes"]),
        (
            settings_body(pre_reservation_window_minutes=241),
            ["body.pre_reservation_window_minutes"],
        ),
        (
            settings_body(pre_reservation_window_minutes="soon"),
            ["body.pre_reservation_window_minutes"],
        ),
        (settings_body(colour="red"), ["body.colour"]),
        (settings_body(door_access_enabled="maybe"), ["body.door_access_enabled"]),
        (settings_body(platform="mindbody"), ["body.platform"]),
        (settings_body(revoke_mode="shred"), ["body.revoke_mode"]),
        (settings_body(kisi_group_id=0), ["body.kisi_group_id"]),
        ({"door_access_enabled": True}, ["body.platform"]),
        (
            settings_body(plans=[{"plan_id": "p", "has_24h_access": True, "extra": 1}]),
            ["body.plans.0.extra"],
        ),
        (
            settings_body(plans=[{"plan_id": "p", "has_24h_access": "yes please"}]),
            ["body.plans.0.has_24h_access"],
        ),
        (
            settings_body(
                plans=[
                    {"plan_id": "p", "has_24h_access": True},
                    {"plan_id": "p", "has_24h_access": False},
                ]
            ),
            ["body.plans"],
        ),
        (
            settings_body(pre_reservation_window_minutes=999, colour="red"),
            ["body.pre_reservation_window_minutes", "body.colour"],
        ),
        ([1, 2, 3], ["body"]),
    ],
    ids=[
        "window-below-0",
        "window-above-240",
        "window-not-a-number",
        "extra-field",
        "bad-bool",
        "unknown-platform",
        "unknown-revoke-mode",
        "group-id-0",
        "missing-platform",
        "extra-plan-field",
        "bad-plan-flag",
        "plan-listed-twice",
        "two-problems",
        "not-an-object",
    ],
)
def test_an_invalid_body_is_a_422_naming_every_field_and_changes_nothing(
    club: Club, admin: AdminApi, body: Any, fields: list[str]
) -> None:
    before = stack_state(club.stack)

    result = admin("PUT", "/settings", body)

    assert result.status == 422, result.body
    assert result.body["error"] == "invalid_request"
    named = [problem["field"] for problem in result.body["fields"]]
    assert sorted(named) == sorted(fields)
    for field in fields:
        assert field in result.body["message"]
    assert stack_state(club.stack) == before


@pytest.mark.parametrize(
    ("raw", "headers", "status", "error"),
    [
        (b'{"platform": "canonical",', {}, 400, "malformed_json"),
        (b"\xff\xfe not text", {}, 400, "malformed_json"),
        (
            b'{"platform": "canonical", "door_access_enabled": true, "name": "'
            + b"x" * (64 * 1024)
            + b'"}',
            {},
            413,
            "payload_too_large",
        ),
        (b"platform=canonical", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
        (
            b"platform=canonical&door_access_enabled=true",
            {"content-type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        (b"--x--", {"content-type": "multipart/form-data"}, 415, "unsupported_media_type"),
        (
            b'--b\r\nContent-Disposition: form-data; name="platform"\r\n\r\ncanonical\r\n--b--',
            {"content-type": "multipart/form-data; boundary=b"},
            415,
            "unsupported_media_type",
        ),
    ],
    ids=[
        "malformed-json",
        "not-utf8",
        "too-large",
        "not-json",
        "form",
        "multipart-no-boundary",
        "multipart",
    ],
)
def test_a_body_that_cannot_be_read_is_refused_and_changes_nothing(
    club: Club,
    admin: AdminApi,
    raw: bytes,
    headers: dict[str, str],
    status: int,
    error: str,
) -> None:
    before = stack_state(club.stack)

    result = admin("PUT", "/settings", raw_body=raw, headers=headers)

    assert result.status == status, result.body
    assert result.body["error"] == error
    assert stack_state(club.stack) == before


def test_a_wrong_method_is_a_405_naming_the_allowed_ones(club: Club, admin: AdminApi) -> None:
    before = stack_state(club.stack)

    result = admin("DELETE", "/settings")

    assert result.status == 405
    assert result.body["error"] == "method_not_allowed"
    assert result.headers["Allow"] == "GET, PUT"
    assert stack_state(club.stack) == before


def test_an_unknown_route_is_a_404(club: Club, admin: AdminApi) -> None:
    result = admin("GET", "/settingz")

    assert result.status == 404
    assert result.body["error"] == "route_not_found"


def test_settings_of_a_tenant_not_created_yet_are_a_404(club: Club) -> None:
    api = AdminApi(club.stack, tenant_id="club-9")

    result = api("GET", "/settings", claims=admin_claims("club-9"))

    assert result.status == 404
    assert result.body["error"] == "tenant_not_found"
