"""A PushPress club connected as a club admin would (issue 13), over the local stack's real HTTP:
the admin pastes PushPress's signing secret, PushPress's own signed delivery is accepted, and a
forged, missing or rotated-out signature on either native endpoint is 401 with nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from pushpress_emulator.deliveries import signature_for
from tests.e2e.conftest import LocalStackProcess

TENANT = "e2e-pushpress-club"
SIGNING_SECRET = "pp-e2e-signing-secret-0123456789"
PLAYBYPOINT_TOKEN = "pbp-e2e-token-0123456789abcdef"
EVENTS = Path(__file__).resolve().parents[2] / "events" / "webhooks"
ENROLLMENT = (EVENTS / "pushpress" / "enrollment_created.json").read_bytes()
RESERVATION = (EVENTS / "playbypoint" / "reservation_created.json").read_bytes()
MEMBER = json.loads(ENROLLMENT)["data"]["customerId"]


@pytest.fixture(scope="module")
def club(local_stack: LocalStackProcess) -> httpx.Client:
    """The club's admin: settings for PushPress, its signing secret and a Playbypoint token."""
    token = local_stack.token("admin-e2e", TENANT, ["admin"])
    admin = httpx.Client(
        base_url=f"{local_stack.base_url}/v1/admin/tenants/{TENANT}",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    settings = {"platform": "pushpress", "door_access_enabled": True}
    assert admin.put("/settings", json=settings).status_code == 200
    pasted = admin.put("/webhook-secrets/pushpress", json={"secret": SIGNING_SECRET})
    assert pasted.status_code == 200, pasted.text
    assert SIGNING_SECRET not in pasted.text
    token_pasted = admin.put("/webhook-secrets/playbypoint", json={"secret": PLAYBYPOINT_TOKEN})
    assert token_pasted.status_code == 200
    return admin


def post(
    stack: LocalStackProcess, platform: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return stack.http.post(
        f"/webhooks/{platform}/{TENANT}",
        content=body,
        headers={"content-type": "application/json", **headers},
    )


def member_known(club: httpx.Client) -> bool:
    answer = club.get(f"/members/{MEMBER}/access")
    assert answer.status_code in (200, 404), answer.text
    return answer.status_code == 200


def pushpress_signature(body: bytes, secret: str) -> dict[str, str]:
    return {"webhook-signature": signature_for(json.loads(body)["data"], secret)}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"webhook-signature": "0" * 64},
        {"webhook-signature": "not-hex"},
        pushpress_signature(ENROLLMENT, "another-club-secret-0123"),
    ],
    ids=["missing", "forged", "malformed", "other secret"],
)
def test_a_bad_pushpress_signature_is_401_and_writes_nothing(
    local_stack: LocalStackProcess, club: httpx.Client, headers: dict[str, str]
) -> None:
    answer = post(local_stack, "pushpress", ENROLLMENT, headers)
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "unauthorized",
        "message": "Invalid signature or unknown tenant.",
    }
    assert not member_known(club)


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong-token-0123456789"}, {"authorization": "Basic x"}],
    ids=["missing", "forged", "other scheme"],
)
def test_a_bad_playbypoint_token_is_401(
    local_stack: LocalStackProcess, club: httpx.Client, headers: dict[str, str]
) -> None:
    assert post(local_stack, "playbypoint", RESERVATION, headers).status_code == 401


def test_the_bridge_hmac_secret_does_not_open_the_pushpress_endpoint(
    local_stack: LocalStackProcess, club: httpx.Client
) -> None:
    rotated: Any = club.post("/webhook-secret").json()
    headers = pushpress_signature(ENROLLMENT, rotated["secret"])
    assert post(local_stack, "pushpress", ENROLLMENT, headers).status_code == 401


def test_pushpress_signed_deliveries_are_accepted_and_a_rotated_out_secret_is_not(
    local_stack: LocalStackProcess, club: httpx.Client
) -> None:
    """Ordered last in the module: it stores the member."""
    answer = post(
        local_stack, "pushpress", ENROLLMENT, pushpress_signature(ENROLLMENT, SIGNING_SECRET)
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"
    assert member_known(club)
    assert (
        post(
            local_stack,
            "playbypoint",
            RESERVATION,
            {"authorization": f"Bearer {PLAYBYPOINT_TOKEN}"},
        ).status_code
        == 202
    )

    # A new secret with no overlap: the old one is refused at once.
    new_secret = SIGNING_SECRET + "-rotated"
    rotated = club.put(
        "/webhook-secrets/pushpress", json={"secret": new_secret, "overlap_hours": 0}
    )
    assert rotated.status_code == 200
    stale = post(
        local_stack, "pushpress", ENROLLMENT, pushpress_signature(ENROLLMENT, SIGNING_SECRET)
    )
    assert stale.status_code == 401
    fresh = post(local_stack, "pushpress", ENROLLMENT, pushpress_signature(ENROLLMENT, new_secret))
    assert fresh.status_code == 202
