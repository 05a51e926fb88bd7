"""What the stack stores: tenants, plans, members (with what we last wrote to Kisi), locks, etc."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from access_core.domain.events import Email, MembershipStatus, PlatformId, ReservationStatus

MIN_WINDOW_MINUTES = 0
MAX_WINDOW_MINUTES = 240
# The mass-revoke circuit breaker's default (membership/quarantine.py): revokes of more than this
# share of the entitled members within an hour wait for an admin.
DEFAULT_MASS_REVOKE_PERCENT = 20
MAX_PAYMENT_GRACE_DAYS = 60


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTED = "connected"
    INVALID_CREDENTIALS = "invalid_credentials"


class RevokeMode(StrEnum):
    """What revoking membership access does in Kisi. Adopted users are never deleted in any mode."""

    REMOVE_ASSIGNMENT = "remove_assignment"
    DELETE_CREATED_USERS = "delete_created_users"


class SyncState(StrEnum):
    PENDING = "pending"
    IN_SYNC = "in_sync"
    FAILED = "failed"


class _Stored(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Tenant(_Stored):
    tenant_id: PlatformId
    name: str = ""
    platform: str = "canonical"
    door_access_enabled: bool = False
    pre_reservation_window_minutes: Annotated[
        int, Field(ge=MIN_WINDOW_MINUTES, le=MAX_WINDOW_MINUTES)
    ] = 15
    kisi_group_id: int | None = Field(default=None, description="Default group for 24h plans")
    send_invitation_emails: bool = True
    revoke_mode: RevokeMode = RevokeMode.REMOVE_ASSIGNMENT
    mass_revoke_threshold_percent: Annotated[int, Field(ge=0, le=100)] = DEFAULT_MASS_REVOKE_PERCENT
    connection_state: ConnectionState = ConnectionState.DISCONNECTED
    connection_checked_at: AwareDatetime | None = None
    kisi_identity: str | None = Field(
        default=None,
        description="Kisi user behind the API key (KisiIdentity.rate_limit_key): its rate budget",
    )
    kisi_organization_id: int | None = None
    kisi_key_hint: str | None = Field(default=None, description="Last characters of the key")
    # The club's platform API (PushPress): its key is in the secret store, like Kisi's.
    platform_api_state: ConnectionState = ConnectionState.DISCONNECTED
    platform_api_checked_at: AwareDatetime | None = None
    platform_api_key_hint: str | None = None
    platform_company_id: str | None = Field(
        default=None, description="PushPress company-id header, for multi-company keys"
    )
    platform_account_name: str | None = None
    checkin_write_back: bool = Field(
        default=False, description="Record Kisi's unlocks as check-ins on the platform"
    )

    @property
    def kisi_connected(self) -> bool:
        return self.connection_state is ConnectionState.CONNECTED

    @property
    def platform_api_connected(self) -> bool:
        return self.platform_api_state is ConnectionState.CONNECTED

    @property
    def message_group_id(self) -> str:
        """One SQS FIFO message group per Kisi rate budget (the Kisi user behind the key)."""
        return self.kisi_identity or f"tenant-{self.tenant_id}"


class Plan(_Stored):
    tenant_id: PlatformId
    plan_id: PlatformId
    name: str = ""
    has_24h_access: bool = False
    kisi_group_id: int | None = None
    payment_grace_days: Annotated[int, Field(ge=0, le=MAX_PAYMENT_GRACE_DAYS)] = Field(
        default=0, description="Days of access after the paid-through date when a payment fails"
    )
    platform_updated_at: AwareDatetime


class KisiGrant(_Stored):
    """One access we gave in Kisi: a user (by email) holding a group_basic assignment on a group."""

    email: Email
    group_id: int
    user_id: int | None = None
    assignment_id: int | None = None
    valid_until: AwareDatetime | None = None
    user_created_by_us: bool = False


class KnownKisiUser(_Stored):
    """A Kisi user the bridge found or created for one of the member's emails, remembered after
    its access was revoked: a returning member is granted with one Kisi call, not three."""

    user_id: int
    created_by_us: bool = False


class MemberKisiState(_Stored):
    """What we last wrote to Kisi for a member, and whether it matches the member's current data."""

    grants: list[KisiGrant] = Field(default_factory=list)
    known_users: dict[str, KnownKisiUser] = Field(
        default_factory=dict, description="email -> the Kisi user, kept when access is revoked"
    )
    sync_state: SyncState = SyncState.PENDING
    synced_version: int = 0
    last_synced_at: AwareDatetime | None = None
    last_error: str | None = None


class Member(_Stored):
    tenant_id: PlatformId
    member_id: PlatformId
    email: Email | None = Field(default=None, description="None: no email received yet")
    name: str = ""
    plan_id: PlatformId | None = None
    status: MembershipStatus
    cancellation_at: AwareDatetime | None = None
    paid_through: AwareDatetime | None = None
    deleted: bool = False
    platform_updated_at: AwareDatetime
    version: int = Field(default=1, description="Bumped by every accepted platform change")
    kisi: MemberKisiState = Field(default_factory=MemberKisiState)

    @property
    def access_ends_at(self) -> datetime | None:
        """When a granted member's access runs out by itself (the daily sync revokes it then).

        Truncated to whole seconds, as written to Kisi's valid_until: access is granted strictly
        before this instant and revoked from it on.
        """
        if self.deleted or self.status is not MembershipStatus.PENDING_CANCEL:
            return None
        if self.cancellation_at is None:
            return None
        return self.cancellation_at.replace(microsecond=0)


class Reservation(_Stored):
    tenant_id: PlatformId
    reservation_id: PlatformId
    player_ids: list[PlatformId]
    court: str = ""
    start: AwareDatetime
    end: AwareDatetime
    status: ReservationStatus
    platform_updated_at: AwareDatetime


class Lock(_Stored):
    tenant_id: PlatformId
    lock_id: int
    name: str
    description: str = ""
    place_id: int | None = None
    place_name: str = ""
    online: bool | None = None
    enabled: bool = False
    missing_in_kisi: bool = False
    synced_at: datetime | None = None
