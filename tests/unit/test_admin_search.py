"""The Admin API's search pieces (issue 16): opaque page cursors that only name this tenant's
list, the member filter and the reservation overlap."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from access_core.admin.service import (
    MemberFilter,
    decode_cursor,
    encode_cursor,
    reservation_matches,
)
from access_core.domain.errors import InvalidRequest
from access_core.domain.events import MembershipStatus, ReservationStatus
from access_core.domain.model import Member, MemberKisiState, Reservation, SyncState

T0 = datetime(2026, 11, 23, 10, tzinfo=UTC)
ids = st.from_regex(r"[\w.:@-]{1,40}", fullmatch=True)


@given(tenant=ids, member=ids)
def test_a_cursor_answered_for_a_tenants_list_reads_back_as_its_position(
    tenant: str, member: str
) -> None:
    position = json.dumps({"PK": {"S": f"TENANT#{tenant}"}, "SK": {"S": f"MEMBER#{member}"}})
    cursor = encode_cursor(position)
    assert cursor is not None
    assert decode_cursor(tenant, cursor, "MEMBER#") == position


@given(tenant=ids, other=ids, member=ids)
def test_another_tenants_or_another_lists_cursor_is_refused(
    tenant: str, other: str, member: str
) -> None:
    foreign = encode_cursor(
        json.dumps({"PK": {"S": f"TENANT#{other}"}, "SK": {"S": f"MEMBER#{member}"}})
    )
    assert foreign is not None
    if other != tenant:
        with pytest.raises(InvalidRequest):
            decode_cursor(tenant, foreign, "MEMBER#")
    with pytest.raises(InvalidRequest):
        decode_cursor(other, foreign, "RESERVATION#")


@given(st.text(max_size=60))
def test_any_other_text_is_a_422_never_a_crash(text: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        decode_cursor("club-1", text, "MEMBER#")
    assert [problem.field for problem in refused.value.fields or []] == ["query.cursor"]


def member(name: str, status: MembershipStatus, state: SyncState) -> Member:
    return Member(
        tenant_id="club-1",
        member_id="m1",
        name=name,
        status=status,
        platform_updated_at=T0,
        kisi=MemberKisiState(sync_state=state),
    )


def test_the_member_filter_matches_part_of_the_name_in_any_case_and_exact_states() -> None:
    ada = member("Ada Lovelace", MembershipStatus.PAUSED, SyncState.FAILED)
    assert MemberFilter().matches(ada)
    assert MemberFilter(name="LOVE").matches(ada)
    assert not MemberFilter(name="Grace").matches(ada)
    assert MemberFilter(status=MembershipStatus.PAUSED, sync_state=SyncState.FAILED).matches(ada)
    assert not MemberFilter(status=MembershipStatus.ACTIVE).matches(ada)
    assert not MemberFilter(sync_state=SyncState.IN_SYNC).matches(ada)


@given(
    start=st.integers(-100, 100),
    length=st.integers(1, 10),
    since=st.none() | st.integers(-100, 100),
    until=st.none() | st.integers(-100, 100),
)
def test_a_reservation_matches_a_range_it_overlaps(
    start: int, length: int, since: int | None, until: int | None
) -> None:
    def at(hours: int) -> datetime:
        return T0 + timedelta(hours=hours)

    reservation = Reservation(
        tenant_id="club-1",
        reservation_id="r1",
        player_ids=["p1"],
        start=at(start),
        end=at(start + length),
        status=ReservationStatus.CONFIRMED,
        platform_updated_at=T0,
    )
    overlaps = (since is None or start + length >= since) and (until is None or start <= until)
    low = at(since) if since is not None else None
    high = at(until) if until is not None else None
    assert reservation_matches(reservation, None, low, high) is overlaps
    assert reservation_matches(reservation, "p2", None, None) is False
    assert reservation_matches(reservation, "p1", None, None) is True
