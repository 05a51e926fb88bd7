"""The unlock path on a warm function, through the real unlock handler (in-process stack: moto,
the Kisi emulator): AWS calls and Kisi calls per unlock, and the handler's own time without the
Kisi call (p50/p99). The bar (docs/unlock-api.md, "Cost"): one DynamoDB round trip before the
Kisi call, the tenant's key cached across warm invocations (no SSM read).

Until the Unlock API answers (it answers 501 while it is being written), this prints a note and
measures nothing. The handler's time is wall-clock: noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.support import (
    AwsCallCounter,
    BenchTenant,
    Report,
    connect_tenant,
    dynamodb_writes,
    in_process_stack,
    kisi_calls,
    percentile,
    seed_org,
    service_calls,
)

BENCH = "unlock_path"
UNLOCK_ROUTE = "POST /v1/reservations/{reservation_id}/doors/{lock_id}/unlock"


class KisiUnlockTimer:
    """Wraps `KisiClient.unlock` (class-wide, for the block): the time spent in Kisi's unlock
    calls, and what `on_call` notes when each starts."""

    def __init__(self, on_call: Callable[[], None] | None = None) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._on_call = on_call

    @contextmanager
    def installed(self) -> Iterator[KisiUnlockTimer]:
        from kisi_client import KisiClient

        original = KisiClient.unlock
        timer = self

        def timed_unlock(client: KisiClient, lock_id: int) -> str:
            if timer._on_call is not None:
                timer._on_call()
            started = time.perf_counter()
            try:
                return original(client, lock_id)
            finally:
                timer.seconds += time.perf_counter() - started
                timer.calls += 1

        KisiClient.unlock = timed_unlock  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            KisiClient.unlock = original  # type: ignore[method-assign]


class DoorUnlocker:
    """Players of one tenant opening one door: through the real unlock handler when the Unlock
    API exists, else through `KisiClient.unlock` on the tenant's pacer key (as the handler would
    call Kisi). Each of `PLAYERS` players has their own reservation (open now, for two hours), and
    unlocks go round them, so that none comes within the handler's retry deduplication window
    (5 s) of the same player's previous one (unlocks are paced at 4/s or slower)."""

    PLAYERS = 30

    def __init__(self, tenant: BenchTenant, lock_id: int, kisi_base_url: str) -> None:
        from access_core import bootstrap
        from access_core.domain.model import Lock

        self.tenant = tenant
        self.lock_id = lock_id
        self._kisi_base_url = kisi_base_url
        bootstrap.container().stores.locks.put_many(
            tenant.tenant_id,
            [Lock(tenant_id=tenant.tenant_id, lock_id=lock_id, name="Door", enabled=True)],
        )
        now = datetime.now(UTC)
        start = (now - timedelta(minutes=10)).isoformat()
        end = (now + timedelta(hours=2)).isoformat()
        for n in range(self.PLAYERS):
            self.tenant.post(
                "reservation.upserted",
                {
                    "reservation_id": self._reservation(n),
                    "player_ids": [self._player(n)],
                    "court": "Court 1",
                    "start": start,
                    "end": end,
                },
            )
        status, _ = self._handler_unlock(0)
        self.through_handler = status != 501
        self._client: Any = None

    def _player(self, n: int) -> str:
        return f"player-{n}"

    def _reservation(self, n: int) -> str:
        return f"res-{self.tenant.tenant_id}-{n}"

    def unlock(self, n: int) -> tuple[int, float]:
        """Player `n` (modulo `PLAYERS`) opens the door: (HTTP status, seconds)."""
        if self.through_handler:
            return self._handler_unlock(n % self.PLAYERS)
        return self._client_unlock()

    def _handler_unlock(self, n: int) -> tuple[int, float]:
        from local_runtime.lambda_events import http_api_event

        reservation, lock = self._reservation(n), str(self.lock_id)
        event = http_api_event(
            method="POST",
            route_key=UNLOCK_ROUTE,
            path=f"/v1/reservations/{reservation}/doors/{lock}/unlock",
            path_parameters={"reservation_id": reservation, "lock_id": lock},
            headers={"content-type": "application/json"},
            jwt_claims={
                "sub": self._player(n),
                "tenant_id": self.tenant.tenant_id,
                "roles": "[player]",
            },
        )
        started = time.perf_counter()
        result = self.tenant.stack.invoke_http("UnlockFunction", event)
        return result.status, time.perf_counter() - started

    def _client_unlock(self) -> tuple[int, float]:
        from access_core import bootstrap
        from kisi_client import KisiClient, KisiError

        if self._client is None:
            stored = bootstrap.container().stores.tenants.get(self.tenant.tenant_id)
            assert stored is not None
            self._client = KisiClient(
                self.tenant.org.api_key,
                base_url=self._kisi_base_url,
                pacer_key=stored.kisi_identity,
            )
        started = time.perf_counter()
        try:
            self._client.unlock(self.lock_id)
            status = 200
        except KisiError as error:
            status = error.status_code or 599
        return status, time.perf_counter() - started


