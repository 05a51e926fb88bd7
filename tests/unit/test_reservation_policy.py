"""The reservation unlock policy: every check in order, the window's edges, precedence (what a
refusal may reveal), then properties against an independent statement of the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from access_core.domain.events import ReservationStatus
from access_core.domain.model import MAX_WINDOW_MINUTES, ConnectionState, Lock, Reservation, Tenant
from access_core.reservations.policy import (
    LOCK_REASONS,
    REASON_TEXT,
    WINDOW_REASONS,
    AccessWindow,
    ReservationDecision,
    ReservationReason,
    access_window,
    decide_reservation_access,
    decide_unlock,
    door_is_usable,
    usable_doors,
)
from tests.unit.strategies import aware_datetimes, offsets, timezones

R = ReservationReason
TENANT = "club-1"
PLAYER = "player-3"
LOCK_ID = 501
START = datetime(2030, 6, 15, 18, 0, tzinfo=UTC)
END = START + timedelta(minutes=90)
WINDOW = 15
OPENS = START - timedelta(minutes=WINDOW)
INSIDE = START - timedelta(minutes=5)
TICK = timedelta(microseconds=1)


def tenant(**overrides: Any) -> Tenant:
    fields: dict[str, Any] = {
        "tenant_id": TENANT,
        "door_access_enabled": True,
        "pre_reservation_window_minutes": WINDOW,
        "connection_state": ConnectionState.CONNECTED,
    }
    return Tenant(**(fields | overrides))


def reservation(**overrides: Any) -> Reservation:
    fields: dict[str, Any] = {
        "tenant_id": TENANT,
        "reservation_id": "res-1",
        "player_ids": [PLAYER, "partner-9"],
        "court": "Court 3",
        "start": START,
        "end": END,
        "status": ReservationStatus.CONFIRMED,
        "platform_updated_at": START - timedelta(days=2),
    }
    return Reservation(**(fields | overrides))


def lock(**overrides: Any) -> Lock:
    fields: dict[str, Any] = {
        "tenant_id": TENANT,
        "lock_id": LOCK_ID,
        "name": "Court Gate",
        "place_name": "Courts",
        "enabled": True,
    }
    return Lock(**(fields | overrides))


def unlock(
    *,
    tenant_: Tenant | None = None,
    reservation_: Reservation | None = None,
    lock_: Lock | None = None,
    now: datetime = INSIDE,
    player: str = PLAYER,
    lock_id: int = LOCK_ID,
    missing: tuple[str, ...] = (),
) -> ReservationDecision:
    return decide_unlock(
        None if "tenant" in missing else tenant_ or tenant(),
        None if "reservation" in missing else reservation_ or reservation(),
        player,
        lock_id,
        None if "lock" in missing else lock_ or lock(),
        now,
    )


# ---- every check, in order -------------------------------------------------------------------


def test_allowed_inside_the_window_for_an_enabled_door() -> None:
    decision = unlock()
    assert decision.allowed
    assert decision.reason is R.ALLOWED
    assert decision.window == AccessWindow(OPENS, END)
    assert decision.explanation == REASON_TEXT[R.ALLOWED]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"missing": ("tenant",)}, R.TENANT_UNKNOWN),
        ({"tenant_": tenant(door_access_enabled=False)}, R.DOOR_ACCESS_DISABLED),
        ({"tenant_": tenant(connection_state=ConnectionState.DISCONNECTED)}, R.KISI_NOT_CONNECTED),
        (
            {"tenant_": tenant(connection_state=ConnectionState.INVALID_CREDENTIALS)},
            R.KISI_NOT_CONNECTED,
        ),
        ({"missing": ("reservation",)}, R.RESERVATION_NOT_FOUND),
        ({"reservation_": reservation(tenant_id="club-2")}, R.RESERVATION_NOT_FOUND),
        ({"player": "stranger-1"}, R.PLAYER_NOT_ON_RESERVATION),
        ({"player": PLAYER.upper()}, R.PLAYER_NOT_ON_RESERVATION),
        (
            {"reservation_": reservation(status=ReservationStatus.CANCELLED)},
            R.RESERVATION_CANCELLED,
        ),
        ({"now": OPENS - TICK}, R.WINDOW_NOT_OPEN),
        ({"now": END + TICK}, R.WINDOW_CLOSED),
        ({"missing": ("lock",)}, R.LOCK_UNKNOWN),
        ({"lock_": lock(lock_id=LOCK_ID + 1)}, R.LOCK_UNKNOWN),
        ({"lock_": lock(tenant_id="club-2")}, R.LOCK_UNKNOWN),
        ({"lock_": lock(enabled=False)}, R.LOCK_DISABLED),
        ({"lock_": lock(missing_in_kisi=True)}, R.LOCK_MISSING_IN_KISI),
        ({"lock_": lock(missing_in_kisi=True, enabled=False)}, R.LOCK_MISSING_IN_KISI),
    ],
)
def test_each_refusal(kwargs: dict[str, Any], reason: ReservationReason) -> None:
    decision = unlock(**kwargs)
    assert not decision.allowed
    assert decision.reason is reason
    assert decision.explanation == REASON_TEXT[reason]


def test_every_reason_has_a_text() -> None:
    assert set(REASON_TEXT) == set(ReservationReason)
    assert all(text.endswith(".") for text in REASON_TEXT.values())


# ---- the window's edges ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (OPENS - timedelta(minutes=25), R.WINDOW_NOT_OPEN),
        (OPENS - TICK, R.WINDOW_NOT_OPEN),
        (OPENS, R.ALLOWED),
        (OPENS + TICK, R.ALLOWED),
        (START, R.ALLOWED),
        (END - TICK, R.ALLOWED),
        (END, R.ALLOWED),
        (END + TICK, R.WINDOW_CLOSED),
        (END + timedelta(days=1), R.WINDOW_CLOSED),
    ],
)
def test_window_edges_are_both_included(now: datetime, reason: ReservationReason) -> None:
    assert unlock(now=now).reason is reason
    assert decide_reservation_access(tenant(), reservation(), PLAYER, now).reason is reason


def test_window_is_reported_with_window_refusals() -> None:
    early = unlock(now=OPENS - TICK)
    late = unlock(now=END + TICK)
    assert early.window == late.window == AccessWindow(OPENS, END)


@pytest.mark.parametrize("minutes", [0, 1, 15, MAX_WINDOW_MINUTES])
def test_window_length_is_the_tenants(minutes: int) -> None:
    opens = START - timedelta(minutes=minutes)
    club = tenant(pre_reservation_window_minutes=minutes)
    assert unlock(tenant_=club, now=opens).allowed
    assert unlock(tenant_=club, now=opens - TICK).reason is R.WINDOW_NOT_OPEN
    assert access_window(reservation(), minutes) == AccessWindow(opens, END)


def test_time_zones_do_not_matter() -> None:
    plus_two = timezone(timedelta(hours=2))
    minus_five = timezone(timedelta(hours=-5))
    booking = reservation(start=START.astimezone(plus_two), end=END.astimezone(minus_five))
    assert unlock(reservation_=booking, now=OPENS.astimezone(minus_five)).allowed
    assert (
        unlock(reservation_=booking, now=(OPENS - TICK).astimezone(plus_two)).reason
        is R.WINDOW_NOT_OPEN
    )


def test_window_contains() -> None:
    window = AccessWindow(OPENS, END)
    assert window.contains(OPENS)
    assert window.contains(END)
    assert not window.contains(OPENS - TICK)
    assert not window.contains(END + TICK)


# ---- precedence: what a refusal reveals --------------------------------------------------------


def test_another_players_reservation_reveals_nothing_about_it() -> None:
    """Cancelled, out of its window, or with a disabled door: a stranger hears 'not yours'."""
    for booking, now, door in [
        (reservation(status=ReservationStatus.CANCELLED), INSIDE, lock()),
        (reservation(), OPENS - timedelta(hours=1), lock()),
        (reservation(), END + timedelta(hours=1), lock()),
        (reservation(), INSIDE, lock(enabled=False)),
    ]:
        decision = unlock(reservation_=booking, now=now, lock_=door, player="stranger-1")
        assert decision.reason is R.PLAYER_NOT_ON_RESERVATION
        assert decision.window is None


def test_club_settings_come_before_the_reservation() -> None:
    off = tenant(door_access_enabled=False, connection_state=ConnectionState.DISCONNECTED)
    assert unlock(tenant_=off, missing=("reservation",)).reason is R.DOOR_ACCESS_DISABLED
    disconnected = tenant(connection_state=ConnectionState.DISCONNECTED)
    assert unlock(tenant_=disconnected, player="stranger").reason is R.KISI_NOT_CONNECTED


def test_cancelled_comes_before_the_window_and_the_door() -> None:
    cancelled = reservation(status=ReservationStatus.CANCELLED)
    assert unlock(reservation_=cancelled, now=END + timedelta(days=3)).reason is (
        R.RESERVATION_CANCELLED
    )
    assert unlock(reservation_=cancelled, missing=("lock",)).reason is R.RESERVATION_CANCELLED


def test_the_window_comes_before_the_door() -> None:
    assert unlock(now=OPENS - TICK, missing=("lock",)).reason is R.WINDOW_NOT_OPEN
    assert unlock(now=END + TICK, lock_=lock(enabled=False)).reason is R.WINDOW_CLOSED


def test_door_refusals_keep_the_window() -> None:
    decision = unlock(lock_=lock(enabled=False))
    assert decision.reason in LOCK_REASONS
    assert decision.window == AccessWindow(OPENS, END)


# ---- doors -------------------------------------------------------------------------------------


def test_usable_doors_are_enabled_and_present_in_kisi_in_display_order() -> None:
    locks = [
        lock(lock_id=1, name="Side", place_name="Courts"),
        lock(lock_id=2, name="Back", place_name="Clubhouse", enabled=False),
        lock(lock_id=3, name="Gate", place_name="Courts", missing_in_kisi=True),
        lock(lock_id=4, name="Front", place_name="Clubhouse"),
        lock(lock_id=5, name="Front", place_name="Clubhouse"),
        lock(lock_id=6, name="Annex", place_name="Courts", online=False),
    ]
    assert [door.lock_id for door in usable_doors(locks)] == [4, 5, 6, 1]
    assert usable_doors([]) == []
    assert door_is_usable(lock())
    assert not door_is_usable(lock(enabled=False))
    assert not door_is_usable(lock(missing_in_kisi=True))


def test_an_offline_door_is_still_allowed_kisi_decides() -> None:
    assert unlock(lock_=lock(online=False)).allowed


# ---- properties --------------------------------------------------------------------------------

players = st.sampled_from([PLAYER, "partner-9", "stranger-1"])
windows = st.integers(min_value=0, max_value=MAX_WINDOW_MINUTES)
lengths = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=6))


def mostly[T](usual: T, *others: T) -> st.SearchStrategy[T]:
    """`usual` about four times in five, else one of `others`: valid cases stay frequent."""
    return st.sampled_from([usual] * 4 * len(others) + list(others))


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """Every input of `decide_unlock`, mostly valid, with `now` near one of the window's edges."""
    start = draw(aware_datetimes())
    end = start + draw(lengths)
    minutes = draw(windows)
    club = draw(
        mostly(
            tenant(pre_reservation_window_minutes=minutes),
            None,
            tenant(door_access_enabled=False, pre_reservation_window_minutes=minutes),
            tenant(
                connection_state=draw(
                    st.sampled_from(
                        [ConnectionState.DISCONNECTED, ConnectionState.INVALID_CREDENTIALS]
                    )
                ),
                pre_reservation_window_minutes=minutes,
            ),
        )
    )
    booking = None
    if draw(mostly(True, False)):
        booking = reservation(
            tenant_id=draw(mostly(TENANT, "club-2")),
            player_ids=draw(st.lists(players, min_size=1, max_size=3, unique=True)),
            start=start.astimezone(draw(timezones)),
            end=end.astimezone(draw(timezones)),
            status=draw(mostly(ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED)),
        )
    edge = draw(st.sampled_from([start - timedelta(minutes=minutes), start, end]))
    now = (edge + draw(offsets)).astimezone(draw(timezones))
    door = None
    if draw(mostly(True, False)):
        door = lock(
            tenant_id=draw(mostly(TENANT, "club-2")),
            lock_id=draw(mostly(LOCK_ID, 7)),
            enabled=draw(mostly(True, False)),
            missing_in_kisi=draw(mostly(False, True)),
            online=draw(st.none() | st.booleans()),
        )
    return {
        "tenant": club,
        "reservation": booking,
        "player": draw(mostly(PLAYER, "partner-9", "stranger-1")),
        "lock": door,
        "now": now,
    }


