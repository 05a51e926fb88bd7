"""The API key never shows in a log line, an error, or the repr/str of anything the client holds."""

import logging
import traceback

import httpx
import pytest

from kisi_client import KisiError, KisiInvalidCredentials, KisiValidationError, RetryPolicy

from .kisi_fakes import API_KEY, FakeKisi, kisi_error, kisi_json

LOCK = {"id": 7, "name": "Front door"}


def exception_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def assert_error_is_clean(error: KisiError) -> None:
    assert API_KEY not in str(error)
    assert API_KEY not in repr(error)
    assert API_KEY not in "".join(traceback.format_exception(error))
    # httpx exceptions hold the request, and the request holds the Authorization header.
    assert not any(isinstance(e, httpx.HTTPError) for e in exception_chain(error))
    assert not any(isinstance(v, httpx.Request | httpx.Response) for v in vars(error).values())


def test_client_repr_and_str_hide_the_key(kisi: FakeKisi) -> None:
    client = kisi.client()

    for text in (repr(client), str(client), repr(vars(client)), repr(vars(client._transport))):
        assert API_KEY not in text
    assert "kisi.test" in repr(client)


@pytest.mark.parametrize(
    "failure",
    [
        kisi_error(401, "000401", "Invalid API key"),
        kisi_error(503, "fac001", "Controller unavailable"),
        httpx.ReadTimeout("simulated"),
        httpx.ConnectError("refused"),
        httpx.Response(200, text="<html>"),
        kisi_json(200, {"unexpected": "shape"}),
    ],
    ids=["401", "503", "timeout", "connect", "not-json", "bad-shape"],
)
def test_errors_hold_neither_the_key_nor_the_request(
    kisi: FakeKisi, failure: httpx.Response | Exception
) -> None:
    kisi.route("GET", "/locks/7", failure)

    with pytest.raises(KisiError) as raised:
        kisi.client(retry=RetryPolicy(max_attempts=2, jitter=lambda: 0.0)).get_lock(7)

    assert_error_is_clean(raised.value)


def test_a_key_echoed_back_by_the_server_is_redacted(kisi: FakeKisi) -> None:
    kisi.route("GET", "/user", kisi_error(401, "000401", f"Unknown key {API_KEY}"))
    kisi.route("POST", "/users", kisi_json(422, {"errors": {"notes": [f"bad: {API_KEY}"]}}))
    client = kisi.client()

    with pytest.raises(KisiInvalidCredentials) as invalid:
        client.validate_credentials()
    with pytest.raises(KisiValidationError) as rejected:
        client.create_user("a@club.test", "A", send_emails=False, marker="bridge")

    assert_error_is_clean(invalid.value)
    assert "Unknown key [redacted]" in str(invalid.value)
    assert rejected.value.errors == {"notes": ["bad: [redacted]"]}


def test_no_log_line_carries_the_key(kisi: FakeKisi, caplog: pytest.LogCaptureFixture) -> None:
    kisi.route(
        "GET",
        "/locks/7",
        httpx.Response(503),
        kisi_error(429, "000429", "Slow down", **{"Retry-After": "1"}),
        httpx.ReadTimeout("simulated"),
        kisi_json(200, LOCK, Deprecation="true"),
    )
    kisi.route("POST", "/users", kisi_error(409, "0c0c0c", "taken"))
    kisi.collection("/users", [{"id": 3, "email": "a@club.test"}])
    client = kisi.client()

    with caplog.at_level(logging.DEBUG):
        client.get_lock(7)
        client.ensure_user("a@club.test", "A", send_emails=False, marker="bridge")

    messages = [record.getMessage() for record in caplog.records]
    assert any("retrying" in m for m in messages)
    assert any("deprecated" in m for m in messages)
    assert not [m for m in messages if API_KEY in m]
