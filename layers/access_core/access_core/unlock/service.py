"""The Unlock API: a player lists the doors of a reservation and opens one through Kisi.

The decision is `reservations.policy`'s; this module reads its facts, calls Kisi, answers, audits
and counts. An unlock reads everything in one BatchGetItem (tenant, reservation, lock and the
player's recent unlock of that door), so a warm function makes exactly one DynamoDB round trip
before the Kisi call; the tenant's Kisi key and client are cached across warm invocations.

A successful unlock is remembered for `dedupe_seconds`: a client retry of the same unlock (same
tenant, reservation, player and door) within that time is answered from it, without opening the
door again. Refusals and Kisi failures are not remembered, so the player can try again at once.
Every attempt, allowed or refused, is audited with its reason and counted (no tenant dimension).
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from access_core.domain.caller import Caller, caller_from_claims
from access_core.domain.credentials import tenant_kisi_key
from access_core.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Locked,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
    UpstreamFailed,
)
from access_core.domain.events import MAX_ID_LENGTH, PlatformId, utc_iso
from access_core.domain.model import Lock, Tenant
from access_core.domain.ports import Clock, MetricsSink, SecretStore
from access_core.infrastructure.storage import AuditEntry, RecentUnlock, UnlockFacts
from access_core.reservations.policy import (
    WINDOW_REASONS,
    AccessWindow,
    ReservationDecision,
    ReservationReason,
    decide_reservation_access,
    decide_unlock,
    usable_doors,
)
from access_core.unlock.models import (
    AccessWindowView,
    DoorsResponse,
    DoorView,
    Refusal,
    UnlockResponse,
    WindowView,
)
from kisi_client import KisiError, UnlockFailureReason

logger = logging.getLogger(__name__)

RETRY_DEDUPE_SECONDS = 5.0
# A tenant's Kisi key is read from SSM at most this long ago (and again at once when the tenant's
# connection changes: a new key, a disconnect).
KISI_KEY_MAX_AGE_SECONDS = 300.0
KISI_UNAVAILABLE_RETRY_AFTER_SECONDS = 5
KISI_RATE_LIMITED_RETRY_AFTER_SECONDS = 1


class UnlockKisi(Protocol):
    """The one Kisi call an unlock makes (structurally, a `KisiClient`)."""

    def unlock(self, lock_id: int) -> str: ...


class UnlockStore(Protocol):
    """The storage an unlock uses (`unlock.storage.StoredUnlocks` on DynamoDB)."""

    def get_unlock_facts(
        self, tenant_id: str, reservation_id: str, player_id: str, lock_id: int | None
    ) -> UnlockFacts: ...

    def list_locks(self, tenant_id: str) -> list[Lock]: ...

    def claim_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        claim: RecentUnlock,
    ) -> bool:
        """Write the recent-unlock record where none is live; False when one is (a concurrent or
        recent unlock of the door by the player)."""
        ...

    def release_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        claim: RecentUnlock,
    ) -> None:
        """Remove this claim (only this one: a later claim stays)."""
        ...

    def put_audit(self, entries: Sequence[AuditEntry]) -> None: ...

    def mark_kisi_credentials_invalid(self, tenant_id: str, checked_at: datetime) -> None: ...


# (tenant, its api key) -> a Kisi client for that key
UnlockKisiFactory = Callable[[Tenant, str], UnlockKisi]


@dataclass
class _CachedClient:
    connection: tuple[Any, ...]
    loaded_at: float
    client: UnlockKisi


class TenantKisiClients:
    """Each tenant's Kisi client, built from its key in the secret store and reused across warm
    invocations. The key is read again when it is older than `max_age_seconds`, and at once when
    the tenant's connection changed (a new key or identity is recorded in the tenant item, which
    every unlock reads anyway), so a replaced key is never used after the admin saved the new one.
    The secret store given here should not cache on its own (max age 0): this is the cache."""

    def __init__(
        self,
        secrets: SecretStore,
        factory: UnlockKisiFactory,
        *,
        max_age_seconds: float = KISI_KEY_MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secrets = secrets
        self._factory = factory
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._clients: dict[str, _CachedClient] = {}

    def __repr__(self) -> str:
        return f"TenantKisiClients(tenants={sorted(self._clients)!r})"

    def client_for(self, tenant: Tenant) -> UnlockKisi | None:
        """The tenant's client; None when it has no key (not connected)."""
        connection = (
            tenant.connection_state,
            tenant.connection_checked_at,
            tenant.kisi_identity,
            tenant.kisi_key_hint,
        )
        cached = self._clients.get(tenant.tenant_id)
        now = self._monotonic()
        if (
            cached is not None
            and cached.connection == connection
            and now - cached.loaded_at < self._max_age
        ):
            return cached.client
        self._clients.pop(tenant.tenant_id, None)
        api_key = tenant_kisi_key(self._secrets, tenant)
        if api_key is None:
            return None
        client = self._factory(tenant, api_key)
        self._clients[tenant.tenant_id] = _CachedClient(connection, now, client)
        return client

    def forget(self, tenant_id: str) -> None:
        self._clients.pop(tenant_id, None)


