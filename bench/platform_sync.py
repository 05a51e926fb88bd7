"""PushPress API calls of the daily and weekly syncs' pulls (issue 13), counted by the PushPress
emulator, through the real sync service, the queue (moto), the worker and the Kisi emulator.

The setting: N members (default 10,000) on a 24-hour plan, in sync everywhere. PushPress holds N
customers and N enrollments (its emulator answers in memory, through httpx's MockTransport: no
socket, no pacing: the benchmark counts calls, not seconds); Kisi holds their assignments (seeded
straight into its emulator); the bridge holds them too, its member pages read from memory (moto
serialises each member item in milliseconds, so 10,000 cannot go through it in a minute; every
other read and write is real, the members the daily sync changes included).

- **weekly**: every enrollment and every customer listed, 100 a page. The bound is the listings
  themselves, `ceil(N/100) + 1` calls each (the client reads until an empty page: PushPress
  publishes no maximum page size, docs/pushpress-api.md);
- **daily, 1% changed** while webhooks were lost: 0.4% cancelled, 0.3% moved to a pending cancel
  with an end date, 0.3% new members. The daily lists the enrollments of the granting statuses
  (`active`, `pendcancel`) and fetches, 2 calls each, the members no longer listed and the new
  ones (for their email); the bound is those listings plus 2 calls per such member;
- **naive**: one read of each member (`member_facts`: the customer, then its enrollments), 2N.

Both runs go as deployed: the scheduled invocation spends its budget (120 calls), queued steps
of 40 do the rest; the figures count every invocation. The worker then converges the changed
members: its own PushPress calls (it confirms a member with PushPress before it grants) are
counted apart.

`python -m bench.platform_sync [--members N] [--quick]` (`--quick`: N = 1,000).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
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
from bench.sync_cost import _members, _members_in_memory, _seed_kisi_members, _store_members

BENCH = "platform_sync"
PAGE = 100  # what the PushPress client asks for
CALLS_PER_FETCH = 2
PUSHPRESS_KEY = "pp-bench-key-0123456789abcdef"
PUSHPRESS_URL = "http://pushpress.bench.invalid/v3"
PUSHPRESS_RATE = 2.0  # the client's default pace (requests/s), for the seconds figures


def _listing_bound(records: int) -> int:
    return math.ceil(records / PAGE) + 1


def _container_class() -> Any:
    """The functions' container, with PushPress's clients answered by the emulator in memory."""
    import httpx

    from access_core import bootstrap
    from access_core.domain.ports import PlatformDirectory
    from access_core.pushpress.directory import PushPressDirectory
    from pushpress_client import PacerRegistry, PushPressClient
    from pushpress_emulator.testing import in_process_transport

    @dataclasses.dataclass
    class BenchContainer(bootstrap.Container):
        pushpress: Any = None
        _http: httpx.Client | None = None

        def pushpress_directory(
            self,
            api_key: str,
            company_id: str | None,
            access_plan_ids: Collection[str] | None = None,
        ) -> PlatformDirectory:
            if self._http is None:
                self._http = httpx.Client(transport=in_process_transport(self.pushpress))
            client = PushPressClient(
                api_key,
                company_id=company_id or None,
                base_url=PUSHPRESS_URL,
                pacers=PacerRegistry(),
                requests_per_second=1e6,
                http_client=self._http,
            )
            return PushPressDirectory(client, clock=self.clock, access_plan_ids=access_plan_ids)

    return BenchContainer


def _seed_pushpress(emulator: Any, members: int) -> str:
    """N customers, each with an active enrollment on the 24-hour plan; the company id."""
    document = {
        "companies": [
            {
                "ref": "club",
                "name": "Bench Barbell",
                "api_keys": [PUSHPRESS_KEY],
                "plans": [{"ref": "gold", "id": GOLD_PLAN, "allow_24_hour_access": True}],
                "customers": [
                    {"ref": _id(n), "id": _id(n), "email": _email(n), "first": _id(n)}
                    for n in range(members)
                ],
                "enrollments": [
                    {
                        "ref": f"{_id(n)}-sub",
                        "id": f"{_id(n)}-sub",
                        "customer": _id(n),
                        "plan": "gold",
                    }
                    for n in range(members)
                ],
            }
        ]
    }
    return str(emulator.seed(document)["companies"]["club"]["id"])


def _id(index: int) -> str:
    return f"m{index:06d}"  # bench.sync_cost._members' ids


def _email(index: int) -> str:
    return f"member{index:06d}@platform.example"


def _connect_pushpress(tenant_id: str, company_id: str) -> None:
    """The tenant's PushPress key and fields, as the Admin API stores them."""
    from access_core import bootstrap
    from access_core.domain.events import utc_iso

    container = bootstrap.container()
    container.secret_store.put_platform_api_key(tenant_id, "pushpress", PUSHPRESS_KEY)
    container.stores.tenants.update(
        tenant_id,
        {
            "platform": "pushpress",
            "platform_api_state": "connected",
            "platform_api_checked_at": utc_iso(datetime.now(UTC)),
            "platform_api_key_hint": PUSHPRESS_KEY[-4:],
            "platform_company_id": company_id,
        },
    )


