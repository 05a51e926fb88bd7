"""The small interfaces services depend on. Adapters (DynamoDB, SQS, SSM, Kisi) implement them and
are passed in; tests pass moto-backed adapters or fakes, never patches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from access_core.domain.commands import QueuedCommand

Clock = Callable[[], datetime]


class CommandQueue(Protocol):
    def send(self, commands: Sequence[QueuedCommand]) -> None:
        """Send every command or raise; a partial send raises after what was sent."""

    def delay_retry(self, receipt_handle: str, delay_seconds: int) -> None:
        """Make a received message visible again only after `delay_seconds`."""


class SecretStore(Protocol):
    """Write-only secrets per tenant: read by the stack, never returned to a caller or logged."""

    def kisi_api_key(self, tenant_id: str, *, hint: str | None = None) -> str | None:
        """`hint`: the key's last characters recorded in the tenant (a cached key that does not
        end with them was replaced and is read again)."""
        ...

    def webhook_secret(self, tenant_id: str, *, refresh: bool = False) -> str | None:
        """`refresh`: read past the cache (a signature that the cached secret does not verify may
        be signed with a secret rotated meanwhile); implementations bound how often."""
        ...

    def put_kisi_api_key(self, tenant_id: str, api_key: str) -> None: ...

    def delete_kisi_api_key(self, tenant_id: str) -> None: ...

    def put_webhook_secret(self, tenant_id: str, secret: str) -> None: ...


class MetricsSink(Protocol):
    def count(self, name: str, value: int = 1) -> None: ...


@dataclass(frozen=True)
class EnsuredUser:
    user_id: int
    created_by_us: bool


class MembershipKisi(Protocol):
    """The Kisi operations membership convergence needs, for one tenant's credentials."""

    @property
    def calls_made(self) -> int: ...

    def ensure_user(self, email: str, name: str, *, send_emails: bool) -> EnsuredUser: ...

    def ensure_group_assignment(
        self, user_id: int, group_id: int, valid_until: datetime | None
    ) -> int: ...

    def find_group_assignment(self, user_id: int, group_id: int) -> int | None: ...

    def find_user(self, email: str) -> int | None:
        """The id of the Kisi user with this email, if there is one (no write)."""
        ...

    def remove_assignment(self, assignment_id: int) -> None: ...

    def delete_user(self, user_id: int) -> None: ...


class NullMetrics:
    """A sink that drops every count (scripts and tests that do not look at metrics)."""

    def count(self, name: str, value: int = 1) -> None:
        return None