def oracle(case: dict[str, Any]) -> bool:
    """The rules of issue 4, stated once more without the policy's order of checks."""
    club, booking, door = case["tenant"], case["reservation"], case["lock"]
    return (
        club is not None
        and club.door_access_enabled
        and club.connection_state is ConnectionState.CONNECTED
        and booking is not None
        and booking.tenant_id == club.tenant_id
        and case["player"] in booking.player_ids
        and booking.status is not ReservationStatus.CANCELLED
        and booking.start - timedelta(minutes=club.pre_reservation_window_minutes)
        <= case["now"]
        <= booking.end
        and door is not None
        and door.lock_id == LOCK_ID
        and door.tenant_id == club.tenant_id
        and door.enabled
        and not door.missing_in_kisi
    )


def decide(case: dict[str, Any]) -> ReservationDecision:
    return decide_unlock(
        case["tenant"], case["reservation"], case["player"], LOCK_ID, case["lock"], case["now"]
    )


@given(cases())
def test_allowed_exactly_when_every_rule_holds(case: dict[str, Any]) -> None:
    decision = decide(case)
    assert decision.allowed is oracle(case)
    assert (decision.reason is R.ALLOWED) is decision.allowed


@given(cases())
def test_an_unlock_needs_the_reservation_access_and_a_usable_door(case: dict[str, Any]) -> None:
    decision = decide(case)
    access = decide_reservation_access(
        case["tenant"], case["reservation"], case["player"], case["now"]
    )
    if not access.allowed:
        assert decision == access
    else:
        assert decision.window == access.window
        assert decision.allowed is (case["lock"] is not None and oracle(case))


