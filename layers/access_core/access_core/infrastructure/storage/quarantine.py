"""The mass-revoke circuit breaker's state: the tenant's revoke window (one item) and the revokes
it holds, one item per member, until an admin approves or rejects them (docs/data-model.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from access_core.domain.events import utc_iso
from access_core.infrastructure.storage.table import (
    Table,
    Transaction,
    Update,
    tenant_pk,
    to_item,
    without_keys,
)

WINDOW_SK = "REVOKEWINDOW"
ITEM_PREFIX = "QUARANTINE#"
# An approved revoke is applied by the next convergence of its member, which marks it applied; one
# whose member came back meanwhile is never applied. Either item expires after this.
CLOSED_RETENTION = timedelta(days=7)


class QuarantineStatus(StrEnum):
    HELD = "held"  # waiting for an admin
    APPROVED = "approved"  # the member's next convergence applies it
    REJECTED = "rejected"  # access kept until the platform sends a newer state for the member
    APPLIED = "applied"  # done with: revoked after approval, or judged afresh; expires


@dataclass(frozen=True)
class QuarantinedRevoke:
    tenant_id: str
    member_id: str
    email: str
    reason: str  # the policy's reason for the revoke (AccessReason)
    held_at: datetime
    # The member's platform time when it was held: a rejection stands while it is unchanged.
    platform_updated_at: datetime
    status: QuarantineStatus = QuarantineStatus.HELD
    resolved_by: str | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class StoredRevokeWindow:
    """The tenant's revokes of the trailing hour ((member id, time), the latest per member), its
    last held one, and the entitled members the allowance was last computed from. `version`
    guards the read-modify-write."""

    revokes: tuple[tuple[str, datetime], ...] = ()
    last_held_at: datetime | None = None
    entitled_members: int = 0
    counted_at: datetime | None = None
    version: int = 0


def window_key(tenant_id: str) -> dict[str, str]:
    return {"PK": tenant_pk(tenant_id), "SK": WINDOW_SK}


def item_key(tenant_id: str, member_id: str) -> dict[str, str]:
    return {"PK": tenant_pk(tenant_id), "SK": f"{ITEM_PREFIX}{member_id}"}


class QuarantineStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    # ---- the worker --------------------------------------------------------------------------

    def revoke_facts(
        self, tenant_id: str, member_id: str
    ) -> tuple[StoredRevokeWindow, QuarantinedRevoke | None]:
        """The tenant's window and the member's quarantine item, in one BatchGetItem."""
        window_at = (tenant_pk(tenant_id), WINDOW_SK)
        item_at = (tenant_pk(tenant_id), item_key(tenant_id, member_id)["SK"])
        found = self._table.get_many([window_at, item_at])
        window = _window_from(found[window_at]) if window_at in found else StoredRevokeWindow()
        item = _revoke_from(found[item_at]) if item_at in found else None
        return window, item

    def add_window_to(
        self, transaction: Transaction, tenant_id: str, window: StoredRevokeWindow
    ) -> None:
        """Store the window, on condition that no one changed it since it was read at
        `window.version` (the write raises TransactionConflict then, and is retried)."""
        update = Update().set_all(
            {
                "entity": "revoke_window",
                "revokes": [{"member_id": m, "at": utc_iso(t)} for m, t in window.revokes],
                "last_held_at": utc_iso(window.last_held_at) if window.last_held_at else None,
                "entitled_members": window.entitled_members,
                "counted_at": utc_iso(window.counted_at) if window.counted_at else None,
                "version": window.version + 1,
            }
        )
        version = update.name("version")
        condition = (
            f"attribute_not_exists({version})"
            if window.version == 0
            else f"{version} = {update.value(window.version)}"
        )
        transaction.update(window_key(tenant_id), update, condition)

    def add_hold_to(self, transaction: Transaction, revoke: QuarantinedRevoke) -> None:
        transaction.put(self._item(revoke))

    def add_applied_to(self, transaction: Transaction, revoke: QuarantinedRevoke) -> None:
        """Close the member's item: its revoke was applied (or judged afresh); it expires."""
        transaction.put(self._item(replace(revoke, status=QuarantineStatus.APPLIED)))

    def mark_applied(self, revoke: QuarantinedRevoke) -> None:
        transaction = self._table.transaction()
        self.add_applied_to(transaction, revoke)
        transaction.commit()

    # ---- the admin ---------------------------------------------------------------------------

    def held_page(
        self, tenant_id: str, *, limit: int, after: str | None = None
    ) -> tuple[list[QuarantinedRevoke], str | None]:
        """Held revokes by member id, after member `after`, and the member id the next page
        starts after (None: the last page). A page may hold fewer than `limit` (DynamoDB filters
        the resolved ones after reading)."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "FilterExpression": "#status = :held",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":pk": {"S": tenant_pk(tenant_id)},
                ":prefix": {"S": ITEM_PREFIX},
                ":held": {"S": QuarantineStatus.HELD.value},
            },
            "Limit": limit,
            "ConsistentRead": True,
        }
        cursor = None
        if after is not None:
            start = item_key(tenant_id, after)
            cursor = json.dumps({"PK": {"S": start["PK"]}, "SK": {"S": start["SK"]}})
        items, next_cursor = self._table.query_page(kwargs, cursor)
        position = (
            json.loads(next_cursor)["SK"]["S"].removeprefix(ITEM_PREFIX) if next_cursor else None
        )
        return [_revoke_from(item) for item in items], position

    def all_held(self, tenant_id: str) -> list[QuarantinedRevoke]:
        revokes = (_revoke_from(item) for item in self._table.query_prefix(tenant_id, ITEM_PREFIX))
        return [r for r in revokes if r.status is QuarantineStatus.HELD]

    def resolve(
        self,
        revokes: Sequence[QuarantinedRevoke],
        status: QuarantineStatus,
        by: str,
        at: datetime,
    ) -> None:
        """Mark held revokes approved or rejected (25 a BatchWriteItem)."""
        resolved = [replace(r, status=status, resolved_by=by, resolved_at=at) for r in revokes]
        self._table.batch_write([{"PutRequest": {"Item": self._wire(r)}} for r in resolved])

    def reset_window(self, tenant_id: str) -> None:
        """Start the hour afresh (an admin has judged every held revoke): the count restarts and
        the breaker closes; the entitled count is kept."""
        update = Update().set_all({"revokes": [], "last_held_at": None}).increment("version")
        try:
            self._table.update(window_key(tenant_id), update, condition="attribute_exists(PK)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise  # no window yet: nothing to reset

    # ---- items -------------------------------------------------------------------------------

    def _item(self, revoke: QuarantinedRevoke) -> dict[str, Any]:
        item: dict[str, Any] = {
            **item_key(revoke.tenant_id, revoke.member_id),
            "entity": "quarantined_revoke",
            "tenant_id": revoke.tenant_id,
            "member_id": revoke.member_id,
            "email": revoke.email,
            "reason": revoke.reason,
            "held_at": utc_iso(revoke.held_at),
            "platform_updated_at": utc_iso(revoke.platform_updated_at),
            "status": revoke.status.value,
        }
        if revoke.resolved_by is not None and revoke.resolved_at is not None:
            item["resolved_by"] = revoke.resolved_by
            item["resolved_at"] = utc_iso(revoke.resolved_at)
        if revoke.status in (QuarantineStatus.APPROVED, QuarantineStatus.APPLIED):
            expires = self._table.now() + CLOSED_RETENTION
            item["expires_at"] = int(expires.timestamp())
        return item

    def _wire(self, revoke: QuarantinedRevoke) -> dict[str, Any]:
        return dict(to_item(self._item(revoke)))


def _instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _window_from(item: dict[str, Any]) -> StoredRevokeWindow:
    return StoredRevokeWindow(
        revokes=tuple((str(r["member_id"]), _instant(r["at"])) for r in item.get("revokes", [])),
        last_held_at=_instant(item["last_held_at"]) if item.get("last_held_at") else None,
        entitled_members=int(item.get("entitled_members", 0)),
        counted_at=_instant(item["counted_at"]) if item.get("counted_at") else None,
        version=int(item.get("version", 0)),
    )


def _revoke_from(item: dict[str, Any]) -> QuarantinedRevoke:
    plain = without_keys(item)
    return QuarantinedRevoke(
        tenant_id=str(plain["tenant_id"]),
        member_id=str(plain["member_id"]),
        email=str(plain.get("email", "")),
        reason=str(plain.get("reason", "")),
        held_at=_instant(plain["held_at"]),
        platform_updated_at=_instant(plain["platform_updated_at"]),
        status=QuarantineStatus(plain.get("status", QuarantineStatus.HELD)),
        resolved_by=plain.get("resolved_by"),
        resolved_at=_instant(plain["resolved_at"]) if plain.get("resolved_at") else None,
    )
