"""The API key never shows in a log line, an error, or the repr/str of anything the client holds."""

import logging
import traceback

import httpx
import pytest

from pushpress_client import NO_RETRY, PushPressAuthError, PushPressError, RetryPolicy

from .fakes import API_KEY, COMPANY_ID, FakePushPress, customer, error


def exception_chain(failure: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = failure
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def assert_error_is_clean(failure: PushPressError) -> None:
    assert API_KEY not in str(failure)
    assert API_KEY not in repr(failure)
    assert API_KEY not in "".join(traceback.format_exception(failure))
    # httpx exceptions hold the request, and the request holds the API-KEY header.
    assert not any(isinstance(e, httpx.HTTPError) for e in exception_chain(failure))
    assert not any(isinstance(v, httpx.Request | httpx.Response) for v in vars(failure).values())


def test_client_repr_and_str_hide_the_key(pushpress: FakePushPress) -> None:
    client = pushpress.client()

    for text in (repr(client), str(client), repr(vars(client)), repr(vars(client._transport))):
        assert API_KEY not in text
    assert "pushpress.test" in repr(client)
    assert COMPANY_ID in repr(client)


@pytest.mark.parametrize(
    "failure",
    [
        error(401, "Unauthorized"),
        error(503, "down"),
        httpx.ReadTimeout("simulated"),
        httpx.ConnectError("refused"),
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json={"unexpected": "shape"}),
    ],
    ids=["401", "503", "timeout", "connect", "not-json", "bad-shape"],
)
def test_errors_hold_neither_the_key_nor_the_request(
    pushpress: FakePushPress, failure: httpx.Response | Exception
) -> None:
    pushpress.route("GET", "/customers/usr_1", failure)

    with pytest.raises(PushPressError) as raised:
        pushpress.client(retry=RetryPolicy(max_attempts=2, jitter=lambda: 0.0)).get_customer(
            "usr_1"
        )

    assert_error_is_clean(raised.value)


def test_a_key_echoed_back_by_the_server_is_redacted(pushpress: FakePushPress) -> None:
    pushpress.route("GET", "/company", error(401, f"Unknown API-KEY {API_KEY}"))

    with pytest.raises(PushPressAuthError) as raised:
        pushpress.client(retry=NO_RETRY).validate_credentials()

    assert_error_is_clean(raised.value)
    assert "Unknown API-KEY [redacted]" in str(raised.value)


def test_no_log_line_carries_the_key(
    pushpress: FakePushPress, caplog: pytest.LogCaptureFixture
) -> None:
    pushpress.route(
        "GET",
        "/customers/usr_1",
        httpx.Response(503),
        error(429, f"slow down {API_KEY}", **{"Retry-After": "1"}),
        httpx.ReadTimeout("simulated"),
        httpx.Response(200, json=customer(1)),
    )

    with caplog.at_level(logging.DEBUG):
        pushpress.client().get_customer("usr_1")

    messages = [record.getMessage() for record in caplog.records]
    assert any("retrying" in m for m in messages)
    assert not [m for m in messages if API_KEY in m]


def test_a_bad_key_is_refused_without_echoing_it(pushpress: FakePushPress) -> None:
    with pytest.raises(ValueError) as raised:
        pushpress.client().__class__(f" {API_KEY}\n")

    assert API_KEY not in str(raised.value)
