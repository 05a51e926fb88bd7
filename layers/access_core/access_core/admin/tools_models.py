"""Request and response bodies of the admin's tools: test member, test reservation, test unlock
and the migration report (`/v1/admin/tenants/{tenant_id}/tools/...`, docs/admin-api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from access_core.admin.models import DecisionView, KisiId
from access_core.domain.events import Email, MembershipStatus, PlatformId
from access_core.domain.model import ConnectionState
from access_core.unlock.models import ReservationAccessResponse

MAX_REPORTED = 500


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- test member ------------------------------------------------------------------------------


class MemberDryRunRequest(_Request):
    email: Email = Field(max_length=300, description="The email to test (case and spaces ignored)")


class KisiChange(_Response):
    """One write the worker would make in Kisi for the member now."""

    action: Literal["grant", "revoke"]
    email: str
    kisi_group_id: int
    valid_until: AwareDatetime | None = Field(description="For a grant: null, no end")
    deletes_user: bool = Field(default=False, description="For a revoke: the Kisi user goes too")
    kept_for_family: bool = Field(
        default=False,
        description="For a revoke: the assignment stays in Kisi for another member with the email",
    )


class MemberDryRun(_Response):
    member_id: str
    name: str
    plan_id: str | None
    status: MembershipStatus
    decision: DecisionView = Field(
        description="Its access now; valid_until is already the family's latest (shared email)"
    )
    kisi_changes: list[KisiChange] = Field(
        description="What the worker would write to Kisi now, from what Kisi was last told"
    )


class MemberDryRunResponse(_Response):
    tenant_id: str
    email: str
    members: list[MemberDryRun] = Field(description="Every member with this email (a family)")
    granted: bool = Field(description="Whether the email's Kisi user would hold access")
    kisi_group_ids: list[int] = Field(
        description="The Kisi groups it would hold; the doors are those the group opens in Kisi"
    )
    explanation: str
    kisi_connection: ConnectionState
    evaluated_at: AwareDatetime


# ---- test reservation -------------------------------------------------------------------------


class ReservationDryRunRequest(_Request):
    reservation_id: PlatformId
    player_id: PlatformId | None = Field(
        default=None, description="Test only this player (default: every player listed)"
    )


class ReservationDryRunResponse(_Response):
    tenant_id: str
    reservation_id: str
    players: list[ReservationAccessResponse] = Field(
        description="For each player: the unlock decision now, the window, the doors"
    )


# ---- test unlock ------------------------------------------------------------------------------


class AdminUnlockRequest(_Request):
    lock_id: KisiId = Field(description="An enabled door of the club (GET /locks)")


class AdminUnlockResponse(_Response):
    tenant_id: str
    lock_id: int
    door_name: str
    unlocked_at: AwareDatetime
    deduplicated: bool = Field(description="An unlock of this door by this admin seconds ago")
    message: str


# ---- migration report -------------------------------------------------------------------------


class AdoptedUser(_Response):
    email: str
    kisi_user_id: int | None
    kisi_group_ids: list[int] = Field(description="Groups of the club it is in now")
    member_ids: list[str]
    would_be_granted: bool


class UnmanagedUser(_Response):
    email: str
    kisi_user_id: int | None
    kisi_group_ids: list[int]


class DuplicateEmail(_Response):
    email: str
    member_ids: list[str] = Field(description="Members sharing it (they share one Kisi user)")
    kisi_user_ids: list[int] = Field(
        description="Kisi users listed with it (more than one: a duplicate in Kisi)"
    )


class MigrationCounts(_Response):
    kisi_users: int
    adopted: int
    unmanaged: int
    duplicates: int
    members: int
    members_to_invite: int = Field(
        description="Members who would be granted and are not in the club's Kisi groups yet"
    )


class MigrationReportResponse(_Response):
    tenant_id: str
    kisi_group_ids: list[int] = Field(description="The groups listed: the default and the plans'")
    truncated_groups: list[int] = Field(
        description="Groups too large for Kisi to list fully (past offset 20,000)"
    )
    counts: MigrationCounts
    adopted: list[AdoptedUser]
    unmanaged: list[UnmanagedUser]
    duplicates: list[DuplicateEmail]
    lists_truncated: bool = Field(description=f"A list was cut at {MAX_REPORTED} entries")
    kisi_calls: int
    evaluated_at: AwareDatetime


# ---- check-in write-back ----------------------------------------------------------------------


class CheckinWriteBackRequest(_Request):
    enabled: bool = Field(description="Record Kisi's unlocks as check-ins on the platform")


class CheckinWriteBackResponse(_Response):
    tenant_id: str
    enabled: bool
    kisi_event_secret_configured: bool = Field(
        description="A signature key for Kisi's event webhook is stored (PUT /kisi-event-secret)"
    )
    platform_records_checkins: bool = Field(
        description="The club's platform has a check-in API the bridge can write to"
    )
    webhook_path: str = Field(description="The URL path to give Kisi's Event Webhook integration")
    explanation: str
