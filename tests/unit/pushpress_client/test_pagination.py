"""Page/limit listings: every page read until an empty one, resumable pages, no endless loop."""

import httpx
import pytest

from pushpress_client import Customer, PushPressAuthError, PushPressClient, PushPressInvalidResponse

from .fakes import FakePushPress, customer, listing

MEMBERS = [customer(n) for n in range(1, 251)]


def test_a_listing_reads_every_page_then_one_empty_page(pushpress: FakePushPress) -> None:
    pushpress.collection("/customers", MEMBERS)

    found = list(pushpress.client(page_size=100).iter_customers())

    assert [c.id for c in found] == [c["id"] for c in MEMBERS]
    pages = [r.url.params["page"] for r in pushpress.sent("GET", "/customers")]
    assert pages == ["1", "2", "3", "4"]  # 100 + 100 + 50, then an empty page 4


def test_a_server_side_cap_on_the_page_size_loses_nothing(pushpress: FakePushPress) -> None:
    # Asked for 100 a page, served 30: a short page is not the end of the listing.
    pushpress.collection("/customers", MEMBERS, max_limit=30)

    found = list(pushpress.client(page_size=100).iter_customers())

    assert len(found) == len(MEMBERS)
    assert len({c.id for c in found}) == len(MEMBERS)


def test_an_empty_listing_costs_one_request(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.collection("/enrollments", [])

    assert list(client.iter_enrollments()) == []
    assert len(pushpress.requests) == 1


def test_a_server_that_ignores_the_page_number_cannot_make_the_client_loop(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/customers", listing(MEMBERS[:100]))

    with pytest.raises(PushPressInvalidResponse, match="does not advance"):
        list(client.iter_customers())
    assert len(pushpress.requests) == 2


def test_a_record_that_moved_to_the_next_page_is_listed_once(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route(
        "GET",
        "/customers",
        listing([customer(1), customer(2)]),
        listing([customer(2), customer(3)]),
        listing([]),
    )

    assert [c.id for c in client.iter_customers()] == ["usr_0001", "usr_0002", "usr_0003"]


def test_one_page_can_be_read_on_its_own_to_resume_a_listing(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.collection(
        "/enrollments",
        [{"id": f"sub_{n}", "customerId": "c", "status": "active"} for n in range(25)],
    )

    page = client.enrollments_page(3, limit=10)
    last = client.enrollments_page(4, limit=10)

    assert [e.id for e in page.items] == [f"sub_{n}" for n in range(20, 25)]
    assert (page.page, page.limit, page.next_page) == (3, 10, 4)
    assert last.items == []
    assert last.next_page is None


def test_page_numbers_start_at_one(client: PushPressClient) -> None:
    with pytest.raises(ValueError):
        client.customers_page(0)
    with pytest.raises(ValueError):
        client.customers_page(1, limit=0)


def test_a_failing_page_stops_the_listing_with_the_error(pushpress: FakePushPress) -> None:
    pushpress.route(
        "GET", "/customers", listing(MEMBERS[:100]), httpx.Response(401, json={"message": "no"})
    )

    read: list[Customer] = []
    with pytest.raises(PushPressAuthError, match="no"):
        read.extend(pushpress.client().iter_customers())
    assert len(read) == 100
