"""The small interfaces services depend on. Adapters (DynamoDB, SQS, SSM, Kisi) implement them and
are passed in; tests pass moto-backed adapters or fakes, never patches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from access_core.domain.commands import QueuedCommand
from access_core.domain.events import (
    CanonicalEvent,
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipUpserted,
    PlanUpdated,
)
from access_core.domain.secrets import StoredSecret, WebhookSecretStatus
from access_core.domain.usage import UsageLimit, UsageWindow

Clock = Callable[[], datetime]


class CommandQueue(Protocol):
    def send(self, commands: Sequence[QueuedCommand]) -> None:
        """Send every command or raise; a partial send raises after what was sent."""

    def delay_retry(self, receipt_handle: str, delay_seconds: int) -> None:
        """Make a received message visible again only after `delay_seconds`."""

    def requeue(self, body: str, message_group_id: str) -> None:
        """Send a received command again as a new message (its receive count starts over), at
        the end of its group: for a command near the queue's receive limit that must not be
        dead-lettered (commands name a member, so their order does not matter)."""

    def dead_letter(self, body: str, message_group_id: str, reason: str) -> None:
        """Move one message to the dead-letter queue alone (its group goes on); raise when the
        queue has none configured."""


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

    def platform_api_key(
        self, tenant_id: str, platform: str, *, hint: str | None = None
    ) -> str | None: ...

    def put_platform_api_key(self, tenant_id: str, platform: str, api_key: str) -> None: ...

    def delete_platform_api_key(self, tenant_id: str, platform: str) -> None: ...

    def put_webhook_secret(self, tenant_id: str, secret: str) -> None:
        """A new bridge signing secret (the `canonical` set), the previous one kept for the
        store's rotation overlap: `add_webhook_secret(tenant_id, "canonical", secret)`."""
        ...

    # Webhook secrets per platform ("canonical": the bridge's own HMAC secret; "pushpress": the
    # signing secret PushPress shows for the webhook; "playbypoint": the bearer token), each a
    # small set with a rotation overlap (domain/secrets.py).

    def webhook_secrets(
        self, tenant_id: str, platform: str, *, refresh: bool = False
    ) -> list[StoredSecret]:
        """The tenant's stored set for `platform`, newest first, expired ones possibly included
        (keep `secrets.usable(..., now)`); empty when none is stored. `refresh`: read past the
        cache, as `webhook_secret`."""
        ...

    def add_webhook_secret(
        self, tenant_id: str, platform: str, secret: str, *, overlap: timedelta | None = None
    ) -> WebhookSecretStatus:
        """Make `secret` the current one; the others stay valid for `overlap` (None: the store's
        configured window, 24 hours by default; zero: they stop now). ValueError for a value
        that cannot be a secret (the message names no part of it)."""
        ...

    def end_webhook_secret_overlap(self, tenant_id: str, platform: str) -> WebhookSecretStatus:
        """Keep only the current secret (a previous one leaked)."""
        ...

    def delete_webhook_secrets(self, tenant_id: str, platform: str) -> None:
        """Forget every secret of the set: the platform's webhooks are refused from then on."""
        ...

    def webhook_secret_status(self, tenant_id: str, platform: str) -> WebhookSecretStatus:
        """When each secret still accepted was added and until when: no secret material."""
        ...


# ---- a membership platform's own API (PushPress): what the syncs and the worker read --------


class PlatformError(Exception):
    """A call to a platform's API failed. The message never holds a credential."""


class PlatformAuthError(PlatformError):
    """The platform refuses the tenant's API key: mark the key invalid, do not retry."""


class PlatformUnavailable(PlatformError):
    """The platform cannot answer now (down, timing out, rate limiting): retry later, after
    `retry_after` seconds when the platform said."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class PlatformAccount:
    """Whom the tenant's API key acts for (a credentials check)."""

    account_id: str
    name: str | None = None


@dataclass(frozen=True)
class SkippedRecord:
    """A listed record that maps to no canonical event (say, a status the bridge does not know):
    left out and reported, never granted by default."""

    record_id: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class DirectoryPage:
    """One page of a platform listing, mapped: `updated_at` of every event is `read_at`, the time
    the page was asked for (platform records carry no modification time of their own)."""

    events: tuple[MembershipUpserted | MemberProfileUpdated, ...]
    skipped: tuple[SkippedRecord, ...]
    listed: int
    page: int
    next_page: int | None
    read_at: datetime


@dataclass(frozen=True)
class MemberFacts:
    """What the platform says of one member now, as canonical events versioned by `read_at`.

    `deleted`: the platform no longer has the member. Otherwise `profile` (email, name) and
    `membership`: the member's preferred membership, or a cancelled one without a plan when the
    platform lists none for the member any more.
    """

    member_id: str
    read_at: datetime
    membership: MembershipUpserted | None = None
    profile: MemberProfileUpdated | None = None
    deleted: MembershipDeleted | None = None
    skipped: tuple[SkippedRecord, ...] = ()

    def events(self) -> list[CanonicalEvent]:
        """In the order to apply them: a deleted member is only deleted; otherwise the profile
        first, so that a membership that grants finds the email."""
        if self.deleted is not None:
            return [self.deleted]
        return [event for event in (self.profile, self.membership) if event is not None]


class PlatformDirectory(Protocol):
    """A membership platform's records for one tenant's API key, mapped to canonical events.

    Every method raises PlatformAuthError (the key is refused), PlatformUnavailable (retry
    later) or PlatformError (anything else), never the client library's own errors.
    """

    @property
    def granting_statuses(self) -> tuple[str, ...]:
        """The platform's status values whose memberships can grant access: one listing each in
        the daily pull."""
        ...

    @property
    def calls_made(self) -> int: ...

    def check_credentials(self) -> PlatformAccount: ...

    def member_facts(self, member_id: str, *, enrollment_id: str | None = None) -> MemberFacts:
        """One member's membership and profile, read now (two or three calls)."""
        ...

    def list_enrollments(self, *, status: str | None = None, page: int = 1) -> DirectoryPage:
        """One page of memberships (all statuses, or one), as `MembershipUpserted` events."""
        ...

    def list_customers(self, *, page: int = 1) -> DirectoryPage:
        """One page of member profiles, as `MemberProfileUpdated` events."""
        ...

    def plan(self, plan_id: str) -> PlanUpdated | None:
        """The plan as the platform defines it (its name, whether it grants 24-hour access),
        versioned by the time it was read; None when the platform has no such plan."""
        ...


class MetricsSink(Protocol):
    def count(self, name: str, value: int = 1) -> None: ...


class UsageCounter(Protocol):
    """Counts callers' requests per fixed window (docs/operations.md, "Per-caller usage limits")."""

    def take(self, tenant_id: str, caller: str, limit: UsageLimit, window: UsageWindow) -> bool:
        """Count one request of `caller` in `window`; False, counting nothing, when the caller
        has made `limit.requests` in it already."""
        ...


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
