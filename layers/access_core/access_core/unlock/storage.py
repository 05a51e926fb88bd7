"""The unlock's storage port (`UnlockStore`) on the DynamoDB stores."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from access_core.domain.model import Lock
from access_core.infrastructure.storage import (
    AuditEntry,
    RecentUnlock,
    Stores,
    UnlockFacts,
)


class StoredUnlocks:
    """What an unlock reads and writes: one BatchGetItem of its facts, the door's claim (a
    conditional PutItem) before Kisi is called, then the audit entry."""

    def __init__(self, stores: Stores) -> None:
        self._stores = stores

    def get_unlock_facts(
        self, tenant_id: str, reservation_id: str, player_id: str, lock_id: int | None
    ) -> UnlockFacts:
        return self._stores.reservations.unlock_facts(tenant_id, reservation_id, player_id, lock_id)

    def list_locks(self, tenant_id: str) -> list[Lock]:
        return self._stores.locks.all(tenant_id)

    def claim_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        claim: RecentUnlock,
    ) -> bool:
        return self._stores.reservations.claim_recent_unlock(
            tenant_id, reservation_id, player_id, lock_id, claim
        )

    def release_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        claim: RecentUnlock,
    ) -> None:
        self._stores.reservations.release_recent_unlock(
            tenant_id, reservation_id, player_id, lock_id, claim
        )

    def put_audit(self, entries: Sequence[AuditEntry]) -> None:
        self._stores.audit.put(entries)

    def mark_kisi_credentials_invalid(self, tenant_id: str, checked_at: datetime) -> None:
        self._stores.tenants.mark_kisi_credentials_invalid(tenant_id, checked_at)

    @property
    def round_trips(self) -> int:
        return self._stores.round_trips
