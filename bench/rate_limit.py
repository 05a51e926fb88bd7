"""Rate-limit fidelity: the Kisi emulator enforces 5 requests/s per Kisi user; the stack converges
a few hundred new members of one tenant while players of that tenant unlock its door. Figures:
Kisi throughput achieved as a fraction of the limit (worker alone, and worker + unlocks), 429s
seen (by the worker, by unlocks), commands lost (must be 0), and the unlock latency the running
sync adds (p50/p99 against the same unlocks while Kisi is idle). Then two tenants with different
Kisi users converge at the same time: their combined throughput against one tenant's.

As on AWS, each Kisi worker instance is its own process (`bench.lambda_worker`: its own pacer)
polling the FIFO queue on a moto server, and the unlock function runs in this process (another
pacer, same key). Each tenant's commands are posted in one burst (real SQS fills a batch from one
message group first; moto serves the queue in order).

Counts are exact; throughput and latency are wall-clock figures, noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.support import (
    FAKE_AWS_ENVIRONMENT,
    IMPORT_ROOTS,
    QUIET_ENVIRONMENT,
    BenchTenant,
    Report,
    accepted_calls,
    connect_tenant,
    environment,
    group_members,
    in_process_stack,
    median,
    percentile,
    seed_org,
    silenced_stdout,
)
from bench.unlock_path import DoorUnlocker, KisiUnlockTimer

BENCH = "rate_limit"
KISI_LIMIT = 5.0
UNLOCK_ENDPOINT = "POST /locks/{id}/unlock"
SAMPLE_SECONDS = 0.2
# Time spent in `KisiClient.unlock` by the unlock handler in this process (installed by `run`).
KISI_TIMER = KisiUnlockTimer()


@contextmanager
def moto_server() -> Iterator[str]:
    """moto in server mode in its own process (as AWS is outside the functions' processes): its
    endpoint URL for the block."""
    from local_runtime.local_stack import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:  # werkzeug may sit in a request thread
            server.kill()
            server.wait()


@contextmanager
def served_stack() -> Iterator[tuple[Any, Any]]:
    """(InProcessStack, RunningEmulator) on a moto server, so that worker processes share it;
    the emulator (in this process, counting calls) enforces Kisi's rate limit."""
    from access_core import bootstrap
    from kisi_emulator import KisiEmulator, start_emulator
    from local_runtime.in_process import InProcessStack

    with (
        moto_server() as endpoint,
        environment({**FAKE_AWS_ENVIRONMENT, **QUIET_ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}),
        silenced_stdout(),
        start_emulator(emulator=KisiEmulator(rate_limit=True)) as kisi,
    ):
        try:
            yield InProcessStack.create(kisi.base_url), kisi
        finally:
            bootstrap.stop()


@dataclass
class Club:
    tenant: BenchTenant
    doors: DoorUnlocker
    members: int = 0
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # t, all, unlocks
    idle_latencies: list[float] = field(default_factory=list)
    busy_latencies: list[float] = field(default_factory=list)
    busy_kisi: list[float] = field(default_factory=list)  # the Kisi call's share of each
    unlock_refusals: int = 0

    @property
    def org(self) -> Any:
        return self.tenant.org

    def window(self) -> tuple[float, float, int, int]:
        """(start, end, Kisi calls accepted, of which the worker's) from the sample before the
        worker's first accepted call to the first sample with its last one."""
        worker = [total - unlocks for _, total, unlocks in self.samples]
        first = next(i for i, w in enumerate(worker) if w > worker[0])
        last = next(i for i, w in enumerate(worker) if w == worker[-1])
        start, end = self.samples[first - 1][0], self.samples[last][0]
        total = self.samples[last][1] - self.samples[first - 1][1]
        return start, end, total, worker[last] - worker[first - 1]


def make_club(stack: Any, kisi: Any, label: str) -> Club:
    org = seed_org(kisi.emulator, label)
    tenant = connect_tenant(
        stack, f"bench-{label}", org, door_access_enabled=True, pre_reservation_window_minutes=15
    )
    return Club(tenant=tenant, doors=DoorUnlocker(tenant, org.lock_ids[0], kisi.base_url))


def _unlock(club: Club, n: int, latencies: list[float], kisi: list[float] | None = None) -> None:
    before = KISI_TIMER.seconds
    status, seconds = club.doors.unlock(n)
    latencies.append(seconds)
    if kisi is not None:
        kisi.append(KISI_TIMER.seconds - before)
    if status != 200:
        club.unlock_refusals += 1


def _counts(kisi: Any, club: Club) -> tuple[int, int]:
    emulator = kisi.emulator
    unlocks = emulator.call_count(UNLOCK_ENDPOINT, user_id=club.org.admin_id)
    unlocks -= emulator.call_count(UNLOCK_ENDPOINT, user_id=club.org.admin_id, status=429)
    return accepted_calls(emulator, club.org), unlocks


def _granted(kisi: Any, club: Club) -> int:
    """Role assignments Kisi created for the club (cheap: the emulator's counts, not its state)."""
    return int(
        kisi.emulator.call_count("POST /role_assignments", user_id=club.org.admin_id, status=200)
    )


@contextmanager
def worker_processes(stack: Any, count: int) -> Iterator[None]:
    queue_url = stack.resources.queue_urls["CommandQueue"]
    queue_arn = stack.resources.queue_arns["CommandQueue"]
    child_environment = dict(os.environ)
    child_environment["PYTHONPATH"] = os.pathsep.join(str(root) for root in IMPORT_ROOTS)
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
        stop = Path(folder) / "stop"
        log = (Path(folder) / "workers.log").open("w")
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.lambda_worker", queue_url, queue_arn, str(stop)],
                env=child_environment,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            for _ in range(count)
        ]
        try:
            yield
        finally:
            stop.touch()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()
            failed = [p.returncode for p in processes if p.returncode]
            if failed:
                print((Path(folder) / "workers.log").read_text()[-3000:], file=sys.stderr)
                raise RuntimeError(f"worker processes failed: {failed}")


