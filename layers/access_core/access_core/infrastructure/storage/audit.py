"""The audit trail: one item per decision or admin action, kept 90 days (TTL)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from access_core.domain.events import utc_iso
from access_core.infrastructure.storage.table import (
    Table,
    Transaction,
    json_ready,
    to_item,
    without_keys,
)

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
        entries, _ = self.page(tenant_id, limit=limit)
        return entries

    def page(
        self,
        tenant_id: str,
        *,
        limit: int,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        action_prefix: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first, from `since` to `until` (inclusive), whose action starts with
        `action_prefix`; `after` is the `at#id` position where the previous page stopped. Answers
        the entries and where the next page starts (None: the last page). A page may hold fewer
        than `limit` entries when the action filter drops some (DynamoDB filters after reading)."""
        values: dict[str, Any] = {
            ":pk": {"S": f"AUDIT#{tenant_id}"},
            ":from": {"S": utc_iso(since) if since else "0"},
            ":to": {"S": (utc_iso(until) if until else "9") + "~"},
        }
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :from AND :to",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if action_prefix:
            kwargs["FilterExpression"] = "begins_with(#action, :action)"
            kwargs["ExpressionAttributeNames"] = {"#action": "action"}
            values[":action"] = {"S": action_prefix}
        cursor = None
        if after is not None:
            cursor = json.dumps({"PK": {"S": f"AUDIT#{tenant_id}"}, "SK": {"S": after}})
        items, next_cursor = self._table.query_page(kwargs, cursor)
        position = json.loads(next_cursor)["SK"]["S"] if next_cursor else None
        return [without_keys(item) for item in items], position

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
