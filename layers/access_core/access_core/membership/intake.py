"""The one ordered, idempotent path by which platform state enters the bridge: a webhook's
events, a record pulled by a sync, a member the worker looked up. Each event is stored only if it
is newer than what is stored (its `updated_at` against the item's), and the commands it calls for
are queued. A repeated or older event changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from access_core.domain.commands import Command, ConvergeMember, QueuedCommand, ReevaluatePlan
from access_core.domain.events import (
    CanonicalEvent,
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipUpserted,
    PlanUpdated,
    ReservationCancelled,
    ReservationUpserted,
    utc_iso,
)
from access_core.domain.model import Tenant
from access_core.domain.ports import CommandQueue
from access_core.infrastructure.storage import Stores, WriteOutcome, WriteResult


@dataclass
class IntakeSummary:
    """What the events did: how many were applied, duplicates, stale; the commands queued."""

    counts: dict[str, int] = field(default_factory=lambda: {r.value: 0 for r in WriteResult})
    commands: int = 0

    def as_dict(self) -> dict[str, int]:
        return {**self.counts, "commands": self.commands}

    def add(self, other: IntakeSummary) -> None:
        for name, value in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        self.commands += other.commands


def store_platform_events(
    stores: Stores,
    queue: CommandQueue,
    tenant: Tenant,
    events: Sequence[CanonicalEvent],
    *,
    converge: bool = True,
) -> IntakeSummary:
    """Store each event (conditionally on its updated_at) and queue the commands it calls for.
    `converge=False`: store only (the caller converges the member itself, right after)."""
    tenant_id = tenant.tenant_id
    summary = IntakeSummary()
    commands: list[Command] = []
    for event in events:
        outcome: WriteOutcome
        command: Command | None = None
        match event:
            case MembershipUpserted() | MembershipDeleted() | MemberProfileUpdated():
                if isinstance(event, MembershipUpserted):
                    outcome = stores.members.upsert(tenant_id, event)
                elif isinstance(event, MemberProfileUpdated):
                    outcome = stores.members.upsert_profile(tenant_id, event)
                else:
                    outcome = stores.members.delete(tenant_id, event)
                command = ConvergeMember(
                    tenant_id=tenant_id,
                    member_id=event.member_id,
                    cause=f"member-v{outcome.version}",
                )
            case PlanUpdated():
                outcome = stores.tenants.upsert_plan(tenant_id, event)
                command = ReevaluatePlan(
                    tenant_id=tenant_id,
                    plan_id=event.plan_id,
                    plan_version=utc_iso(event.updated_at),
                )
            case ReservationUpserted():
                outcome = stores.reservations.upsert(tenant_id, event)
            case ReservationCancelled():
                outcome = stores.reservations.cancel(tenant_id, event)
        summary.counts[outcome.result.value] += 1
        # A duplicate is sent again: its first delivery may have stored the state and then failed
        # before sending. The deduplication id makes the resend free within SQS's window.
        if command is not None and outcome.result is not WriteResult.STALE:
            commands.append(command)
    if converge:
        queue.send([QueuedCommand(c, tenant.message_group_id) for c in commands])
        summary.commands = len(commands)
    return summary


def not_after(events: Sequence[CanonicalEvent], now: datetime) -> list[CanonicalEvent]:
    """The events with no `updated_at` later than `now`: for a platform whose event times are not
    signed (PushPress's `created` lies outside its signature), so that a forged future time cannot
    outrank what the platform's API says later."""
    return [e.model_copy(update={"updated_at": min(e.updated_at, now)}) for e in events]
