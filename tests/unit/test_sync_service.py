"""Small pure pieces of the sync service: the schedule's event, the groups a tenant's access lives
in, and the result a weekly run reports."""

from datetime import UTC, datetime

from access_core.domain.model import Plan, Tenant
from access_core.sync.service import WeeklyState, _groups_of, schedule_arguments

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_schedule_event_names_every_tenant_or_one() -> None:
    assert schedule_arguments({}) == (None, False)
    assert schedule_arguments({"tenant_id": "club-1", "dry_run": True}) == (["club-1"], True)


def test_groups_are_the_default_and_every_plans_group() -> None:
    tenant = Tenant(tenant_id="t", kisi_group_id=5)
    plans = [
        Plan(tenant_id="t", plan_id="a", kisi_group_id=7, platform_updated_at=NOW),
        Plan(tenant_id="t", plan_id="b", kisi_group_id=None, platform_updated_at=NOW),
        Plan(tenant_id="t", plan_id="c", kisi_group_id=5, platform_updated_at=NOW),
    ]
    assert _groups_of(tenant, plans) == [5, 7]
    assert _groups_of(Tenant(tenant_id="t"), []) == []


def test_weekly_result_counts_unmanaged_and_hides_the_cursor() -> None:
    state = WeeklyState(
        run_id="weekly-1",
        tenant_id="t",
        started_at=NOW,
        assignments_listed=10,
        managed_assignments=7,
        member_cursor='{"PK": "x"}',
    )
    state.drift["missing_grant"] = 2
    result = state.result()
    assert result["unmanaged_assignments"] == 3
    assert result["drift_total"] == 2
    assert result["kind"] == "weekly"
    assert "member_cursor" not in result
    assert "offset" not in result
