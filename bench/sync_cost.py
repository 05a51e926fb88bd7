"""Kisi calls of the daily and weekly syncs (issue 5's efficiency bar), counted by the Kisi
emulator, through the real sync service, SQS queue (moto) and Kisi worker.

What is measured where, so that the whole run takes a couple of minutes (moto serialises each
DynamoDB member item in milliseconds, so 10,000 members cannot go through it that fast):

- N members (default 10,000), already in sync, seeded straight into the emulator: the weekly
  sync's Kisi calls (the diff reads the member pages from memory; every other read and write, and
  every Kisi call, is real), the naive approach (one user lookup per member, measured on a sample
  and scaled to N), 1% drift made by hand and repaired through the queue and the worker, and the
  sync's own calls for onboarding N new members (a dry run over an empty group);
- M members (default 200) through the whole pipeline, moto included: onboarding (weekly sync,
  queue, worker: the worker's calls per member, projected to N), the weekly sync once they are in
  sync, and the daily sync with 1% of them changed.

The worker's pacing (4 calls/s per Kisi user) is lifted here: the benchmark counts calls, not
seconds. At Kisi's real 5 calls/s every call is 200 ms of a tenant's budget.

`python -m bench.sync_cost [--members N] [--pipeline-members M] [--quick]`
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.support import (
    GOLD_PLAN,
    KisiOrg,
    Report,
    connect_tenant,
    group_members,
    in_process_stack,
    kisi_calls,
    seed_org,
)

BENCH = "sync_cost"
PAGE = 250
NAIVE_SAMPLE = 50
STEADY = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def _seed_kisi_members(
    emulator: Any, org: KisiOrg, emails: list[str]
) -> dict[str, tuple[int, int]]:
    """Users holding the org's group, straight into the emulator: email -> (user, assignment)."""
    document = {
        "organizations": [
            {
                "id": org.organization_id,
                "users": [{"ref": email, "email": email} for email in emails],
                "role_assignments": [{"user": email, "group": org.group_id} for email in emails],
            }
        ]
    }
    [seeded] = emulator.seed(document)["organizations"].values()
    users: dict[str, int] = seeded["users"]
    return {
        email: (users[email], assignment)
        for email, assignment in zip(emails, seeded["role_assignments"], strict=True)
    }


def _members(
    tenant_id: str, group_id: int, emails: list[str], kisi: dict[str, tuple[int, int]] | None
) -> list[Any]:
    """Members as the webhook and the worker leave them: in sync with `kisi` (user and
    assignment ids by email) when given, else never converged (pending)."""
    from access_core.domain.events import MembershipStatus
    from access_core.domain.model import KisiGrant, Member, MemberKisiState, SyncState

    members = []
    for index, email in enumerate(emails):
        state = MemberKisiState()
        if kisi is not None:
            user_id, assignment_id = kisi[email]
            grant = KisiGrant(
                email=email,
                group_id=group_id,
                user_id=user_id,
                assignment_id=assignment_id,
                user_created_by_us=True,
            )
            state = MemberKisiState(
                grants=[grant],
                sync_state=SyncState.IN_SYNC,
                synced_version=1,
                last_synced_at=STEADY,
            )
        members.append(
            Member(
                tenant_id=tenant_id,
                member_id=f"m{index:06d}",
                email=email,
                name=f"m{index:06d}",
                plan_id=GOLD_PLAN,
                status=MembershipStatus.ACTIVE,
                platform_updated_at=STEADY,
                kisi=state,
            )
        )
    return members


