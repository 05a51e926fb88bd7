"""Court reservations from the booking platform, and the players' recent unlocks of their doors.

Reservations are kept 30 days past their end (TTL); a recent unlock only for its short
deduplication window, so that a client's retry does not open the door twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from access_core.domain.events import (
    ReservationCancelled,
    ReservationStatus,
    ReservationUpserted,
    utc_iso,
)
from access_core.domain.model import Lock, Reservation, Tenant
from access_core.infrastructure.storage.locks import lock_key
from access_core.infrastructure.storage.table import (
    Table,
    Update,
    WriteOutcome,
    tenant_pk,
    to_item,
)
from access_core.infrastructure.storage.tenants import tenant_key

RESERVATION_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class RecentUnlock:
    """A successful unlock of one door by one player for one reservation, remembered briefly so
    that a client retry is answered without opening the door again."""

    unlocked_at: datetime
    deduplicate_until: datetime


@dataclass(frozen=True)
class UnlockFacts:
    """Everything an unlock decides on, read in one BatchGetItem (None: no such item)."""

    tenant: Tenant | None
    reservation: Reservation | None
    lock: Lock | None
    recent_unlock: RecentUnlock | None


def unlock_sort_key(reservation_id: str, player_id: str, lock_id: int) -> str:
    """The SK of a recent-unlock record (ids cannot contain '#': see PlatformId)."""
    return f"UNLOCK#{reservation_id}#{player_id}#{lock_id}"


def reservation_key(tenant_id: str, reservation_id: str) -> dict[str, str]:
    return {"PK": tenant_pk(tenant_id), "SK": f"RESERVATION#{reservation_id}"}


def _pair(key: Mapping[str, str]) -> tuple[str, str]:
    return key["PK"], key["SK"]


class ReservationStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, tenant_id: str, reservation_id: str) -> Reservation | None:
        item = self._table.get(reservation_key(tenant_id, reservation_id))
        return reservation_from(item) if item else None

    def upsert(self, tenant_id: str, event: ReservationUpserted) -> WriteOutcome:
        update = Update().set_all(
            {
                "entity": "reservation",
                "tenant_id": tenant_id,
                "reservation_id": event.reservation_id,
                "player_ids": list(event.player_ids),
                "court": event.court,
                "start": utc_iso(event.start),
                "end": utc_iso(event.end),
                "status": event.status.value,
                "expires_at": int((event.end + RESERVATION_RETENTION).timestamp()),
            }
        )
        key = reservation_key(tenant_id, event.reservation_id)
        return self._table.conditional_write(key, event.updated_at, update)

    def cancel(self, tenant_id: str, event: ReservationCancelled) -> WriteOutcome:
        update = Update().set_all(
            {
                "entity": "reservation",
                "tenant_id": tenant_id,
                "reservation_id": event.reservation_id,
                "status": ReservationStatus.CANCELLED.value,
            }
        )
        key = reservation_key(tenant_id, event.reservation_id)
        return self._table.conditional_write(key, event.updated_at, update)

    def page(
        self, tenant_id: str, cursor: str | None, page_size: int
    ) -> tuple[list[Reservation], str | None]:
        """One page of the tenant's reservations (in id order; tombstones left out) and the
        cursor of the next page (None: the last page)."""
        items, next_cursor = self._table.prefix_page(tenant_id, "RESERVATION#", cursor, page_size)
        reservations = [reservation_from(item) for item in items]
        return [r for r in reservations if r is not None], next_cursor

    def delete_expired(self, tenant_id: str, now: datetime) -> int:
        """Delete reservations past their retention that DynamoDB's TTL has not removed yet
        (TTL deletes lazily, within days); returns how many."""
        expired = [
            item["SK"]
            for item in self._table.query_prefix(
                tenant_id, "RESERVATION#", projection=("SK", "expires_at"), consistent=False
            )
            if int(item.get("expires_at", 0) or 0) <= int(now.timestamp())
        ]
        pk = tenant_pk(tenant_id)
        self._table.batch_write(
            [{"DeleteRequest": {"Key": to_item({"PK": pk, "SK": sk})}} for sk in expired]
        )
        return len(expired)

    # ---- unlocks (the mobile app) -------------------------------------------------------------

    def unlock_facts(
        self, tenant_id: str, reservation_id: str, player_id: str, lock_id: int | None
    ) -> UnlockFacts:
        """The tenant, the reservation and, when `lock_id` is given, the lock and the player's
        recent unlock of it: one BatchGetItem (consistent reads), the unlock's only read. It reads
        the tenant's and the lock's items too: the one read model that crosses stores, as an
        unlock must cost one round trip."""
        tenant_at = _pair(tenant_key(tenant_id))
        reservation_at = _pair(reservation_key(tenant_id, reservation_id))
        keys = [tenant_at, reservation_at]
        lock_at = recent_at = None
        if lock_id is not None:
            lock_at = _pair(lock_key(tenant_id, lock_id))
            recent_at = (tenant_pk(tenant_id), unlock_sort_key(reservation_id, player_id, lock_id))
            keys += [lock_at, recent_at]
        items = self._table.get_many(keys)
        lock_item = items.get(lock_at) if lock_at else None
        recent_item = items.get(recent_at) if recent_at else None
        return UnlockFacts(
            tenant=Tenant.model_validate(items[tenant_at]) if tenant_at in items else None,
            reservation=reservation_from(items[reservation_at])
            if reservation_at in items
            else None,
            lock=Lock.model_validate(lock_item) if lock_item else None,
            recent_unlock=RecentUnlock(
                unlocked_at=datetime.fromisoformat(recent_item["unlocked_at"]),
                deduplicate_until=datetime.fromisoformat(recent_item["deduplicate_until"]),
            )
            if recent_item
            else None,
        )

    def claim_recent_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        unlock: RecentUnlock,
    ) -> bool:
        """Remember an unlock of one door by one player until `unlock.deduplicate_until`, on
        condition that none is live (one conditional PutItem); False when one is."""
        record: dict[str, Any] = {
            "PK": tenant_pk(tenant_id),
            "SK": unlock_sort_key(reservation_id, player_id, lock_id),
            "entity": "recent_unlock",
            "unlocked_at": utc_iso(unlock.unlocked_at),
            "deduplicate_until": utc_iso(unlock.deduplicate_until),
            # DynamoDB's TTL deletes it some time later; readers compare deduplicate_until.
            "expires_at": int(unlock.deduplicate_until.timestamp()) + 1,
        }
        self._table.round_trips += 1
        try:
            self._table.client.put_item(
                TableName=self._table.name,
                Item=to_item(record),
                ConditionExpression="attribute_not_exists(PK) OR deduplicate_until <= :now",
                ExpressionAttributeValues=to_item({":now": utc_iso(unlock.unlocked_at)}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def release_recent_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        unlock: RecentUnlock,
    ) -> None:
        """Forget this unlock's record (not a later one's)."""
        self._table.round_trips += 1
        try:
            self._table.client.delete_item(
                TableName=self._table.name,
                Key=to_item(
                    {
                        "PK": tenant_pk(tenant_id),
                        "SK": unlock_sort_key(reservation_id, player_id, lock_id),
                    }
                ),
                ConditionExpression="unlocked_at = :at",
                ExpressionAttributeValues=to_item({":at": utc_iso(unlock.unlocked_at)}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def reservation_from(item: Mapping[str, Any]) -> Reservation | None:
    """A stored reservation; None for a tombstone of one cancelled before we ever saw it."""
    if "player_ids" not in item:
        return None
    return Reservation.model_validate(item)
