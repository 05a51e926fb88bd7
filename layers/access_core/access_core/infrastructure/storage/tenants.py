"""A tenant's settings and its plans: the club's configuration, written together by the admin.

A plan's 24-hour flag and group belong to whoever changed them last: a platform `plan.updated`
is conditional on its `updated_at`, an admin's write on the plan version the admin saw.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from access_core.domain.events import PlanUpdated, utc_iso
from access_core.domain.model import ConnectionState, Plan, Tenant
from access_core.infrastructure.storage.table import (
    Table,
    TransactionConflict,
    Update,
    WriteOutcome,
    tenant_pk,
)


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
    payment_grace_days: int | None = None  # None: keep the stored value


def tenant_key(tenant_id: str) -> dict[str, str]:
    return {"PK": tenant_pk(tenant_id), "SK": "TENANT"}


# The sparse Tenants index holds tenant items only: the daily run lists tenants without a Scan.
TENANTS_INDEX_KEY = "TENANTS"


def _indexed(tenant_id: str) -> dict[str, str]:
    """The Tenants index keys: set on every tenant write, so a tenant stored before the index
    existed enters it at its next change."""
    return {"GSI6PK": TENANTS_INDEX_KEY, "GSI6SK": tenant_id}


def tenant_item(tenant: Tenant) -> dict[str, Any]:
    return {
        **tenant_key(tenant.tenant_id),
        "entity": "tenant",
        **_indexed(tenant.tenant_id),
        **tenant.model_dump(mode="json"),
    }


def plan_key(tenant_id: str, plan_id: str) -> dict[str, str]:
    return {"PK": tenant_pk(tenant_id), "SK": f"PLAN#{plan_id}"}


class TenantStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, tenant_id: str) -> Tenant | None:
        item = self._table.get(tenant_key(tenant_id))
        return Tenant.model_validate(item) if item else None

    def put(self, tenant: Tenant) -> None:
        self._table.put(tenant_item(tenant))

    def update(self, tenant_id: str, changes: Mapping[str, Any]) -> None:
        """Set (or, for None, remove) tenant attributes; the tenant must exist."""
        self._table.update(
            tenant_key(tenant_id),
            Update().set_all({**changes, **_indexed(tenant_id)}),
            condition="attribute_exists(PK)",
        )

    def record_connection_check(
        self, tenant_id: str, state: ConnectionState, checked_at: datetime
    ) -> None:
        """What Kisi said of the tenant's key when it was last checked."""
        self.update(
            tenant_id,
            {"connection_state": state.value, "connection_checked_at": utc_iso(checked_at)},
        )

    def mark_kisi_credentials_invalid(self, tenant_id: str, checked_at: datetime) -> None:
        """Kisi refused the tenant's key: every function stops calling Kisi for the tenant until
        an admin connects a new key."""
        self.record_connection_check(tenant_id, ConnectionState.INVALID_CREDENTIALS, checked_at)

    def mark_platform_key_invalid(self, tenant_id: str, checked_at: datetime) -> None:
        """The platform refused the tenant's API key: the worker and the syncs stop asking it
        until an admin connects a new one."""
        self.update(
            tenant_id,
            {
                "platform_api_state": ConnectionState.INVALID_CREDENTIALS.value,
                "platform_api_checked_at": utc_iso(checked_at),
            },
        )

    def ids(self) -> list[str]:
        """Every tenant with settings, from the sparse Tenants index (one Query page per 1 MB of
        tenant keys; the table's members, reservations and audit are never read)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "Tenants",
            "KeyConditionExpression": "GSI6PK = :tenants",
            "ExpressionAttributeValues": {":tenants": {"S": TENANTS_INDEX_KEY}},
        }
        items = self._table.pages(self._table.client.query, kwargs)
        return sorted(str(item["GSI6SK"]) for item in items)

    # ---- plans -------------------------------------------------------------------------------

    def get_plan(self, tenant_id: str, plan_id: str) -> Plan | None:
        item = self._table.get(plan_key(tenant_id, plan_id))
        return Plan.model_validate(item) if item else None

    def upsert_plan(self, tenant_id: str, event: PlanUpdated) -> WriteOutcome:
        update = Update().set_all(
            {
                "entity": "plan",
                "tenant_id": tenant_id,
                "plan_id": event.plan_id,
                "name": event.name,
                "has_24h_access": event.has_24h_access,
                "kisi_group_id": event.kisi_group_id,
            }
        )
        return self._table.conditional_write(
            plan_key(tenant_id, event.plan_id), event.updated_at, update
        )

    def plans(self, tenant_id: str) -> list[StoredPlan]:
        """Every plan of the tenant, with when an admin last set its flags (one Query a MB)."""
        return [
            StoredPlan(
                Plan.model_validate(item),
                datetime.fromisoformat(item["admin_updated_at"])
                if "admin_updated_at" in item
                else None,
            )
            for item in self._table.query_prefix(tenant_id, "PLAN#")
        ]

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
        transaction = self._table.transaction()
        if created:
            transaction.put(tenant_item(tenant), condition="attribute_not_exists(PK)")
        else:
            values = tenant.model_dump(mode="json")
            update = Update().set_all(
                {**{name: values[name] for name in fields}, **_indexed(tenant.tenant_id)}
            )
            transaction.update(tenant_key(tenant.tenant_id), update, "attribute_exists(PK)")
        for write in plans:
            update, condition = _admin_plan_update(tenant.tenant_id, write)
            transaction.update(plan_key(tenant.tenant_id, write.plan_id), update, condition)
        try:
            transaction.commit()
        except TransactionConflict:
            return False
        return True


def _admin_plan_update(tenant_id: str, write: AdminPlanWrite) -> tuple[Update, str]:
    stamp = utc_iso(write.stamp)
    update = Update().set_all(
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
    if write.payment_grace_days is not None:
        update.set("payment_grace_days", write.payment_grace_days)
    if write.based_on is None:
        return update, "attribute_not_exists(PK)"
    stored = update.name("platform_updated_at")
    return update, f"{stored} = {update.value(utc_iso(write.based_on))}"
