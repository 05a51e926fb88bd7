"""Kisi calls per webhook-driven change, through the real webhook and worker handlers (in-process
stack: moto, the Kisi emulator counting calls), against the lower bound of each change; then the
sync benchmarks (`bench.sync_cost`) when they exist.

Lower bounds (docs/kisi-api.md: no bulk endpoints, one call per object): a new member needs a user
and a role assignment (2 writes); a revoke removes one assignment (1); an adopted user (already in
Kisi) needs to be found and assigned (2); an email change grants the new address and revokes the
old (3).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import sys
from collections import Counter
from collections.abc import Callable

from bench.support import (
    BenchTenant,
    Report,
    connect_tenant,
    group_members,
    in_process_stack,
    kisi_calls,
    seed_org,
)

BENCH = "kisi_calls"


def _measure(
    report: Report,
    tenant: BenchTenant,
    kisi: object,
    name: str,
    lower_bound: int,
    members: list[str],
    change: Callable[[str], object],
    meaning: str,
) -> float:
    emulator = kisi.emulator  # type: ignore[attr-defined]
    before = kisi_calls(emulator, tenant.org)
    for member_id in members:
        change(member_id)
    tenant.stack.drain_commands()
    spent = kisi_calls(emulator, tenant.org) - before
    per_member = spent.total() / len(members)
    report.figure(f"{name}.calls_per_member", per_member, meaning + _breakdown(spent, members))
    if lower_bound:
        report.figure(
            f"{name}.ratio_to_lower_bound",
            per_member / lower_bound,
            f"lower bound {lower_bound} call(s); 1.0 is optimal",
        )
    return per_member


def _breakdown(spent: Counter[str], members: list[str]) -> str:
    parts = [f"{endpoint} x{count / len(members):g}" for endpoint, count in sorted(spent.items())]
    return f" [{', '.join(parts) or 'no calls'}]"


def run(*, members: int = 20) -> Report:
    report = Report(BENCH)
    with in_process_stack() as (stack, kisi):
        org = seed_org(kisi.emulator, "calls")
        # The last figure revokes a whole plan at once: the mass-revoke circuit breaker would hold
        # most of it for an admin (docs/access-rules.md); it is off here to measure the revokes.
        tenant = connect_tenant(stack, "bench-calls", org, mass_revoke_threshold_percent=0)
        ids = [f"m{n:04d}" for n in range(members)]

        _measure(
            report,
            tenant,
            kisi,
            "grant_new_member",
            2,
            ids,
            tenant.membership,
            "a new active member: webhook -> worker -> Kisi",
        )
        _measure(
            report,
            tenant,
            kisi,
            "duplicate_webhook",
            0,
            ids,
            lambda m: tenant.membership(m),
            "the same state again (already in sync)",
        )
        _measure(
            report,
            tenant,
            kisi,
            "revoke",
            1,
            ids,
            lambda m: tenant.membership(m, "cancelled"),
            "an active member cancels",
        )
        _measure(
            report,
            tenant,
            kisi,
            "regrant_known_user",
            1,
            ids,
            tenant.membership,
            "a cancelled member comes back (the Kisi user is known: one assignment)",
        )

        pending = [f"p{n:04d}" for n in range(members)]
        until = "2099-01-01T00:00:00+00:00"
        _measure(
            report,
            tenant,
            kisi,
            "grant_pending_cancel",
            2,
            pending,
            lambda m: tenant.membership(m, "pending_cancel", cancellation_at=until),
            "a new member with an end date (valid_until written in Kisi)",
        )

        adopted = [f"a{n:04d}" for n in range(members)]
        kisi.emulator.seed(
            {
                "organizations": [
                    {
                        "id": org.organization_id,
                        "users": [
                            {"email": f"{m}@{tenant.tenant_id}.example", "name": m} for m in adopted
                        ],
                    }
                ]
            }
        )
        _measure(
            report,
            tenant,
            kisi,
            "grant_adopted_user",
            2,
            adopted,
            tenant.membership,
            "a member who already is a Kisi user (adopted, not duplicated)",
        )

        _measure(
            report,
            tenant,
            kisi,
            "email_change",
            3,
            ids,
            lambda m: tenant.membership(m, email=f"{m}.new@{tenant.tenant_id}.example"),
            "grant the new address, then revoke the old one",
        )

        everyone = ids + pending + adopted
        before = kisi_calls(kisi.emulator, org)
        tenant.plan(False)
        stack.drain_commands()
        spent = kisi_calls(kisi.emulator, org) - before
        per_member = spent.total() / len(everyone)
        report.figure(
            "plan_loses_24h_access.calls_per_member",
            per_member,
            "one plan.updated revokes every member on it" + _breakdown(spent, everyone),
        )
        report.figure(
            "plan_loses_24h_access.ratio_to_lower_bound",
            per_member / 1,
            "lower bound 1 call; 1.0 is optimal",
        )
        left = len(group_members(kisi.emulator, org))
        report.figure("members_left_in_group", left, "after the plan lost access (must be 0)")
    return report


def run_sync_benchmarks(*, quick: bool) -> bool:
    """`bench.sync_cost.main()` (written with the sync functions); a note when it is missing."""
    if importlib.util.find_spec("bench.sync_cost") is None:
        print("sync_cost: skipped: bench/sync_cost.py does not exist yet (the daily/weekly sync)")
        return False
    module = importlib.import_module("bench.sync_cost")
    main = getattr(module, "main", None)
    if main is None:
        print("sync_cost: skipped: bench/sync_cost.py has no main() yet")
        return False
    parameters = inspect.signature(main).parameters
    if "quick" in parameters:
        main(quick=quick)
    elif "argv" in parameters:
        main(["--quick"] if quick else [])
    else:
        main()
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kisi_calls", description=__doc__)
    parser.add_argument("--members", type=int, default=20, help="members per scenario")
    parser.add_argument("--quick", action="store_true", help="2 members per scenario")
    parser.add_argument("--no-sync", action="store_true", help="skip bench.sync_cost")
    args = parser.parse_args(argv)
    run(members=2 if args.quick else args.members)
    if not args.no_sync:
        sys.stdout.flush()
        run_sync_benchmarks(quick=args.quick)


if __name__ == "__main__":
    main()
