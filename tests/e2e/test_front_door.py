"""The front door serves template.yaml's routes with API Gateway's JWT rules, over real HTTP."""

import time
import uuid
from typing import Any

import httpx

from .conftest import LocalStackProcess


def test_health_names_the_kisi_in_use(local_stack: LocalStackProcess) -> None:
    health = local_stack.http.get("/_local/health").json()
    assert health["status"] == "ok"
    assert health["kisi_base_url"].startswith("http://127.0.0.1:")


def test_routes_that_the_template_does_not_declare_are_404(local_stack: LocalStackProcess) -> None:
    response = local_stack.http.get("/v2/nothing")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_jwt_routes_refuse_missing_and_forged_tokens(local_stack: LocalStackProcess) -> None:
    path = "/v1/reservations/r-1/doors"
    assert local_stack.http.get(path).status_code == 401
    forged = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert local_stack.http.get(path, headers={"authorization": forged}).status_code == 401


def test_a_signed_webhook_reaches_kisi_through_the_queue_and_the_worker(
    local_stack: LocalStackProcess,
) -> None:
    """The demo tenant (created by `make run`) is connected to the emulator's demo organisation."""
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    updated_at = "2026-11-23T10:00:00Z"
    events: list[dict[str, Any]] = [
        {
            "type": "plan.updated",
            "data": {"plan_id": "e2e-gold", "has_24h_access": True, "updated_at": updated_at},
        },
        {
            "type": "membership.upserted",
            "data": {"member_id": email, "email": email, "plan_id": "e2e-gold", "status": "active"}
            | {"updated_at": updated_at},
        },
    ]
    local_stack.post_demo_events(events)
    kisi = httpx.Client(base_url=local_stack.http.get("/_local/health").json()["kisi_base_url"])
    organization_id = kisi.get("/_emulator/organizations").json()[0]["id"]
    deadline = time.monotonic() + 30
    access: dict[str, object] = {}
    while time.monotonic() < deadline:
        response = kisi.get(
            f"/_emulator/organizations/{organization_id}/access", params={"email": email}
        )
        access = response.json() if response.is_success else {}
        if access.get("group_ids"):
            break
        time.sleep(0.3)
    assert access.get("group_ids"), f"{email} never got group access in Kisi"
