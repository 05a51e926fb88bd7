"""Paging over every page with limit/offset and X-Collection-Range, and its edge cases."""

import math

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kisi_client import (
    MAX_OFFSET,
    CollectionRange,
    KisiPaginationLimitExceeded,
    PacerRegistry,
    RoleAssignment,
    parse_collection_range,
)
from kisi_client.pagination import next_page_offset
from tests.fakes import FakeClock

from .kisi_fakes import FakeKisi


def assignments(count: int, group_id: int = 9) -> list[dict[str, object]]:
    return [
        {
            "id": 1000 + n,
            "role_id": "group_basic",
            "applies_to_type": "Group",
            "applies_to_id": group_id,
            "assignee_type": "User",
            "assignee_id": n,
            "assignee": {"id": n, "email": f"member{n}@club.test"},
        }
        for n in range(count)
    ]


def page_params(kisi: FakeKisi) -> list[tuple[int, int]]:
    return [(int(r.url.params["offset"]), int(r.url.params["limit"])) for r in kisi.requests]


@pytest.mark.parametrize(
    ("count", "pages"),
    [(0, 1), (1, 1), (249, 1), (250, 1), (251, 2), (500, 2), (501, 3)],
)
def test_group_assignments_are_read_250_a_page_until_the_total(
    kisi: FakeKisi, count: int, pages: int
) -> None:
    kisi.collection("/role_assignments", assignments(count))

    listed = list(kisi.client().iter_group_assignments(9))

    assert [a.id for a in listed] == [1000 + n for n in range(count)]
    assert page_params(kisi) == [(250 * n, 250) for n in range(pages)]
    first = kisi.requests[0].url.params
    assert (first["applies_to_type"], first["applies_to_id"]) == ("Group", "9")


def test_an_empty_collection_answers_star_over_zero(kisi: FakeKisi) -> None:
    kisi.route(
        "GET",
        "/role_assignments",
        httpx.Response(200, json=[], headers={"X-Collection-Range": "*/0"}),
    )

    assert list(kisi.client().iter_group_assignments(9)) == []
    assert len(kisi.requests) == 1


@pytest.mark.parametrize(("count", "pages"), [(0, 1), (1, 1), (250, 2), (251, 2), (500, 3)])
def test_without_a_range_header_a_short_page_ends_the_listing(
    kisi: FakeKisi, count: int, pages: int
) -> None:
    kisi.collection("/role_assignments", assignments(count), range_header=False)

    listed = list(kisi.client().iter_group_assignments(9))

    assert len(listed) == count
    assert len(kisi.requests) == pages


@pytest.mark.parametrize("header", ["garbage", "0-9", "5-2/10", "0-10/10", "", "a-b/c"])
def test_an_odd_range_header_falls_back_to_the_short_page_rule(kisi: FakeKisi, header: str) -> None:
    items = assignments(260)

    def serve(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        page = items[offset : offset + 250]
        return httpx.Response(200, json=page, headers={"X-Collection-Range": header})

    kisi.route("GET", "/role_assignments", serve)

    assert len(list(kisi.client().iter_group_assignments(9))) == 260
    assert len(kisi.requests) == 2


def test_a_header_that_overstates_the_total_cannot_make_the_client_loop(kisi: FakeKisi) -> None:
    kisi.route(
        "GET",
        "/role_assignments",
        httpx.Response(200, json=assignments(3), headers={"X-Collection-Range": "0-2/900"}),
        httpx.Response(200, json=[], headers={"X-Collection-Range": "*/900"}),
    )

    assert len(list(kisi.client().iter_group_assignments(9))) == 3
    assert len(kisi.requests) == 2


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [("iter_users", "/users", 100), ("iter_locks", "/locks", 250), ("iter_groups", "/groups", 250)],
)
def test_each_listing_asks_for_its_maximum_page(
    kisi: FakeKisi, method: str, path: str, limit: int
) -> None:
    kisi.collection(path, [{"id": n} for n in range(limit + 1)])

    listed = list(getattr(kisi.client(), method)())

    assert len(listed) == limit + 1
    assert page_params(kisi) == [(0, limit), (limit, limit)]