@dataclass(frozen=True)
class UnlockDependencies:
    store: UnlockStore
    kisi: TenantKisiClients
    metrics: MetricsSink
    clock: Clock
    dedupe_seconds: float = field(default=RETRY_DEDUPE_SECONDS)
    refusals: RefusalSampler = field(default_factory=lambda: RefusalSampler())


REFUSAL_AUDIT_INTERVAL_SECONDS = 60.0
REFUSAL_KEYS_REMEMBERED = 10_000


class RefusalSampler:
    """Which refused attempts are audited: the first of each kind (tenant, player, reservation,
    door, refusal code) per minute in this container. A player (or a script) repeating a refused
    unlock cannot flood the audit table; every attempt is still counted and logged."""

    def __init__(
        self,
        interval_seconds: float = REFUSAL_AUDIT_INTERVAL_SECONDS,
        remembered: int = REFUSAL_KEYS_REMEMBERED,
    ) -> None:
        self._interval = interval_seconds
        self._remembered = remembered
        self._last: OrderedDict[tuple[Any, ...], datetime] = OrderedDict()

    def should_audit(self, key: tuple[Any, ...], now: datetime) -> bool:
        last = self._last.get(key)
        if last is not None and (now - last).total_seconds() < self._interval:
            return False
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self._remembered:
            self._last.popitem(last=False)
        return True


# ---- who may call -----------------------------------------------------------------------------


_PLATFORM_ID: TypeAdapter[str] = TypeAdapter(PlatformId)


def authorize(claims: Mapping[str, Any] | None) -> Caller:
    """The player (the token's subject) and their tenant (its claim); raises 401 otherwise. Both
    become parts of DynamoDB keys, so they must be platform ids (a reservation lists players by
    such ids)."""
    caller = caller_from_claims(claims)
    if caller is None:
        raise Unauthenticated("A token with a subject and a tenant claim is required.")
    try:
        _PLATFORM_ID.validate_python(caller.subject)
        _PLATFORM_ID.validate_python(caller.tenant_id)
    except ValidationError:
        raise Unauthenticated(
            "The token's subject and tenant claim must be ids of at most "
            f"{MAX_ID_LENGTH} letters, digits or . _ : @ -."
        ) from None
    return caller


# ---- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the door opened (`opened`) or the refusal, with its audit
    action and detail."""

    opened: UnlockResponse | DomainError
    code: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


def refusal_for(
    decision: ReservationDecision, reservation_id: str, lock_id: int | None
) -> DomainError:
    """The answer to a refused decision. A reservation that is not this player's (missing,
    another tenant's, another player's) gets the same 404, so its existence never leaks."""
    reason = decision.reason
    window = decision.window
    match reason:
        case ReservationReason.TENANT_UNKNOWN | ReservationReason.DOOR_ACCESS_DISABLED:
            return Forbidden(
                "This club does not offer door access with bookings.",
                code="door_access_disabled",
            )
        case ReservationReason.KISI_NOT_CONNECTED:
            return Unavailable(
                "The club's door system is not connected right now; ask the front desk.",
                code="kisi_not_connected",
            )
        case ReservationReason.RESERVATION_NOT_FOUND | ReservationReason.PLAYER_NOT_ON_RESERVATION:
            return NotFound(
                f"You have no reservation {reservation_id!r} here.", code="reservation_not_found"
            )
        case ReservationReason.RESERVATION_CANCELLED:
            return Conflict(
                "This reservation was cancelled: no door opens.", code="reservation_cancelled"
            )
        case ReservationReason.WINDOW_NOT_OPEN | ReservationReason.WINDOW_CLOSED:
            assert window is not None
            return Forbidden(
                _window_message(reason, window),
                code=reason.value,
                details=_window_fields(window),
            )
        case (
            ReservationReason.LOCK_UNKNOWN
            | ReservationReason.LOCK_DISABLED
            | ReservationReason.LOCK_MISSING_IN_KISI
        ):
            return NotFound(
                f"Door {lock_id} is not one players can open at this club.",
                code="door_not_found",
            )
        case ReservationReason.ALLOWED:
            raise ValueError("an allowed decision is not a refusal")


def _window_message(reason: ReservationReason, window: AccessWindow) -> str:
    if reason is ReservationReason.WINDOW_NOT_OPEN:
        return (
            f"Too early: the doors open at {_shown(window.opens_at)} "
            f"and close at {_shown(window.closes_at)}."
        )
    return f"This reservation ended at {_shown(window.closes_at)}."


def _shown(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _window_fields(window: AccessWindow) -> dict[str, str]:
    """The window's times as the models serialise them (the app localises them)."""
    view = WindowView(opens_at=window.opens_at, closes_at=window.closes_at).model_dump(mode="json")
    return {"window_opens_at": view["opens_at"], "window_closes_at": view["closes_at"]}


