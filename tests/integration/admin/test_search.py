"""GET /members and GET /reservations (issue 16's search): filtered, paged with an opaque cursor;
a cursor this API did not answer (or another tenant's) is 422, never a 500 or a foreign page."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from access_core import bootstrap
from tests.integration.harness import T0, AdminApi, Club


def all_pages(admin: AdminApi, path: str, query: dict[str, str], key: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    cursor: str | None = None
    while True:
        answer = admin("GET", path, query={**query, **({"cursor": cursor} if cursor else {})})
        assert answer.status == 200, answer.body
        found += answer.body[key]
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return found


def test_members_are_found_by_email_name_status_and_sync_state(club: Club, admin: AdminApi) -> None:
    for n in range(5):
        club.membership(f"m{n}", f"m{n}@example.com", "active" if n % 2 else "paused", T0)
    club.converge()

    by_email = admin("GET", "/members", query={"email": "M3@Example.com"})
    assert by_email.status == 200, by_email.body
    assert [m["member_id"] for m in by_email.body["members"]] == ["m3"]
    assert by_email.body["next_cursor"] is None

    stores = bootstrap.container().admin.stores
    before = stores.round_trips
    assert admin("GET", "/members", query={"limit": "2"}).status == 200
    assert stores.round_trips - before == 3  # the admin's usage count, the tenant, one page

    paused = all_pages(admin, "/members", {"status": "paused", "limit": "2"}, "members")
    assert sorted(m["member_id"] for m in paused) == ["m0", "m2", "m4"]
    named = all_pages(admin, "/members", {"name": "M1", "limit": "2"}, "members")
    assert [m["member_id"] for m in named] == ["m1"]
    in_sync = all_pages(admin, "/members", {"sync_state": "in_sync"}, "members")
    assert len(in_sync) == 5
    assert all_pages(admin, "/members", {"sync_state": "failed"}, "members") == []


def test_reservations_are_found_by_player_and_time_range(club: Club, admin: AdminApi) -> None:
    for n, players in enumerate((["p1"], ["p1", "p2"], ["p3"])):
        club.post(
            "reservation.upserted",
            {
                "reservation_id": f"r{n}",
                "player_ids": players,
                "court": f"Court {n}",
                "start": (T0 + timedelta(days=n)).isoformat(),
                "end": (T0 + timedelta(days=n, hours=1)).isoformat(),
                "updated_at": T0.isoformat(),
            },
        )
    p1 = all_pages(admin, "/reservations", {"player_id": "p1", "limit": "1"}, "reservations")
    assert [r["reservation_id"] for r in p1] == ["r0", "r1"]
    day_two = all_pages(
        admin,
        "/reservations",
        {
            "from": (T0 + timedelta(hours=12)).isoformat(),
            "to": (T0 + timedelta(days=1, minutes=30)).isoformat(),
        },
        "reservations",
    )
    assert [r["reservation_id"] for r in day_two] == ["r1"]
    naive = admin("GET", "/reservations", query={"from": "2026-01-01T00:00:00"})
    assert naive.status == 422
    assert naive.body["fields"][0]["field"] == "query.from"


def forged(pk: str, sk: str) -> str:
    raw = json.dumps({"PK": {"S": pk}, "SK": {"S": sk}}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_cursor_this_api_did_not_answer_is_422(club: Club, admin: AdminApi) -> None:
    for cursor in (
        "not-base64!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        forged("TENANT#other-club", "MEMBER#m1"),  # another tenant's members
        forged("TENANT#club-1", "KISI#"),  # not a member item
    ):
        for path in ("/members", "/reservations"):
            answer = admin("GET", path, query={"cursor": cursor})
            assert answer.status == 422, (path, cursor, answer.body)
            assert answer.body["fields"][0]["field"] == "query.cursor"
