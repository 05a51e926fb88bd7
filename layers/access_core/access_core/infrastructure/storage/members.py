"""Members: the platform's facts about each member (conditional on the platform's clock) and what
the worker last wrote to Kisi for them, with the indexes the syncs walk."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from access_core.domain.events import (
    MemberProfileUpdated,
    MembershipDeleted,
    MembershipStatus,
    MembershipUpserted,
    utc_iso,
)
from access_core.domain.model import (
    KisiGrant,
    KnownKisiUser,
    Member,
    MemberKisiState,
    SyncState,
    Tenant,
)
from access_core.infrastructure.storage.table import (
    Table,
    Transaction,
    Update,
    WriteOutcome,
    tenant_pk,
)
from access_core.infrastructure.storage.tenants import tenant_key


@dataclass(frozen=True)
class MemberSummary:
    deleted: bool
    sync_state: SyncState
    holds_access: bool


def member_key(tenant_id: str, member_id: str) -> dict[str, str]:
    return {"PK": tenant_pk(tenant_id), "SK": f"MEMBER#{member_id}"}


class MemberStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    # ---- reads -------------------------------------------------------------------------------

    def get(self, tenant_id: str, member_id: str) -> Member | None:
        item = self._table.get(member_key(tenant_id, member_id))
        return member_from(item) if item else None

    def get_with_tenant(
        self, tenant_id: str, member_id: str
    ) -> tuple[Tenant | None, Member | None]:
        """The member and its tenant in one BatchGetItem (what a convergence starts from)."""
        tenant_at = (tenant_pk(tenant_id), tenant_key(tenant_id)["SK"])
        member_at = (tenant_pk(tenant_id), member_key(tenant_id, member_id)["SK"])
        items = self._table.get_many([tenant_at, member_at])
        tenant = Tenant.model_validate(items[tenant_at]) if tenant_at in items else None
        member = member_from(items[member_at]) if member_at in items else None
        return tenant, member

    def ids_on_plan(
        self, tenant_id: str, plan_id: str, cursor: str | None, page_size: int = 500
    ) -> tuple[list[str], str | None]:
        """One page of the ids of members on a plan, and the cursor of the next page (or None)."""
        items, next_cursor = self._table.query_page(
            {
                "IndexName": "ByPlan",
                "KeyConditionExpression": "GSI1PK = :pk",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"{tenant_pk(tenant_id)}#PLAN#{plan_id}"}
                },
                "ProjectionExpression": "member_id",
                "Limit": page_size,
            },
            cursor,
        )
        return [str(item["member_id"]) for item in items], next_cursor

    def page(
        self, tenant_id: str, cursor: str | None, page_size: int
    ) -> tuple[list[Member], str | None]:
        """One page of the tenant's members (profile-only items left out) and the next cursor."""
        items, next_cursor = self._table.prefix_page(tenant_id, "MEMBER#", cursor, page_size)
        members = [member_from(item) for item in items]
        return [m for m in members if m is not None], next_cursor

    def summaries(self, tenant_id: str) -> Iterator[MemberSummary]:
        """Every member's sync state, read with a projection (an eventually consistent Query; its
        cost is the size of the whole member items: about 1 read unit per 8 KB)."""
        for item in self._table.query_prefix(
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

    def with_email(self, tenant_id: str, email: str) -> list[Member]:
        """The tenant's members with this email (ByEmail; a family can share one address)."""
        items = self._table.pages(
            self._table.client.query,
            {
                "TableName": self._table.name,
                "IndexName": "ByEmail",
                "KeyConditionExpression": "GSI5PK = :pk",
                "ExpressionAttributeValues": {":pk": {"S": email_key(tenant_id, email)}},
            },
        )
        members = [member_from(item) for item in items]
        return [m for m in members if m is not None]

    def changed_since(self, tenant_id: str, since: datetime) -> list[str]:
        """Ids of members whose platform data changed at or after `since` (ByChange)."""
        return self._table.ids_on_index(
            "ByChange",
            "GSI2PK = :pk AND GSI2SK >= :since",
            {":pk": f"{tenant_pk(tenant_id)}#MEMBERS", ":since": utc_iso(since)},
        )

    def unsynced_ids(self, tenant_id: str) -> list[str]:
        """Ids of members whose last convergence failed or is still pending (Unsynced)."""
        return self._table.ids_on_index(
            "Unsynced", "GSI3PK = :pk", {":pk": f"{tenant_pk(tenant_id)}#UNSYNCED"}
        )

    def failures(self, tenant_id: str, limit: int) -> list[Member]:
        """Up to `limit` members whose last Kisi write failed (one Query of the sparse Unsynced
        index, which holds only members not in sync; pending ones are filtered out)."""
        items, _ = self._table.query_page(
            {
                "IndexName": "Unsynced",
                "KeyConditionExpression": "GSI3PK = :pk",
                "FilterExpression": "sync_state = :failed",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"{tenant_pk(tenant_id)}#UNSYNCED"},
                    ":failed": {"S": SyncState.FAILED.value},
                },
                "Limit": limit,
            },
            None,
        )
        members = [member_from(item) for item in items]
        return [m for m in members if m is not None]

    def access_ending_between(self, tenant_id: str, since: datetime, until: datetime) -> list[str]:
        """Ids of pending cancellations whose access ends in [since, until] (AccessEnds)."""
        return self._table.ids_on_index(
            "AccessEnds",
            "GSI4PK = :pk AND GSI4SK BETWEEN :since AND :until",
            {
                ":pk": f"{tenant_pk(tenant_id)}#ENDS",
                ":since": utc_iso(since),
                ":until": utc_iso(until) + "~",
            },
        )

    # ---- platform writes (webhooks and pulled records) ---------------------------------------

    def upsert(self, tenant_id: str, event: MembershipUpserted) -> WriteOutcome:
        ends_at = _member_facts(tenant_id, event).access_ends_at
        # No email from the platform: the stored email (and name, unless one came) stay. They are
        # left out of the update, as setting None would remove them.
        contact = {"email": event.email, "name": event.name, **_email_index(tenant_id, event)}
        if event.email is None:
            contact = {"name": event.name} if event.name else {}
        update = Update().set_all(
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
                "paid_through": utc_iso(event.paid_through) if event.paid_through else None,
                "deleted": False,
                "GSI1PK": f"{tenant_pk(tenant_id)}#PLAN#{event.plan_id}" if event.plan_id else None,
                "GSI1SK": event.member_id if event.plan_id else None,
                "GSI4PK": f"{tenant_pk(tenant_id)}#ENDS" if ends_at else None,
                "GSI4SK": f"{utc_iso(ends_at)}#{event.member_id}" if ends_at else None,
            }
        )
        return self._platform_write(tenant_id, event.member_id, event.updated_at, update)

    def delete(self, tenant_id: str, event: MembershipDeleted) -> WriteOutcome:
        update = Update().set_all(
            {
                "entity": "member",
                "tenant_id": tenant_id,
                "member_id": event.member_id,
                "deleted": True,
                "GSI4PK": None,
                "GSI4SK": None,
            }
        )
        return self._platform_write(tenant_id, event.member_id, event.updated_at, update)

    def upsert_profile(self, tenant_id: str, event: MemberProfileUpdated) -> WriteOutcome:
        """A member's email and name, sent apart from the membership (e.g. PushPress customer
        events). Ordered by `profile_updated_at`: the profile and the membership come from
        different event streams, each with its own clock."""
        update = Update().set_all(
            {
                "entity": "member",
                "tenant_id": tenant_id,
                "member_id": event.member_id,
                "email": event.email,
                "name": event.name,
                **_email_index(tenant_id, event),
            }
        )
        return self._platform_write(
            tenant_id,
            event.member_id,
            event.updated_at,
            update,
            timestamp_attribute="profile_updated_at",
        )

    def _platform_write(
        self,
        tenant_id: str,
        member_id: str,
        updated_at: datetime,
        update: Update,
        *,
        timestamp_attribute: str = "platform_updated_at",
    ) -> WriteOutcome:
        changed_at = utc_iso(self._table.now())
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
        return self._table.conditional_write(
            member_key(tenant_id, member_id), updated_at, update, timestamp_attribute
        )

    # ---- the worker's record of Kisi ---------------------------------------------------------

    def add_kisi_state_to(
        self,
        transaction: Transaction,
        member: Member,
        state: MemberKisiState,
        *,
        converged_version: int | None,
    ) -> None:
        """Store what was written to Kisi for `member`. With `converged_version`, the sync state
        is set too, on condition that the member is still at that version (a newer platform write
        means its own command is queued and the member stays pending); without, only the Kisi
        facts are stored."""
        key = member_key(member.tenant_id, member.member_id)
        update = Update().set_all(
            {
                "kisi_grants": [g.model_dump(mode="json") for g in state.grants],
                "kisi_users": {
                    email: user.model_dump(mode="json") for email, user in state.known_users.items()
                },
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
                    "GSI3SK": member.member_id if unsynced else None,
                }
            )
            condition += f" AND {update.name('version')} = {update.value(converged_version)}"
        transaction.update(key, update, condition)


