"""DynamoDB storage: one store per aggregate over one table, and the unit of work that writes
several of them at once.

| store | items (docs/data-model.md) |
| --- | --- |
| `tenants` | the tenant's settings and its plans |
| `locks` | the locks imported from Kisi |
| `members` | members, their Kisi state, the sync indexes |
| `reservations` | reservations and recent unlocks |
| `audit` | the audit trail |
| `sync_runs` | daily/weekly run summaries, cursors, weekly observations |
| `usage` | per-caller request counts, one item per caller and window (TTL) |
| `quarantine` | the mass-revoke breaker's window and the revokes it holds |

A change that spans stores (a member's Kisi state with its audit entries, an unlock record with
its audit entry) is staged on one `Transaction` from `Stores.transaction()` and committed once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from access_core.domain.ports import Clock
from access_core.infrastructure.storage.audit import AuditEntry, AuditStore
from access_core.infrastructure.storage.locks import LockStore
from access_core.infrastructure.storage.members import MemberStore, MemberSummary
from access_core.infrastructure.storage.quarantine import QuarantineStore
from access_core.infrastructure.storage.reservations import (
    RecentUnlock,
    ReservationStore,
    UnlockFacts,
)
from access_core.infrastructure.storage.sync_runs import SyncRunStore
from access_core.infrastructure.storage.table import (
    Table,
    Transaction,
    TransactionConflict,
    WriteOutcome,
    WriteResult,
)
from access_core.infrastructure.storage.tenants import AdminPlanWrite, StoredPlan, TenantStore
from access_core.infrastructure.storage.usage import UsageStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = [
    "AdminPlanWrite",
    "AuditEntry",
    "MemberSummary",
    "RecentUnlock",
    "StoredPlan",
    "Stores",
    "Transaction",
    "TransactionConflict",
    "UnlockFacts",
    "WriteOutcome",
    "WriteResult",
]


@dataclass
class Stores:
    """Every store over one table (the unit of work of the cosmicpython pattern)."""

    table: Table
    tenants: TenantStore = field(init=False)
    locks: LockStore = field(init=False)
    members: MemberStore = field(init=False)
    reservations: ReservationStore = field(init=False)
    audit: AuditStore = field(init=False)
    sync_runs: SyncRunStore = field(init=False)
    usage: UsageStore = field(init=False)
    quarantine: QuarantineStore = field(init=False)

    def __post_init__(self) -> None:
        self.tenants = TenantStore(self.table)
        self.locks = LockStore(self.table)
        self.members = MemberStore(self.table)
        self.reservations = ReservationStore(self.table)
        self.audit = AuditStore(self.table)
        self.sync_runs = SyncRunStore(self.table)
        self.usage = UsageStore(self.table)
        self.quarantine = QuarantineStore(self.table)

    @classmethod
    def on(cls, client: DynamoDBClient, table_name: str, clock: Clock) -> Stores:
        return cls(Table(client, table_name, clock))

    def transaction(self) -> Transaction:
        return self.table.transaction()

    @property
    def round_trips(self) -> int:
        """DynamoDB requests made through these stores (the benches count them)."""
        return self.table.round_trips
