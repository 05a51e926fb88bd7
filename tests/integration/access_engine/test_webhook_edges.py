"""Webhook authentication, validation and ordering: bad input changes nothing; duplicates and
out-of-order deliveries cannot overwrite newer data."""

import json
import time
from datetime import timedelta
from typing import Any

import pytest

from access_core import bootstrap
from access_core.ingest.service import MAX_WEBHOOK_BODY_BYTES
from access_core.ingest.signature import signature_headers
from local_runtime.in_process import HttpResult
from tests.integration.harness import stack_contents

from .conftest import T0, TENANT_ID, Club

EMAIL = "ada@example.com"


def stored_state(club: Club) -> dict[str, Any]:
    """Everything a webhook could write ('nothing written' means equal); per-caller usage counts
    aside (an authenticated bad body counts against its club's limit)."""
    return stack_contents(club.stack)


def membership_envelope(status: str = "active", **data: Any) -> dict[str, Any]:
    fields = {
        "member_id": "m1",
        "email": EMAIL,
        "plan_id": "gold-24h",
        "status": status,
        "updated_at": T0.isoformat(),
    } | data
    return {"id": "evt-1", "type": "membership.upserted", "data": fields}


def post_raw(
    club: Club, body: bytes, *, secret: str | None, tenant: str = TENANT_ID, **kw: Any
) -> HttpResult:
    return club.stack.post_webhook("canonical", tenant, body, secret=secret, **kw)


def test_bad_signature_and_unknown_tenant_look_the_same_and_write_nothing(club: Club) -> None:
    before = stored_state(club)
    body = json.dumps(membership_envelope()).encode()

    wrong_secret = post_raw(club, body, secret="not-the-secret")
    unknown_tenant = post_raw(club, body, secret=club.webhook_secret, tenant="no-such-club")
    unsigned = post_raw(club, body, secret=None)

    for response in (wrong_secret, unknown_tenant, unsigned):
        assert response.status == 401
        assert response.body == wrong_secret.body
    assert response.body["error"] == "unauthorized"
    assert stored_state(club) == before


def test_webhooks_for_unknown_tenants_cost_no_ssm_read(club: Club) -> None:
    """Issue 14, H1: the tenant is looked up first, so an id that names no tenant reads no
    secret. A known tenant's bad signature reads SSM again at most once per interval
    (tests/integration/test_ssm_secrets.py)."""
    reads: list[str] = []
    bootstrap.container().ssm.meta.events.register(
        "before-parameter-build.ssm.GetParameter",
        lambda params, **_: reads.append(params["Name"]),
    )
    body = json.dumps(membership_envelope()).encode()

    for index in range(3):
        response = post_raw(club, body, secret=club.webhook_secret, tenant=f"no-such-club-{index}")
        assert response.status == 401

    assert reads == []


def test_replayed_request_outside_the_tolerance_window_is_refused(club: Club) -> None:
    before = stored_state(club)
    body = json.dumps(membership_envelope()).encode()
    stale = post_raw(club, body, secret=club.webhook_secret, timestamp=int(time.time()) - 301)
    future = post_raw(club, body, secret=club.webhook_secret, timestamp=int(time.time()) + 301)
    assert (stale.status, future.status) == (401, 401)
    assert stored_state(club) == before


def test_a_body_tampered_after_signing_is_refused(club: Club) -> None:
    body = json.dumps(membership_envelope()).encode()
    headers = signature_headers(club.webhook_secret, int(time.time()), body)
    tampered = body.replace(b"active", b"paused")
    response = post_raw(club, tampered, secret=None, extra_headers=headers)
    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe", 400, "malformed_json"),
        (json.dumps(membership_envelope(status="frozen")).encode(), 422, "invalid_payload"),
        (json.dumps(membership_envelope(email="not-an-email")).encode(), 422, "invalid_payload"),
        (json.dumps(membership_envelope(updated_at="yesterday")).encode(), 422, "invalid_payload"),
        (json.dumps([1, 2, 3]).encode(), 422, "invalid_payload"),
        (b"x" * (MAX_WEBHOOK_BODY_BYTES + 1), 413, "payload_too_large"),
    ],
    ids=["malformed", "not-utf8", "unknown-status", "bad-email", "bad-time", "array", "too-large"],
)
def test_bad_bodies_get_a_clear_4xx_and_change_nothing(
    club: Club, body: bytes, status: int, error: str
) -> None:
    before = stored_state(club)
    response = post_raw(club, body, secret=club.webhook_secret)
    assert response.status == status
    assert response.body["error"] == error
    assert response.body["message"]
    assert stored_state(club) == before


