"""Per-caller usage limits (issue 14, M2): one admin, one player or one club's platform over its
limit gets 429 with Retry-After before anything else is read or written, and every other caller
goes on. The counters are filled to the limit directly (not by hundreds of requests), on a clock
that stands still so that no window ends during a test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from access_core import bootstrap
from access_core.domain.usage import (
    ADMIN_PER_CALLER,
    UNLOCK_PER_PLAYER,
    WEBHOOKS_PER_TENANT,
    UsageLimit,
    window_of,
)
from access_core.http.api import MAX_BODY_BYTES
from access_core.infrastructure.storage.usage import usage_key
from access_core.ingest.service import MAX_WEBHOOK_BODY_BYTES
from tests.fakes import FakeClock
from tests.integration.harness import (
    T0,
    TENANT_ID,
    AdminApi,
    Club,
    UnlockApi,
    stack_contents,
)


@pytest.fixture
def clock() -> FakeClock:
    """Near the real time (webhook signatures carry it), 15 s into a minute: 5 s into 10 s."""
    real = int(datetime.now(UTC).timestamp())
    return FakeClock(datetime.fromtimestamp(real - real % 60 + 15, UTC))


@pytest.fixture
def still(club: Club, clock: FakeClock) -> FakeClock:
    container = bootstrap.container()
    container.clock = clock.now
    container.webhook = replace(container.webhook, clock=clock.now)
    return clock


def use_up(limit: UsageLimit, caller: str, clock: FakeClock) -> None:
    key = usage_key(TENANT_ID, caller, limit, window_of(limit, clock.now()))
    bootstrap.container().stores.table.put({**key, "entity": "usage", "requests": limit.requests})


def test_an_admin_over_the_limit_is_refused_and_another_admin_goes_on(
    club: Club, still: FakeClock
) -> None:
    use_up(ADMIN_PER_CALLER, "admin-7", still)
    admin = AdminApi(club.stack)
    before = stack_contents(club.stack)
    refused = admin("PUT", "/settings", {"platform": "canonical", "door_access_enabled": False})
    assert refused.status == 429, refused.body
    assert refused.body["error"] == "usage_limit_exceeded"
    assert refused.headers["Retry-After"] == "45"
    assert "at most 240 every 60 s" in refused.body["message"]
    assert stack_contents(club.stack) == before

    claims = {"sub": "admin-8", "tenant_id": TENANT_ID, "roles": "[admin]"}
    assert admin("GET", "/settings", claims=claims).status == 200
    still.advance(45)
    assert admin("GET", "/settings").status == 200, "the next window admits admin-7 again"


def usage_items() -> list[dict[str, object]]:
    return list(bootstrap.container().stores.table.query_prefix(TENANT_ID, "USAGE#"))


def test_a_refused_caller_is_not_counted(club: Club, still: FakeClock) -> None:
    before = usage_items()
    admin = AdminApi(club.stack)
    assert admin("GET", "/settings", claims={"sub": "x", "tenant_id": TENANT_ID}).status == 403
    assert usage_items() == before, "only callers the token admits are counted"


def test_a_player_over_the_limit_is_refused_before_any_read(club: Club, still: FakeClock) -> None:
    use_up(UNLOCK_PER_PLAYER, "player-3", still)
    before = bootstrap.container().stores.round_trips
    refused = UnlockApi(club.stack).unlock("res-1", 6)
    assert refused.status == 429, refused.body
    assert refused.body["error"] == "usage_limit_exceeded"
    assert bootstrap.container().stores.round_trips - before == 1, "the count, nothing else"
    club.kisi.emulator.reset_counts()
    assert club.kisi.emulator.call_count() == 0
    other = UnlockApi(club.stack, player_id="player-4").doors("res-1")
    assert other.status == 403, "another player is not limited"
    assert other.body["error"] == "door_access_disabled"


def test_a_clubs_webhooks_over_the_limit_are_refused_and_its_retry_is_stored(
    club: Club, still: FakeClock
) -> None:
    use_up(WEBHOOKS_PER_TENANT, "canonical", still)
    data = {
        "member_id": "m1",
        "email": "ada@example.com",
        "plan_id": "gold-24h",
        "status": "active",
        "updated_at": T0.isoformat(),
    }
    before = stack_contents(club.stack)
    refused = club.post("membership.upserted", data, event_id="evt-limited")
    assert refused.status == 429, refused.body
    assert refused.headers["Retry-After"] == "5"
    assert stack_contents(club.stack) == before, "nothing stored, nothing queued"

    still.advance(5)
    assert club.post("membership.upserted", data, event_id="evt-limited").status == 202
    club.converge()
    assert "ada@example.com" in club.group_emails()


def test_forged_webhooks_do_not_use_up_a_clubs_limit(club: Club, still: FakeClock) -> None:
    before = usage_items()
    for _ in range(3):
        forged = club.stack.post_webhook("canonical", TENANT_ID, b"{}", secret="not-the-secret")
        assert forged.status == 401
    assert usage_items() == before


def test_an_oversized_body_is_refused_before_any_read_or_count(club: Club) -> None:
    stores = bootstrap.container().stores
    items = usage_items()
    before = stores.round_trips
    admin = AdminApi(club.stack)
    too_large = admin("PUT", "/settings", raw_body=b'{"name": "' + b"x" * MAX_BODY_BYTES + b'"}')
    assert too_large.status == 413, too_large.body
    webhook = club.stack.post_webhook(
        "canonical", TENANT_ID, b"x" * (MAX_WEBHOOK_BODY_BYTES + 1), secret=club.webhook_secret
    )
    assert webhook.status == 413, webhook.body
    assert webhook.body["error"] == "payload_too_large"
    assert stores.round_trips == before, "no tenant read, no usage count"
    assert usage_items() == items
