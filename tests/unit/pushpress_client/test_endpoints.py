"""Each endpoint: the request it sends (path, query, headers) and the model it returns."""

from typing import Any

import httpx
import pytest

from pushpress_client import (
    API_KEY_HEADER,
    COMPANY_ID_HEADER,
    CustomerRole,
    EnrollmentStatus,
    PushPressClient,
    PushPressInvalidResponse,
    PushPressNotFound,
)

from .fakes import API_KEY, COMPANY_ID, FakePushPress, customer, enrollment, listing

PLAN: dict[str, Any] = {
    "id": "plan_24h",
    "name": "Unlimited + 24/7",
    "companyId": COMPANY_ID,
    "recurrenceDetails": {"type": "recurring"},
    "policies": {
        "allowClassCheckins": True,
        "allowOpenGymCheckins": True,
        "allow24HourAccess": True,
    },
    "category": {"name": "Memberships"},
}


def test_every_request_carries_the_api_key_and_company_headers(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/company", httpx.Response(200, json={"id": COMPANY_ID, "name": "Club"}))

    company = client.validate_credentials()

    (request,) = pushpress.requests
    assert request.headers[API_KEY_HEADER] == API_KEY
    assert request.headers[COMPANY_ID_HEADER] == COMPANY_ID
    assert request.headers["Accept"] == "application/json"
    assert company.id == COMPANY_ID
    assert company.name == "Club"


def test_without_a_company_id_no_company_header_is_sent(pushpress: FakePushPress) -> None:
    pushpress.route("GET", "/company", httpx.Response(200, json={"id": COMPANY_ID}))

    pushpress.client(company_id=None).get_company()

    assert COMPANY_ID_HEADER not in pushpress.requests[0].headers


def test_get_customer_reads_email_and_name(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/customers/usr_0007", httpx.Response(200, json=customer(7)))

    found = client.get_customer("usr_0007")

    assert found.id == "usr_0007"
    assert found.email == "member7@example.com"
    assert found.full_name == "First7 Last7"
    assert found.role == CustomerRole.MEMBER


def test_ids_are_quoted_into_the_path(pushpress: FakePushPress, client: PushPressClient) -> None:
    client_id = "usr/../plans x"
    pushpress.route("GET", "/customers/usr%2F..%2Fplans%20x", httpx.Response(200, json=customer(1)))

    client.get_customer(client_id)

    assert pushpress.requests[0].url.raw_path == b"/v3/customers/usr%2F..%2Fplans%20x"


def test_an_unknown_customer_is_not_found(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    with pytest.raises(PushPressNotFound) as raised:
        client.get_customer("usr_missing")

    assert raised.value.status_code == 404
    assert raised.value.endpoint == "GET /customers/{uuid}"


def test_enrollments_are_filtered_by_customer_and_status(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/enrollments", listing([enrollment(1)]), listing([]))

    found = list(
        client.iter_enrollments(customer_id="usr_0001", status=EnrollmentStatus.PENDING_CANCEL)
    )

    first = pushpress.requests[0].url.params
    assert first["customerId"] == "usr_0001"
    assert first["status"] == "pendcancel"
    assert (first["page"], first["limit"]) == ("1", "100")
    assert [e.id for e in found] == ["sub_0001"]


def test_customers_are_filtered_by_email_and_role(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/customers", listing([customer(3)]), listing([]))

    list(client.iter_customers(email="member3@example.com", role=CustomerRole.MEMBER))

    params = pushpress.requests[0].url.params
    assert params["email"] == "member3@example.com"
    assert params["role"] == "member"


def test_an_enrollment_lists_its_24_hour_entitlement(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    entitlement = {
        "type": "24_HOUR_ACCESS",
        "id": "e",
        "interval": "",
        "quantity": 1,
        "metadata": {},
    }
    pushpress.route(
        "GET",
        "/enrollments/sub_0001",
        httpx.Response(
            200,
            json=enrollment(
                1, status="pendcancel", endDate="2025-04-30", entitlements=[entitlement]
            ),
        ),
    )

    found = client.get_enrollment("sub_0001")

    assert found.known_status is EnrollmentStatus.PENDING_CANCEL
    assert found.end_date == "2025-04-30"
    assert found.lists_24_hour_access


def test_an_unknown_enrollment_status_is_kept_not_refused(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route(
        "GET", "/enrollments/sub_0001", httpx.Response(200, json=enrollment(1, status="frozen"))
    )

    found = client.get_enrollment("sub_0001")

    assert found.status == "frozen"
    assert found.known_status is None


def test_a_plan_says_whether_it_has_24_hour_access(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/plans/plan_24h", httpx.Response(200, json=PLAN))
    no_access = {
        **PLAN,
        "id": "plan_classes",
        "policies": {**PLAN["policies"], "allow24HourAccess": False},
    }
    pushpress.route("GET", "/plans/plan_classes", httpx.Response(200, json=no_access))

    assert client.get_plan("plan_24h").allows_24_hour_access
    assert not client.get_plan("plan_classes").allows_24_hour_access


@pytest.mark.parametrize(
    "body",
    [
        {"unexpected": "shape"},
        {"data": {"resultArray": "no"}},
        [],
        {"data": {"resultArray": [{"no": "id"}]}},
    ],
    ids=["no-data", "not-a-list", "array", "bad-item"],
)
def test_a_listing_of_another_shape_is_an_invalid_response(
    pushpress: FakePushPress, client: PushPressClient, body: object
) -> None:
    pushpress.route("GET", "/customers", httpx.Response(200, json=body))

    with pytest.raises(PushPressInvalidResponse):
        list(client.iter_customers())


def test_a_body_that_is_not_json_is_an_invalid_response(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/plans/p", httpx.Response(200, text="<html>maintenance</html>"))

    with pytest.raises(PushPressInvalidResponse) as raised:
        client.get_plan("p")

    assert "not JSON" in str(raised.value)


def test_a_customer_without_an_id_is_an_invalid_response(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/customers/usr_1", httpx.Response(200, json={"email": "a@b.c"}))

    with pytest.raises(PushPressInvalidResponse, match="Customer shape"):
        client.get_customer("usr_1")


@pytest.mark.parametrize("bad", ["", "   "])
def test_blank_ids_are_refused_before_any_request(
    pushpress: FakePushPress, client: PushPressClient, bad: str
) -> None:
    with pytest.raises(ValueError):
        client.get_customer(bad)
    assert pushpress.requests == []


@pytest.mark.parametrize(
    "options",
    [{"base_url": "ftp://x"}, {"base_url": "/v3"}, {"company_id": "a\nb"}, {"page_size": 0}],
)
def test_bad_options_are_refused(pushpress: FakePushPress, options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        pushpress.client(**options)


def test_requests_are_counted_per_endpoint(
    pushpress: FakePushPress, client: PushPressClient
) -> None:
    pushpress.route("GET", "/plans/plan_24h", httpx.Response(200, json=PLAN))

    client.get_plan("plan_24h")
    client.get_plan("plan_24h")

    assert client.request_counts == {"GET /plans/{id}": 2}
    assert client.total_requests == 2