def converge(
    stack: Any,
    kisi: Any,
    clubs: list[Club],
    *,
    members: int,
    workers: int,
    unlock_interval: float,
    idle_unlocks: int,
) -> None:
    """Post `members` new members per club, then let `workers` worker processes converge them
    while each club's players unlock every `unlock_interval` seconds."""
    for club in clubs:
        for n in range(1, idle_unlocks + 1):  # Kisi idle: nothing is converging yet
            _unlock(club, n, club.idle_latencies)
            time.sleep(0.5)
        for n in range(members):
            club.tenant.membership(f"m{n:05d}")
        club.members = members
    time.sleep(1.0)  # Kisi's 1 s window forgets the idle unlocks before the workers start
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            now = time.monotonic()
            for club in clubs:
                club.samples.append((now, *_counts(kisi, club)))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, name="bench-sampler", daemon=True)
    # Four times what the paced worker needs (2 calls a member at 4/s), and a minute.
    deadline = time.monotonic() + 60 + members * 2
    player = idle_unlocks + 1
    with worker_processes(stack, workers):
        sampler.start()
        next_check = 0.0
        while time.monotonic() < deadline:
            for club in clubs:
                _unlock(club, player, club.busy_latencies, club.busy_kisi)
                time.sleep(unlock_interval / len(clubs))
            player += 1
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + 1
                converged = all(
                    len(group_members(kisi.emulator, c.org)) >= c.members for c in clubs
                )
                if converged and stack.queue_depth() == 0:
                    break
        time.sleep(2 * SAMPLE_SECONDS)
        done.set()
        sampler.join()


def report_club(report: Report, kisi: Any, stack: Any, prefix: str, club: Club) -> float:
    start, end, total, worker = club.window()
    seconds = end - start
    emulator = kisi.emulator
    org = club.org
    converged = len(group_members(emulator, org))
    report.figure(f"{prefix}.members", club.members, "new members converged (2 Kisi calls each)")
    report.figure(f"{prefix}.seconds", seconds, "from the worker's first to its last Kisi call")
    report.figure(
        f"{prefix}.throughput_fraction",
        total / seconds / KISI_LIMIT,
        f"Kisi calls/s (worker + unlocks) / 5; target >= 0.9 ({total} calls)",
    )
    report.figure(
        f"{prefix}.worker_fraction", worker / seconds / KISI_LIMIT, f"worker alone ({worker} calls)"
    )
    unlock_429 = emulator.call_count(UNLOCK_ENDPOINT, user_id=org.admin_id, status=429)
    all_429 = emulator.call_count(user_id=org.admin_id, status=429)
    report.figure(f"{prefix}.http_429_worker", all_429 - unlock_429, "429s Kisi gave the worker")
    report.figure(f"{prefix}.http_429_unlock", unlock_429, "429s Kisi gave unlocks")
    report.figure(
        f"{prefix}.unlocks_refused", club.unlock_refusals, "unlocks not answered 200 (must be 0)"
    )
    missing = club.members - converged
    if stack.queue_depth():
        # The deadline came first: the rest is still queued, not lost.
        report.figure(f"{prefix}.unfinished", missing, "members still queued at the deadline")
        missing = 0
    report.figure(
        f"{prefix}.commands_lost",
        missing + stack.queue_depth("CommandDeadLetterQueue"),
        "members not in the Kisi group once the queue drained + dead letters (must be 0)",
    )
    idle, busy = club.idle_latencies, club.busy_latencies
    for name, fraction in (("p50", 0.5), ("p99", 0.99)):
        report.figure(
            f"{prefix}.unlock_{name}_ms",
            percentile(busy, fraction) * 1000,
            f"during the sync ({len(busy)} unlocks); idle: "
            f"{percentile(idle, fraction) * 1000:.1f} ms ({len(idle)} unlocks)",
        )
    report.figure(
        f"{prefix}.unlock_kisi_p99_ms",
        percentile(club.busy_kisi, 0.99) * 1000,
        "of which in the Kisi call (its pacer and 429 retries included); the rest is DynamoDB "
        "on the moto server and this machine's CPU",
    )
    report.figure(
        f"{prefix}.unlock_added_p50_ms",
        (median(busy) - median(idle)) * 1000,
        "unlock latency the running sync adds (p50)",
    )
    return total / seconds


