"""Response bodies of the Unlock API (`/v1/reservations/...`, players in the mobile app).

Requests have no body (the reservation and the door are in the path, the player in the token).
Every refusal is an `UnlockError`: a machine-readable `error` the app switches on and a `message`
it can show (docs/unlock-api.md lists every code).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from access_core.domain.errors import FieldProblem
from access_core.domain.events import ReservationStatus
from access_core.domain.model import ConnectionState, Lock
from access_core.reservations.policy import ReservationReason


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnlockError(BaseModel):
    """A refusal: a code the app switches on, a message it can show, and what it concerns."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="Machine-readable code, e.g. window_not_open (see the docs)")
    message: str = Field(description="What happened, in words a player can be shown")
    window_opens_at: AwareDatetime | None = Field(
        default=None, description="window_not_open, window_closed: when the doors open"
    )
    window_closes_at: AwareDatetime | None = Field(
        default=None, description="window_not_open, window_closed: when they close"
    )
    retry_after_seconds: int | None = Field(
        default=None,
        description="kisi_rate_limited, kisi_unavailable: try again after this many seconds "
        "(also sent as the Retry-After header)",
    )
    fields: list[FieldProblem] | None = Field(
        default=None, description="For invalid_request: every offending field"
    )


class AccessWindowView(_Response):
    opens_at: AwareDatetime = Field(description="The booking's start minus the club's window")
    closes_at: AwareDatetime = Field(description="The booking's end")
    open_now: bool = Field(description="Now is within [opens_at, closes_at]")


class DoorView(_Response):
    lock_id: int = Field(description="The Kisi lock id: POST .../doors/{lock_id}/unlock")
    name: str
    place_name: str
    online: bool | None = Field(description="As Kisi last reported it (null: unknown)")

    @classmethod
    def of(cls, lock: Lock) -> DoorView:
        return cls(
            lock_id=lock.lock_id, name=lock.name, place_name=lock.place_name, online=lock.online
        )


class Refusal(_Response):
    error: str = Field(description="window_not_open or window_closed")
    message: str


class DoorsResponse(_Response):
    reservation_id: str
    court: str
    start: AwareDatetime
    end: AwareDatetime
    window: AccessWindowView
    unlock_allowed: bool = Field(description="The doors listed can be unlocked now")
    refusal: Refusal | None = Field(
        description="Why they cannot be unlocked now (outside the window); null when they can"
    )
    doors: list[DoorView] = Field(description="The doors the club enabled for players")


class UnlockResponse(_Response):
    reservation_id: str
    lock_id: int
    door_name: str
    unlocked: Literal[True] = True
    unlocked_at: AwareDatetime = Field(description="When Kisi opened the door")
    deduplicated: bool = Field(
        description="True: a retry within a few seconds of a successful unlock of the same "
        "door; answered from that unlock, Kisi was not called again"
    )
    message: str


# ---- the Admin API's reservation troubleshooting ----------------------------------------------


class WindowView(_Response):
    opens_at: AwareDatetime
    closes_at: AwareDatetime


class ReservationDecisionView(_Response):
    allowed: bool = Field(description="The player may open the door (any enabled door) now")
    reason: ReservationReason
    explanation: str
    window: WindowView | None = Field(description="Null when the decision stopped before it")
    player_status: int = Field(description="The HTTP status the player's unlock gets now")
    player_error: str | None = Field(description="The error code the player gets (null: 200)")


class ReservationFacts(_Response):
    player_ids: list[str]
    court: str
    start: AwareDatetime
    end: AwareDatetime
    status: ReservationStatus
    platform_updated_at: AwareDatetime


class ReservationAccessResponse(_Response):
    tenant_id: str
    reservation_id: str
    player_id: str
    lock_id: int | None = Field(description="The door asked about, if any")
    decision: ReservationDecisionView
    reservation: ReservationFacts | None = Field(
        description="The reservation as the platform last sent it; null: never received"
    )
    door_access_enabled: bool
    pre_reservation_window_minutes: int
    kisi_connection: ConnectionState
    enabled_locks: list[DoorView] = Field(description="The doors players may open")
    evaluated_at: AwareDatetime
