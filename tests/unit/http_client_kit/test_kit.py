"""The HTTP client kit on its own, through a minimal client of a made-up API ("Demo"): what every
client built on it gets without writing it (errors told and redacted, retries, pacing per
identity, the shared pool, the transport's mapping of answers and failures)."""

import logging
from typing import ClassVar

import httpx
import pytest
from pydantic import BaseModel

from http_client_kit.errors import REDACTED, HttpApiError
from http_client_kit.pacing import PacerRegistry, api_key_digest
from http_client_kit.retry import RetryPolicy
from http_client_kit.transport import (
    ApiClient,
    ApiRequest,
    HttpTransport,
    SharedPool,
    checked_base_url,
)
from tests.fakes import FakeClock

from .scripted_api import ScriptedApi

API_KEY = "demo-secret-key-0123456789"
BASE_URL = "https://demo.test/api"


class DemoError(HttpApiError):
    pass


class DemoUnavailable(DemoError):
    retryable = True


class DemoMalformed(DemoError):
    pass


class Thing(BaseModel):
    id: int
    name: str


class DemoTransport(HttpTransport):
    service = "Demo"
    log = logging.getLogger("demo_client")
    idempotent_methods = frozenset({"GET"})
    unavailable_error = DemoUnavailable
    malformed_error = DemoMalformed

    inspected: ClassVar[list[str]] = []

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"X-Demo-Key": api_key}

    def error_from_response(self, response: httpx.Response, endpoint: str) -> HttpApiError:
        error_class = DemoUnavailable if response.status_code >= 500 else DemoError
        return error_class(
            response.text,
            status_code=response.status_code,
            endpoint=endpoint,
            retry_after=0.5,
            possibly_executed=response.status_code >= 500,
        )

    def inspect(self, response: httpx.Response, endpoint: str) -> None:
        self.inspected.append(f"{endpoint} {response.status_code}")


class DemoClient(ApiClient):
    _transport: DemoTransport

    def __init__(self, api: ScriptedApi, *, retry: RetryPolicy | None = None) -> None:
        pacers = PacerRegistry(clock=api.clock.monotonic, sleep=api.clock.sleep)
        self._transport = DemoTransport(
            API_KEY,
            pacer=pacers.pacer_for("demo", requests_per_second=1000),
            retry=retry or RetryPolicy(jitter=lambda: 0.0),
            base_url=BASE_URL + "/",
            example_base_url="https://demo.example",
            timeout=5.0,
            http_client=api.http_client(),
            pool=SharedPool(httpx.Timeout(5.0)),
            static_headers={"Accept": "application/json"},
        )

    def thing(self, thing_id: int | str) -> Thing:
        return self._transport.fetch(ApiRequest("GET", "/things/{id}", {"id": thing_id}), Thing)

    def create(self, name: str) -> httpx.Response:
        return self._transport.send(ApiRequest("POST", "/things", body={"name": name}))


class DemoApi(ScriptedApi):
    raw_paths = True


@pytest.fixture
def api(clock: FakeClock) -> ScriptedApi:
    DemoTransport.inspected.clear()
    return DemoApi(clock)


# -- errors --


def test_an_error_tells_its_endpoint_and_status_and_shows_its_fields() -> None:
    error = DemoError("nope", status_code=409, endpoint="POST /things")

    assert str(error) == "nope (POST /things, HTTP 409)"
    assert str(DemoError("bare")) == "bare"
    assert repr(error) == "DemoError(message='nope', status_code=409, endpoint='POST /things')"
    assert not error.retryable
    assert DemoUnavailable("down").retryable


def test_redact_takes_the_secret_out_of_the_message_and_the_args() -> None:
    error = DemoError(f"bad key {API_KEY}!")

    assert error.redact(API_KEY) is error
    assert error.message == f"bad key {REDACTED}!"
    assert error.args == (error.message,)
    assert API_KEY not in str(error)


# -- retries --


def test_the_policy_retries_only_what_is_retryable_and_safe() -> None:
    policy = RetryPolicy(jitter=lambda: 0.0)

    assert (
        policy.delay_before_retry(DemoError("x"), attempts_made=1, waited=0, idempotent=True)
        is None
    )
    unavailable = DemoUnavailable("down", possibly_executed=True)
    assert policy.delay_before_retry(unavailable, attempts_made=1, waited=0, idempotent=True) == 1.0
    assert (
        policy.delay_before_retry(unavailable, attempts_made=1, waited=0, idempotent=False) is None
    )
    never_sent = DemoUnavailable("refused", retry_after=2.0)
    assert policy.delay_before_retry(never_sent, attempts_made=1, waited=0, idempotent=False) == 2.0


# -- pacing --