def run(*, unlocks: int = 200) -> Report:
    report = Report(BENCH)
    with in_process_stack() as (stack, kisi):
        org = seed_org(kisi.emulator, "unlock")
        tenant = connect_tenant(
            stack, "bench-unlock", org, door_access_enabled=True, pre_reservation_window_minutes=15
        )
        doors = DoorUnlocker(tenant, org.lock_ids[0], kisi.base_url)
        if not doors.through_handler:
            report.note("skipped: the unlock handler answers 501 (the Unlock API has not landed)")
            return report
        doors.unlock(1)  # warm: the tenant's key and Kisi client are cached from here on
        counter = AwsCallCounter()
        at_kisi: list[int] = []  # DynamoDB calls so far, when each Kisi unlock starts
        before_kisi: list[int] = []  # DynamoDB calls of each unlock before its Kisi call
        timer = KisiUnlockTimer(lambda: at_kisi.append(service_calls(counter.calls, "dynamodb")))
        kisi_before = kisi_calls(kisi.emulator, org)
        aws_before = counter.snapshot()
        overheads: list[float] = []
        statuses: dict[int, int] = {}
        with timer.installed():
            for n in range(2, unlocks + 2):
                dynamodb_at_start = service_calls(counter.calls, "dynamodb")
                kisi_calls_before, kisi_seconds = timer.calls, timer.seconds
                status, seconds = doors.unlock(n)
                statuses[status] = statuses.get(status, 0) + 1
                overheads.append(seconds - (timer.seconds - kisi_seconds))
                if timer.calls > kisi_calls_before:
                    before_kisi.append(at_kisi[-1] - dynamodb_at_start)
        calls, _ = counter.since(aws_before)
        spent = kisi_calls(kisi.emulator, org) - kisi_before
        per = float(unlocks)
        report.figure("answers", str(dict(sorted(statuses.items()))), "HTTP status: count")
        ops = ", ".join(f"{op} x{count / per:g}" for op, count in sorted(calls.items()))
        report.figure(
            "dynamodb_round_trips_before_kisi",
            sum(before_kisi) / max(1, len(before_kisi)),
            "DynamoDB calls before the Kisi call (design: 3, the player's usage count, the read "
            "and the door's claim)",
        )
        report.figure(
            "dynamodb_round_trips", service_calls(calls, "dynamodb") / per, f"in all [{ops}]"
        )
        report.figure("dynamodb_writes", dynamodb_writes(calls) / per, "after the Kisi call")
        report.figure("ssm_reads", service_calls(calls, "ssm") / per, "warm: key cached (0)")
        report.figure("kisi_calls", spent.total() / per, f"per unlock {dict(spent)}")
        report.figure(
            "handler_overhead_p50_ms", percentile(overheads, 0.5) * 1000, "without the Kisi call"
        )
        report.figure("handler_overhead_p99_ms", percentile(overheads, 0.99) * 1000, "same")
        report.figure(
            "kisi_call_mean_ms", timer.seconds / max(1, timer.calls) * 1000, "loopback emulator"
        )
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.unlock_path", description=__doc__)
    parser.add_argument("--unlocks", type=int, default=200, help="unlocks measured")
    parser.add_argument("--quick", action="store_true", help="5 unlocks")
    args = parser.parse_args(argv)
    run(unlocks=5 if args.quick else args.unlocks)


if __name__ == "__main__":
    main()
