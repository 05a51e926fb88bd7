"""Headers, base URL, error mapping, malformed answers, deprecation warnings, call counting."""

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import kisi_client.transport
from kisi_client import (
    KisiClient,
    KisiConflict,
    KisiError,
    KisiForbidden,
    KisiInvalidCredentials,
    KisiMalformedResponse,
    KisiNotFound,
    KisiRateLimited,
    KisiUnavailable,
    KisiValidationError,
    shared_http_client,
)
from kisi_client.transport import parse_retry_after

from .kisi_fakes import API_KEY, BASE_URL, FakeKisi, kisi_error, kisi_json

LOCK = {"id": 7, "name": "Front door"}


def test_every_request_carries_auth_json_and_partner_headers(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, LOCK))
    client = kisi.client(integration_identifier="Club Bridge", integration_contact="ops@club.test")

    client.get_lock(7)

    headers = kisi.requests[0].headers
    assert headers["Authorization"] == f"KISI-LOGIN {API_KEY}"
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Kisi-Integration-Identifier"] == "Club Bridge"
    assert headers["X-Kisi-Integration-Contact"] == "ops@club.test"


def test_partner_contact_header_is_left_out_when_not_configured(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, LOCK))

    kisi.client(integration_contact=None).get_lock(7)

    assert "X-Kisi-Integration-Contact" not in kisi.requests[0].headers
    assert kisi.requests[0].headers["X-Kisi-Integration-Identifier"]


def test_base_url_is_configurable_and_a_trailing_slash_is_harmless(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, LOCK))

    kisi.client(base_url="http://127.0.0.1:8765/").get_lock(7)

    assert str(kisi.requests[0].url) == "http://127.0.0.1:8765/locks/7"


@pytest.mark.parametrize("base_url", ["api.kisi.io", "ftp://api.kisi.io", "https://"])
def test_a_base_url_that_is_not_absolute_http_is_refused(kisi: FakeKisi, base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        kisi.client(base_url=base_url)


@pytest.mark.parametrize("api_key", ["", " padded "])
def test_an_empty_or_padded_api_key_is_refused_without_echoing_it(api_key: str) -> None:
    with pytest.raises(ValueError, match="api_key") as raised:
        KisiClient(api_key, http_client=httpx.Client())
    if api_key:
        assert api_key.strip() not in str(raised.value)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, KisiError),
        (401, KisiInvalidCredentials),
        (403, KisiForbidden),
        (404, KisiNotFound),
        (409, KisiConflict),
        (429, KisiRateLimited),
        (500, KisiUnavailable),
        (503, KisiUnavailable),
    ],
)
def test_statuses_map_to_errors_that_keep_kisis_code_and_message(
    kisi: FakeKisi, status: int, error_class: type[KisiError]
) -> None:
    kisi.route("GET", "/locks/7", kisi_error(status, "c0ffee", "Something specific"))

    with pytest.raises(error_class) as raised:
        kisi.client(retry=kisi_client.NO_RETRY).get_lock(7)

    error = raised.value
    assert type(error) is error_class
    assert (error.status_code, error.code, error.message) == (
        status,
        "c0ffee",
        "Something specific",
    )
    assert error.endpoint == "GET /locks/{lock_id}"
    assert "c0ffee" in str(error)
    assert "Something specific" in str(error)


def test_validation_error_carries_kisis_field_errors(kisi: FakeKisi) -> None:
    errors = {"email": ["is invalid", "is too long"], "name": ["can't be blank"]}
    kisi.route("POST", "/users", kisi_json(422, {"errors": errors}))

    with pytest.raises(KisiValidationError) as raised:
        kisi.client().create_user("x@club.test", None, send_emails=False, marker="bridge")

    assert raised.value.errors == errors
    assert raised.value.status_code == 422
    assert "email: is invalid, is too long" in str(raised.value)
    assert len(kisi.requests) == 1


def test_error_with_a_non_json_body_still_maps_by_status(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks/7", httpx.Response(502, text="<html>Bad gateway</html>"))

    with pytest.raises(KisiUnavailable) as raised:
        kisi.client(retry=kisi_client.NO_RETRY).get_lock(7)

    assert raised.value.code is None
    assert "502" in str(raised.value)
    assert raised.value.possibly_executed


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, content=b'{"id": 7, "name": '),
        httpx.Response(200, content=b""),
    ],
    ids=["html", "truncated-json", "empty"],
)
def test_a_body_that_is_not_json_raises_a_clear_kisi_error(
    kisi: FakeKisi, answer: httpx.Response
) -> None:
    kisi.route("GET", "/locks/7", answer)

    with pytest.raises(KisiMalformedResponse, match="not JSON") as raised:
        kisi.client().get_lock(7)

    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None
    assert len(kisi.requests) == 1


