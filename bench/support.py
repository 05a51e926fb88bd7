"""What the benchmarks share: printing figures, a Kisi organisation in the emulator, the stack in
one process (real handlers, moto, the emulator), tenants that send signed webhooks, and a counter
of every AWS call the functions' boto3 clients make."""

from __future__ import annotations

import os
import statistics
import sys
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The import roots of the layers and the local runtime (Lambda: /opt/python), and this package's.
IMPORT_ROOTS = [
    PROJECT_ROOT / "layers" / "kisi_client",
    PROJECT_ROOT / "layers" / "pushpress_client",
    PROJECT_ROOT / "layers" / "access_core",
    PROJECT_ROOT / "local",
    PROJECT_ROOT,
]
# Powertools warns when an invocation counted nothing; many invocations rightly count nothing.
warnings.filterwarnings("ignore", message="No application metrics to publish")
for _root in IMPORT_ROOTS:
    if str(_root) not in sys.path:
        sys.path.append(str(_root))

FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
# EMF metrics would drown the figures. (Log lines too: `python -m bench` runs every benchmark with
# POWERTOOLS_LOG_LEVEL=ERROR. Not set here: the handler modules' loggers take their level when
# first imported, and the smoke tests import them in the test session, whose later tests check
# what the stack logs at its own levels.)
QUIET_ENVIRONMENT = {
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
GOLD_PLAN = "gold-24h"
# Platform time: recent, so that nothing the policy decides depends on the run's wall clock.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)

WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
)


# ---- figures ----------------------------------------------------------------------------------


class Report:
    """One line per figure: `<bench>.<name> = <value>  # <what it means>`; kept for the tests."""

    def __init__(self, bench: str) -> None:
        self.bench = bench
        self.figures: dict[str, float | int | str] = {}
        # Where figures go, fixed now: the stacks below silence what the functions print.
        self._out = sys.stdout

    def figure(self, name: str, value: float | int | str, meaning: str = "") -> None:
        self.figures[name] = value
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        comment = f"  # {meaning}" if meaning else ""
        print(f"{self.bench}.{name} = {shown}{comment}", file=self._out, flush=True)

    def note(self, text: str) -> None:
        print(f"{self.bench}: {text}", file=self._out, flush=True)


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no samples)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else 0.0


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then put the environment back as it was."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# ---- Kisi -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KisiOrg:
    """A seeded Kisi organisation: one admin (the Kisi user the rate limit counts), its key, a
    group for members, and locks."""

    organization_id: int
    admin_id: int
    api_key: str
    group_id: int
    lock_ids: list[int]


def seed_org(emulator: Any, label: str, *, locks: int = 1) -> KisiOrg:
    api_key = f"bench-{label}-{uuid.uuid4().hex}"
    admin_email = f"owner-{label}@bench.example"
    lock_refs = [f"door-{n}" for n in range(locks)]
    document = {
        "admins": [{"ref": "owner", "email": admin_email}],
        "organizations": [
            {
                "ref": label,
                "name": f"Bench {label}",
                "api_keys": [{"key": api_key, "admin": "owner"}],
                "places": [{"ref": "hq", "name": "Clubhouse"}],
                "locks": [{"ref": ref, "name": ref, "place": "hq"} for ref in lock_refs],
                "groups": [{"ref": "24h", "name": "24h", "place": "hq", "locks": lock_refs}],
            }
        ],
    }
    seeded = emulator.seed(document)
    organization = seeded["organizations"][label]
    return KisiOrg(
        organization_id=organization["id"],
        admin_id=seeded["admins"]["owner"],
        api_key=api_key,
        group_id=organization["groups"]["24h"],
        lock_ids=[organization["locks"][ref] for ref in lock_refs],
    )


def kisi_calls(emulator: Any, org: KisiOrg) -> Counter[str]:
    """Calls made with the org's key so far, by `METHOD /template` (429s under `... 429`)."""
    summary = emulator.counts()["by_user"].get(str(org.admin_id), {})
    calls: Counter[str] = Counter(summary.get("by_endpoint", {}))
    return calls


def accepted_calls(emulator: Any, org: KisiOrg) -> int:
    """Calls Kisi accepted (anything but a 429) for the org's Kisi user."""
    everything = emulator.call_count(user_id=org.admin_id)
    return int(everything - emulator.call_count(user_id=org.admin_id, status=429))


def group_members(emulator: Any, org: KisiOrg) -> set[str]:
    snapshot = emulator.snapshot(org.organization_id)
    emails = {user["id"]: user["email"].lower() for user in snapshot["users"]}
    return {
        emails[assignment["assignee_id"]]
        for assignment in snapshot["role_assignments"]
        if assignment["applies_to_id"] == org.group_id
    }


# ---- the stack --------------------------------------------------------------------------------


