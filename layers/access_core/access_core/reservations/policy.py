"""Who may open which door for a reservation, and when: the reservation rules of
docs/access-rules.md as pure functions.

A player may unlock a door for a reservation only when, in this order:

| check                                                          | refusal reason               |
| -------------------------------------------------------------- | ---------------------------- |
| the tenant exists                                              | tenant_unknown               |
| its door access integration is enabled                         | door_access_disabled         |
| Kisi is connected                                              | kisi_not_connected           |
| the reservation exists (in this tenant: keys carry the tenant) | reservation_not_found        |
| it lists this player                                           | player_not_on_reservation    |
| it is not cancelled                                            | reservation_cancelled        |
| now >= start - the tenant's pre-reservation window             | window_not_open              |
| now <= end                                                     | window_closed                |
| (unlock) the lock is known                                     | lock_unknown                 |
| (unlock) it is still present in Kisi                           | lock_missing_in_kisi         |
| (unlock) the club enabled it for players                       | lock_disabled                |

The window is closed on both ends: [start - window, end]. No I/O here; the caller passes `now`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from access_core.domain.events import ReservationStatus
from access_core.domain.model import Lock, Reservation, Tenant


class ReservationReason(StrEnum):
    ALLOWED = "allowed"
    TENANT_UNKNOWN = "tenant_unknown"
    DOOR_ACCESS_DISABLED = "door_access_disabled"
    KISI_NOT_CONNECTED = "kisi_not_connected"
    RESERVATION_NOT_FOUND = "reservation_not_found"
    PLAYER_NOT_ON_RESERVATION = "player_not_on_reservation"
    RESERVATION_CANCELLED = "reservation_cancelled"
    WINDOW_NOT_OPEN = "window_not_open"
    WINDOW_CLOSED = "window_closed"
    LOCK_UNKNOWN = "lock_unknown"
    LOCK_DISABLED = "lock_disabled"
    LOCK_MISSING_IN_KISI = "lock_missing_in_kisi"


REASON_TEXT: dict[ReservationReason, str] = {
    ReservationReason.ALLOWED: "The player may open the club's enabled doors now.",
    ReservationReason.TENANT_UNKNOWN: "The club is not set up in the bridge.",
    ReservationReason.DOOR_ACCESS_DISABLED: "The club has not enabled door access for bookings.",
    ReservationReason.KISI_NOT_CONNECTED: "The club's Kisi account is not connected.",
    ReservationReason.RESERVATION_NOT_FOUND: "No such reservation for this club.",
    ReservationReason.PLAYER_NOT_ON_RESERVATION: "The reservation does not list this player.",
    ReservationReason.RESERVATION_CANCELLED: "The reservation was cancelled.",
    ReservationReason.WINDOW_NOT_OPEN: "The access window has not opened yet.",
    ReservationReason.WINDOW_CLOSED: "The reservation has ended.",
    ReservationReason.LOCK_UNKNOWN: "The club has no such door.",
    ReservationReason.LOCK_DISABLED: "The club has not enabled this door for players.",
    ReservationReason.LOCK_MISSING_IN_KISI: "The door was removed from Kisi.",
}

# Refusals that depend on the reservation's time only: the doors can still be listed.
WINDOW_REASONS = frozenset({ReservationReason.WINDOW_NOT_OPEN, ReservationReason.WINDOW_CLOSED})
LOCK_REASONS = frozenset(
    {
        ReservationReason.LOCK_UNKNOWN,
        ReservationReason.LOCK_DISABLED,
        ReservationReason.LOCK_MISSING_IN_KISI,
    }
)


@dataclass(frozen=True)
class AccessWindow:
    """When a reservation's doors can be opened: from `opens_at` to `closes_at`, both included."""

    opens_at: datetime
    closes_at: datetime

    def contains(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at


@dataclass(frozen=True)
class ReservationDecision:
    """Whether the player may open doors (a door, when one was named) now, and why."""

    reason: ReservationReason
    window: AccessWindow | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is ReservationReason.ALLOWED

    @property
    def explanation(self) -> str:
        return REASON_TEXT[self.reason]


def access_window(reservation: Reservation, window_minutes: int) -> AccessWindow:
    return AccessWindow(
        opens_at=reservation.start - timedelta(minutes=window_minutes),
        closes_at=reservation.end,
    )


def door_is_usable(lock: Lock) -> bool:
    """A lock players may open: enabled by the club and still present in Kisi."""
    return lock.enabled and not lock.missing_in_kisi


def usable_doors(locks: Iterable[Lock]) -> list[Lock]:
    """The doors a player with an open window sees, in display order (place, name, id)."""
    return sorted(
        (lock for lock in locks if door_is_usable(lock)),
        key=lambda lock: (lock.place_name, lock.name, lock.lock_id),
    )


def decide_reservation_access(
    tenant: Tenant | None, reservation: Reservation | None, player_id: str, now: datetime
) -> ReservationDecision:
    """May `player_id` open this reservation's doors now? `reservation` is the one stored under
    the caller's tenant (None when there is none), so another tenant's is never seen."""
    if tenant is None:
        return ReservationDecision(ReservationReason.TENANT_UNKNOWN)
    if not tenant.door_access_enabled:
        return ReservationDecision(ReservationReason.DOOR_ACCESS_DISABLED)
    if not tenant.kisi_connected:
        return ReservationDecision(ReservationReason.KISI_NOT_CONNECTED)
    if reservation is None or reservation.tenant_id != tenant.tenant_id:
        return ReservationDecision(ReservationReason.RESERVATION_NOT_FOUND)
    if player_id not in reservation.player_ids:
        return ReservationDecision(ReservationReason.PLAYER_NOT_ON_RESERVATION)
    if reservation.status is ReservationStatus.CANCELLED:
        return ReservationDecision(ReservationReason.RESERVATION_CANCELLED)
    window = access_window(reservation, tenant.pre_reservation_window_minutes)
    if now < window.opens_at:
        return ReservationDecision(ReservationReason.WINDOW_NOT_OPEN, window)
    if now > window.closes_at:
        return ReservationDecision(ReservationReason.WINDOW_CLOSED, window)
    return ReservationDecision(ReservationReason.ALLOWED, window)


def decide_unlock(
    tenant: Tenant | None,
    reservation: Reservation | None,
    player_id: str,
    lock_id: int,
    lock: Lock | None,
    now: datetime,
) -> ReservationDecision:
    """May `player_id` open lock `lock_id` for this reservation now? `lock` is the tenant's
    stored lock of that id, or None. The reservation is judged before the door, so a player
    learns nothing about the club's doors without a reservation that lets them in."""
    decision = decide_reservation_access(tenant, reservation, player_id, now)
    if not decision.allowed or tenant is None:
        return decision
    if lock is None or lock.lock_id != lock_id or lock.tenant_id != tenant.tenant_id:
        return ReservationDecision(ReservationReason.LOCK_UNKNOWN, decision.window)
    if lock.missing_in_kisi:
        return ReservationDecision(ReservationReason.LOCK_MISSING_IN_KISI, decision.window)
    if not lock.enabled:
        return ReservationDecision(ReservationReason.LOCK_DISABLED, decision.window)
    return decision