def test_a_registry_without_a_default_rate_needs_one_for_a_new_identity(clock: FakeClock) -> None:
    pacers = PacerRegistry(clock=clock.monotonic, sleep=clock.sleep)

    with pytest.raises(ValueError, match="requests_per_second"):
        pacers.pacer_for("demo")
    first = pacers.pacer_for("demo", requests_per_second=3.0)
    assert pacers.pacer_for("demo") is first
    with pytest.raises(ValueError, match="positive"):
        pacers.pacer_for("other", requests_per_second=0)


def test_a_registry_subclass_names_the_default_rate() -> None:
    class TwoPerSecond(PacerRegistry):
        default_requests_per_second = 2.0

    assert TwoPerSecond().pacer_for("demo").requests_per_second == 2.0


def test_the_key_digest_is_stable_short_and_not_the_key() -> None:
    digest = api_key_digest(API_KEY)

    assert digest == api_key_digest(API_KEY)
    assert len(digest) == 16
    assert API_KEY not in digest
    assert digest != api_key_digest(API_KEY + "x")


# -- the pool and the base URL --


def test_a_shared_pool_is_made_once_and_anew_when_closed() -> None:
    pool = SharedPool(httpx.Timeout(3.0))

    first = pool.get()
    assert pool.get() is first
    first.close()
    second = pool.get()
    assert second is not first
    assert not second.is_closed
    second.close()


@pytest.mark.parametrize("base_url", ["demo.test", "ftp://demo.test", "https://"])
def test_a_base_url_must_be_absolute_http(base_url: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. https://demo\.example"):
        checked_base_url(base_url, "https://demo.example")


# -- the transport --


def test_requests_carry_the_key_first_then_the_static_headers_and_are_counted(
    api: ScriptedApi,
) -> None:
    api.route("GET", "/api/things/a%2Fb", httpx.Response(200, json={"id": 1, "name": "one"}))
    client = DemoClient(api)

    assert client.thing("a/b") == Thing(id=1, name="one")

    request = api.requests[0]
    assert list(request.headers)[-2:] == ["x-demo-key", "accept"]
    assert request.headers["X-Demo-Key"] == API_KEY
    assert client.base_url == BASE_URL
    assert client.request_counts == {"GET /things/{id}": 1}
    assert client.total_requests == 1
    assert client.pacer.requests_per_second == 1000
    assert DemoTransport.inspected == ["GET /things/{id} 200"]


def test_an_error_answer_is_mapped_by_the_client_and_redacted(api: ScriptedApi) -> None:
    api.route("GET", "/api/things/1", httpx.Response(403, text=f"key {API_KEY} refused"))

    with pytest.raises(DemoError) as raised:
        DemoClient(api).thing(1)

    assert raised.value.status_code == 403
    assert raised.value.message == f"key {REDACTED} refused"
    assert raised.value.__cause__ is None
    assert DemoTransport.inspected == ["GET /things/{id} 403"]


def test_a_get_is_retried_through_the_pacer_and_a_post_after_a_5xx_is_not(
    api: ScriptedApi, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    api.route(
        "GET",
        "/api/things/1",
        httpx.Response(503),
        httpx.Response(200, json={"id": 1, "name": "x"}),
    )
    api.route("POST", "/api/things", httpx.Response(503))
    client = DemoClient(api)

    with caplog.at_level(logging.WARNING, logger="demo_client"):
        assert client.thing(1).name == "x"
    with pytest.raises(DemoUnavailable):
        client.create("new")

    assert api.request_times[1] - api.request_times[0] == pytest.approx(0.5)
    assert "Demo call failed, retrying in 0.50 s (attempt 2 of 4)" in caplog.text
    assert client.request_counts == {"GET /things/{id}": 2, "POST /things": 1}


@pytest.mark.parametrize(
    ("failure", "possibly_executed"),
    [(httpx.ConnectError("refused"), False), (httpx.ReadTimeout("slow"), True)],
)
def test_a_transport_failure_is_the_clients_unavailable_error(
    api: ScriptedApi, failure: Exception, possibly_executed: bool
) -> None:
    api.route("POST", "/api/things", failure)

    with pytest.raises(DemoUnavailable) as raised:
        DemoClient(api, retry=RetryPolicy(max_attempts=1)).create("new")

    assert raised.value.possibly_executed is possibly_executed
    assert raised.value.message.startswith(f"Demo could not be reached: {type(failure).__name__}")
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None


def test_a_body_that_is_not_json_or_not_the_model_is_malformed(api: ScriptedApi) -> None:
    api.route(
        "GET",
        "/api/things/1",
        httpx.Response(200, text="<html>", headers={"Content-Type": "text/html"}),
        httpx.Response(200, json={"id": "one"}),
    )
    client = DemoClient(api)

    with pytest.raises(DemoMalformed, match=r"not JSON \(text/html, 6 bytes\)") as not_json:
        client.thing(1)
    with pytest.raises(DemoMalformed, match="unexpected Thing shape") as wrong_shape:
        client.thing(1)

    assert not_json.value.status_code == 200
    assert not not_json.value.possibly_executed
    assert "2 problem(s); first at id" in wrong_shape.value.message