def _retry_later(kind: type[DomainError], code: str, message: str, seconds: float) -> DomainError:
    """A refusal to retry after `seconds` (whole, at least 1), in the body and Retry-After."""
    whole = max(1, math.ceil(seconds))
    return kind(
        message,
        code=code,
        retry_after_seconds=whole,
        details={"retry_after_seconds": whole},
    )


_KISI_REFUSED = frozenset(
    {
        UnlockFailureReason.DENIED,
        UnlockFailureReason.DISABLED,
        UnlockFailureReason.SCHEDULE,
        UnlockFailureReason.NOT_YET_VALID,
        UnlockFailureReason.EXPIRED,
    }
)


def kisi_failure(error: KisiError) -> DomainError:
    """Kisi's answer to the unlock, in terms the app can show. Never contains the key."""
    reason = error.unlock_failure_reason
    if reason is UnlockFailureReason.LOCKED_DOWN:
        return Locked(
            "The door is locked down in Kisi: it cannot be opened now.", code="door_locked_down"
        )
    if reason in (UnlockFailureReason.LOCK_OFFLINE, UnlockFailureReason.DEVICE_UNAVAILABLE):
        return Unavailable(
            "The door's lock is offline: try another door or the front desk.", code="door_offline"
        )
    if reason is UnlockFailureReason.RATE_LIMITED:
        return _retry_later(
            RateLimited,
            "kisi_rate_limited",
            "The club's door system is busy: try again in a moment.",
            error.retry_after or KISI_RATE_LIMITED_RETRY_AFTER_SECONDS,
        )
    if reason is UnlockFailureReason.KISI_UNAVAILABLE:
        maybe = " The door may have opened." if error.possibly_executed else ""
        return _retry_later(
            Unavailable,
            "kisi_unavailable",
            f"Kisi, the door system, did not answer.{maybe} Try again in a few seconds.",
            error.retry_after or KISI_UNAVAILABLE_RETRY_AFTER_SECONDS,
        )
    if reason is UnlockFailureReason.INVALID_CREDENTIALS:
        return Unavailable(
            "Kisi refused the club's key: door access is unavailable until the club "
            "reconnects Kisi. Ask the front desk.",
            code="kisi_credentials_invalid",
        )
    if reason in _KISI_REFUSED:
        return Forbidden(
            "Kisi refused to open this door for the club's account (access or schedule); "
            "ask the front desk.",
            code="kisi_access_denied",
        )
    if reason is UnlockFailureReason.DOOR_NOT_FOUND:
        return NotFound("Kisi no longer has this door.", code="door_not_found")
    return UpstreamFailed("Kisi answered in an unexpected way; try again.", code="kisi_error")


def metric_name(code: str) -> str:
    """`window_not_open` -> `UnlockWindowNotOpen`."""
    return "Unlock" + "".join(part.capitalize() for part in code.split("_"))


# ---- list the doors ---------------------------------------------------------------------------


