"""Webhook ingestion: what one platform event costs the webhook function in AWS calls, per event
type, through the real handler (in-process stack, moto): DynamoDB round trips (all of them, and
the stores' own `round_trips` counter, which leaves out the idempotency record), DynamoDB
writes, SQS send calls and messages, SSM reads. No Kisi call is made on this path."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta

from bench.support import (
    T0,
    AwsCallCounter,
    BenchTenant,
    Report,
    connect_tenant,
    dynamodb_writes,
    in_process_stack,
    seed_org,
    service_calls,
)

BENCH = "webhook_ingestion"


def _measure(
    report: Report,
    counter: AwsCallCounter,
    tenant: BenchTenant,
    name: str,
    events: int,
    send: Callable[[int], object],
    meaning: str,
) -> None:
    from access_core import bootstrap

    stores = bootstrap.container().stores
    queue = bootstrap.container().command_queue
    before = counter.snapshot()
    stores_before = stores.round_trips
    queue_before = queue.round_trips
    for n in range(events):
        send(n)
    calls, messages = counter.since(before)
    store_trips = stores.round_trips - stores_before
    queue_trips = queue.round_trips - queue_before
    # Leave nothing queued for the next scenario's counts.
    tenant.stack.drain_commands()
    per = float(events)
    dynamodb = service_calls(calls, "dynamodb")
    ops = ", ".join(
        f"{op.split('.', 1)[1]} x{count / per:g}"
        for op, count in sorted(calls.items())
        if op.startswith("dynamodb.")
    )
    report.figure(f"{name}.dynamodb_round_trips", dynamodb / per, f"{meaning} [{ops}]")
    report.figure(
        f"{name}.store_round_trips",
        store_trips / per,
        "stores.round_trips (the rest is Powertools' idempotency record)",
    )
    report.figure(f"{name}.dynamodb_writes", dynamodb_writes(calls) / per, "writes among them")
    report.figure(
        f"{name}.sqs_sends",
        queue_trips / per,
        f"SendMessageBatch calls; {messages / per:g} command message(s) per event",
    )
    report.figure(f"{name}.ssm_reads", service_calls(calls, "ssm") / per, "warm: cached secret")


def run(*, events: int = 20) -> Report:
    report = Report(BENCH)
    with in_process_stack() as (stack, kisi):
        org = seed_org(kisi.emulator, "ingest")
        tenant = connect_tenant(stack, "bench-ingest", org)
        counter = AwsCallCounter()
        # Warm the function (first-invocation SSM read, clients) outside the counts.
        tenant.membership("warm-up")
        stack.drain_commands()

        def member(n: int) -> str:
            return f"m{n:04d}"

        _measure(
            report,
            counter,
            tenant,
            "membership_upserted.new_member",
            events,
            lambda n: tenant.membership(member(n)),
            "membership.upserted, unknown member",
        )
        _measure(
            report,
            counter,
            tenant,
            "membership_upserted.status_change",
            events,
            lambda n: tenant.membership(member(n), "paused"),
            "membership.upserted, known",
        )

        # A redelivery is the same body again (the same event id with another payload is refused).
        sent_at = [tenant.updated_at() for _ in range(events)]
        replayed = [
            tenant.membership(member(n), "active", updated_at=sent_at[n]) for n in range(events)
        ]
        _measure(
            report,
            counter,
            tenant,
            "membership_upserted.redelivered",
            events,
            lambda n: tenant.membership(
                member(n), event_id=replayed[n].body["event_id"], updated_at=sent_at[n]
            ),
            "the same event id again (answered from the idempotency record)",
        )
        stale = (T0 - timedelta(days=1)).isoformat()
        _measure(
            report,
            counter,
            tenant,
            "membership_upserted.stale",
            events,
            lambda n: tenant.membership(member(n), "cancelled", updated_at=stale),
            "an older updated_at under a new event id (ignored by the condition)",
        )
        _measure(
            report,
            counter,
            tenant,
            "member_profile_updated",
            events,
            lambda n: tenant.post(
                "member.profile_updated",
                {
                    "member_id": member(n),
                    "email": f"{member(n)}.b@x.example",
                    "name": "B",
                },
            ),
            "member.profile_updated",
        )
        _measure(
            report,
            counter,
            tenant,
            "membership_deleted",
            events,
            lambda n: tenant.post("membership.deleted", {"member_id": member(n)}),
            "membership.deleted",
        )
        _measure(
            report,
            counter,
            tenant,
            "plan_updated",
            events,
            lambda n: tenant.post(
                "plan.updated",
                {
                    "plan_id": f"plan-{n}",
                    "name": "Plan",
                    "has_24h_access": True,
                },
            ),
            "plan.updated (one re-evaluation command for the plan's members)",
        )
        start = (T0 + timedelta(days=2)).isoformat()
        end = (T0 + timedelta(days=2, hours=1)).isoformat()
        _measure(
            report,
            counter,
            tenant,
            "reservation_upserted",
            events,
            lambda n: tenant.post(
                "reservation.upserted",
                {
                    "reservation_id": f"r{n}",
                    "player_ids": [f"player-{n}"],
                    "court": "Court 1",
                    "start": start,
                    "end": end,
                },
            ),
            "reservation.upserted",
        )
        _measure(
            report,
            counter,
            tenant,
            "reservation_cancelled",
            events,
            lambda n: tenant.post("reservation.cancelled", {"reservation_id": f"r{n}"}),
            "reservation.cancelled",
        )
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook_ingestion", description=__doc__)
    parser.add_argument("--events", type=int, default=20, help="events per type")
    parser.add_argument("--quick", action="store_true", help="2 events per type")
    args = parser.parse_args(argv)
    run(events=2 if args.quick else args.events)


if __name__ == "__main__":
    main()