@given(cases())
def test_refusals_reveal_nothing_to_strangers(case: dict[str, Any]) -> None:
    """A player not on the reservation, or asking about another tenant's, never learns its
    status, its window or the club's doors."""
    booking = case["reservation"]
    club = case["tenant"]
    stranger = booking is not None and (
        case["player"] not in booking.player_ids
        or (club is not None and booking.tenant_id != club.tenant_id)
    )
    if not stranger:
        return
    decision = decide(case)
    assert not decision.allowed
    assert decision.window is None
    assert decision.reason not in (
        WINDOW_REASONS | LOCK_REASONS | {R.RESERVATION_CANCELLED, R.ALLOWED}
    )


@given(cases(), st.timedeltas(min_value=timedelta(days=-900), max_value=timedelta(days=900)))
@example(
    {
        "tenant": tenant(),
        "reservation": reservation(),
        "player": PLAYER,
        "lock": lock(),
        "now": OPENS,
    },
    timedelta(days=1),
)
def test_only_relative_time_matters(case: dict[str, Any], shift: timedelta) -> None:
    booking = case["reservation"]
    shifted = dict(case, now=case["now"] + shift)
    if booking is not None:
        shifted["reservation"] = booking.model_copy(
            update={"start": booking.start + shift, "end": booking.end + shift}
        )
    before, after = decide(case), decide(shifted)
    assert after.reason is before.reason
    if before.window is None:
        assert after.window is None
    else:
        assert after.window == AccessWindow(
            before.window.opens_at + shift, before.window.closes_at + shift
        )


@given(aware_datetimes(), lengths, windows, offsets)
def test_window_is_start_minus_the_window_to_the_end(
    start: datetime, length: timedelta, minutes: int, offset: timedelta
) -> None:
    booking = reservation(start=start, end=start + length)
    club = tenant(pre_reservation_window_minutes=minutes)
    window = access_window(booking, minutes)
    assert window.closes_at - window.opens_at == length + timedelta(minutes=minutes)
    now = window.opens_at + offset
    decision = decide_reservation_access(club, booking, PLAYER, now)
    expected = (
        R.WINDOW_NOT_OPEN
        if now < window.opens_at
        else R.WINDOW_CLOSED
        if now > window.closes_at
        else R.ALLOWED
    )
    assert decision.reason is expected