@pytest.mark.parametrize(
    "body",
    [[LOCK], {"name": "no id"}, {"id": "not-a-number"}, "just a string"],
    ids=["array-for-object", "missing-id", "bad-id", "string"],
)
def test_an_unexpected_object_shape_raises_a_clear_kisi_error(kisi: FakeKisi, body: object) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, body))

    with pytest.raises(KisiMalformedResponse, match="unexpected Lock") as raised:
        kisi.client().get_lock(7)

    assert raised.value.__context__ is None


def test_a_listing_that_is_not_an_array_raises_a_clear_kisi_error(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks", kisi_json(200, {"locks": [LOCK]}))

    with pytest.raises(KisiMalformedResponse, match="not a JSON array"):
        list(kisi.client().iter_locks())


def test_deprecation_headers_log_one_warning_per_endpoint(
    kisi: FakeKisi, caplog: pytest.LogCaptureFixture
) -> None:
    kisi.route(
        "GET",
        "/locks/7",
        kisi_json(200, LOCK, Deprecation="true", Sunset="Wed, 01 Jul 2026 00:00:00 GMT"),
    )
    client = kisi.client()

    with caplog.at_level(logging.WARNING, logger="kisi_client"):
        client.get_lock(7)
        client.get_lock(7)

    warnings = [r for r in caplog.records if r.name == "kisi_client" and "deprecated" in r.message]
    assert len(warnings) == 1
    assert "GET /locks/{lock_id}" in warnings[0].getMessage()
    assert "01 Jul 2026" in warnings[0].getMessage()


def test_no_deprecation_warning_without_the_headers(
    kisi: FakeKisi, caplog: pytest.LogCaptureFixture
) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, LOCK))

    with caplog.at_level(logging.WARNING, logger="kisi_client"):
        kisi.client().get_lock(7)

    assert not caplog.records


def test_requests_are_counted_per_endpoint_template(kisi: FakeKisi) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, LOCK))
    kisi.route("GET", "/locks/8", kisi_json(200, {**LOCK, "id": 8}))
    kisi.route("DELETE", "/role_assignments/3", httpx.Response(503), httpx.Response(204))
    client = kisi.client()

    client.get_lock(7)
    client.get_lock(8)
    client.remove_assignment(3)

    assert client.request_counts == {
        "GET /locks/{lock_id}": 2,
        "DELETE /role_assignments/{assignment_id}": 2,
    }
    assert client.total_requests == 4


def test_clients_without_an_http_client_share_the_process_pool(
    kisi: FakeKisi, monkeypatch: pytest.MonkeyPatch
) -> None:
    kisi.route("GET", "/locks/7", kisi_json(200, LOCK))
    pool = httpx.Client(transport=httpx.MockTransport(kisi.handle))
    monkeypatch.setattr(kisi_client.transport._SHARED_POOL, "_client", pool)

    first = KisiClient(API_KEY, base_url=BASE_URL, pacers=kisi.pacers)
    second = KisiClient("another-key", base_url=BASE_URL, pacers=kisi.pacers)
    first.get_lock(7)
    second.get_lock(7)

    assert shared_http_client() is pool
    assert [r.headers["Authorization"] for r in kisi.requests] == [
        f"KISI-LOGIN {API_KEY}",
        "KISI-LOGIN another-key",
    ]
    assert "authorization" not in pool.headers


def test_the_shared_pool_is_created_once_and_replaced_when_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kisi_client.transport._SHARED_POOL, "_client", None)

    pool = shared_http_client()
    assert shared_http_client() is pool
    pool.close()
    replacement = shared_http_client()

    assert replacement is not pool
    assert not replacement.is_closed
    replacement.close()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("soon", None),
        ("nan", None),
        ("-2", None),
        ("Wed, 01 Jan 2025 00:00:10 GMT", 10.0),
        ("Tue, 31 Dec 2024 23:59:00 GMT", 0.0),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(header: str | None, expected: float) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)

    assert parse_retry_after(header, now=now) == expected


def test_retry_after_http_date_is_relative_to_now() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    in_a_minute = (now + timedelta(minutes=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")

    assert parse_retry_after(in_a_minute, now=now) == 60.0
