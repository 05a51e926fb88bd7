"""The locks imported from Kisi, with the admin's choice of which ones players may open."""

from __future__ import annotations

from collections.abc import Sequence

from access_core.domain.model import Lock
from access_core.infrastructure.storage.table import Table, tenant_pk, to_item


def lock_key(tenant_id: str, lock_id: int) -> dict[str, str]:
    return {"PK": tenant_pk(tenant_id), "SK": f"LOCK#{lock_id}"}


class LockStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, tenant_id: str, lock_id: int) -> Lock | None:
        item = self._table.get(lock_key(tenant_id, lock_id))
        return Lock.model_validate(item) if item else None

    def put_many(self, tenant_id: str, locks: Sequence[Lock]) -> None:
        """Store (replace) lock items, 25 a BatchWriteItem."""
        self._table.batch_write(
            [
                {
                    "PutRequest": {
                        "Item": to_item(
                            {
                                **lock_key(tenant_id, lock.lock_id),
                                "entity": "lock",
                                **lock.model_dump(mode="json"),
                            }
                        )
                    }
                }
                for lock in locks
            ]
        )

    def all(self, tenant_id: str) -> list[Lock]:
        return [Lock.model_validate(item) for item in self._table.query_prefix(tenant_id, "LOCK#")]