def list_doors(caller: Caller, reservation_id: str, deps: UnlockDependencies) -> DoorsResponse:
    """The doors of the reservation and its window. Outside the window the doors are still
    listed (200) with `unlock_allowed: false` and why; refusals about the club or the
    reservation answer as an unlock would. Two reads (the facts, then the locks), no audit."""
    now = deps.clock()
    facts = deps.store.get_unlock_facts(caller.tenant_id, reservation_id, caller.subject, None)
    decision = decide_reservation_access(facts.tenant, facts.reservation, caller.subject, now)
    if not decision.allowed and decision.reason not in WINDOW_REASONS:
        refused = refusal_for(decision, reservation_id, None)
        deps.metrics.count(metric_name(f"doors_{refused.code}"))
        raise refused
    reservation = facts.reservation
    window = decision.window
    assert reservation is not None
    assert window is not None
    doors = usable_doors(deps.store.list_locks(caller.tenant_id))
    refusal = None
    if not decision.allowed:
        refused = refusal_for(decision, reservation_id, None)
        refusal = Refusal(error=refused.code, message=refused.message)
    view = DoorsResponse(
        reservation_id=reservation_id,
        court=reservation.court,
        start=reservation.start,
        end=reservation.end,
        window=AccessWindowView(
            opens_at=window.opens_at, closes_at=window.closes_at, open_now=window.contains(now)
        ),
        unlock_allowed=decision.allowed,
        refusal=refusal,
        doors=[DoorView.of(lock) for lock in doors],
    )
    deps.metrics.count("UnlockDoorsListed")
    return view


# ---- unlock a door ----------------------------------------------------------------------------


def unlock_door(
    caller: Caller, reservation_id: str, lock_id: int, deps: UnlockDependencies
) -> UnlockResponse:
    """Open the door if the policy allows it now. One BatchGetItem, then (unless refused or a
    retry of a recent success) the Kisi call, then one write (the audit entry, with the recent
    unlock record after a success)."""
    tenant_id, player_id = caller.tenant_id, caller.subject
    now = deps.clock()
    facts = deps.store.get_unlock_facts(tenant_id, reservation_id, player_id, lock_id)
    decision = decide_unlock(facts.tenant, facts.reservation, player_id, lock_id, facts.lock, now)
    base = {
        "reservation_id": reservation_id,
        "player_id": player_id,
        "lock_id": lock_id,
        "reason": decision.reason.value,
    }
    if not decision.allowed:
        refused = refusal_for(decision, reservation_id, lock_id)
        outcome = Outcome(refused, refused.code, "unlock.refused", base)
        return _finish(caller, outcome, deps)
    assert facts.tenant is not None
    assert facts.lock is not None
    tenant, lock = facts.tenant, facts.lock
    recent = facts.recent_unlock
    if recent is not None and now < recent.deduplicate_until:
        answer = _opened(reservation_id, lock, recent.unlocked_at, deduplicated=True)
        detail = {**base, "unlocked_at": utc_iso(recent.unlocked_at)}
        outcome = Outcome(answer, "deduplicated", "unlock.deduplicated", detail)
        return _finish(caller, outcome, deps)
    kisi = deps.kisi.client_for(tenant)
    if kisi is None:
        refused = refusal_for(
            ReservationDecision(ReservationReason.KISI_NOT_CONNECTED), reservation_id, lock_id
        )
        detail = {**base, "reason": "kisi_key_missing"}
        outcome = Outcome(refused, refused.code, "unlock.refused", detail)
        return _finish(caller, outcome, deps)
    # Claim the door before calling Kisi: a conditional write, so that of two concurrent
    # unlocks (a double tap, a client retry racing the first) only one opens it.
    claim = RecentUnlock(now, now + timedelta(seconds=deps.dedupe_seconds))
    if not deps.store.claim_unlock(tenant_id, reservation_id, player_id, lock_id, claim):
        answer = _opened(reservation_id, lock, now, deduplicated=True)
        detail = {**base, "unlocked_at": utc_iso(now), "concurrent": True}
        outcome = Outcome(answer, "deduplicated", "unlock.deduplicated", detail)
        return _finish(caller, outcome, deps)
    try:
        kisi.unlock(lock_id)
    except KisiError as error:
        # Not opened (or not known to be): the next attempt may try again at once.
        _release(deps, tenant_id, reservation_id, player_id, lock_id, claim)
        return _kisi_failed(caller, tenant, error, base, deps)
    answer = _opened(reservation_id, lock, now, deduplicated=False)
    detail = {**base, "door_name": lock.name, "unlocked_at": utc_iso(now)}
    outcome = Outcome(answer, "opened", "unlock.opened", detail)
    entry = _audit_entry(caller, outcome)
    try:
        deps.store.put_audit([entry])
    except Exception:
        # The door is open: say so. The entry is kept in the log line instead (CloudWatch Logs),
        # whole, so that it is not lost; the metric says how many to look for.
        logger.exception(
            "unlocked, but the audit entry could not be stored: it is in this log line",
            extra={"tenant_id": tenant_id, "audit_entry": asdict(entry)},
        )
        deps.metrics.count("UnlockNotRecorded")
    return _finish(caller, outcome, deps, audited=True)


