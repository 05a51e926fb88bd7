"""Per-caller usage limits (domain/usage.py): fixed windows aligned on the epoch, the refusal with
the seconds to the next window, and a counter that fails lets the request through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from access_core.domain.errors import RateLimited
from access_core.domain.usage import (
    ADMIN_PER_CALLER,
    UNLOCK_PER_PLAYER,
    WEBHOOKS_PER_TENANT,
    UsageLimit,
    UsageWindow,
    admit,
    window_of,
)
from tests.fakes import FakeMetrics

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 4, 5, 0, 0, tzinfo=UTC)
LIMIT = UsageLimit("test", requests=3, window_seconds=60)


@dataclass
class CountingCounter:
    """The UsageCounter in memory, as DynamoDB's conditional update counts."""

    counts: dict[tuple[str, str, str, datetime], int] = field(default_factory=dict)

    def take(self, tenant_id: str, caller: str, limit: UsageLimit, window: UsageWindow) -> bool:
        key = (tenant_id, caller, limit.api, window.starts_at)
        if self.counts.get(key, 0) >= limit.requests:
            return False
        self.counts[key] = self.counts.get(key, 0) + 1
        return True


class BrokenCounter:
    def take(self, tenant_id: str, caller: str, limit: UsageLimit, window: UsageWindow) -> bool:
        raise ConnectionError("DynamoDB unreachable")


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
limits = st.builds(
    UsageLimit,
    api=st.just("x"),
    requests=st.integers(1, 1000),
    window_seconds=st.integers(1, 3600),
)


@given(moments, limits)
def test_a_moment_falls_in_its_window_and_the_retry_is_at_its_end(
    now: datetime, limit: UsageLimit
) -> None:
    window = window_of(limit, now)
    assert window.starts_at <= now < window.ends_at
    assert window.ends_at - window.starts_at == timedelta(seconds=limit.window_seconds)
    assert int(window.starts_at.timestamp()) % limit.window_seconds == 0
    seconds = window.retry_after_seconds(now)
    assert 1 <= seconds <= limit.window_seconds
    assert now + timedelta(seconds=seconds) >= window.ends_at


@given(moments, limits, st.integers(0, 3600))
def test_two_instances_count_a_moment_into_the_same_window(
    now: datetime, limit: UsageLimit, later_seconds: int
) -> None:
    later = now + timedelta(seconds=later_seconds)
    same = window_of(limit, now) == window_of(limit, later)
    assert same == (later < window_of(limit, now).ends_at)


def test_a_caller_is_refused_past_the_limit_and_admitted_in_the_next_window() -> None:
    counter, metrics = CountingCounter(), FakeMetrics()
    for _ in range(LIMIT.requests):
        admit(counter, "club-1", "admin-7", LIMIT, T0, metrics)
    with pytest.raises(RateLimited) as refused:
        admit(counter, "club-1", "admin-7", LIMIT, T0 + timedelta(seconds=20), metrics)
    assert refused.value.code == "usage_limit_exceeded"
    assert refused.value.retry_after_seconds == 40
    assert "at most 3 every 60 s" in refused.value.message
    assert metrics.counts["UsageLimited"] == 1
    # Another caller, another tenant: their own counts.
    admit(counter, "club-1", "admin-8", LIMIT, T0, metrics)
    admit(counter, "club-2", "admin-7", LIMIT, T0, metrics)
    admit(counter, "club-1", "admin-7", LIMIT, T0 + timedelta(seconds=60), metrics)


def test_a_counter_that_cannot_be_reached_lets_the_request_through() -> None:
    metrics = FakeMetrics()
    admit(BrokenCounter(), "club-1", "player-3", LIMIT, T0, metrics)
    assert metrics.counts["UsageNotCounted"] == 1


def test_the_limits_leave_room_for_callers_that_behave() -> None:
    # A console screen makes a few calls, an unlock one or two, a bulk change one per member.
    assert ADMIN_PER_CALLER.requests / ADMIN_PER_CALLER.window_seconds >= 2
    assert UNLOCK_PER_PLAYER.requests >= 10
    # One club cannot take more than a third of the webhook route's 100 requests/s.
    assert WEBHOOKS_PER_TENANT.requests / WEBHOOKS_PER_TENANT.window_seconds <= 100 / 3


def test_a_limit_needs_a_request_and_a_window() -> None:
    with pytest.raises(ValueError):
        UsageLimit("x", requests=0, window_seconds=60)
    with pytest.raises(ValueError):
        UsageLimit("x", requests=1, window_seconds=0)
