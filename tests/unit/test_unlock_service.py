"""The unlock service with fakes: the order and count of round trips (one store read before the
Kisi call on a warm function, no Kisi call for a refusal or a retried success), every refusal's
answer, every Kisi outcome, the retry dedupe, the key cache, audit and metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from access_core.domain.caller import Caller
from access_core.domain.events import ReservationStatus
from access_core.domain.model import ConnectionState, Lock, Reservation, Tenant
from access_core.infrastructure.storage import AuditEntry, RecentUnlock, UnlockFacts
from access_core.kisi.gateway import UNLOCK_PROFILE, unlock_kisi_client
from access_core.reservations.policy import ReservationDecision, ReservationReason
from access_core.unlock.service import (
    RETRY_DEDUPE_SECONDS,
    TenantKisiClients,
    UnlockDependencies,
    UnlockKisi,
    authorize,
    list_doors,
    metric_name,
    refusal_for,
    unlock_door,
)
from kisi_client import (
    KisiConflict,
    KisiError,
    KisiForbidden,
    KisiInvalidCredentials,
    KisiNotFound,
    KisiRateLimited,
    KisiUnavailable,
)
from tests.answers import Answer, answer_of
from tests.fakes import FakeClock, FakeMetrics, FakeSecrets
from tests.unit.test_reservation_policy import LOCK_ID as POLICY_LOCK
from tests.unit.test_reservation_policy import cases as policy_cases
from tests.unit.test_reservation_policy import oracle as policy_oracle

TENANT = "club-1"
PLAYER = "player-3"
API_KEY = "kisi-secret-key-0123456789abcdef"
START = datetime(2030, 6, 15, 18, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
INSIDE = START - timedelta(minutes=5)
COURT, SIDE, OLD = 501, 502, 503
CALLER = Caller(subject=PLAYER, tenant_id=TENANT, roles=frozenset())


# ---- fakes -------------------------------------------------------------------------------------


@dataclass
class FakeStore:
    """The storage an unlock uses, in memory, logging each round trip in `log`."""

    log: list[str]
    tenant: Tenant | None
    reservation: Reservation | None
    locks: dict[int, Lock]
    recent: dict[tuple[str, str, int], RecentUnlock] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    invalid_credentials_marked: list[tuple[str, datetime]] = field(default_factory=list)
    record_failure: Exception | None = None

    def get_unlock_facts(
        self, tenant_id: str, reservation_id: str, player_id: str, lock_id: int | None
    ) -> UnlockFacts:
        self.log.append("store.get_unlock_facts")
        mine = self.tenant is not None and self.tenant.tenant_id == tenant_id
        reservation = self.reservation if mine else None
        if reservation is not None and reservation.reservation_id != reservation_id:
            reservation = None
        lock = self.locks.get(lock_id) if mine and lock_id is not None else None
        recent = None
        if lock_id is not None:
            recent = self.recent.get((reservation_id, player_id, lock_id))
        return UnlockFacts(self.tenant if mine else None, reservation, lock, recent)

    def list_locks(self, tenant_id: str) -> list[Lock]:
        self.log.append("store.list_locks")
        return list(self.locks.values())

    def claim_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        claim: RecentUnlock,
    ) -> bool:
        self.log.append("store.claim_unlock")
        live = self.recent.get((reservation_id, player_id, lock_id))
        if live is not None and claim.unlocked_at < live.deduplicate_until:
            return False
        self.recent[(reservation_id, player_id, lock_id)] = claim
        return True

    def release_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        claim: RecentUnlock,
    ) -> None:
        self.log.append("store.release_unlock")
        if self.recent.get((reservation_id, player_id, lock_id)) == claim:
            del self.recent[(reservation_id, player_id, lock_id)]

    def put_audit(self, entries: Sequence[AuditEntry]) -> None:
        self.log.append("store.put_audit")
        if self.record_failure is not None:
            raise self.record_failure
        self.audit.extend(entries)

    def mark_kisi_credentials_invalid(self, tenant_id: str, checked_at: datetime) -> None:
        self.log.append("store.mark_kisi_credentials_invalid")
        self.invalid_credentials_marked.append((tenant_id, checked_at))

    @property
    def round_trips(self) -> int:
        return sum(1 for entry in self.log if entry.startswith("store."))


@dataclass
class FakeKisi:
    log: list[str]
    failure: KisiError | None = None
    unlocked: list[int] = field(default_factory=list)

    def unlock(self, lock_id: int) -> str:
        self.log.append("kisi.unlock")
        if self.failure is not None:
            raise self.failure
        self.unlocked.append(lock_id)
        return "Unlocked!"


def keyed_secrets(log: list[str], *tenant_ids: str) -> FakeSecrets:
    """The secret store holding API_KEY for each of `tenant_ids`, its reads logged in `log`."""
    return FakeSecrets(kisi_keys=dict.fromkeys(tenant_ids, API_KEY), log=log)


@dataclass
class World:
    """One tenant with a reservation and three locks, behind fakes sharing one call log."""

    log: list[str]
    store: FakeStore
    kisi: FakeKisi
    secrets: FakeSecrets
    metrics: FakeMetrics
    clock: FakeClock
    clients: TenantKisiClients
    factory_calls: list[tuple[str, str]]
    deps: UnlockDependencies

    def unlock(self, lock_id: int = COURT, caller: Caller = CALLER) -> Answer:
        return answer_of(lambda: unlock_door(caller, "res-1", lock_id, self.deps))

    def doors(self, caller: Caller = CALLER, reservation_id: str = "res-1") -> Answer:
        return answer_of(lambda: list_doors(caller, reservation_id, self.deps))

    def calls_since(self, mark: int) -> list[str]:
        return self.log[mark:]


def make_world(
    *,
    tenant: Tenant | None = None,
    reservation: Reservation | None = None,
    now: datetime = INSIDE,
) -> World:
    log: list[str] = []
    club = tenant or Tenant(
        tenant_id=TENANT,
        door_access_enabled=True,
        pre_reservation_window_minutes=15,
        connection_state=ConnectionState.CONNECTED,
        connection_checked_at=START - timedelta(days=3),
        kisi_identity="kisi-user:77",
        kisi_key_hint="cdef",
    )
    booking = reservation or Reservation(
        tenant_id=TENANT,
        reservation_id="res-1",
        player_ids=[PLAYER, "partner-9"],
        court="Court 3",
        start=START,
        end=END,
        status=ReservationStatus.CONFIRMED,
        platform_updated_at=START - timedelta(days=1),
    )
    locks = {
        COURT: Lock(tenant_id=TENANT, lock_id=COURT, name="Court Gate", place_name="Courts",
                    enabled=True, online=True),
        SIDE: Lock(tenant_id=TENANT, lock_id=SIDE, name="Side Door", place_name="Courts"),
        OLD: Lock(tenant_id=TENANT, lock_id=OLD, name="Old Gate", place_name="Courts",
                  enabled=True, missing_in_kisi=True),
    }  # fmt: skip
    store = FakeStore(log, club, booking, locks)
    kisi = FakeKisi(log)
    secrets = keyed_secrets(log, TENANT)
    clock = FakeClock(now)
    factory_calls: list[tuple[str, str]] = []

    def factory(tenant: Tenant, api_key: str) -> UnlockKisi:
        factory_calls.append((tenant.tenant_id, api_key))
        return kisi

    clients = TenantKisiClients(secrets, factory, max_age_seconds=300, monotonic=clock.monotonic)
    metrics = FakeMetrics()
    deps = UnlockDependencies(store=store, kisi=clients, metrics=metrics, clock=clock.now)
    return World(log, store, kisi, secrets, metrics, clock, clients, factory_calls, deps)


@pytest.fixture
def world() -> World:
    return make_world()


def warm(world: World) -> None:
    """A first unlock of another door: the key is read and the client built (cold start)."""
    assert world.unlock(SIDE).status_code == 404
    world.store.locks[SIDE] = world.store.locks[SIDE].model_copy(update={"enabled": True})
    assert world.unlock(SIDE).status_code == 200


# ---- the warm path -----------------------------------------------------------------------------


def test_warm_unlock_is_one_read_and_the_claim_then_kisi_then_the_audit(world: World) -> None:
    warm(world)
    mark = len(world.log)
    response = world.unlock()
    assert response.status_code == 200
    assert response.body["deduplicated"] is False
    assert response.body["door_name"] == "Court Gate"
    assert world.calls_since(mark) == [
        "store.get_unlock_facts",
        "store.claim_unlock",
        "kisi.unlock",
        "store.put_audit",
    ]
    assert world.kisi.unlocked == [SIDE, COURT]


def test_cold_unlock_reads_the_key_once_between_the_read_and_kisi(world: World) -> None:
    response = world.unlock()
    assert response.status_code == 200
    assert world.log == [
        "store.get_unlock_facts",
        "ssm.kisi_api_key",
        "store.claim_unlock",
        "kisi.unlock",
        "store.put_audit",
    ]
    assert world.factory_calls == [(TENANT, API_KEY)]


def test_success_is_audited_and_counted(world: World) -> None:
    world.unlock()
    [entry] = world.store.audit
    assert entry.action == "unlock.opened"
    assert entry.actor == f"player:{PLAYER}"
    assert entry.subject == "reservation:res-1"
    assert entry.detail["reason"] == "allowed"
    assert entry.detail["code"] == "opened"
    assert "status" not in entry.detail  # the code is what the player got; HTTP is the edge's
    assert entry.detail["lock_id"] == COURT
    assert world.metrics.counts == Counter({"UnlockAttempts": 1, "UnlockOpened": 1})


def test_an_open_door_is_answered_200_even_if_it_cannot_be_audited(world: World) -> None:
    world.store.record_failure = RuntimeError("DynamoDB is down")
    response = world.unlock()
    assert response.status_code == 200
    assert world.kisi.unlocked == [COURT]
    assert world.metrics.counts["UnlockNotRecorded"] == 1
    assert world.metrics.counts["UnlockOpened"] == 1


# ---- refusals: their answers, no Kisi call -----------------------------------------------------


REFUSALS = [
    # (name, tenant changes or None for no tenant, reservation changes or None for none,
    #  now, lock id, status, code, the audited reason)
    ("door access off", {"door_access_enabled": False}, {}, INSIDE, COURT,
     403, "door_access_disabled", "door_access_disabled"),
    ("unknown tenant", None, {}, INSIDE, COURT, 403, "door_access_disabled", "tenant_unknown"),
    ("disconnected", {"connection_state": ConnectionState.DISCONNECTED}, {}, INSIDE, COURT,
     503, "kisi_not_connected", "kisi_not_connected"),
    ("key refused earlier", {"connection_state": ConnectionState.INVALID_CREDENTIALS}, {}, INSIDE,
     COURT, 503, "kisi_not_connected", "kisi_not_connected"),
    ("no reservation", {}, None, INSIDE, COURT, 404, "reservation_not_found",
     "reservation_not_found"),
    ("another player's", {}, {"player_ids": ["someone-else"]}, INSIDE, COURT,
     404, "reservation_not_found", "player_not_on_reservation"),
    ("cancelled", {}, {"status": ReservationStatus.CANCELLED}, INSIDE, COURT,
     409, "reservation_cancelled", "reservation_cancelled"),
    ("too early", {}, {}, START - timedelta(minutes=15, microseconds=1), COURT,
     403, "window_not_open", "window_not_open"),
    ("too late", {}, {}, END + timedelta(microseconds=1), COURT,
     403, "window_closed", "window_closed"),
    ("disabled door", {}, {}, INSIDE, SIDE, 404, "door_not_found", "lock_disabled"),
    ("unknown door", {}, {}, INSIDE, 999, 404, "door_not_found", "lock_unknown"),
    ("door gone from Kisi", {}, {}, INSIDE, OLD, 404, "door_not_found", "lock_missing_in_kisi"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tenant_changes", "reservation_changes", "now", "lock_id", "status", "code", "reason"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_each_refusal_is_one_read_one_audit_write_and_no_kisi_call(
    tenant_changes: dict[str, Any] | None,
    reservation_changes: dict[str, Any] | None,
    now: datetime,
    lock_id: int,
    status: int,
    code: str,
    reason: str,
) -> None:
    world = make_world(now=now)
    tenant, booking = world.store.tenant, world.store.reservation
    assert tenant is not None
    assert booking is not None
    world.store.tenant = (
        None if tenant_changes is None else tenant.model_copy(update=tenant_changes)
    )
    world.store.reservation = (
        None if reservation_changes is None else booking.model_copy(update=reservation_changes)
    )
    response = world.unlock(lock_id)
    assert (response.status_code, response.body["error"]) == (status, code)
    assert response.body["message"]
    assert world.log == ["store.get_unlock_facts", "store.put_audit"]
    [entry] = world.store.audit
    assert entry.action == "unlock.refused"
    assert (entry.detail["reason"], entry.detail["code"]) == (reason, code)
    assert world.metrics.counts == Counter({"UnlockAttempts": 1, metric_name(code): 1})


def test_window_refusals_say_when_the_window_opens_and_closes() -> None:
    early = make_world(now=START - timedelta(minutes=40)).unlock()
    assert early.status_code == 403
    assert early.body["window_opens_at"] == "2030-06-15T17:45:00Z"
    assert early.body["window_closes_at"] == "2030-06-15T19:00:00Z"
    assert "17:45" in early.body["message"]
    late = make_world(now=END + timedelta(minutes=1)).unlock()
    assert late.body["error"] == "window_closed"
    assert "19:00" in late.body["message"]


def test_another_players_reservation_is_answered_like_a_missing_one() -> None:
    stranger = Caller(subject="stranger-1", tenant_id=TENANT, roles=frozenset())
    world = make_world()
    answers = [
        world.unlock(caller=stranger),
        make_world(now=END + timedelta(days=1)).unlock(caller=stranger),
        answer_of(lambda: unlock_door(CALLER, "res-unknown", COURT, world.deps)),
    ]
    assert [(a.status_code, a.body) for a in answers[:2]] == [
        (
            404,
            {"error": "reservation_not_found", "message": "You have no reservation 'res-1' here."},
        )
    ] * 2
    assert answers[2].body["error"] == "reservation_not_found"
    assert world.kisi.unlocked == []


def test_a_player_of_another_tenant_reaches_nothing_here() -> None:
    world = make_world()
    other_tenant = Caller(subject=PLAYER, tenant_id="club-2", roles=frozenset())
    refused = world.unlock(caller=other_tenant)
    # club-2 has no settings in this store: it offers no door access, and club-1's reservation
    # and doors are never read under club-2's keys.
    assert (refused.status_code, refused.body["error"]) == (403, "door_access_disabled")
    assert world.kisi.unlocked == []


def test_no_key_in_the_store_is_kisi_not_connected_without_a_kisi_call(world: World) -> None:
    del world.secrets.kisi_keys[TENANT]
    response = world.unlock()
    assert (response.status_code, response.body["error"]) == (503, "kisi_not_connected")
    assert "kisi.unlock" not in world.log
    assert world.store.audit[0].detail["reason"] == "kisi_key_missing"


# ---- Kisi outcomes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "status", "code", "retry_after"),
    [
        (KisiConflict("lockdown", status_code=409, code="fad001"), 423, "door_locked_down", None),
        (KisiUnavailable("offline", status_code=503, code="fad107"), 503, "door_offline", None),
        (KisiUnavailable("device", status_code=503, code="fac002"), 503, "door_offline", None),
        (KisiUnavailable("down", status_code=503, possibly_executed=True), 503,
         "kisi_unavailable", "5"),
        (KisiUnavailable("down", retry_after=12.0), 503, "kisi_unavailable", "12"),
        (KisiRateLimited("slow down", status_code=429, retry_after=2.5), 429,
         "kisi_rate_limited", "3"),
        (KisiRateLimited("slow down", status_code=429), 429, "kisi_rate_limited", "1"),
        (KisiInvalidCredentials("bad key", status_code=401), 503, "kisi_credentials_invalid",
         None),
        (KisiForbidden("denied", status_code=403, code="fcd8ef"), 403, "kisi_access_denied", None),
        (KisiForbidden("schedule", status_code=403, code="34ffaa"), 403, "kisi_access_denied",
         None),
        (KisiNotFound("no door", status_code=404, code="fad10e"), 404, "door_not_found", None),
        (KisiError("odd", status_code=503, code="ffffff"), 502, "kisi_error", None),
        (KisiError("odd", status_code=418), 502, "kisi_error", None),
    ],
)  # fmt: skip
def test_kisi_outcomes(
    world: World, failure: KisiError, status: int, code: str, retry_after: str | None
) -> None:
    world.kisi.failure = failure
    response = world.unlock()
    assert (response.status_code, response.body["error"]) == (status, code)
    assert response.headers.get("Retry-After") == retry_after
    if retry_after is not None:
        assert response.body["retry_after_seconds"] == int(retry_after)
    [entry] = world.store.audit
    assert entry.action == "unlock.failed"
    assert entry.detail["reason"] == failure.unlock_failure_reason.value
    assert entry.detail["kisi_code"] == failure.code
    expected = Counter({"UnlockAttempts": 1, metric_name(code): 1})
    if code == "kisi_credentials_invalid":
        expected["KisiCredentialsInvalid"] = 1  # alarmed: the club must reconnect Kisi
    assert world.metrics.counts == expected
    assert not world.store.recent, "a failure is not remembered: the player may retry at once"


def test_kisi_unavailable_after_sending_says_the_door_may_have_opened(world: World) -> None:
    world.kisi.failure = KisiUnavailable("timeout", possibly_executed=True)
    assert "may have opened" in world.unlock().body["message"]
    world.kisi.failure = KisiUnavailable("never connected", possibly_executed=False)
    assert "may have opened" not in world.unlock().body["message"]


def test_a_refused_key_marks_the_tenant_and_drops_the_cached_client(world: World) -> None:
    world.kisi.failure = KisiInvalidCredentials("bad key", status_code=401)
    world.unlock()
    assert world.store.invalid_credentials_marked == [(TENANT, world.clock.now())]
    world.kisi.failure = None
    world.unlock()
    assert world.log.count("ssm.kisi_api_key") == 2, "the key is read again after a 401"


def test_after_a_failure_a_retry_calls_kisi_again(world: World) -> None:
    world.kisi.failure = KisiUnavailable("offline", code="fad107")
    assert world.unlock().status_code == 503
    world.kisi.failure = None
    assert world.unlock().status_code == 200
    assert world.log.count("kisi.unlock") == 2


# ---- retry dedupe ------------------------------------------------------------------------------


def test_a_retry_within_seconds_is_answered_without_kisi(world: World) -> None:
    first = world.unlock()
    world.clock.advance(RETRY_DEDUPE_SECONDS - 0.001)
    mark = len(world.log)
    retry = world.unlock()
    assert retry.status_code == 200
    assert retry.body["deduplicated"] is True
    assert retry.body["unlocked_at"] == first.body["unlocked_at"]
    assert world.calls_since(mark) == ["store.get_unlock_facts", "store.put_audit"]
    assert world.kisi.unlocked == [COURT]
    assert world.store.audit[-1].action == "unlock.deduplicated"
    assert world.metrics.counts["UnlockDeduplicated"] == 1


def test_after_the_dedupe_window_the_door_opens_again(world: World) -> None:
    world.unlock()
    world.clock.advance(RETRY_DEDUPE_SECONDS)
    again = world.unlock()
    assert again.body["deduplicated"] is False
    assert world.kisi.unlocked == [COURT, COURT]


def test_dedupe_is_per_door_and_per_player(world: World) -> None:
    world.unlock()
    world.store.locks[SIDE] = world.store.locks[SIDE].model_copy(update={"enabled": True})
    partner = Caller(subject="partner-9", tenant_id=TENANT, roles=frozenset())
    assert world.unlock(SIDE).body["deduplicated"] is False
    assert world.unlock(caller=partner).body["deduplicated"] is False
    assert world.kisi.unlocked == [COURT, SIDE, COURT]


def test_a_retry_after_cancellation_is_refused_not_deduplicated(world: World) -> None:
    world.unlock()
    booking = world.store.reservation
    assert booking is not None
    world.store.reservation = booking.model_copy(update={"status": ReservationStatus.CANCELLED})
    assert world.unlock().status_code == 409


# ---- the key and client cache ------------------------------------------------------------------


def test_client_is_reused_until_max_age(world: World) -> None:
    world.unlock()
    world.clock.advance(295)  # past the retry dedupe, within the key's max age (300 s)
    world.unlock()
    assert world.log.count("ssm.kisi_api_key") == 1
    world.clock.advance(6)
    world.unlock()
    assert world.log.count("ssm.kisi_api_key") == 2
    assert len(world.factory_calls) == 2


def test_a_new_connection_reads_the_key_again_at_once(world: World) -> None:
    world.unlock()
    tenant = world.store.tenant
    assert tenant is not None
    world.store.tenant = tenant.model_copy(
        update={"connection_checked_at": START, "kisi_key_hint": "wxyz"}
    )
    world.clock.advance(10)
    world.unlock()
    assert world.log.count("ssm.kisi_api_key") == 2


def test_clients_are_per_tenant() -> None:
    log: list[str] = []
    secrets = keyed_secrets(log, "a", "b")
    built: list[str] = []

    def factory(tenant: Tenant, api_key: str) -> UnlockKisi:
        built.append(tenant.tenant_id)
        return FakeKisi(log)

    clients = TenantKisiClients(secrets, factory)
    a = Tenant(tenant_id="a", connection_state=ConnectionState.CONNECTED)
    b = Tenant(tenant_id="b", connection_state=ConnectionState.CONNECTED)
    assert clients.client_for(a) is clients.client_for(a)
    assert clients.client_for(a) is not clients.client_for(b)
    assert built == ["a", "b"]
    assert API_KEY not in repr(clients)


def test_unlock_client_is_paced_on_the_tenants_kisi_identity() -> None:
    tenant = Tenant(tenant_id=TENANT, kisi_identity="kisi-user:77")
    client = unlock_kisi_client(tenant, API_KEY, "http://kisi.invalid", "")
    assert client.pacer_key == "kisi-user:77"
    assert API_KEY not in repr(client)
    assert UNLOCK_PROFILE.retry.max_attempts == 2
    assert UNLOCK_PROFILE.retry.max_total_wait <= 2.0


# ---- listing the doors -------------------------------------------------------------------------


def test_doors_inside_the_window(world: World) -> None:
    response = world.doors()
    assert response.status_code == 200
    body = response.body
    assert [door["lock_id"] for door in body["doors"]] == [COURT]
    assert body["doors"][0] == {
        "lock_id": COURT,
        "name": "Court Gate",
        "place_name": "Courts",
        "online": True,
    }
    assert body["unlock_allowed"] is True
    assert body["refusal"] is None
    assert body["window"] == {
        "opens_at": "2030-06-15T17:45:00Z",
        "closes_at": "2030-06-15T19:00:00Z",
        "open_now": True,
    }
    assert world.log == ["store.get_unlock_facts", "store.list_locks"]
    assert world.metrics.counts == Counter({"UnlockDoorsListed": 1})


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (START - timedelta(minutes=30), "window_not_open"),
        (END + timedelta(seconds=1), "window_closed"),
    ],
)
def test_doors_outside_the_window_are_listed_but_not_openable(now: datetime, code: str) -> None:
    world = make_world(now=now)
    body = world.doors().body
    assert body["unlock_allowed"] is False
    assert body["window"]["open_now"] is False
    assert body["refusal"]["error"] == code
    assert [door["lock_id"] for door in body["doors"]] == [COURT]


def test_doors_refusals_answer_as_an_unlock_would(world: World) -> None:
    stranger = Caller(subject="stranger-1", tenant_id=TENANT, roles=frozenset())
    response = world.doors(stranger)
    assert (response.status_code, response.body["error"]) == (404, "reservation_not_found")
    assert "store.list_locks" not in world.log
    assert world.metrics.counts == Counter({"UnlockDoorsReservationNotFound": 1})
    booking = world.store.reservation
    assert booking is not None
    world.store.reservation = booking.model_copy(update={"status": ReservationStatus.CANCELLED})
    assert world.doors().status_code == 409
    assert "kisi.unlock" not in world.log
    assert not world.store.audit


# ---- who may call, names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"sub": PLAYER}, {"tenant_id": TENANT}, {"sub": " ", "tenant_id": TENANT}],
)
def test_a_token_without_subject_or_tenant_is_401(claims: dict[str, str] | None) -> None:
    refused = answer_of(lambda: authorize(claims))
    assert (refused.status_code, refused.body["error"]) == (401, "unauthorized")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "p" * 129, "tenant_id": TENANT},
        {"sub": "player#3", "tenant_id": TENANT},
        {"sub": PLAYER, "tenant_id": "club 1"},
        {"sub": PLAYER, "tenant_id": "c" * 2000},
    ],
    ids=["long subject", "# in subject", "space in tenant", "long tenant"],
)
def test_subject_and_tenant_must_be_platform_ids(claims: dict[str, str]) -> None:
    """They become parts of DynamoDB keys: an id no platform could send is refused up front."""
    refused = answer_of(lambda: authorize(claims))
    assert (refused.status_code, refused.body["error"]) == (401, "unauthorized")
    assert "at most 128" in refused.body["message"]


def test_the_player_is_the_subject_and_the_tenant_the_claim() -> None:
    assert authorize({"sub": PLAYER, "tenant_id": TENANT, "roles": "[player]"}) == Caller(
        PLAYER, TENANT, frozenset({"player"})
    )


def test_an_allowed_decision_is_not_a_refusal() -> None:
    with pytest.raises(ValueError, match="not a refusal"):
        refusal_for(ReservationDecision(ReservationReason.ALLOWED), "res-1", COURT)


def test_metric_names() -> None:
    assert metric_name("window_not_open") == "UnlockWindowNotOpen"
    assert metric_name("opened") == "UnlockOpened"


def test_the_key_is_in_no_answer_and_no_audit_entry() -> None:
    failures: list[KisiError | None] = [
        None,
        KisiInvalidCredentials("bad key", status_code=401),
        KisiUnavailable("down"),
        KisiRateLimited("slow", retry_after=1),
    ]
    for failure in failures:
        world = make_world()
        world.kisi.failure = failure
        response = world.unlock()
        assert API_KEY not in repr(response)
        assert API_KEY not in repr(world.store.audit)


# ---- property: Kisi is called exactly when the policy allows ------------------------------------


@given(case=policy_cases(), retried=st.booleans())
def test_kisi_is_called_exactly_when_the_policy_allows_and_it_is_no_retry(
    case: dict[str, Any], retried: bool
) -> None:
    """Over the policy tests' generated cases: one store read comes first, Kisi is called only
    for an allowed unlock that is not a retry of a recent success, and every attempt is audited
    once."""
    log: list[str] = []
    lock = case["lock"]
    store = FakeStore(log, case["tenant"], case["reservation"], {POLICY_LOCK: lock} if lock else {})
    now: datetime = case["now"]
    if retried:
        recent = RecentUnlock(now - timedelta(seconds=1), now + timedelta(seconds=4))
        store.recent[("res-1", case["player"], POLICY_LOCK)] = recent
    kisi = FakeKisi(log)
    deps = UnlockDependencies(
        store=store,
        kisi=TenantKisiClients(keyed_secrets(log, TENANT), lambda _tenant, _key: kisi),
        metrics=FakeMetrics(),
        clock=FakeClock(now).now,
    )
    caller = Caller(subject=case["player"], tenant_id=TENANT, roles=frozenset())

    response = answer_of(lambda: unlock_door(caller, "res-1", POLICY_LOCK, deps))

    allowed = policy_oracle(case)
    assert (response.status_code == 200) is allowed
    assert log.count("kisi.unlock") == int(allowed and not retried)
    assert log[0] == "store.get_unlock_facts"
    before_kisi = log[: log.index("kisi.unlock")] if "kisi.unlock" in log else []
    assert [entry for entry in before_kisi if entry.startswith("store.")] == (
        ["store.get_unlock_facts", "store.claim_unlock"] if before_kisi else []
    )
    assert len(store.audit) == 1


def test_a_concurrent_unlock_that_lost_the_claim_does_not_call_kisi(world: World) -> None:
    """Issue 14, L5: the read found no recent unlock, but a concurrent one claimed the door
    meanwhile: answered as just opened, without a second Kisi call."""
    claimed = RecentUnlock(world.clock.now(), world.clock.now() + timedelta(seconds=5))
    facts = world.store.get_unlock_facts

    def read_then_race(*args: Any) -> UnlockFacts:
        found = facts(*args)
        world.store.recent[("res-1", PLAYER, COURT)] = claimed
        return found

    world.store.get_unlock_facts = read_then_race  # type: ignore[method-assign,assignment]
    answer = world.unlock()
    assert answer.status_code == 200
    assert answer.body["deduplicated"] is True
    assert world.kisi.unlocked == []
    assert world.store.audit[-1].detail["concurrent"] is True


def test_a_failed_unlock_releases_its_claim_for_the_next_attempt(world: World) -> None:
    world.kisi.failure = KisiUnavailable("down")
    assert world.unlock().status_code == 503
    assert ("res-1", PLAYER, COURT) not in world.store.recent
    world.kisi.failure = None
    assert world.unlock().status_code == 200
    assert world.kisi.unlocked == [COURT]


def test_repeated_refusals_are_audited_once_a_minute_and_all_counted() -> None:
    """Issue 14, M2: a player (or a script) repeating a refused unlock cannot flood the audit
    table; every attempt is still counted."""
    world = make_world(now=END + timedelta(hours=1))  # the window has closed
    for _ in range(50):
        assert world.unlock().status_code == 403
    assert len(world.store.audit) == 1
    assert world.metrics.counts["UnlockAttempts"] == 50
    assert world.metrics.counts["UnlockRefusalsNotAudited"] == 49
    world.clock.advance(61)
    world.unlock()
    assert len(world.store.audit) == 2
    world.unlock(SIDE)  # another door: another kind of refusal
    assert len(world.store.audit) == 3
