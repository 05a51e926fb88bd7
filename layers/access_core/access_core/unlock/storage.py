"""The unlock's storage port (`UnlockStore`) on the DynamoDB stores."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from access_core.domain.model import Lock
from access_core.infrastructure.storage import (
    AuditEntry,
    RecentUnlock,
    Stores,
    TransactionConflict,
    UnlockFacts,
)


class StoredUnlocks:
    """What an unlock reads and writes: one BatchGetItem of its facts, then (after a successful
    unlock) the deduplication record with its audit entry in one transaction."""

    def __init__(self, stores: Stores) -> None:
        self._stores = stores

    def get_unlock_facts(
        self, tenant_id: str, reservation_id: str, player_id: str, lock_id: int | None
    ) -> UnlockFacts:
        return self._stores.reservations.unlock_facts(tenant_id, reservation_id, player_id, lock_id)

    def list_locks(self, tenant_id: str) -> list[Lock]:
        return self._stores.locks.all(tenant_id)

    def record_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        unlock: RecentUnlock,
        audit: AuditEntry,
    ) -> bool:
        """The record is written only where none is live (a concurrent unlock may have written
        one); then only the audit entry is. Returns whether the record was written."""
        transaction = self._stores.transaction()
        self._stores.reservations.add_recent_unlock_to(
            transaction, tenant_id, reservation_id, player_id, lock_id, unlock
        )
        self._stores.audit.add_to(transaction, [audit])
        try:
            transaction.commit()
        except TransactionConflict:
            self._stores.audit.put([audit])
            return False
        return True

    def put_audit(self, entries: Sequence[AuditEntry]) -> None:
        self._stores.audit.put(entries)

    def mark_kisi_credentials_invalid(self, tenant_id: str, checked_at: datetime) -> None:
        self._stores.tenants.mark_kisi_credentials_invalid(tenant_id, checked_at)

    @property
    def round_trips(self) -> int:
        return self._stores.round_trips
