"""Issue 17's admin tools over the local stack's real HTTP, on the demo club (connected to the
Kisi emulator's demo organisation): test member, the migration report, a test unlock of an
enabled door, and the check-in write-back driven by the Kisi emulator's own Event Webhook."""

from __future__ import annotations

import uuid

import httpx
import pytest

from kisi_client import KisiClient
from kisi_emulator import DEMO_API_KEY
from local_runtime.demo_tenant import DEMO_TENANT_ID

from .conftest import LocalStackProcess

EVENT_KEY = "e2e-kisi-event-key-0123456789"


@pytest.fixture(scope="module")
def admin(local_stack: LocalStackProcess) -> httpx.Client:
    token = local_stack.token("admin-e2e-tools", DEMO_TENANT_ID, ["admin"])
    return httpx.Client(
        base_url=f"{local_stack.base_url}/v1/admin/tenants/{DEMO_TENANT_ID}",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )


@pytest.fixture(scope="module")
def kisi(local_stack: LocalStackProcess) -> httpx.Client:
    return httpx.Client(base_url=local_stack.http.get("/_local/health").json()["kisi_base_url"])


def send_membership(local_stack: LocalStackProcess, email: str) -> None:
    """An active member on a 24-hour plan, through the demo club's signed canonical webhook."""
    updated_at = "2026-11-23T10:00:00Z"
    plan = {"plan_id": "e2e-tools-24h", "has_24h_access": True, "updated_at": updated_at}
    member = {"member_id": email, "email": email, "plan_id": "e2e-tools-24h", "status": "active"}
    local_stack.post_demo_events(
        [
            {"type": "plan.updated", "data": plan},
            {"type": "membership.upserted", "data": member | {"updated_at": updated_at}},
        ]
    )


def test_test_member_and_the_migration_report(
    local_stack: LocalStackProcess, admin: httpx.Client
) -> None:
    email = f"e2e-tools-{uuid.uuid4().hex[:8]}@example.com"
    send_membership(local_stack, email)

    tested = admin.post("/tools/test-member", json={"email": email.upper()})
    report = admin.get("/tools/migration-report")

    assert tested.status_code == 200, tested.text
    assert tested.json()["granted"] is True
    assert tested.json()["members"][0]["decision"]["reason"] == "active"
    assert report.status_code == 200, report.text
    assert report.json()["kisi_calls"] >= 1
    assert report.json()["counts"]["kisi_users"] >= 1


def test_a_test_unlock_opens_an_enabled_door_through_kisi(
    admin: httpx.Client, kisi: httpx.Client
) -> None:
    assert admin.post("/locks/sync").status_code == 200
    door = admin.get("/locks").json()["locks"][0]["lock_id"]
    assert admin.put("/locks/enabled", json={"lock_ids": [door]}).status_code == 200
    organization_id = kisi.get("/_emulator/organizations").json()[0]["id"]
    before = len(kisi.get(f"/_emulator/organizations/{organization_id}/unlocks").json())

    opened = admin.post("/tools/test-unlock", json={"lock_id": door})

    assert opened.status_code == 200, opened.text
    assert opened.json()["lock_id"] == door
    unlocks = kisi.get(f"/_emulator/organizations/{organization_id}/unlocks").json()
    assert len(unlocks) == before + 1
    assert unlocks[-1]["lock_id"] == door


def test_kisi_unlock_events_reach_the_write_back_over_http(
    local_stack: LocalStackProcess, admin: httpx.Client, kisi: httpx.Client
) -> None:
    email = f"e2e-checkin-{uuid.uuid4().hex[:8]}@example.com"
    send_membership(local_stack, email)
    assert admin.put("/kisi-event-secret", json={"secret": EVENT_KEY}).status_code == 200
    assert admin.put("/checkin-write-back", json={"enabled": True}).status_code == 200
    organization_id = kisi.get("/_emulator/organizations").json()[0]["id"]
    # The member's Kisi user (the worker may be creating it too: it then finds this one).
    KisiClient(DEMO_API_KEY, base_url=str(kisi.base_url)).ensure_user(
        email, "E2E", send_emails=False, marker="e2e"
    )
    registered = kisi.post(
        f"/_emulator/organizations/{organization_id}/event-webhooks",
        json={"url": f"{local_stack.base_url}/webhooks/kisi/{DEMO_TENANT_ID}", "secret": EVENT_KEY},
    )
    assert registered.status_code == 200, registered.text
    lock_id = kisi.get(f"/_emulator/organizations/{organization_id}").json()["locks"][0]["id"]

    sent = kisi.post(
        f"/_emulator/organizations/{organization_id}/locks/{lock_id}/unlock-as",
        json={"email": email},
    )
    stranger = kisi.post(
        f"/_emulator/organizations/{organization_id}/locks/{lock_id}/unlock-as",
        json={"email": "front.desk@demo-club.example"},
    )

    assert sent.status_code == 200, sent.text
    (delivery,) = sent.json()["deliveries"]
    assert delivery["status"] == 202, delivery
    assert delivery["response"]["outcome"] == "not_recorded"
    assert delivery["response"]["reason"] == "platform_has_no_checkin_api"
    assert delivery["response"]["member_id"] == email
    (unmatched,) = stranger.json()["deliveries"]
    assert unmatched["response"]["outcome"] == "unmatched"
