"""The control API over HTTP: every change it makes is what the Python API makes (webhooks
included), and it is neither authenticated, rate limited, faulted nor counted."""

from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest

from pushpress_emulator import DEMO_API_KEY, PushPressEmulator, RunningEmulator
from pushpress_emulator.testing import WebhookReceiver, pushpress_headers

from .conftest import KEY


@pytest.fixture
def control(served: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.control_url, timeout=5) as client:
        yield client


@pytest.fixture
def api(served: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.api_url, timeout=5) as client:
        yield client


def test_seed_then_read_through_the_api(control: httpx.Client, api: httpx.Client) -> None:
    seeded = control.post("/seed/demo").json()
    company_id = seeded["companies"]["demo"]["id"]

    company = api.get("/company", headers=pushpress_headers(DEMO_API_KEY))
    page = api.get("/customers", params={"limit": 2}, headers=pushpress_headers(DEMO_API_KEY))

    assert company.json()["id"] == company_id
    assert len(page.json()["data"]["resultArray"]) == 2
    assert control.get("/health").json()["status"] == "ok"


def test_customers_and_enrollments_change_through_the_control_api_with_webhooks(
    control: httpx.Client, ids: SimpleNamespace, receiver: WebhookReceiver
) -> None:
    base = f"/companies/{ids.club}"
    assert control.post(f"{base}/webhooks", json={"url": receiver.url}).status_code == 201

    created = control.post(f"{base}/customers", json={"email": "ctl@example.com", "first": "C"})
    customer_id = created.json()["id"]
    enrolled = control.post(
        f"{base}/enrollments", json={"customer_id": customer_id, "plan_id": ids.plans["24h"]}
    )
    changed = control.patch(
        f"{base}/enrollments/{enrolled.json()['id']}", json={"status": "paused"}
    )
    renamed = control.patch(f"{base}/customers/{customer_id}", json={"last": "Ctl"})
    deleted = control.delete(f"{base}/customers/{customer_id}")

    assert [created.status_code, enrolled.status_code, changed.status_code] == [201, 201, 200]
    assert renamed.json()["name"]["last"] == "Ctl"
    assert deleted.status_code == 204
    events = [d["event"] for d in control.get("/deliveries").json()]
    assert events == [
        "customer.created",
        "enrollment.created",
        "enrollment.status.changed",
        "customer.details.changed",
        "customer.deleted",
    ]
    assert {d["status"] for d in control.get("/deliveries").json()} == {"delivered"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("customers", {"email": "not-an-email"}, "email"),
        ("customers", {"email": "a@b.co", "role": "owner"}, "role"),
        ("customers", {"email": "a@b.co", "colour": "red"}, "colour"),
        ("enrollments", {"customer_id": "usr_none"}, "customer_id"),
        ("enrollments", {"customer_id": "x", "status": "frozen"}, "status"),
        ("plans", {"allow_24_hour_access": "yes"}, "allow_24_hour_access"),
    ],
)
def test_invalid_changes_are_422s_naming_the_field(
    control: httpx.Client, ids: SimpleNamespace, path: str, body: dict[str, object], field: str
) -> None:
    response = control.post(f"/companies/{ids.club}/{path}", json=body)

    assert response.status_code == 422
    assert field in response.json()["message"]


def test_faults_are_injected_listed_and_cleared_over_http(
    control: httpx.Client, api: httpx.Client, ids: SimpleNamespace
) -> None:
    fault = control.post("/faults", json={"kind": "outage", "path_prefix": "/customers"}).json()

    broken = api.get("/customers", headers=pushpress_headers(KEY))
    healthy = api.get("/company", headers=pushpress_headers(KEY))
    listed = control.get("/faults").json()
    control.delete(f"/faults/{fault['id']}")
    fixed = api.get("/customers", headers=pushpress_headers(KEY))

    assert (broken.status_code, healthy.status_code, fixed.status_code) == (503, 200, 200)
    assert [f["fired"] for f in listed] == [1]
    assert control.post("/faults", json={"kind": "meteor"}).status_code == 422


def test_counts_record_api_calls_only(
    control: httpx.Client, api: httpx.Client, ids: SimpleNamespace
) -> None:
    api.get("/company", headers=pushpress_headers(KEY))
    api.get("/customers/usr_missing", headers=pushpress_headers(KEY))
    api.get("/company")
    control.get("/companies")

    counts = control.get("/counts").json()

    assert counts["total"] == 3
    assert counts["by_endpoint"] == {"GET /v3/company": 2, "GET /v3/customers/{uuid}": 1}
    assert counts["by_status"] == {"200": 1, "401": 1, "404": 1}
    assert counts["by_company"][ids.club]["total"] == 2
    assert control.delete("/counts").status_code == 204
    assert control.get("/counts").json()["total"] == 0


def test_the_rate_limit_clock_and_config_are_controlled(
    control: httpx.Client, api: httpx.Client, ids: SimpleNamespace, emulator: PushPressEmulator
) -> None:
    assert control.patch("/config", json={"rate_limit": True}).json()["rate_limit"] is True
    statuses = [api.get("/company", headers=pushpress_headers(KEY)).status_code for _ in range(6)]
    control.post("/clock/advance", json={"seconds": 1.0})
    after = api.get("/company", headers=pushpress_headers(KEY))

    assert statuses == [200] * 5 + [429]
    assert after.status_code == 200
    assert control.patch("/config", json={"speed": 9}).status_code == 422


def test_a_company_snapshot_and_key_management(
    control: httpx.Client, api: httpx.Client, ids: SimpleNamespace
) -> None:
    snapshot = control.get(f"/companies/{ids.club}").json()
    new_key = control.post(f"/companies/{ids.club}/api_keys", json={}).json()["key"]
    works = api.get("/company", headers=pushpress_headers(new_key)).status_code
    control.delete(f"/api_keys/{new_key}")
    revoked = api.get("/company", headers=pushpress_headers(new_key)).status_code

    assert len(snapshot["customers"]) == 130
    assert KEY in snapshot["api_keys"]
    assert (works, revoked) == (200, 401)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nothing", 404),
        ("GET", "/companies/cli_none", 404),
        ("DELETE", "/faults/x", 400),
        ("POST", "/deliveries/9/redeliver", 404),
    ],
)
def test_unknown_control_targets(
    control: httpx.Client, ids: SimpleNamespace, method: str, path: str, status: int
) -> None:
    assert control.request(method, path).status_code == status


def test_a_body_that_is_not_a_json_object_is_a_400(
    control: httpx.Client, ids: SimpleNamespace
) -> None:
    response = control.post(f"/companies/{ids.club}/customers", content=b"[1]")

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"page": "0"}, 400),
        ({"limit": "-1"}, 400),
        ({"page": "x"}, 400),
        ({"status": "frozen"}, 400),
        ({"page": "99"}, 200),
    ],
)
def test_listing_parameters_are_checked(
    api: httpx.Client, ids: SimpleNamespace, params: dict[str, str], status: int
) -> None:
    response = api.get("/enrollments", params=params, headers=pushpress_headers(KEY))

    assert response.status_code == status
    if status == 200:
        assert response.json() == {"data": {"resultArray": []}}