@dataclass
class BenchTenant:
    """A connected tenant on the stack and the platform events its club sends."""

    stack: Any  # local_runtime.in_process.InProcessStack
    tenant_id: str
    org: KisiOrg
    webhook_secret: str
    clock: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**9)))

    def updated_at(self) -> str:
        """A platform `updated_at` newer than every one sent before."""
        return (T0 + timedelta(seconds=next(self.clock))).isoformat()

    def post(self, event_type: str, data: Mapping[str, Any], event_id: str | None = None) -> Any:
        envelope = {
            "id": event_id or f"evt-{uuid.uuid4().hex}",
            "type": event_type,
            "data": {"updated_at": self.updated_at(), **data},
        }
        result = self.stack.post_webhook(
            "canonical", self.tenant_id, envelope, secret=self.webhook_secret
        )
        if result.status != 202:
            raise RuntimeError(f"webhook {event_type} answered {result.status}: {result.body}")
        return result

    def membership(
        self, member_id: str, status: str = "active", *, event_id: str | None = None, **fields: Any
    ) -> Any:
        data = {
            "member_id": member_id,
            "email": f"{member_id}@{self.tenant_id}.example",
            "name": member_id.title(),
            "plan_id": GOLD_PLAN,
            "status": status,
            **fields,
        }
        return self.post("membership.upserted", data, event_id)

    def plan(self, has_24h_access: bool = True, plan_id: str = GOLD_PLAN) -> Any:
        data = {"plan_id": plan_id, "name": plan_id, "has_24h_access": has_24h_access}
        return self.post("plan.updated", data)


def connect_tenant(stack: Any, tenant_id: str, org: KisiOrg, **settings: Any) -> BenchTenant:
    """Store the tenant as the admin API does, with a 24-hour plan, and settle its queue."""
    secret = stack.add_tenant(
        tenant_id, api_key=org.api_key, kisi_group_id=org.group_id, **settings
    )
    tenant = BenchTenant(stack=stack, tenant_id=tenant_id, org=org, webhook_secret=secret)
    tenant.plan(True)
    stack.drain_commands()
    return tenant


@contextmanager
def in_process_stack(*, rate_limit: bool = False) -> Iterator[tuple[Any, Any]]:
    """(InProcessStack, RunningEmulator): the real handlers on moto in-process and the Kisi
    emulator on loopback, for the block."""
    from moto import mock_aws

    from access_core import bootstrap
    from kisi_emulator import KisiEmulator, start_emulator
    from local_runtime.in_process import InProcessStack

    with (
        environment({**FAKE_AWS_ENVIRONMENT, **QUIET_ENVIRONMENT}),
        silenced_stdout(),
        mock_aws(),
        start_emulator(emulator=KisiEmulator(rate_limit=rate_limit)) as kisi,
    ):
        try:
            yield InProcessStack.create(kisi.base_url), kisi
        finally:
            bootstrap.stop()


@contextmanager
def silenced_stdout() -> Iterator[None]:
    """Powertools prints EMF metrics to stdout when 100 have piled up, even with
    POWERTOOLS_METRICS_DISABLED; figures go to the stream their Report was made with."""
    with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
        yield


class AwsCallCounter:
    """Every call the functions' cached boto3 clients (DynamoDB, SQS, SSM) send, by
    `service.Operation`, and the SQS messages sent. Hooks botocore's `before-parameter-build`
    event (once per API call, with the caller's parameters)."""

    def __init__(self) -> None:
        from access_core import bootstrap

        self.calls: Counter[str] = Counter()
        self.messages_sent = 0
        for client in (
            bootstrap.container().dynamodb,
            bootstrap.container().sqs,
            bootstrap.container().ssm,
        ):
            client.meta.events.register("before-parameter-build", self._count)

    def _count(self, model: Any, params: Mapping[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        self.calls[f"{service}.{model.name}"] += 1
        if service == "sqs" and model.name == "SendMessageBatch":
            self.messages_sent += len(params.get("Entries", []))
        elif service == "sqs" and model.name == "SendMessage":
            self.messages_sent += 1

    def snapshot(self) -> tuple[Counter[str], int]:
        return Counter(self.calls), self.messages_sent

    def since(self, before: tuple[Counter[str], int]) -> tuple[Counter[str], int]:
        calls, messages = before
        return self.calls - calls, self.messages_sent - messages


def dynamodb_writes(calls: Mapping[str, int]) -> int:
    return sum(
        count
        for name, count in calls.items()
        if name.startswith("dynamodb.") and name.split(".", 1)[1] in WRITE_OPERATIONS
    )


def service_calls(calls: Mapping[str, int], service: str) -> int:
    return sum(count for name, count in calls.items() if name.startswith(f"{service}."))
