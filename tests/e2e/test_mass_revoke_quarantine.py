"""The mass-revoke circuit breaker over the local stack's real HTTP: a burst of cancellations in
the demo club trips it, the held members keep their Kisi access, and the club admin approves them
through the Admin API (which closes the breaker again for the other tests of the session)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from access_core.ingest.signature import signature_headers
from local_runtime.demo_tenant import DEMO_TENANT_ID

from .conftest import LocalStackProcess

PLAN = "e2e-quarantine-gold"
BURST = 6


def post_events(local_stack: LocalStackProcess, events: list[dict[str, Any]]) -> None:
    secret = local_stack.cheat_sheet_value("webhook signing secret")
    for event in events:
        body = json.dumps({"id": uuid.uuid4().hex, **event}).encode()
        response = local_stack.http.post(
            f"/webhooks/canonical/{DEMO_TENANT_ID}",
            content=body,
            headers={"content-type": "application/json"}
            | signature_headers(secret, int(time.time()), body),
        )
        assert response.status_code == 202, response.text


def membership(email: str, status: str, updated_at: str) -> dict[str, Any]:
    data = {"member_id": email, "email": email, "plan_id": PLAN, "status": status}
    return {"type": "membership.upserted", "data": data | {"updated_at": updated_at}}


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_burst_of_cancellations_is_held_until_the_admin_approves_it(
    local_stack: LocalStackProcess,
) -> None:
    kisi = httpx.Client(base_url=local_stack.http.get("/_local/health").json()["kisi_base_url"])
    organization_id = kisi.get("/_emulator/organizations").json()[0]["id"]

    def has_access(email: str) -> bool:
        response = kisi.get(
            f"/_emulator/organizations/{organization_id}/access", params={"email": email}
        )
        return bool(response.is_success and response.json().get("group_ids"))

    token = local_stack.token("admin-e2e", DEMO_TENANT_ID, ["admin"])
    admin = httpx.Client(
        base_url=f"{local_stack.base_url}/v1/admin/tenants/{DEMO_TENANT_ID}",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    emails = [f"e2e-q{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(BURST)]
    plan = {"plan_id": PLAN, "has_24h_access": True, "updated_at": "2026-11-23T10:00:00Z"}
    post_events(local_stack, [{"type": "plan.updated", "data": plan}])
    post_events(local_stack, [membership(e, "active", "2026-11-23T10:00:01Z") for e in emails])
    wait_for(lambda: all(has_access(e) for e in emails), "the members' grants")

    post_events(local_stack, [membership(e, "cancelled", "2026-11-23T11:00:00Z") for e in emails])

    def held() -> set[str]:
        answer = admin.get("/quarantine", params={"limit": 200})
        assert answer.status_code == 200, answer.text
        return {r["member_id"] for r in answer.json()["revokes"]} & set(emails)

    # The demo club is small: at most 3 members an hour lose access before the breaker holds.
    wait_for(lambda: len(held()) + sum(not has_access(e) for e in emails) == BURST, "the burst")
    kept = held()
    assert len(kept) >= BURST - 3
    assert all(has_access(e) for e in kept)

    approved = admin.post("/quarantine/approve", json={"member_ids": sorted(kept)})
    assert approved.status_code == 200, approved.text
    assert approved.json()["still_held"] == 0

    wait_for(lambda: not any(has_access(e) for e in emails), "the approved revokes")
    assert held() == set()
