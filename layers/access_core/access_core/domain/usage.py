"""Per-caller usage limits: how many requests one caller (an admin, a player, a club's platform)
may make in a fixed window, and which window a request falls in.

API Gateway's HTTP APIs throttle per route and stage only (usage plans are a REST API feature), so
one caller with a valid token could use a route's whole rate and starve every other club. Each
function therefore counts its callers' requests (`ports.UsageCounter`, one conditional DynamoDB
update) and refuses a caller over their limit with a 429 before doing any other work.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from access_core.domain.errors import RateLimited

if TYPE_CHECKING:
    from access_core.domain.ports import MetricsSink, UsageCounter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsageLimit:
    """At most `requests` per `window_seconds` for one caller of `api`."""

    api: str
    requests: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.requests < 1 or self.window_seconds < 1:
            raise ValueError("a usage limit needs at least 1 request per window of 1 s or more")


@dataclass(frozen=True)
class UsageWindow:
    """The fixed window a moment falls in: [starts_at, ends_at)."""

    starts_at: datetime
    ends_at: datetime

    def retry_after_seconds(self, now: datetime) -> int:
        """Whole seconds until the next window opens (at least 1)."""
        return max(1, math.ceil((self.ends_at - now).total_seconds()))


def window_of(limit: UsageLimit, now: datetime) -> UsageWindow:
    """Windows are aligned on the epoch: every instance of a function counts into the same one."""
    epoch_seconds = int(now.timestamp())
    start = epoch_seconds - epoch_seconds % limit.window_seconds
    starts_at = datetime.fromtimestamp(start, UTC)
    return UsageWindow(starts_at, starts_at + timedelta(seconds=limit.window_seconds))


# The limits of each API, per caller (docs/operations.md, "Per-caller usage limits"). Generous for
# people and platforms that behave: a club admin's console makes a few calls a screen, a player
# one or two an unlock, a platform's bulk change one webhook per member.
ADMIN_PER_CALLER = UsageLimit("admin", requests=240, window_seconds=60)
UNLOCK_PER_PLAYER = UsageLimit("unlock", requests=30, window_seconds=60)
WEBHOOKS_PER_TENANT = UsageLimit("webhook", requests=300, window_seconds=10)


def admit(
    counter: UsageCounter,
    tenant_id: str,
    caller: str,
    limit: UsageLimit,
    now: datetime,
    metrics: MetricsSink,
) -> None:
    """Count the request; raise `RateLimited` (with the seconds to the next window) when the
    caller is over `limit`. A counter that cannot be reached lets the request through: a player
    at a door or a paying member's webhook must not be refused because the count is unknown."""
    window = window_of(limit, now)
    try:
        admitted = counter.take(tenant_id, caller, limit, window)
    except Exception:
        logger.warning(
            "usage could not be counted; the request goes on",
            exc_info=True,
            extra={"tenant_id": tenant_id, "api": limit.api},
        )
        metrics.count("UsageNotCounted")
        return
    if admitted:
        return
    metrics.count("UsageLimited")
    seconds = window.retry_after_seconds(now)
    raise RateLimited(
        f"Too many requests: at most {limit.requests} every {limit.window_seconds} s per caller "
        f"of the {limit.api} API. Retry after {seconds} s.",
        retry_after_seconds=seconds,
        code="usage_limit_exceeded",
    )
