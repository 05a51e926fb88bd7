"""DynamoDB storage of tenants, plans, members, reservations, locks and audit entries.

One table, keys in docs/data-model.md. Platform writes are conditional on the platform's own
`updated_at`, so duplicate and out-of-order webhooks cannot overwrite newer data.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from access_core.domain.events import (
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipStatus,
    MembershipUpserted,
    PlanUpdated,
    ReservationCancelled,
    ReservationStatus,
    ReservationUpserted,
    utc_iso,
)
from access_core.domain.model import (
    ConnectionState,
    KisiGrant,
    Lock,
    Member,
    MemberKisiState,
    Plan,
    Reservation,
    SyncState,
    Tenant,
)
from access_core.domain.ports import Clock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

AUDIT_RETENTION = timedelta(days=90)
RESERVATION_RETENTION = timedelta(days=30)
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class WriteResult(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"


@dataclass(frozen=True)
class WriteOutcome:
    result: WriteResult
    version: int = 0


@dataclass(frozen=True)
class AuditEntry:
    tenant_id: str
    action: str
    subject: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    actor: str = "system"


@dataclass(frozen=True)
class StoredPlan:
    plan: Plan
    admin_updated_at: datetime | None = None

    @property
    def flags_set_by_admin(self) -> bool:
        """The admin's write is the plan's latest change (a newer webhook would have won)."""
        return self.admin_updated_at == self.plan.platform_updated_at


@dataclass(frozen=True)
class AdminPlanWrite:
    """An admin's 24-hour flag and group for a plan, stamped `stamp`; `based_on` is the plan's
    `platform_updated_at` the admin saw (None: the plan must not exist yet)."""

    plan_id: str
    has_24h_access: bool
    kisi_group_id: int | None
    name: str | None
    stamp: datetime
    based_on: datetime | None


@dataclass(frozen=True)
class MemberSummary:
    deleted: bool
    sync_state: SyncState
    holds_access: bool


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


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints/floats, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _to_item(values: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    return {k: _SERIALIZER.serialize(v) for k, v in values.items() if v is not None}


def _from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


class _Update:
    """Builds one UpdateExpression with placeholder names and values."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.removes: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: str, value: Any) -> _Update:
        if value is None:
            self.removes.append(self.name(attribute))
        else:
            self.sets.append(f"{self.name(attribute)} = {self.value(value)}")
        return self

    def set_all(self, values: Mapping[str, Any]) -> _Update:
        for attribute, value in values.items():
            self.set(attribute, value)
        return self

    def increment(self, attribute: str) -> _Update:
        n = self.name(attribute)
        self.sets.append(f"{n} = if_not_exists({n}, {self.value(0)}) + {self.value(1)}")
        return self

    def expression(self) -> str:
        parts = []
        if self.sets:
            parts.append("SET " + ", ".join(self.sets))
        if self.removes:
            parts.append("REMOVE " + ", ".join(self.removes))
        return " ".join(parts)

    def serialized_values(self) -> dict[str, AttributeValueTypeDef]:
        return {k: _SERIALIZER.serialize(v) for k, v in self.values.items()}


class BridgeRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Clock) -> None:
        self._client = client
        self._table = table_name
        self._now = clock
        self.round_trips = 0

    # ---- reads -------------------------------------------------------------------------------

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get({"PK": tenant_pk(tenant_id), "SK": "TENANT"})
        return Tenant.model_validate(item) if item else None

    def get_plan(self, tenant_id: str, plan_id: str) -> Plan | None:
        item = self._get({"PK": tenant_pk(tenant_id), "SK": f"PLAN#{plan_id}"})
        return Plan.model_validate(item) if item else None

    def get_member(self, tenant_id: str, member_id: str) -> Member | None:
        item = self._get({"PK": tenant_pk(tenant_id), "SK": f"MEMBER#{member_id}"})
        return _member_from(item) if item else None

    def get_reservation(self, tenant_id: str, reservation_id: str) -> Reservation | None:
        item = self._get({"PK": tenant_pk(tenant_id), "SK": f"RESERVATION#{reservation_id}"})
        return _reservation_from(item) if item else None

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """One BatchGetItem for (PK, SK) pairs; returns the plain items found, by key."""
        request: list[dict[str, AttributeValueTypeDef]] = [
            _to_item({"PK": pk, "SK": sk}) for pk, sk in keys
        ]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        while request:
            self.round_trips += 1
            response = self._client.batch_get_item(
                RequestItems={self._table: {"Keys": request, "ConsistentRead": True}}
            )
            for raw in response["Responses"].get(self._table, []):
                item = _from_item(raw)
                found[(item["PK"], item["SK"])] = item
            unprocessed = response.get("UnprocessedKeys", {}).get(self._table)
            request = list(unprocessed["Keys"]) if unprocessed else []
        return found

    def get_tenant_and_member(
        self, tenant_id: str, member_id: str
    ) -> tuple[Tenant | None, Member | None]:
        tenant_key = (tenant_pk(tenant_id), "TENANT")
        member_key = (tenant_pk(tenant_id), f"MEMBER#{member_id}")
        items = self.get_many([tenant_key, member_key])
        tenant = Tenant.model_validate(items[tenant_key]) if tenant_key in items else None
        member = _member_from(items[member_key]) if member_key in items else None
        return tenant, member

    def members_on_plan(
        self, tenant_id: str, plan_id: str, cursor: str | None, page_size: int = 500
    ) -> tuple[list[str], str | None]:
        """One page of the ids of members on a plan, and the cursor of the next page (or None)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByPlan",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"{tenant_pk(tenant_id)}#PLAN#{plan_id}"}},
            "ProjectionExpression": "member_id",
            "Limit": page_size,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = json.loads(cursor)
        self.round_trips += 1
        response = self._client.query(**kwargs)
        ids = [str(_from_item(item)["member_id"]) for item in response["Items"]]
        last = response.get("LastEvaluatedKey")
        return ids, json.dumps(last) if last else None

    # ---- tenant settings ---------------------------------------------------------------------

    def put_tenant(self, tenant: Tenant) -> None:
        self.round_trips += 1
        self._client.put_item(TableName=self._table, Item=self._tenant_item(tenant))

    @staticmethod
    def _tenant_item(tenant: Tenant) -> dict[str, AttributeValueTypeDef]:
        item = {"PK": tenant_pk(tenant.tenant_id), "SK": "TENANT", "entity": "tenant"}
        item.update(tenant.model_dump(mode="json"))
        return _to_item(item)

    def update_tenant(self, tenant_id: str, changes: Mapping[str, Any]) -> None:
        """Set (or, for None, remove) tenant attributes; the tenant must exist."""
        update = _Update().set_all(changes)
        self._update(
            {"PK": tenant_pk(tenant_id), "SK": "TENANT"},
            update,
            condition="attribute_exists(PK)",
        )

    def record_connection_check(
        self, tenant_id: str, state: ConnectionState, checked_at: datetime
    ) -> None:
        """What Kisi said of the tenant's key when it was last checked."""
        self.update_tenant(
            tenant_id,
            {"connection_state": state.value, "connection_checked_at": utc_iso(checked_at)},
        )

    def mark_kisi_credentials_invalid(self, tenant_id: str, checked_at: datetime) -> None:
        """Kisi refused the tenant's key: every function stops calling Kisi for the tenant until
        an admin connects a new key."""
        self.record_connection_check(tenant_id, ConnectionState.INVALID_CREDENTIALS, checked_at)

    # ---- platform writes (webhooks) ----------------------------------------------------------

    def upsert_member(self, tenant_id: str, event: MembershipUpserted) -> WriteOutcome:
        ends_at = _member_facts(tenant_id, event).access_ends_at
        # No email from the platform: the stored email (and name, unless one came) stay. They are
        # left out of the update, as setting None would remove them.
        contact = {"email": event.email, "name": event.name}
        if event.email is None:
            contact = {"name": event.name} if event.name else {}
        update = _Update().set_all(
            {
                "entity": "member",
                "tenant_id": tenant_id,
                "member_id": event.member_id,
                **contact,
                "plan_id": event.plan_id,
                "status": event.status.value,
                "cancellation_at": utc_iso(event.cancellation_at)
                if event.cancellation_at
                else None,
                "deleted": False,
                "GSI1PK": f"{tenant_pk(tenant_id)}#PLAN#{event.plan_id}" if event.plan_id else None,
                "GSI1SK": event.member_id if event.plan_id else None,
                "GSI4PK": f"{tenant_pk(tenant_id)}#ENDS" if ends_at else None,
                "GSI4SK": f"{utc_iso(ends_at)}#{event.member_id}" if ends_at else None,
            }
        )
        return self._member_platform_write(tenant_id, event.member_id, event.updated_at, update)

    def delete_member(self, tenant_id: str, event: MembershipDeleted) -> WriteOutcome:
        update = _Update().set_all(
            {
                "entity": "member",
                "tenant_id": tenant_id,
                "member_id": event.member_id,
                "deleted": True,
                "GSI4PK": None,
                "GSI4SK": None,
            }
        )
        return self._member_platform_write(tenant_id, event.member_id, event.updated_at, update)

    def upsert_member_profile(self, tenant_id: str, event: MemberProfileUpdated) -> WriteOutcome:
        """A member's email and name, sent apart from the membership (e.g. PushPress customer
        events). Ordered by `profile_updated_at`: the profile and the membership come from
        different event streams, each with its own clock."""
        update = _Update().set_all(
            {
                "entity": "member",
                "tenant_id": tenant_id,
                "member_id": event.member_id,
                "email": event.email,
                "name": event.name,
            }
        )
        return self._member_platform_write(
            tenant_id,
            event.member_id,
            event.updated_at,
            update,
            timestamp_attribute="profile_updated_at",
        )

    def _member_platform_write(
        self,
        tenant_id: str,
        member_id: str,
        updated_at: datetime,
        update: _Update,
        *,
        timestamp_attribute: str = "platform_updated_at",
    ) -> WriteOutcome:
        changed_at = utc_iso(self._now())
        update.set_all(
            {
                "changed_at": changed_at,
                "GSI2PK": f"{tenant_pk(tenant_id)}#MEMBERS",
                "GSI2SK": f"{changed_at}#{member_id}",
                "sync_state": SyncState.PENDING.value,
                "GSI3PK": f"{tenant_pk(tenant_id)}#UNSYNCED",
                "GSI3SK": member_id,
            }
        ).increment("version")
        key = {"PK": tenant_pk(tenant_id), "SK": f"MEMBER#{member_id}"}
        return self._platform_write(key, updated_at, update, timestamp_attribute)

    def upsert_plan(self, tenant_id: str, event: PlanUpdated) -> WriteOutcome:
        update = _Update().set_all(
            {
                "entity": "plan",
                "tenant_id": tenant_id,
                "plan_id": event.plan_id,
                "name": event.name,
                "has_24h_access": event.has_24h_access,
                "kisi_group_id": event.kisi_group_id,
            }
        )
        key = {"PK": tenant_pk(tenant_id), "SK": f"PLAN#{event.plan_id}"}
        return self._platform_write(key, event.updated_at, update)

    def upsert_reservation(self, tenant_id: str, event: ReservationUpserted) -> WriteOutcome:
        update = _Update().set_all(
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
        key = {"PK": tenant_pk(tenant_id), "SK": f"RESERVATION#{event.reservation_id}"}
        return self._platform_write(key, event.updated_at, update)

    def cancel_reservation(self, tenant_id: str, event: ReservationCancelled) -> WriteOutcome:
        update = _Update().set_all(
            {
                "entity": "reservation",
                "tenant_id": tenant_id,
                "reservation_id": event.reservation_id,
                "status": ReservationStatus.CANCELLED.value,
            }
        )
        key = {"PK": tenant_pk(tenant_id), "SK": f"RESERVATION#{event.reservation_id}"}
        return self._platform_write(key, event.updated_at, update)

    def _platform_write(
        self,
        key: Mapping[str, str],
        updated_at: datetime,
        update: _Update,
        timestamp_attribute: str = "platform_updated_at",
    ) -> WriteOutcome:
        """Apply `update` if `updated_at` is newer than the item's `timestamp_attribute`.

        An item without that attribute (new, or written so far only by another event stream with
        its own timestamp attribute) takes the write.
        """
        incoming = utc_iso(updated_at)
        stored_name = update.name(timestamp_attribute)
        incoming_value = update.value(incoming)
        update.sets.append(f"{stored_name} = {incoming_value}")
        condition = f"attribute_not_exists({stored_name}) OR {stored_name} < {incoming_value}"
        try:
            attributes = self._update(key, update, condition=condition, return_new=True)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old_item: Mapping[str, Any] = error.response.get("Item", {})  # type: ignore[assignment]
            old = _from_item(old_item)
            if old.get(timestamp_attribute) == incoming:
                return WriteOutcome(WriteResult.DUPLICATE, int(old.get("version", 0)))
            return WriteOutcome(WriteResult.STALE, int(old.get("version", 0)))
        return WriteOutcome(WriteResult.APPLIED, int(attributes.get("version", 0)))

    # ---- worker writes -----------------------------------------------------------------------

    def record_kisi_state(
        self, member: Member, state: MemberKisiState, audit: Sequence[AuditEntry]
    ) -> bool:
        """Store what we wrote to Kisi for `member` with its audit entries, in one transaction.

        The sync state is set only if the member is still at the version that was converged;
        otherwise a newer webhook landed meanwhile (its command is queued) and the member stays
        pending. Returns whether the converged version was still current.
        """
        key = {"PK": tenant_pk(member.tenant_id), "SK": f"MEMBER#{member.member_id}"}
        try:
            self._transact_kisi_state(key, member.version, state, audit)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            self._transact_kisi_state(key, None, state, audit)
            return False
        return True

    def _transact_kisi_state(
        self,
        key: Mapping[str, str],
        converged_version: int | None,
        state: MemberKisiState,
        audit: Sequence[AuditEntry],
    ) -> None:
        update = _Update().set_all(
            {
                "kisi_grants": [g.model_dump(mode="json") for g in state.grants],
                "last_synced_at": utc_iso(state.last_synced_at) if state.last_synced_at else None,
                "last_error": state.last_error,
            }
        )
        condition = "attribute_exists(PK)"
        if converged_version is not None:
            unsynced = state.sync_state is not SyncState.IN_SYNC
            update.set_all(
                {
                    "sync_state": state.sync_state.value,
                    "synced_version": converged_version,
                    "GSI3PK": key["PK"] + "#UNSYNCED" if unsynced else None,
                    "GSI3SK": key["SK"].removeprefix("MEMBER#") if unsynced else None,
                }
            )
            condition += f" AND {update.name('version')} = {update.value(converged_version)}"
        member_update: dict[str, Any] = {
            "TableName": self._table,
            "Key": _to_item(key),
            "UpdateExpression": update.expression(),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": update.names,
            "ExpressionAttributeValues": update.serialized_values(),
        }
        items: list[Any] = [{"Update": member_update}]
        items += [{"Put": {"TableName": self._table, "Item": self._audit_item(a)}} for a in audit]
        self.round_trips += 1
        self._client.transact_write_items(TransactItems=items)

    # ---- audit -------------------------------------------------------------------------------

    def put_audit(self, entries: Sequence[AuditEntry]) -> None:
        for start in range(0, len(entries), 25):
            batch = [
                {"PutRequest": {"Item": self._audit_item(e)}} for e in entries[start : start + 25]
            ]
            self.round_trips += 1
            self._client.batch_write_item(RequestItems={self._table: batch})  # type: ignore[dict-item]

    def list_audit(self, tenant_id: str, limit: int = 100) -> list[dict[str, Any]]:
        self.round_trips += 1
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"AUDIT#{tenant_id}"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_from_item(item) for item in response["Items"]]

    def _audit_item(self, entry: AuditEntry) -> dict[str, AttributeValueTypeDef]:
        now = self._now()
        return _to_item(
            {
                "PK": f"AUDIT#{entry.tenant_id}",
                "SK": f"{utc_iso(now)}#{uuid.uuid4().hex}",
                "entity": "audit",
                "at": utc_iso(now),
                "actor": entry.actor,
                "action": entry.action,
                "subject": entry.subject,
                "detail": json.loads(json.dumps(dict(entry.detail), default=str)),
                "expires_at": int((now + AUDIT_RETENTION).timestamp()),
            }
        )

    # ---- locks -------------------------------------------------------------------------------

    def get_lock(self, tenant_id: str, lock_id: int) -> Lock | None:
        item = self._get({"PK": tenant_pk(tenant_id), "SK": f"LOCK#{lock_id}"})
        return Lock.model_validate(item) if item else None

    def put_locks(self, tenant_id: str, locks: Sequence[Lock]) -> None:
        """Store (replace) lock items, 25 a BatchWriteItem, retrying what DynamoDB leaves over."""
        requests: list[Any] = [
            {
                "PutRequest": {
                    "Item": _to_item(
                        {
                            "PK": tenant_pk(tenant_id),
                            "SK": f"LOCK#{lock.lock_id}",
                            "entity": "lock",
                            **lock.model_dump(mode="json"),
                        }
                    )
                }
            }
            for lock in locks
        ]
        for start in range(0, len(requests), 25):
            pending: list[Any] = requests[start : start + 25]
            while pending:
                self.round_trips += 1
                response = self._client.batch_write_item(RequestItems={self._table: pending})
                pending = list(response.get("UnprocessedItems", {}).get(self._table, []))

    # ---- unlock (the mobile app) --------------------------------------------------------------

    def get_unlock_facts(
        self, tenant_id: str, reservation_id: str, player_id: str, lock_id: int | None
    ) -> UnlockFacts:
        """The tenant, the reservation and, when `lock_id` is given, the lock and the player's
        recent unlock of it: one BatchGetItem (consistent reads), the unlock's only read."""
        pk = tenant_pk(tenant_id)
        tenant_key = (pk, "TENANT")
        reservation_key = (pk, f"RESERVATION#{reservation_id}")
        keys = [tenant_key, reservation_key]
        if lock_id is not None:
            lock_key = (pk, f"LOCK#{lock_id}")
            recent_key = (pk, unlock_sort_key(reservation_id, player_id, lock_id))
            keys += [lock_key, recent_key]
        items = self.get_many(keys)
        lock_item = items.get(keys[2]) if lock_id is not None else None
        recent_item = items.get(keys[3]) if lock_id is not None else None
        return UnlockFacts(
            tenant=Tenant.model_validate(items[tenant_key]) if tenant_key in items else None,
            reservation=_reservation_from(items[reservation_key])
            if reservation_key in items
            else None,
            lock=Lock.model_validate(lock_item) if lock_item else None,
            recent_unlock=RecentUnlock(
                unlocked_at=datetime.fromisoformat(recent_item["unlocked_at"]),
                deduplicate_until=datetime.fromisoformat(recent_item["deduplicate_until"]),
            )
            if recent_item
            else None,
        )

    def record_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        unlock: RecentUnlock,
        audit: AuditEntry,
    ) -> bool:
        """Remember a successful unlock until `unlock.deduplicate_until`, with its audit entry, in
        one transaction. The record is written only where none is live (a concurrent unlock may
        have written one); then only the audit entry is. Returns whether the record was written."""
        record = {
            "PK": tenant_pk(tenant_id),
            "SK": unlock_sort_key(reservation_id, player_id, lock_id),
            "entity": "recent_unlock",
            "unlocked_at": utc_iso(unlock.unlocked_at),
            "deduplicate_until": utc_iso(unlock.deduplicate_until),
            # DynamoDB's TTL deletes it some time later; readers compare deduplicate_until.
            "expires_at": int(unlock.deduplicate_until.timestamp()) + 1,
        }
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": _to_item(record),
            "ConditionExpression": "attribute_not_exists(PK) OR deduplicate_until <= :now",
            "ExpressionAttributeValues": _to_item({":now": utc_iso(unlock.unlocked_at)}),
        }
        items: list[Any] = [
            {"Put": put},
            {"Put": {"TableName": self._table, "Item": self._audit_item(audit)}},
        ]
        try:
            self.round_trips += 1
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            self.put_audit([audit])
            return False
        return True

    # ---- admin -------------------------------------------------------------------------------

    def list_plans(self, tenant_id: str) -> list[StoredPlan]:
        """Every plan of the tenant, with when an admin last set its flags (one Query a MB)."""
        return [
            StoredPlan(
                Plan.model_validate(item),
                datetime.fromisoformat(item["admin_updated_at"])
                if "admin_updated_at" in item
                else None,
            )
            for item in self._query_items(tenant_id, "PLAN#")
        ]

    def list_locks(self, tenant_id: str) -> list[Lock]:
        return [Lock.model_validate(item) for item in self._query_items(tenant_id, "LOCK#")]

    def member_summaries(self, tenant_id: str) -> Iterator[MemberSummary]:
        """Every member's sync state, read with a projection (an eventually consistent Query; its
        cost is the size of the whole member items: about 1 read unit per 8 KB)."""
        for item in self._query_items(
            tenant_id,
            "MEMBER#",
            projection=("deleted", "sync_state", "kisi_grants"),
            consistent=False,
        ):
            yield MemberSummary(
                deleted=bool(item.get("deleted")),
                sync_state=SyncState(item.get("sync_state", SyncState.PENDING)),
                holds_access=any(g.get("assignment_id") for g in item.get("kisi_grants", [])),
            )

    def save_settings(
        self,
        tenant: Tenant,
        *,
        created: bool,
        fields: Collection[str],
        plans: Sequence[AdminPlanWrite],
    ) -> bool:
        """Store the tenant's settings and the admin's plan flags in one transaction.

        `created`: put the whole tenant (it must not exist yet); otherwise set `fields` of the
        existing tenant. Each plan write is conditional on the plan's `platform_updated_at` being
        what the admin's change was based on. Returns False (and writes nothing) when the tenant
        or a plan changed meanwhile.
        """
        tenant_key = {"PK": tenant_pk(tenant.tenant_id), "SK": "TENANT"}
        items: list[Any]
        if created:
            put = {
                "TableName": self._table,
                "Item": self._tenant_item(tenant),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
            items = [{"Put": put}]
        else:
            values = tenant.model_dump(mode="json")
            update = _Update().set_all({name: values[name] for name in fields})
            items = [{"Update": self._transact_update(tenant_key, update, "attribute_exists(PK)")}]
        for write in plans:
            items.append({"Update": self._admin_plan_update(tenant.tenant_id, write)})
        try:
            self.round_trips += 1
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return False
        return True

    def _admin_plan_update(self, tenant_id: str, write: AdminPlanWrite) -> dict[str, Any]:
        stamp = utc_iso(write.stamp)
        update = _Update().set_all(
            {
                "entity": "plan",
                "tenant_id": tenant_id,
                "plan_id": write.plan_id,
                "has_24h_access": write.has_24h_access,
                "kisi_group_id": write.kisi_group_id,
                "platform_updated_at": stamp,
                "admin_updated_at": stamp,
            }
        )
        if write.name is not None:
            update.set("name", write.name)
        if write.based_on is None:
            condition = "attribute_not_exists(PK)"
        else:
            stored = update.name("platform_updated_at")
            condition = f"{stored} = {update.value(utc_iso(write.based_on))}"
        key = {"PK": tenant_pk(tenant_id), "SK": f"PLAN#{write.plan_id}"}
        return self._transact_update(key, update, condition)

    def _transact_update(
        self, key: Mapping[str, str], update: _Update, condition: str
    ) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": _to_item(key),
            "UpdateExpression": update.expression(),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": update.names,
            "ExpressionAttributeValues": update.serialized_values(),
        }

    def _query_items(
        self,
        tenant_id: str,
        sort_key_prefix: str,
        *,
        projection: Sequence[str] = (),
        consistent: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """The tenant's items whose SK starts with `sort_key_prefix`, page after page."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": tenant_pk(tenant_id)},
                ":prefix": {"S": sort_key_prefix},
            },
            "ConsistentRead": consistent,
        }
        if projection:
            names = {f"#p{index}": name for index, name in enumerate(projection)}
            kwargs["ProjectionExpression"] = ", ".join(names)
            kwargs["ExpressionAttributeNames"] = names
        while True:
            self.round_trips += 1
            response = self._client.query(**kwargs)
            yield from (_from_item(item) for item in response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    # ---- syncs (daily and weekly) ------------------------------------------------------------

    def list_tenant_ids(self) -> list[str]:
        """Every tenant with settings: a Scan that keeps only tenant items (the daily run's
        once-a-day cost; it reads the table's size in units, and returns the tenant ids)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "SK = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": "TENANT"}},
            "ProjectionExpression": "tenant_id",
        }
        return sorted(str(item["tenant_id"]) for item in self._pages(self._client.scan, kwargs))

    def members_changed_since(self, tenant_id: str, since: datetime) -> list[str]:
        """Ids of members whose platform data changed at or after `since` (ByChange)."""
        return self._member_ids_on_index(
            "ByChange",
            "GSI2PK = :pk AND GSI2SK >= :since",
            {":pk": f"{tenant_pk(tenant_id)}#MEMBERS", ":since": utc_iso(since)},
        )

    def unsynced_member_ids(self, tenant_id: str) -> list[str]:
        """Ids of members whose last convergence failed or is still pending (Unsynced)."""
        return self._member_ids_on_index(
            "Unsynced", "GSI3PK = :pk", {":pk": f"{tenant_pk(tenant_id)}#UNSYNCED"}
        )

    def access_ending_between(self, tenant_id: str, since: datetime, until: datetime) -> list[str]:
        """Ids of pending cancellations whose access ends in [since, until] (AccessEnds)."""
        return self._member_ids_on_index(
            "AccessEnds",
            "GSI4PK = :pk AND GSI4SK BETWEEN :since AND :until",
            {
                ":pk": f"{tenant_pk(tenant_id)}#ENDS",
                ":since": utc_iso(since),
                ":until": utc_iso(until) + "~",
            },
        )

    def _member_ids_on_index(
        self, index: str, condition: str, values: Mapping[str, str]
    ) -> list[str]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": {name: {"S": value} for name, value in values.items()},
            "ProjectionExpression": "member_id",
        }
        return [str(item["member_id"]) for item in self._pages(self._client.query, kwargs)]

    def _pages(
        self, operation: Callable[..., Any], kwargs: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Every item of a Query or Scan, page after page."""
        while True:
            self.round_trips += 1
            response = operation(**kwargs)
            yield from (_from_item(item) for item in response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def delete_expired_reservations(self, tenant_id: str, now: datetime) -> int:
        """Delete reservations past their retention that DynamoDB's TTL has not removed yet
        (TTL deletes lazily, within days); returns how many."""
        expired = [
            item["SK"]
            for item in self._query_items(
                tenant_id, "RESERVATION#", projection=("SK", "expires_at"), consistent=False
            )
            if int(item.get("expires_at", 0) or 0) <= int(now.timestamp())
        ]
        pk = tenant_pk(tenant_id)
        for start in range(0, len(expired), 25):
            pending: list[Any] = [
                {"DeleteRequest": {"Key": _to_item({"PK": pk, "SK": sk})}}
                for sk in expired[start : start + 25]
            ]
            while pending:
                self.round_trips += 1
                response = self._client.batch_write_item(RequestItems={self._table: pending})
                pending = list(response.get("UnprocessedItems", {}).get(self._table, []))
        return len(expired)

    def members_page(
        self, tenant_id: str, cursor: str | None, page_size: int
    ) -> tuple[list[Member], str | None]:
        """One page of the tenant's members (profile-only items left out) and the next cursor."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": tenant_pk(tenant_id)},
                ":prefix": {"S": "MEMBER#"},
            },
            "Limit": page_size,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = json.loads(cursor)
        self.round_trips += 1
        response = self._client.query(**kwargs)
        members = [_member_from(_from_item(item)) for item in response["Items"]]
        last = response.get("LastEvaluatedKey")
        return [m for m in members if m is not None], json.dumps(last) if last else None

    def get_sync_item(self, tenant_id: str, name: str) -> dict[str, Any] | None:
        """A sync item (`daily`, `weekly`, `weekly#cursor`) without its keys."""
        item = self._get({"PK": tenant_pk(tenant_id), "SK": f"SYNCRUN#{name}"})
        return _without_keys(item) if item else None

    def put_sync_item(self, tenant_id: str, name: str, body: Mapping[str, Any]) -> None:
        item = {"PK": tenant_pk(tenant_id), "SK": f"SYNCRUN#{name}", "entity": "sync_run"}
        self.round_trips += 1
        self._client.put_item(
            TableName=self._table, Item=_to_item({**json.loads(json.dumps(body)), **item})
        )

    def sync_runs(self, tenant_id: str, names: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Several sync items in one BatchGetItem, by name (None where there is none)."""
        keys = [(tenant_pk(tenant_id), f"SYNCRUN#{name}") for name in names]
        found = self.get_many(keys)
        return {
            name: _without_keys(found[key]) if key in found else None
            for name, key in zip(names, keys, strict=True)
        }

    def put_weekly_observations(
        self, tenant_id: str, run_id: str, page: str, observed: Sequence[Mapping[str, Any]]
    ) -> None:
        """One listed page of a weekly run (what Kisi showed), kept a week for the diff steps."""
        expires = self._now() + timedelta(days=8)
        self.round_trips += 1
        self._client.put_item(
            TableName=self._table,
            Item=_to_item(
                {
                    "PK": tenant_pk(tenant_id),
                    "SK": f"SYNCOBS#{run_id}#{page}",
                    "entity": "sync_observations",
                    "observed": json.dumps(list(observed), separators=(",", ":")),
                    "expires_at": int(expires.timestamp()),
                }
            ),
        )

    def weekly_observations(self, tenant_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every observation a weekly run stored, page after page."""
        observed: list[dict[str, Any]] = []
        for item in self._query_items(tenant_id, f"SYNCOBS#{run_id}#"):
            observed += json.loads(item["observed"])
        return observed

    # ---- plumbing ----------------------------------------------------------------------------

    def _get(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        self.round_trips += 1
        response = self._client.get_item(
            TableName=self._table, Key=_to_item(key), ConsistentRead=True
        )
        item = response.get("Item")
        return _from_item(item) if item else None

    def _update(
        self,
        key: Mapping[str, str],
        update: _Update,
        *,
        condition: str | None = None,
        return_new: bool = False,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": _to_item(key),
            "UpdateExpression": update.expression(),
            "ExpressionAttributeNames": update.names,
            "ExpressionAttributeValues": update.serialized_values(),
            "ReturnValues": "ALL_NEW" if return_new else "NONE",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        if not update.values:
            del kwargs["ExpressionAttributeValues"]
        self.round_trips += 1
        response = self._client.update_item(**kwargs)
        return _from_item(response.get("Attributes", {}))


def _without_keys(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("PK", "SK", "entity")}


def _member_facts(tenant_id: str, event: MembershipUpserted) -> Member:
    return Member(
        tenant_id=tenant_id,
        member_id=event.member_id,
        email=event.email,
        name=event.name,
        plan_id=event.plan_id,
        status=event.status,
        cancellation_at=event.cancellation_at,
        platform_updated_at=event.updated_at,
    )


def _member_from(item: Mapping[str, Any]) -> Member | None:
    """A stored member: an item with a membership status, or deleted (a tombstone of a member
    deleted before we saw its membership is a deleted member, revoked like any other).

    None for a profile-only item (email and name from a customer event, no membership yet):
    there is nothing to converge until the membership arrives.
    """
    if "status" not in item and not item.get("deleted"):
        return None
    kisi = MemberKisiState(
        grants=[KisiGrant.model_validate(g) for g in item.get("kisi_grants", [])],
        sync_state=item.get("sync_state", SyncState.PENDING),
        synced_version=item.get("synced_version", 0),
        last_synced_at=item.get("last_synced_at"),
        last_error=item.get("last_error"),
    )
    fields = {k: v for k, v in item.items() if k in Member.model_fields}
    fields.setdefault("status", MembershipStatus.CANCELLED)
    return Member.model_validate({**fields, "kisi": kisi})


def _reservation_from(item: Mapping[str, Any]) -> Reservation | None:
    """A stored reservation; None for a tombstone of one cancelled before we ever saw it."""
    if "player_ids" not in item:
        return None
    return Reservation.model_validate(item)