def test_a_collection_beyond_the_offset_cap_is_refused_before_any_item(kisi: FakeKisi) -> None:
    too_many = MAX_OFFSET + 250 + 1
    kisi.route(
        "GET",
        "/role_assignments",
        httpx.Response(
            200, json=assignments(250), headers={"X-Collection-Range": f"0-249/{too_many}"}
        ),
    )
    listed: list[RoleAssignment] = []

    with pytest.raises(KisiPaginationLimitExceeded, match="20000"):
        listed.extend(kisi.client().iter_group_assignments(9))

    assert listed == []
    assert len(kisi.requests) == 1


def test_a_collection_that_just_fits_the_offset_cap_is_read_whole(kisi: FakeKisi) -> None:
    kisi.collection("/role_assignments", assignments(MAX_OFFSET + 250))

    listed = list(kisi.client(requests_per_second=1e6).iter_group_assignments(9))

    assert len(listed) == MAX_OFFSET + 250
    assert page_params(kisi)[-1] == (MAX_OFFSET, 250)


def test_without_a_header_paging_past_the_offset_cap_raises(kisi: FakeKisi) -> None:
    full_page = assignments(250)
    kisi.route("GET", "/role_assignments", httpx.Response(200, json=full_page))

    with pytest.raises(KisiPaginationLimitExceeded):
        for _ in kisi.client(requests_per_second=1e6).iter_group_assignments(9):
            pass

    assert page_params(kisi)[-1] == (MAX_OFFSET, 250)


@given(
    start=st.integers(min_value=0, max_value=10**9),
    length=st.integers(min_value=1, max_value=10**6),
    extra=st.integers(min_value=0, max_value=10**6),
)
def test_a_well_formed_range_parses_back(start: int, length: int, extra: int) -> None:
    end = start + length - 1
    text = f"{start}-{end}/{end + 1 + extra}"

    parsed = parse_collection_range(text)

    assert parsed == CollectionRange(start=start, end=end, total=end + 1 + extra)
    assert str(parsed) == text


@given(total=st.integers(min_value=0, max_value=10**9))
def test_a_star_range_parses_to_its_total(total: int) -> None:
    assert parse_collection_range(f"*/{total}") == CollectionRange(None, None, total)


@given(st.text(max_size=40))
def test_any_header_text_parses_to_a_consistent_range_or_none(text: str) -> None:
    parsed = parse_collection_range(text)

    if parsed is not None:
        assert parsed.total >= 0
        if parsed.start is not None and parsed.end is not None:
            assert 0 <= parsed.start <= parsed.end < parsed.total


@given(
    total=st.integers(min_value=0, max_value=2000),
    limit=st.integers(min_value=1, max_value=300),
    with_header=st.booleans(),
)
def test_page_walk_reads_every_item_once_in_the_fewest_pages(
    total: int, limit: int, with_header: bool
) -> None:
    offset, seen, pages = 0, 0, 0
    while True:
        received = max(0, min(limit, total - offset))
        pages += 1
        seen += received
        header = None
        if with_header:
            header = CollectionRange(
                offset if received else None, offset + received - 1 if received else None, total
            )
        following = next_page_offset(
            offset=offset, limit=limit, received=received, collection_range=header
        )
        if following is None:
            break
        offset = following

    assert seen == total
    full_pages_need_a_probe = not with_header and total > 0 and total % limit == 0
    assert pages == max(1, math.ceil(total / limit)) + (1 if full_pages_need_a_probe else 0)


@settings(max_examples=40, deadline=None)
@given(total=st.integers(min_value=0, max_value=600), with_header=st.booleans())
def test_the_client_lists_any_collection_exactly(total: int, with_header: bool) -> None:
    clock = FakeClock()
    kisi = FakeKisi(clock, PacerRegistry(clock=clock.monotonic, sleep=clock.sleep))
    kisi.collection("/locks", [{"id": n} for n in range(total)], range_header=with_header)

    listed = [lock.id for lock in kisi.client().iter_locks()]

    assert listed == list(range(total))
    assert all(r.url.params["limit"] == "250" for r in kisi.requests)