def paced_worker(report: Report, members: int) -> None:
    """The worker alone in one process on moto in-process (no HTTP hop to AWS, nothing else
    running): the rate its pacing reaches when the machine is not the bottleneck."""
    with in_process_stack(rate_limit=True) as (stack, kisi):
        org = seed_org(kisi.emulator, "paced")
        tenant = connect_tenant(stack, "bench-paced", org)
        for n in range(members):
            tenant.membership(f"m{n:05d}")
        time.sleep(1.0)
        before = accepted_calls(kisi.emulator, org)
        started = time.monotonic()
        stack.drain_commands()
        seconds = time.monotonic() - started
        calls = accepted_calls(kisi.emulator, org) - before
        report.figure(
            "in_process.worker_fraction",
            calls / seconds / KISI_LIMIT,
            f"{members} members, one process, no unlocks ({calls} calls in {seconds:.1f} s; "
            "the pacing's ceiling is 4/5 = 0.8)",
        )
        report.figure(
            "in_process.http_429",
            kisi.emulator.call_count(user_id=org.admin_id, status=429),
            "429s Kisi gave the worker",
        )


def run(
    *,
    members: int = 200,
    pair_members: int = 100,
    workers: int = 2,
    unlock_interval: float = 2.0,
    idle_unlocks: int = 10,
) -> Report:
    from access_core.kisi.gateway import WORKER_REQUESTS_PER_SECOND

    report = Report(BENCH)
    report.note(
        f"worker paced at {WORKER_REQUESTS_PER_SECOND:g} req/s per Kisi user; players unlock "
        f"every {unlock_interval:g} s per tenant; {workers} worker processes"
    )
    paced_worker(report, members // 4 or 1)
    with served_stack() as (stack, kisi), KISI_TIMER.installed():
        if stack.resources.queue_urls.get("CommandDeadLetterQueue") is None:
            raise RuntimeError("template has no CommandDeadLetterQueue")
        one = make_club(stack, kisi, "solo")
        if not one.doors.through_handler:
            report.note("unlocks go through KisiClient.unlock (the unlock handler answers 501)")
        converge(
            stack,
            kisi,
            [one],
            members=members,
            workers=workers,
            unlock_interval=unlock_interval,
            idle_unlocks=idle_unlocks,
        )
        single = report_club(report, kisi, stack, "one_tenant", one)
        if not pair_members:
            return report

        pair = [make_club(stack, kisi, "left"), make_club(stack, kisi, "right")]
        converge(
            stack,
            kisi,
            pair,
            members=pair_members,
            workers=workers,
            unlock_interval=unlock_interval,
            idle_unlocks=max(1, idle_unlocks // 2),
        )
        for label, club in zip(("tenant_a", "tenant_b"), pair, strict=True):
            report_club(report, kisi, stack, f"two_tenants.{label}", club)
        windows = [club.window() for club in pair]
        start = min(w[0] for w in windows)
        end = max(w[1] for w in windows)
        combined = sum(w[2] for w in windows) / (end - start)
        overlap = max(0.0, min(w[1] for w in windows) - max(w[0] for w in windows))
        report.figure(
            "two_tenants.overlap_fraction",
            overlap / (end - start),
            "share of the run both tenants were converging (1.0 = fully in parallel)",
        )
        report.figure(
            "two_tenants.combined_throughput_ratio",
            combined / single,
            "Kisi calls/s of both tenants together / one tenant's (~2 = in parallel)",
        )
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rate_limit", description=__doc__)
    parser.add_argument("--members", type=int, default=200, help="members of the lone tenant")
    parser.add_argument(
        "--pair-members", type=int, default=100, help="members per tenant, x2 (0: no pair run)"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (Lambdas)")
    parser.add_argument("--unlock-interval", type=float, default=2.0, help="s between unlocks")
    parser.add_argument("--quick", action="store_true", help="a handful of members")
    args = parser.parse_args(argv)
    if args.quick:
        run(members=6, pair_members=4, workers=2, unlock_interval=0.5, idle_unlocks=2)
    else:
        run(
            members=args.members,
            pair_members=args.pair_members,
            workers=args.workers,
            unlock_interval=args.unlock_interval,
        )


if __name__ == "__main__":
    main()