def test_schema_errors_name_the_fields(club: Club) -> None:
    body = membership_envelope(status="frozen", email="nope")
    response = club.stack.post_webhook("canonical", TENANT_ID, body, secret=club.webhook_secret)
    assert response.status == 422
    named = {field["field"] for field in response.body["fields"]}
    assert any("status" in name for name in named)
    assert any("email" in name for name in named)


def test_unknown_event_types_are_accepted_and_ignored(club: Club) -> None:
    before = stored_state(club)
    envelope = {"id": "evt-x", "type": "checkin.created", "data": {"anything": 1}}
    response = club.stack.post_webhook("canonical", TENANT_ID, envelope, secret=club.webhook_secret)
    assert response.status == 202
    assert response.body["status"] == "ignored"
    assert stored_state(club) == before


def test_unknown_platform_is_404(club: Club) -> None:
    response = club.stack.post_webhook(
        "nosuchplatform", TENANT_ID, membership_envelope(), secret=club.webhook_secret
    )
    assert response.status == 404
    assert response.body["error"] == "unknown_platform"


def test_a_duplicate_event_id_is_processed_once(club: Club) -> None:
    first = club.membership("m1", EMAIL, "active", T0, event_id="evt-dup")
    depth = club.stack.queue_depth()
    second = club.membership("m1", EMAIL, "active", T0, event_id="evt-dup")
    assert first.status == second.status == 202
    assert second.body == first.body
    assert club.stack.queue_depth() == depth
    club.converge()
    assert len(club.users_by_email()[EMAIL]) == 1


def test_the_same_change_under_a_new_event_id_writes_nothing_new(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0, event_id="evt-a")
    club.converge()
    version = club.stored_member("m1").version
    again = club.membership("m1", EMAIL, "active", T0, event_id="evt-b")
    assert again.body["duplicate"] == 1
    club.converge()
    assert club.stored_member("m1").version == version
    assert len(club.users_by_email()[EMAIL]) == 1


def test_out_of_order_webhooks_end_in_the_newest_state(club: Club) -> None:
    cancelled = club.membership("m1", EMAIL, "cancelled", T0 + timedelta(minutes=5))
    older_active = club.membership("m1", EMAIL, "active", T0)
    assert cancelled.body["applied"] == 1
    assert older_active.body["stale"] == 1
    club.converge()
    assert EMAIL not in club.group_emails()
    assert club.stored_member("m1").status.value == "cancelled"


def test_an_event_arriving_between_convergences_is_not_undone(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    club.membership("m1", EMAIL, "paused", T0 + timedelta(minutes=1))
    # Both commands are queued; whichever runs first reads the newest state (paused).
    club.converge()
    assert EMAIL not in club.group_emails()
    assert EMAIL not in club.users_by_email()


def test_an_event_id_reused_with_another_payload_is_refused(club: Club) -> None:
    """Issue 14, L3: a redelivery (same id, same payload) is answered from the first delivery; the
    same id with another payload is a platform bug or a forgery: 409, nothing changed."""
    first = club.membership("m-reuse", "reuse@example.com", "active", T0, event_id="evt-reused")
    assert first.status == 202
    again = club.membership("m-reuse", "reuse@example.com", "active", T0, event_id="evt-reused")
    assert again.status == 202
    assert again.body == first.body
    forged = club.membership(
        "m-reuse", "reuse@example.com", "cancelled", T0 + timedelta(days=1), event_id="evt-reused"
    )
    assert forged.status == 409, forged.body
    assert forged.body["error"] == "event_id_reused"
    assert club.stored_member("m-reuse").status.value == "active"
