"""PushPressDirectory.plan against the emulator over real HTTP: a plan's "24-hr access" policy
read as the canonical plan event the bridge stores when it never heard of the plan."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from access_core.pushpress.directory import PushPressDirectory
from tests.integration.pushpress_emulator.conftest import MakeClient

READ_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_a_plans_24_hour_policy_is_read(make_client: MakeClient, ids: SimpleNamespace) -> None:
    directory = PushPressDirectory(make_client(), clock=lambda: READ_AT)
    with_access = directory.plan(ids.plans["24h"])
    without = directory.plan(ids.plans["classes"])
    assert with_access is not None
    assert with_access.has_24h_access is True
    assert with_access.name == "Unlimited + 24/7"
    assert with_access.updated_at == READ_AT
    assert without is not None
    assert without.has_24h_access is False
    assert directory.plan("plan_does_not_exist") is None
