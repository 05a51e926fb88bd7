"""POST /webhook-secret: a new signing secret, answered once (no-store) and never again; the new
one is accepted at once, the old one for the rotation overlap (24 hours) and refused after it
(issue 14, L3)."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from access_core import bootstrap
from access_core.domain.secrets import DEFAULT_ROTATION_OVERLAP
from tests.integration.conftest import LogCapture
from tests.integration.harness import (
    T0,
    TENANT_ID,
    AdminApi,
    Club,
    secret_parameters,
    stack_state,
)

MEMBERSHIP = {
    "id": "evt-rotation",
    "type": "membership.upserted",
    "data": {
        "member_id": "m1",
        "email": "ada@example.com",
        "name": "Ada",
        "plan_id": "gold-24h",
        "status": "active",
        "updated_at": T0.isoformat(),
    },
}


def post_signed(club: Club, secret: str, event_id: str, at: datetime | None = None) -> int:
    """Signed at `at` (default now); the webhook function's clock reads `at` too."""
    body = {**MEMBERSHIP, "id": event_id}
    timestamp = None
    if at is not None:
        container = bootstrap.container()
        container.webhook = replace(container.webhook, clock=lambda: at)
        timestamp = int(at.timestamp())
    return club.stack.post_webhook(
        "canonical", TENANT_ID, body, secret=secret, timestamp=timestamp
    ).status


def after_the_overlap() -> datetime:
    return datetime.now(UTC) + DEFAULT_ROTATION_OVERLAP + timedelta(minutes=1)


def test_rotation_answers_the_new_secret_once_and_the_old_one_works_for_the_overlap_only(
    club: Club, admin: AdminApi, all_logs: LogCapture
) -> None:
    old = club.webhook_secret

    result = admin("POST", "/webhook-secret")

    assert result.status == 200, result.body
    new = result.body["secret"]
    assert len(new) >= 32
    assert new != old
    assert result.headers["Cache-Control"] == "no-store"
    assert result.body["tenant_id"] == TENANT_ID
    assert result.body["signature_header"] == "X-Bridge-Signature"
    stored = json.loads(secret_parameters(club.stack)["webhook-secret"])["secrets"]
    assert [entry["value"] for entry in stored] == [new, old]
    assert stored[0]["valid_until"] is None  # the current one
    assert stored[1]["valid_until"] is not None  # the end of the overlap
    assert post_signed(club, new, "evt-new") < 300
    assert post_signed(club, old, "evt-old") < 300  # deliveries signed before the switch
    assert post_signed(club, old, "evt-old-late", at=after_the_overlap()) == 401
    assert post_signed(club, new, "evt-new-late", at=after_the_overlap()) < 300
    assert club.stored_member("m1").email == "ada@example.com"
    # Shown once: no other response, stored item or log line carries it.
    for path in ("/settings", "/status", "/locks", "/members/m1/access"):
        later = admin("GET", path)
        assert new not in str(later.body) + str(later.headers)
    assert new not in str(stack_state(club.stack)["items"])
    assert new not in all_logs.text
    assert club.stack_audit()[0]["action"] == "admin.webhook_secret_rotated"


def test_each_rotation_makes_the_new_secret_current_and_ends_the_others_after_the_overlap(
    club: Club, admin: AdminApi
) -> None:
    original = club.webhook_secret
    first = admin("POST", "/webhook-secret").body["secret"]
    second = admin("POST", "/webhook-secret").body["secret"]

    assert len({original, first, second}) == 3
    for index, secret in enumerate((original, first, second)):
        assert post_signed(club, secret, f"evt-{index}") < 300
    later = after_the_overlap()
    assert post_signed(club, original, "evt-original-late", at=later) == 401
    assert post_signed(club, first, "evt-first-late", at=later) == 401
    assert post_signed(club, second, "evt-second-late", at=later) < 300


def test_rotation_needs_a_tenant_with_settings(club: Club) -> None:
    api = AdminApi(club.stack, tenant_id="club-9")
    before = stack_state(club.stack)

    result = api("POST", "/webhook-secret")

    assert result.status == 404
    assert "secret" not in result.body
    assert stack_state(club.stack) == before


def test_a_rotation_does_not_disturb_membership_access(club: Club, admin: AdminApi) -> None:
    club.membership("m1", "ada@example.com", "active", T0)
    club.converge()

    new = admin("POST", "/webhook-secret").body["secret"]
    club.webhook_secret = new
    club.membership("m1", "ada@example.com", "paused", T0 + timedelta(hours=1))
    club.converge()

    assert "ada@example.com" not in club.group_emails()


def test_a_rotated_secret_is_accepted_by_a_webhook_function_that_cached_the_old_one(
    club: Club, admin_in_own_container: AdminApi
) -> None:
    admin = admin_in_own_container
    old = club.webhook_secret
    assert post_signed(club, old, "evt-before") < 300  # the webhook function caches `old`

    new = admin("POST", "/webhook-secret").body["secret"]

    assert post_signed(club, new, "evt-after") < 300
    # The fresh read replaced the cached set: the old secret keeps its overlap, then ends.
    assert post_signed(club, old, "evt-during-overlap") < 300
    assert post_signed(club, old, "evt-late", at=after_the_overlap()) == 401