def _finished_run(stack: Any, tenant_id: str, kind: str) -> tuple[dict[str, Any], int]:
    """Run what the scheduled invocation queued (its steps, then the convergences they queue)
    to the end; the run's final record and how many queued steps it took."""
    from access_core import bootstrap

    stack.drain_commands()
    stores = bootstrap.container().stores
    record = stores.sync_runs.get(tenant_id, kind)
    progress = stores.sync_runs.get(
        tenant_id, "weekly#cursor" if kind == "weekly" else "daily#pull"
    )
    assert record is not None
    assert progress is not None
    return record, int(progress["step"])


def run(members: int) -> Report:
    from access_core import bootstrap
    from access_core.kisi import gateway as kisi_gateway
    from access_core.sync.service import run_daily_sync, run_weekly_sync
    from pushpress_emulator import PushPressEmulator

    # Count calls, not seconds: lift the worker's Kisi pacing for this process.
    kisi_gateway.WORKER_REQUESTS_PER_SECOND = 1_000_000.0
    report = Report(BENCH)
    started = time.monotonic()
    pushpress = PushPressEmulator(rate_limit=False)
    company_id = _seed_pushpress(pushpress, members)
    with in_process_stack() as (stack, kisi):
        bootstrap.start(_container_class().from_environment(pushpress=pushpress))
        org: KisiOrg = seed_org(kisi.emulator, "pushpress")
        tenant = connect_tenant(stack, "pushpress-club", org)
        _connect_pushpress(tenant.tenant_id, company_id)
        emails = [_email(n) for n in range(members)]
        held = _members(
            tenant.tenant_id, org.group_id, emails, _seed_kisi_members(kisi.emulator, org, emails)
        )
        container = bootstrap.container()
        # The syncs (and the worker's steps of them) read member pages from memory.
        container.sync = dataclasses.replace(container.sync, stores=_members_in_memory(held))
        deps = container.sync
        report.note(
            f"N = {members} members in sync in PushPress, Kisi and the bridge; PushPress pages "
            f"of {PAGE}; seeded in {time.monotonic() - started:.0f} s"
        )

        # ---- weekly: every enrollment and customer ----
        pushpress.reset_counts()
        inline = run_weekly_sync(deps, tenant.tenant_id, dry_run=False)
        weekly, steps = _finished_run(stack, tenant.tenant_id, "weekly")
        calls = pushpress.call_count()
        bound = 2 * _listing_bound(members)
        report.figure(
            "weekly.pushpress_calls",
            calls,
            f"N = {members}: enrollments and customers, ceil(N/{PAGE}) + 1 each = {bound}",
        )
        report.figure("weekly.ratio_to_bound", calls / bound, "1.0: nothing but the listings")
        report.figure(
            "weekly.recorded_platform_calls", weekly.get("platform_calls", 0), "the run's own count"
        )
        report.figure(
            "weekly.invocations",
            1 + steps,
            f"the scheduled one ({inline['status']}) and queued steps",
        )
        report.figure(
            "weekly.fed",
            sum(weekly["fed"][k] for k in ("applied", "duplicate", "stale")),
            "bound 0: in sync",
        )
        report.figure("weekly.fetched", weekly["pulled"]["fetched"], "bound 0")
        report.figure(
            "weekly.kisi_calls",
            weekly["kisi_calls"],
            f"the Kisi listing, ceil(N/250) = {math.ceil(members / 250)}",
        )
        naive = CALLS_PER_FETCH * members
        report.figure("naive.pushpress_calls", naive, "one read of each member: 2 calls each")
        report.figure("naive_vs_weekly.ratio", naive / max(1, calls))
        report.figure(
            "weekly.pushpress_seconds",
            f"{calls / PUSHPRESS_RATE:.0f} vs naive {naive / PUSHPRESS_RATE:.0f}",
            f"of the key's budget at the client's {PUSHPRESS_RATE:g} requests/s",
        )

        # ---- daily: 1% changed, the webhooks lost ----
        cancelled, pending, new = _changes(members)
        today = date.today()
        for n in cancelled:
            pushpress.update_enrollment(company_id, f"{_id(n)}-sub", status="canceled")
        for n in pending:
            ends = (today + timedelta(days=20)).isoformat()
            pushpress.update_enrollment(
                company_id, f"{_id(n)}-sub", status="pendcancel", end_date=ends
            )
        for n in new:
            pushpress.create_customer(company_id, id=_id(n), email=_email(n), first=_id(n))
            pushpress.create_enrollment(
                company_id, id=f"{_id(n)}-sub", customer_id=_id(n), plan_id=GOLD_PLAN
            )
        changed = len(cancelled) + len(pending) + len(new)
        # The members the worker will converge, as the webhooks and the worker left them.
        _store_members([m for m in held if int(m.member_id[1:]) in set(cancelled) | set(pending)])
        pushpress.reset_counts()
        kisi_before = kisi_calls(kisi.emulator, org)
        inline = run_daily_sync(deps, [tenant.tenant_id])["results"][0]
        daily, steps = _finished_run(stack, tenant.tenant_id, "daily")
        sync_calls = int(daily["platform_calls"])
        listing = _listing_bound(members - len(cancelled) - len(pending)) + _listing_bound(
            len(pending)
        )
        fetches = CALLS_PER_FETCH * (len(cancelled) + len(new))
        report.figure(
            "daily_1pct.pushpress_calls",
            sync_calls,
            f"{changed} of {members} changed; bound {listing + fetches}: listings {listing} "
            f"(active, pendcancel) + {CALLS_PER_FETCH} x {len(cancelled) + len(new)} fetched",
        )
        report.figure("daily_1pct.ratio_to_bound", sync_calls / (listing + fetches))
        report.figure(
            "daily_1pct.listing_calls",
            sync_calls - CALLS_PER_FETCH * daily["pulled"]["fetched"],
            f"bound {listing}",
        )
        report.figure(
            "daily_1pct.fetched",
            daily["pulled"]["fetched"],
            f"bound {len(cancelled) + len(new)}: no longer listed, or new (email)",
        )
        report.figure("daily_1pct.drift", daily["platform_drift"]["total"], f"{changed} made")
        report.figure("daily_1pct.fed_applied", daily["fed"]["applied"])
        report.figure(
            "daily_1pct.commands_enqueued", daily["commands_enqueued"], f"{changed} changed"
        )
        report.figure(
            "daily_1pct.invocations",
            1 + steps,
            f"the scheduled one ({inline['status']}) and queued steps",
        )
        report.figure(
            "naive_vs_daily.ratio", CALLS_PER_FETCH * (members + len(new)) / max(1, sync_calls)
        )
        report.figure(
            "daily_1pct.pushpress_seconds",
            f"{sync_calls / PUSHPRESS_RATE:.0f}",
            f"of the key's budget at {PUSHPRESS_RATE:g} requests/s",
        )
        worker_calls = pushpress.call_count() - sync_calls
        report.figure(
            "daily_1pct.worker_pushpress_calls",
            worker_calls,
            f"the worker confirming before it grants: {CALLS_PER_FETCH} x "
            f"{len(pending) + len(new)} (pending cancels and new members)",
        )
        kisi_spent = kisi_calls(kisi.emulator, org) - kisi_before
        report.figure("daily_1pct.kisi_calls", kisi_spent.total(), f"{dict(kisi_spent)}")
        in_group = group_members(kisi.emulator, org)
        repaired = sum(1 for n in cancelled if _email(n) not in in_group)
        repaired += sum(1 for n in new if _email(n) in in_group)
        snapshot = kisi.emulator.snapshot(org.organization_id)
        emails_of = {user["id"]: user["email"].lower() for user in snapshot["users"]}
        dated = {
            emails_of[a["assignee_id"]]
            for a in snapshot["role_assignments"]
            if a["applies_to_id"] == org.group_id and a.get("valid_until")
        }
        repaired += sum(1 for n in pending if _email(n) in dated)
        report.figure("daily_1pct.repaired_in_kisi", repaired, f"of {changed}")
    report.figure("seconds", time.monotonic() - started, "wall time of this benchmark")
    return report


def _changes(members: int) -> tuple[list[int], list[int], list[int]]:
    """1% of the members: 0.4% cancelled, 0.3% pending cancel, 0.3% new (at least one each)."""
    cancelled_count = max(1, members * 4 // 1000)
    pending_count = max(1, members * 3 // 1000)
    new_count = max(1, members * 3 // 1000)
    stride = max(1, members // (cancelled_count + pending_count))
    spread = list(range(0, members, stride))[: cancelled_count + pending_count]
    return (
        spread[:cancelled_count],
        spread[cancelled_count:],
        list(range(members, members + new_count)),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.platform_sync", description=__doc__)
    parser.add_argument("--members", type=int, default=10_000, help="members of the tenant (N)")
    parser.add_argument("--quick", action="store_true", help="N = 1,000")
    args = parser.parse_args(argv)
    run(members=1_000 if args.quick else args.members)


if __name__ == "__main__":
    main()
