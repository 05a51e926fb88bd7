"""The syncs that pull from PushPress, end to end (issue 13): the local stack over real HTTP with
its PushPress and Kisi emulators, the club set up through the Admin API, no webhook registered in
PushPress (every change is a lost webhook), the syncs run by their schedules' local trigger."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from kisi_emulator import DEMO_API_KEY as KISI_DEMO_KEY
from kisi_emulator import DEMO_GROUP_NAME
from kisi_emulator.testing import patient_client
from pushpress_emulator import DEMO_API_KEY as PUSHPRESS_DEMO_KEY
from tests.e2e.conftest import LocalStackProcess

TENANT = "e2e-pushpress-syncs"


class PushPressClub:
    def __init__(self, stack: LocalStackProcess) -> None:
        self.stack = stack
        health = stack.http.get("/_local/health").json()
        self.pushpress = httpx.Client(
            base_url=str(health["pushpress_base_url"]).removesuffix("/v3") + "/_emulator",
            timeout=30,
        )
        self.kisi = patient_client(health["kisi_base_url"])
        token = stack.token("admin-syncs", TENANT, ["admin"])
        self.admin = httpx.Client(
            base_url=f"{stack.base_url}/v1/admin/tenants/{TENANT}",
            headers={"authorization": f"Bearer {token}"},
            timeout=60,
        )
        [company] = self.pushpress.get("/companies").json()
        self.company = company["id"]
        state = self.pushpress.get(f"/companies/{self.company}").json()
        self.plan = next(p for p in state["plans"] if p["policies"]["allow24HourAccess"])
        kisi_login = {"authorization": f"KISI-LOGIN {KISI_DEMO_KEY}"}
        self.organization = self.kisi.get("/user", headers=kisi_login).json()["organization"]["id"]
        groups = self.kisi.get("/groups", params={"query": DEMO_GROUP_NAME}, headers=kisi_login)
        self.group = next(g["id"] for g in groups.json() if g["name"] == DEMO_GROUP_NAME)

    def connect(self) -> None:
        settings = {
            "platform": "pushpress",
            "door_access_enabled": False,
            "kisi_group_id": self.group,
            "plans": [{"plan_id": self.plan["id"], "has_24h_access": True}],
        }
        assert self.admin.put("/settings", json=settings).status_code == 200
        kisi = self.admin.put(
            "/kisi-credentials", json={"api_key": KISI_DEMO_KEY, "group_id": self.group}
        )
        assert kisi.status_code == 200, kisi.text
        platform = self.admin.put(
            "/platform-credentials", json={"platform": "pushpress", "api_key": PUSHPRESS_DEMO_KEY}
        )
        assert platform.status_code == 200, platform.text

    def run(self, schedule: str) -> dict[str, Any]:
        report = self.stack.http.post(f"/_local/schedules/{schedule}", json={"tenant_id": TENANT})
        assert report.status_code == 200, report.text
        self.wait_for_worker()
        result: dict[str, Any] = report.json()
        return result

    def wait_for_worker(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.stack.http.get("/_local/queues").json().get("CommandQueue", 0) == 0:
                return
            time.sleep(0.2)
        raise AssertionError("the command queue did not drain")

    def new_member(self, email: str) -> dict[str, Any]:
        customer = self.pushpress.post(
            f"/companies/{self.company}/customers", json={"email": email, "first": "E2E"}
        )
        assert customer.status_code == 201, customer.text
        enrollment = self.pushpress.post(
            f"/companies/{self.company}/enrollments",
            json={"customer_id": customer.json()["id"], "plan_id": self.plan["id"]},
        )
        assert enrollment.status_code == 201, enrollment.text
        created: dict[str, Any] = enrollment.json()
        return created

    def has_access(self, email: str) -> bool:
        snapshot = self.kisi.get(f"/_emulator/organizations/{self.organization}").json()
        users = {u["id"]: u["email"].lower() for u in snapshot["users"]}
        return any(
            a["applies_to_id"] == self.group and users.get(a["assignee_id"]) == email
            for a in snapshot["role_assignments"]
        )


@pytest.fixture(scope="module")
def club(local_stack: LocalStackProcess) -> PushPressClub:
    club = PushPressClub(local_stack)
    club.connect()
    return club


def test_a_member_created_while_webhooks_were_down_is_granted_by_the_weekly_sync(
    club: PushPressClub,
) -> None:
    email = "weekly.newcomer@example.com"
    club.new_member(email)
    assert not club.has_access(email)
    result = club.run("Weekly")
    assert result["failed"] == 0, result
    assert club.has_access(email)


def test_a_pushpress_outage_during_the_daily_sync_ends_in_a_retried_run_with_nothing_lost(
    club: PushPressClub,
) -> None:
    email = "outage.leaver@example.com"
    enrollment = club.new_member(email)
    club.run("Daily")
    assert club.has_access(email)

    cancelled = club.pushpress.patch(
        f"/companies/{club.company}/enrollments/{enrollment['id']}", json={"status": "canceled"}
    )
    assert cancelled.is_success, cancelled.text
    outage = club.pushpress.post("/faults", json={"kind": "outage"})
    assert outage.status_code in (200, 201), outage.text
    during = club.run("Daily")
    assert during["failed"] == 1, during
    assert club.has_access(email), "nothing known changes while PushPress is down"

    assert club.pushpress.delete("/faults").is_success
    after = club.run("Daily")
    assert after["failed"] == 0, after
    assert not club.has_access(email), "the cancellation reached Kisi once PushPress was back"
