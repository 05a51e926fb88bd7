"""Membership operations on Kisi for one tenant, over the Kisi client layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from access_core.domain.model import Tenant
from access_core.domain.ports import EnsuredUser
from kisi_client import KisiClient, RetryPolicy, is_managed_by
from kisi_client.pacing import DEFAULT_REQUESTS_PER_SECOND
from kisi_client.transport import DEFAULT_TIMEOUT

# Marks the Kisi users this stack created (in their metadata and notes), so that adopted users,
# which existed before, are never deleted.
MANAGED_MARKER = "kisi-access-bridge"
# The worker leaves Kisi 1 of its 5 requests/s per user for unlocks, a person waiting at a door.
WORKER_REQUESTS_PER_SECOND = 4.0
# The worker gives up quickly and lets SQS redeliver later instead of holding the message group.
WORKER_RETRY_POLICY = RetryPolicy(max_attempts=3, max_total_wait=5.0)


class KisiMembershipGateway:
    def __init__(self, client: KisiClient) -> None:
        self._client = client
        self._calls_before = client.total_requests

    @property
    def calls_made(self) -> int:
        return self._client.total_requests - self._calls_before

    def ensure_user(self, email: str, name: str, *, send_emails: bool) -> EnsuredUser:
        # Create first: most members are new to Kisi, and Kisi answers 409 for an email it
        # already has, which the client resolves by looking the user up (then adopted).
        user, created = self._client.ensure_user(
            email, name or None, send_emails=send_emails, marker=MANAGED_MARKER, lookup_first=False
        )
        return EnsuredUser(
            user_id=user.id, created_by_us=created or is_managed_by(user, MANAGED_MARKER)
        )

    def ensure_group_assignment(
        self, user_id: int, group_id: int, valid_until: datetime | None
    ) -> int:
        assignment = self._client.ensure_group_assignment(
            user_id, group_id, valid_until=valid_until
        )
        if assignment.valid_until != valid_until:
            # It existed already with other dates (set by hand, or before a pending cancel).
            assignment = self._client.replace_group_assignment(assignment, valid_until=valid_until)
        return assignment.id

    def find_group_assignment(self, user_id: int, group_id: int) -> int | None:
        assignment = self._client.find_group_assignment(user_id, group_id)
        return assignment.id if assignment else None

    def find_user(self, email: str) -> int | None:
        user = self._client.find_user_by_email(email)
        return user.id if user else None

    def remove_assignment(self, assignment_id: int) -> None:
        self._client.remove_assignment(assignment_id)

    def delete_user(self, user_id: int) -> None:
        self._client.delete_user(user_id)


@dataclass(frozen=True)
class KisiClientProfile:
    """How one kind of caller uses Kisi: how long it waits, how often it retries, its pace."""

    retry: RetryPolicy
    timeout: float | httpx.Timeout | None = None  # None: the client's default
    requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND


# The worker and the syncs leave Kisi 1 of its 5 requests/s per user for unlocks (a person
# waiting at a door), retry briefly and let SQS redeliver later instead of holding the group.
WORKER_PROFILE = KisiClientProfile(
    retry=WORKER_RETRY_POLICY, requests_per_second=WORKER_REQUESTS_PER_SECOND
)
# Unlocks: a person waits at the door. One retry, only when Kisi provably did not act (a 429
# whose Retry-After fits, a connection that never opened), all within 2 s; a timeout well under
# the function's 10 s even with that retry, so a slow Kisi is answered and audited, not cut off.
# Paced like the worker on the tenant's Kisi identity (in one process both share its pacer).
UNLOCK_PROFILE = KisiClientProfile(
    retry=RetryPolicy(max_attempts=2, max_total_wait=2.0),
    timeout=httpx.Timeout(4.0, connect=1.5),
    requests_per_second=WORKER_REQUESTS_PER_SECOND,
)
# An admin's request (key check, lock import) answers within API Gateway's limit.
ADMIN_PROFILE = KisiClientProfile(retry=RetryPolicy(max_attempts=2, max_total_wait=3.0))


def kisi_client(
    api_key: str,
    profile: KisiClientProfile,
    *,
    base_url: str,
    integration_contact: str | None,
    pacer_key: str | None,
) -> KisiClient:
    """The one place a Kisi client is built. `pacer_key`: the Kisi identity whose budget the
    client draws on (tenants sharing a Kisi user share it); None: the key's own."""
    return KisiClient(
        api_key,
        base_url=base_url,
        integration_contact=integration_contact or None,
        timeout=DEFAULT_TIMEOUT if profile.timeout is None else profile.timeout,
        retry=profile.retry,
        requests_per_second=profile.requests_per_second,
        pacer_key=pacer_key,
    )


def worker_kisi_client(
    tenant: Tenant, api_key: str, base_url: str, integration_contact: str | None
) -> KisiClient:
    """The worker's and the syncs' client for a tenant."""
    return kisi_client(
        api_key,
        WORKER_PROFILE,
        base_url=base_url,
        integration_contact=integration_contact,
        pacer_key=tenant.kisi_identity,
    )


def unlock_kisi_client(
    tenant: Tenant, api_key: str, base_url: str, integration_contact: str | None
) -> KisiClient:
    """The tenant's client for unlocks."""
    return kisi_client(
        api_key,
        UNLOCK_PROFILE,
        base_url=base_url,
        integration_contact=integration_contact,
        pacer_key=tenant.kisi_identity,
    )