def _store_members(members: list[Any]) -> None:
    """Member items as the member store writes them, 25 a BatchWriteItem."""
    from boto3.dynamodb.types import TypeSerializer

    from access_core import bootstrap
    from access_core.domain.events import utc_iso

    serializer = TypeSerializer()
    table = bootstrap.container().settings.table_name
    stamp = utc_iso(STEADY)
    items: list[Any] = []
    for member in members:
        pk = f"TENANT#{member.tenant_id}"
        in_sync = bool(member.kisi.grants)
        item: dict[str, Any] = {
            "PK": pk,
            "SK": f"MEMBER#{member.member_id}",
            "entity": "member",
            **member.model_dump(mode="json", exclude={"kisi", "cancellation_at"}),
            "GSI1PK": f"{pk}#PLAN#{GOLD_PLAN}",
            "GSI1SK": member.member_id,
            "changed_at": stamp,
            "GSI2PK": f"{pk}#MEMBERS",
            "GSI2SK": f"{stamp}#{member.member_id}",
            "kisi_grants": [g.model_dump(mode="json") for g in member.kisi.grants],
            "sync_state": member.kisi.sync_state.value,
            "synced_version": member.kisi.synced_version,
        }
        if in_sync:
            item["last_synced_at"] = stamp
        else:
            item |= {"GSI3PK": f"{pk}#UNSYNCED", "GSI3SK": member.member_id}
        clean = {k: v for k, v in item.items() if v is not None}
        items.append(
            {"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in clean.items()}}}
        )
    client = bootstrap.container().dynamodb
    for start in range(0, len(items), 25):
        pending: list[Any] = items[start : start + 25]
        while pending:
            response = client.batch_write_item(RequestItems={table: pending})
            pending = list(response.get("UnprocessedItems", {}).get(table, []))


def _members_in_memory(members: list[Any]) -> Any:
    """The bridge table (moto) for everything but the member pages the weekly diff reads, which
    come from `members`: moto serialises each member item in milliseconds, which would make the
    benchmark's 10,000 members take many minutes. The sync's Kisi calls are the same."""
    from access_core import bootstrap
    from access_core.infrastructure.storage import Stores
    from access_core.infrastructure.storage.members import MemberStore

    class MembersInMemory(MemberStore):
        def page(
            self, tenant_id: str, cursor: str | None, page_size: int
        ) -> tuple[list[Any], str | None]:
            start = int(cursor or 0)
            end = start + page_size
            return members[start:end], (str(end) if end < len(members) else None)

    container = bootstrap.container()
    stores = Stores.on(container.dynamodb, container.settings.table_name, bootstrap.utc_now)
    stores.members = MembersInMemory(stores.table)
    return stores


def _writes(calls: Counter[str]) -> int:
    return sum(n for endpoint, n in calls.items() if not endpoint.startswith("GET "))


def _reads(calls: Counter[str]) -> int:
    return sum(n for endpoint, n in calls.items() if endpoint.startswith("GET "))


def _spent(emulator: Any, org: KisiOrg, before: Counter[str]) -> Counter[str]:
    return kisi_calls(emulator, org) - before


def run(members: int, pipeline_members: int) -> Report:
    from access_core import bootstrap
    from access_core.kisi import gateway as kisi_gateway
    from access_core.sync.service import run_daily_sync, run_weekly_sync
    from kisi_client import KisiClient

    # Count calls, not seconds: lift the worker's pacing for this process.
    kisi_gateway.WORKER_REQUESTS_PER_SECOND = 1_000_000.0
    report = Report(BENCH)
    started = time.monotonic()
    with in_process_stack() as (stack, kisi):
        emulator = kisi.emulator

        def hand(org: KisiOrg) -> KisiClient:
            """Someone at the club, or the naive sync, calling Kisi without pacing."""
            return KisiClient(
                org.api_key, base_url=kisi.base_url, requests_per_second=1e6, pacer_key="bench"
            )

        # ---- N members in sync; member pages from memory, everything else real ----
        org = seed_org(emulator, "steady")
        tenant = connect_tenant(stack, "steady-club", org)
        emails = [f"member{index:06d}@steady.example" for index in range(members)]
        ids = _seed_kisi_members(emulator, org, emails)
        steady = _members(tenant.tenant_id, org.group_id, emails, ids)
        deps = dataclasses.replace(bootstrap.container().sync, stores=_members_in_memory(steady))
        report.note(
            f"N = {members} members in sync (Kisi calls through the emulator; the diff reads "
            f"member pages from memory), M = {pipeline_members} through the whole pipeline "
            f"(moto DynamoDB and SQS, the worker); seeded in {time.monotonic() - started:.0f} s"
        )

        before = kisi_calls(emulator, org)
        result = run_weekly_sync(deps, tenant.tenant_id, dry_run=False)
        spent = _spent(emulator, org, before)
        bound = math.ceil(members / PAGE)
        report.figure(
            "weekly_in_sync.kisi_calls", spent.total(), f"N = {members}; ceil(N/250) = {bound}"
        )
        report.figure("weekly_in_sync.kisi_writes", _writes(spent), "bound 0")
        report.figure("weekly_in_sync.commands_enqueued", result["commands_enqueued"], "bound 0")
        report.figure("weekly_in_sync.members_checked", result["members_checked"])

        # The naive approach: one user lookup per member (a sample, scaled to N).
        sample = emails[: min(NAIVE_SAMPLE, members)]
        naive_client = hand(org)
        before = kisi_calls(emulator, org)
        for email in sample:
            naive_client.find_user_by_email(email)
        naive_per_member = _spent(emulator, org, before).total() / len(sample)
        naive = round(naive_per_member * members)
        report.figure(
            "naive.kisi_calls", naive, f"one GET /users?email= per member ({len(sample)} measured)"
        )
        report.figure(
            "naive_vs_weekly.ratio", naive / max(1, spent.total()), "naive calls / weekly calls"
        )
        report.figure(
            "naive_vs_weekly.kisi_seconds",
            f"{naive / 5:.0f} vs {spent.total() / 5:.0f}",
            "of one Kisi user's budget at 5 requests/s",
        )

        # 1% drift made by hand (assignments removed), repaired through the queue and worker.
        count = max(1, members // 100)
        drifted = set(emails[:: members // count][:count])
        _store_members([m for m in steady if m.email in drifted])  # what the worker reads
        by_hand = hand(org)
        for email in drifted:
            by_hand.remove_assignment(ids[email][1])
        before = kisi_calls(emulator, org)
        result = run_weekly_sync(deps, tenant.tenant_id, dry_run=False)
        listing = _spent(emulator, org, before)
        stack.drain_commands()
        spent = _spent(emulator, org, before)
        report.figure("weekly_1pct_drift.drift_found", result["drift_total"], f"{count} made")
        report.figure("weekly_1pct_drift.listing_calls", listing.total(), f"bound {bound}")
        report.figure(
            "weekly_1pct_drift.write_calls",
            _writes(spent),
            f"bound {count}: one POST /role_assignments per drifted member",
        )
        report.figure(
            "weekly_1pct_drift.other_calls",
            spent.total() - listing.total() - _writes(spent),
            "lookups by the worker: bound 0",
        )
        report.figure(
            "weekly_1pct_drift.repaired", len(drifted & group_members(emulator, org)), f"of {count}"
        )

        # Onboarding N new members (empty group): the sync's own cost, as a dry run at N.
        new_org = seed_org(emulator, "onboarding")
        new_tenant = connect_tenant(stack, "onboarding-club", new_org)
        fresh = _members(
            new_tenant.tenant_id,
            new_org.group_id,
            [f"new{index:06d}@onboarding.example" for index in range(members)],
            None,
        )
        dry = dataclasses.replace(deps, stores=_members_in_memory(fresh))
        before = kisi_calls(emulator, new_org)
        result = run_weekly_sync(dry, new_tenant.tenant_id, dry_run=True)
        onboarding_listing = _spent(emulator, new_org, before).total()
        report.figure(
            "onboarding_sync.kisi_calls", onboarding_listing, f"N = {members}: one empty page"
        )
        report.figure("onboarding_sync.missing_grants", result["drift"]["missing_grant"])

    # ---- the whole pipeline at M, on a fresh stack (moto copies the whole table on every
    # transaction: the N part's items would slow it down): onboarding, in sync, the daily ----
    with in_process_stack() as (stack, kisi):
        emulator = kisi.emulator
        new_org = seed_org(emulator, "pipeline")
        new_tenant = connect_tenant(stack, "pipeline-club", new_org)
        pipeline = _members(
            new_tenant.tenant_id,
            new_org.group_id,
            [f"new{index:06d}@pipeline.example" for index in range(pipeline_members)],
            None,
        )
        _store_members(pipeline)
        full = bootstrap.container().sync
        before = kisi_calls(emulator, new_org)
        run_weekly_sync(full, new_tenant.tenant_id, dry_run=False)
        listing = _spent(emulator, new_org, before)
        stack.drain_commands()
        spent = _spent(emulator, new_org, before)
        per_member = (spent.total() - listing.total()) / pipeline_members
        granted = {m.email for m in pipeline} & group_members(emulator, new_org)
        report.figure(
            "onboarding_pipeline.worker_calls_per_member",
            per_member,
            f"M = {pipeline_members}; bound about 2: {dict(spent - listing)}",
        )
        report.figure("onboarding_pipeline.granted", len(granted), f"of {pipeline_members}")
        report.figure(
            "onboarding.projected_kisi_calls_at_N",
            round(per_member * members) + onboarding_listing,
            "per-member cost x N + the listing",
        )
        report.figure(
            "onboarding.naive_kisi_calls_at_N",
            round((per_member + naive_per_member) * members),
            "the same with a lookup per member first",
        )

        before = kisi_calls(emulator, new_org)
        result = run_weekly_sync(full, new_tenant.tenant_id, dry_run=False)
        spent = _spent(emulator, new_org, before)
        report.figure(
            "pipeline_weekly_in_sync.kisi_calls",
            spent.total(),
            f"M = {pipeline_members} after onboarding; bound {math.ceil(pipeline_members / PAGE)}",
        )
        report.figure("pipeline_weekly_in_sync.commands_enqueued", result["commands_enqueued"])

        changed = pipeline[: max(1, pipeline_members // 100)]
        for member in changed:
            new_tenant.membership(member.member_id, email=member.email)
        stack.sqs.purge_queue(QueueUrl=stack.resources.queue_urls["CommandQueue"])
        before = kisi_calls(emulator, new_org)
        daily = run_daily_sync(full, [new_tenant.tenant_id])["results"][0]
        sync_calls = _spent(emulator, new_org, before)
        stack.drain_commands()
        spent = _spent(emulator, new_org, before)
        report.figure("daily.kisi_calls", sync_calls.total(), "bound 1 per tenant (GET /user)")
        report.figure(
            "daily.commands_enqueued", daily["commands_enqueued"], f"{len(changed)} changed"
        )
        report.figure(
            "daily.worker_kisi_calls",
            spent.total() - sync_calls.total(),
            "for changes that leave Kisi as it is: bound 0",
        )
    report.figure("seconds", time.monotonic() - started, "wall time of this benchmark")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_cost", description=__doc__)
    parser.add_argument("--members", type=int, default=10_000, help="members of the tenant (N)")
    parser.add_argument(
        "--pipeline-members", type=int, default=200, help="onboarding through the worker (M)"
    )
    parser.add_argument("--quick", action="store_true", help="N = 1,000 and M = 100")
    args = parser.parse_args(argv)
    if args.quick:
        run(members=1_000, pipeline_members=100)
    else:
        run(members=args.members, pipeline_members=args.pipeline_members)


if __name__ == "__main__":
    main()