def _release(
    deps: UnlockDependencies,
    tenant_id: str,
    reservation_id: str,
    player_id: str,
    lock_id: int,
    claim: RecentUnlock,
) -> None:
    try:
        deps.store.release_unlock(tenant_id, reservation_id, player_id, lock_id, claim)
    except Exception:
        # The claim then only delays a retry until it expires (seconds).
        logger.exception("the unlock claim could not be released", extra={"tenant_id": tenant_id})


def _kisi_failed(
    caller: Caller,
    tenant: Tenant,
    error: KisiError,
    base: dict[str, Any],
    deps: UnlockDependencies,
) -> UnlockResponse:
    refused = kisi_failure(error)
    detail = {
        **base,
        "reason": error.unlock_failure_reason.value,
        "kisi_status": error.status_code,
        "kisi_code": error.code,
        "possibly_executed": error.possibly_executed,
    }
    if error.unlock_failure_reason is UnlockFailureReason.INVALID_CREDENTIALS:
        # As the worker does: the tenant stops calling Kisi until an admin connects a new key.
        deps.store.mark_kisi_credentials_invalid(tenant.tenant_id, deps.clock())
        deps.kisi.forget(tenant.tenant_id)
        deps.metrics.count("KisiCredentialsInvalid")  # alarmed (template.yaml)
    logger.warning(
        "Kisi did not unlock",
        extra={"tenant_id": tenant.tenant_id, "lock_id": base["lock_id"], "error": str(error)},
    )
    outcome = Outcome(refused, refused.code, "unlock.failed", detail)
    return _finish(caller, outcome, deps)


def _opened(
    reservation_id: str, lock: Lock, unlocked_at: datetime, *, deduplicated: bool
) -> UnlockResponse:
    message = f"{lock.name} is open." if not deduplicated else f"{lock.name} was just opened."
    return UnlockResponse(
        reservation_id=reservation_id,
        lock_id=lock.lock_id,
        door_name=lock.name,
        unlocked_at=unlocked_at,
        deduplicated=deduplicated,
        message=message,
    )


def _audit_entry(caller: Caller, outcome: Outcome) -> AuditEntry:
    return AuditEntry(
        tenant_id=caller.tenant_id,
        action=outcome.action,
        subject=f"reservation:{outcome.detail['reservation_id']}",
        detail={**outcome.detail, "code": outcome.code},
        actor=f"player:{caller.subject}",
    )


def _refusal_key(caller: Caller, outcome: Outcome) -> tuple[Any, ...]:
    detail = outcome.detail
    return (
        caller.tenant_id,
        caller.subject,
        detail.get("reservation_id"),
        detail.get("lock_id"),
        outcome.code,
    )


def _finish(
    caller: Caller, outcome: Outcome, deps: UnlockDependencies, *, audited: bool = False
) -> UnlockResponse:
    """Audit (unless already written with the recent unlock), count and log the attempt; then
    answer the opened door or raise the refusal."""
    if not audited:
        if isinstance(outcome.opened, DomainError) and not deps.refusals.should_audit(
            _refusal_key(caller, outcome), deps.clock()
        ):
            deps.metrics.count("UnlockRefusalsNotAudited")
        else:
            deps.store.put_audit([_audit_entry(caller, outcome)])
    deps.metrics.count("UnlockAttempts")
    deps.metrics.count(metric_name(outcome.code))
    logger.info(
        "unlock attempt",
        extra={
            "tenant_id": caller.tenant_id,
            "reservation_id": outcome.detail["reservation_id"],
            "lock_id": outcome.detail["lock_id"],
            "outcome": outcome.code,
            "reason": outcome.detail["reason"],
        },
    )
    if isinstance(outcome.opened, DomainError):
        raise outcome.opened
    return outcome.opened
