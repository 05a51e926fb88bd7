"""The audit trail: one item per decision or admin action, kept 90 days (TTL)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from access_core.domain.events import utc_iso
from access_core.infrastructure.storage.table import Table, Transaction, json_ready, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

AUDIT_RETENTION = timedelta(days=90)


@dataclass(frozen=True)
class AuditEntry:
    tenant_id: str
    action: str
    subject: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    actor: str = "system"


class AuditStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put(self, entries: Sequence[AuditEntry]) -> None:
        self._table.batch_write([{"PutRequest": {"Item": self._item(e)}} for e in entries])

    def add_to(self, transaction: Transaction, entries: Sequence[AuditEntry]) -> None:
        """Write `entries` with the transaction's other writes, or not at all."""
        for entry in entries:
            transaction.put(self._plain_item(entry))

    def recent(self, tenant_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The tenant's newest entries first."""
        items, _ = self._table.query_page(
            {
                "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"AUDIT#{tenant_id}"}},
                "ScanIndexForward": False,
                "Limit": limit,
            },
            None,
        )
        return items

    def _item(self, entry: AuditEntry) -> dict[str, AttributeValueTypeDef]:
        return to_item(self._plain_item(entry))

    def _plain_item(self, entry: AuditEntry) -> dict[str, Any]:
        now = self._table.now()
        return {
            "PK": f"AUDIT#{entry.tenant_id}",
            "SK": f"{utc_iso(now)}#{uuid.uuid4().hex}",
            "entity": "audit",
            "at": utc_iso(now),
            "actor": entry.actor,
            "action": entry.action,
            "subject": entry.subject,
            "detail": json_ready(entry.detail),
            "expires_at": int((now + AUDIT_RETENTION).timestamp()),
        }
