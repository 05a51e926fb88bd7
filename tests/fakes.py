"""The tests' one set of stand-ins for the ports (access_core.domain.ports) and their one clock.

Each fake satisfies its port structurally; a test passes it where the port is typed (or assigns
it to a variable of the port's type), so mypy checks that it still does.

- `FakeClock`: wall-clock time (`now`, a domain `Clock`; with `advance` also the Kisi emulator's
  clock) and monotonic seconds (`monotonic`, for pacers and caches) that stand still until a test
  moves them: `advance(seconds)` moves both, `sleep(seconds)` too and records the wait.
- `FakeSecrets`: the `SecretStore`, in memory, under the domain's rotation rules.
- `FakeMetrics`: the `MetricsSink`, counting.
- `FakeQueue`: the `CommandQueue`, recording.
- `aws_throttled(operation)`: the error boto3 raises when DynamoDB throttles past its retries.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from access_core.domain import secrets as rules
from access_core.domain.commands import QueuedCommand
from access_core.domain.secrets import StoredSecret, WebhookSecretStatus

# Where the Kisi emulator's own ManualClock starts: the emulator tests' timestamps assume it.
DEFAULT_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
DEFAULT_MONOTONIC = 1_000.0
CANONICAL = "canonical"


class FakeClock:
    """Time that stands still until a test moves it: `now()` (timezone-aware) and `monotonic()`
    seconds move together, by `advance` or by a `sleep` (which also records the wait in
    `sleeps`). Safe to read from an emulator's server thread while the test moves it."""

    def __init__(
        self, start: datetime = DEFAULT_START, *, monotonic: float = DEFAULT_MONOTONIC
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("the start time must be timezone-aware")
        self._now = start
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()}, monotonic={self._monotonic})"

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._monotonic += seconds
            self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        """What `time.sleep` would do, without the wait: the pacers' and retries' sleep."""
        self.sleeps.append(seconds)
        self.advance(seconds)

    @property
    def slept(self) -> float:
        return sum(self.sleeps)


@dataclass
class FakeSecrets:
    """The SecretStore in memory: each tenant's Kisi key (`kisi_keys`) and its webhook secret
    sets per platform (`webhook_sets`, newest first, rotated by domain/secrets.py's rules at
    `clock`'s time). Every call is appended to `log` as "ssm.<method>", so a log shared with
    other fakes shows where the round trips fall. Nothing is cached: a write is read at once."""

    kisi_keys: dict[str, str] = field(default_factory=dict)
    platform_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    webhook_sets: dict[tuple[str, str], list[StoredSecret]] = field(default_factory=dict)
    clock: FakeClock = field(default_factory=FakeClock)
    log: list[str] = field(default_factory=list)
    rotation_overlap: timedelta = rules.DEFAULT_ROTATION_OVERLAP

    def __repr__(self) -> str:
        return f"FakeSecrets(tenants={sorted(self.kisi_keys)!r})"  # never a secret

    def kisi_api_key(self, tenant_id: str, *, hint: str | None = None) -> str | None:
        self.log.append("ssm.kisi_api_key")
        return self.kisi_keys.get(tenant_id)

    def put_kisi_api_key(self, tenant_id: str, api_key: str) -> None:
        self.log.append("ssm.put_kisi_api_key")
        self.kisi_keys[tenant_id] = api_key

    def delete_kisi_api_key(self, tenant_id: str) -> None:
        self.log.append("ssm.delete_kisi_api_key")
        self.kisi_keys.pop(tenant_id, None)

    def platform_api_key(
        self, tenant_id: str, platform: str, *, hint: str | None = None
    ) -> str | None:
        self.log.append("ssm.platform_api_key")
        return self.platform_keys.get((tenant_id, platform))

    def put_platform_api_key(self, tenant_id: str, platform: str, api_key: str) -> None:
        self.log.append("ssm.put_platform_api_key")
        self.platform_keys[(tenant_id, platform)] = api_key

    def delete_platform_api_key(self, tenant_id: str, platform: str) -> None:
        self.log.append("ssm.delete_platform_api_key")
        self.platform_keys.pop((tenant_id, platform), None)

    def webhook_secret(self, tenant_id: str, *, refresh: bool = False) -> str | None:
        self.log.append("ssm.webhook_secret")
        current = rules.usable(self.webhook_sets.get((tenant_id, CANONICAL), []), self.clock.now())
        return current[0] if current else None

    def put_webhook_secret(self, tenant_id: str, secret: str) -> None:
        self.log.append("ssm.put_webhook_secret")
        self._rotate(tenant_id, CANONICAL, secret, self.rotation_overlap)

    def webhook_secrets(
        self, tenant_id: str, platform: str, *, refresh: bool = False
    ) -> list[StoredSecret]:
        self.log.append("ssm.webhook_secrets")
        return list(self.webhook_sets.get((tenant_id, platform), []))

    def add_webhook_secret(
        self, tenant_id: str, platform: str, secret: str, *, overlap: timedelta | None = None
    ) -> WebhookSecretStatus:
        self.log.append("ssm.add_webhook_secret")
        window = self.rotation_overlap if overlap is None else overlap
        return self._rotate(tenant_id, platform, secret, window)

    def end_webhook_secret_overlap(self, tenant_id: str, platform: str) -> WebhookSecretStatus:
        self.log.append("ssm.end_webhook_secret_overlap")
        kept = rules.without_previous(self.webhook_sets.get((tenant_id, platform), []))
        self.webhook_sets[(tenant_id, platform)] = kept
        return rules.secret_status(platform, kept, self.clock.now())

    def delete_webhook_secrets(self, tenant_id: str, platform: str) -> None:
        self.log.append("ssm.delete_webhook_secrets")
        self.webhook_sets.pop((tenant_id, platform), None)

    def webhook_secret_status(self, tenant_id: str, platform: str) -> WebhookSecretStatus:
        self.log.append("ssm.webhook_secret_status")
        stored = self.webhook_sets.get((tenant_id, platform), [])
        return rules.secret_status(platform, stored, self.clock.now())

    def _rotate(
        self, tenant_id: str, platform: str, secret: str, overlap: timedelta
    ) -> WebhookSecretStatus:
        now = self.clock.now()
        stored = self.webhook_sets.get((tenant_id, platform), [])
        rotated = rules.with_new_secret(stored, secret, now=now, overlap=overlap)
        self.webhook_sets[(tenant_id, platform)] = rotated
        return rules.secret_status(platform, rotated, now)


@dataclass
class FakeMetrics:
    """The MetricsSink: every count added up by name."""

    counts: Counter[str] = field(default_factory=Counter)

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] += value


@dataclass
class FakeQueue:
    """The CommandQueue: what was sent, in order, and which messages were put back for later."""

    sent: list[QueuedCommand] = field(default_factory=list)
    delayed: list[tuple[str, int]] = field(default_factory=list)
    requeued: list[tuple[str, str]] = field(default_factory=list)
    dead_lettered: list[tuple[str, str, str]] = field(default_factory=list)

    def send(self, commands: Sequence[QueuedCommand]) -> None:
        self.sent.extend(commands)

    def delay_retry(self, receipt_handle: str, delay_seconds: int) -> None:
        self.delayed.append((receipt_handle, delay_seconds))

    def requeue(self, body: str, message_group_id: str) -> None:
        self.requeued.append((body, message_group_id))

    def dead_letter(self, body: str, message_group_id: str, reason: str) -> None:
        self.dead_lettered.append((body, message_group_id, reason))


def aws_throttled(operation: str) -> ClientError:
    """What boto3 raises when DynamoDB still throttles a request after the SDK's own retries."""
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
        operation,
    )