def email_key(tenant_id: str, email: str) -> str:
    """The ByEmail partition of an email (Kisi matches emails without regard to case)."""
    return f"{tenant_pk(tenant_id)}#EMAIL#{email.strip().lower()}"


def _email_index(
    tenant_id: str, event: MembershipUpserted | MemberProfileUpdated
) -> dict[str, str | None]:
    if event.email is None:
        return {}
    return {"GSI5PK": email_key(tenant_id, event.email), "GSI5SK": event.member_id}


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


def member_from(item: Mapping[str, Any]) -> Member | None:
    """A stored member: an item with a membership status, or deleted (a tombstone of a member
    deleted before we saw its membership is a deleted member, revoked like any other).

    None for a profile-only item (email and name from a customer event, no membership yet):
    there is nothing to converge until the membership arrives.
    """
    if "status" not in item and not item.get("deleted"):
        return None
    kisi = MemberKisiState(
        grants=[KisiGrant.model_validate(g) for g in item.get("kisi_grants", [])],
        known_users={
            email: KnownKisiUser.model_validate(user)
            for email, user in item.get("kisi_users", {}).items()
        },
        sync_state=item.get("sync_state", SyncState.PENDING),
        synced_version=item.get("synced_version", 0),
        last_synced_at=item.get("last_synced_at"),
        last_error=item.get("last_error"),
    )
    fields = {k: v for k, v in item.items() if k in Member.model_fields}
    fields.setdefault("status", MembershipStatus.CANCELLED)
    return Member.model_validate({**fields, "kisi": kisi})
