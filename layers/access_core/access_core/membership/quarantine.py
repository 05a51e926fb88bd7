"""The mass-revoke circuit breaker, as pure functions: is a revoke applied now, or held in
quarantine until a club admin approves it?

A revoke (a convergence that takes a member's access away) is counted in the tenant's sliding
hour, whether it was applied or held, once per member (a member revoked twice in the hour, say
paused and then cancelled, is one member losing access). It is held when

- counting it, the members revoked in the hour exceed the allowance: `threshold_percent` of the
  tenant's entitled members (those holding access when the count was taken), rounded down, but
  never less than MINIMUM_REVOKES_PER_HOUR, so that a 3-member club is not tripped by one
  cancellation; or
- a revoke was held less than an hour ago: once tripped, the breaker stays open for the hour, so a
  burst is not let through piecemeal as the first revokes age out of the window.

Grants are never held, and neither is a revoke while the threshold is 0 (the breaker is off).
docs/access-rules.md ("Mass-revoke circuit breaker") has the rules and their reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from access_core.domain.model import DEFAULT_MASS_REVOKE_PERCENT
from access_core.membership.convergence import ConvergenceStep, RevokeGrant
from access_core.membership.policy import MembershipDecision

REVOKE_WINDOW = timedelta(hours=1)
DEFAULT_THRESHOLD_PERCENT = DEFAULT_MASS_REVOKE_PERCENT
# Revokes an hour that never trip the breaker, whatever the club's size.
MINIMUM_REVOKES_PER_HOUR = 3


class BreakerVerdict(StrEnum):
    APPLY = "apply"
    HOLD = "hold"


@dataclass(frozen=True)
class CountedRevoke:
    member_id: str
    at: datetime


@dataclass(frozen=True)
class RevokeWindow:
    """The tenant's revokes of the trailing hour (applied and held, the latest per member) and
    its last held revoke."""

    revokes: tuple[CountedRevoke, ...] = ()
    last_held_at: datetime | None = None

    def within_hour_of(self, now: datetime) -> RevokeWindow:
        """The window without what is an hour old or older at `now`."""
        since = now - REVOKE_WINDOW
        held = self.last_held_at if self.last_held_at and self.last_held_at > since else None
        return RevokeWindow(tuple(r for r in self.revokes if r.at > since), held)

    def tripped_at(self, now: datetime) -> bool:
        return self.within_hour_of(now).last_held_at is not None


@dataclass(frozen=True)
class BreakerDecision:
    verdict: BreakerVerdict
    window: RevokeWindow  # the window to store after this change
    allowance: int  # revokes the hour allows (0: the breaker is off)
    counted: int  # members revoked in the hour, this one included (0 for a grant)

    @property
    def held(self) -> bool:
        return self.verdict is BreakerVerdict.HOLD


def revoke_allowance(entitled_members: int, threshold_percent: int) -> int:
    """Revokes allowed in an hour; 0 when the breaker is off (`threshold_percent` 0)."""
    if threshold_percent <= 0:
        return 0
    return max(MINIMUM_REVOKES_PER_HOUR, entitled_members * threshold_percent // 100)


def loses_access(decision: MembershipDecision, steps: Sequence[ConvergenceStep]) -> bool:
    """The convergence takes the member's access away: not granted, and an assignment leaves
    Kisi (one kept for a family member sharing the email is not a revoke)."""
    return not decision.granted and any(
        isinstance(step, RevokeGrant) and step.shared is None for step in steps
    )


def judge_change(
    *,
    member_id: str,
    is_revoke: bool,
    window: RevokeWindow,
    entitled_members: int,
    threshold_percent: int,
    now: datetime,
) -> BreakerDecision:
    """Apply or hold one access change of the tenant's member at `now`, and the window after
    it."""
    current = window.within_hour_of(now)
    allowance = revoke_allowance(entitled_members, threshold_percent)
    if not is_revoke:
        return BreakerDecision(BreakerVerdict.APPLY, current, allowance, 0)
    others = tuple(r for r in current.revokes if r.member_id != member_id)
    counted = len(others) + 1
    if allowance == 0:
        return BreakerDecision(BreakerVerdict.APPLY, current, 0, counted)
    held = current.last_held_at is not None or counted > allowance
    after = RevokeWindow(
        (*others, CountedRevoke(member_id, now)), now if held else current.last_held_at
    )
    return BreakerDecision(
        BreakerVerdict.HOLD if held else BreakerVerdict.APPLY, after, allowance, counted
    )
