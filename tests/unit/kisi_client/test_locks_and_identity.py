"""Locks, unlock (its retry policy and failure reasons), groups, and the credential check."""

import httpx
import pytest

from kisi_client import (
    NO_RETRY,
    KisiConflict,
    KisiError,
    KisiForbidden,
    KisiInvalidCredentials,
    KisiNotFound,
    KisiRateLimited,
    KisiUnavailable,
    UnlockFailureReason,
)
from tests.fakes import FakeClock

from .kisi_fakes import FakeKisi, kisi_error, kisi_json

ORGANIZATION = {"id": 3, "name": "Club", "domain": "club"}


def test_locks_parse_with_nullable_and_missing_fields(kisi: FakeKisi) -> None:
    kisi.collection(
        "/locks",
        [
            {
                "id": 1,
                "name": "Front",
                "description": None,
                "place": {"id": 4, "name": "HQ", "address": "ignored"},
                "online": None,
                "configured": True,
                "locked_down": False,
                "time_restriction_enabled": True,
                "reader_restriction_enabled": True,
            },
            {"id": 2},
        ],
    )

    front, bare = kisi.client().iter_locks()

    assert (front.place_id, front.place and front.place.name) == (4, "HQ")
    assert front.online is None
    assert (front.configured, front.locked_down, front.time_restriction_enabled) == (
        True,
        False,
        True,
    )
    assert (bare.id, bare.name, bare.online) == (2, None, None)


def test_locks_can_be_listed_for_one_place(kisi: FakeKisi) -> None:
    kisi.collection("/locks", [])

    list(kisi.client().iter_locks(place_id=4))

    assert kisi.requests[0].url.params["place_id"] == "4"


def test_get_lock_404_keeps_kisis_code(kisi: FakeKisi) -> None:
    with pytest.raises(KisiNotFound) as raised:
        kisi.client().get_lock(999)

    assert raised.value.code == "000404"


def test_unlock_returns_kisis_message(kisi: FakeKisi) -> None:
    kisi.route("POST", "/locks/7/unlock", kisi_json(200, {"message": "Unlocked!"}))

    assert kisi.client().unlock(7) == "Unlocked!"
    assert kisi.requests[0].content == b""


def test_an_unlock_answered_2xx_is_a_success_even_with_an_unreadable_body(
    kisi: FakeKisi,
) -> None:
    kisi.route("POST", "/locks/7/unlock", httpx.Response(200, text="OK"))

    assert kisi.client().unlock(7) == ""


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(503), httpx.ReadTimeout("simulated"), httpx.RemoteProtocolError("dropped")],
    ids=["503", "read-timeout", "dropped"],
)
def test_unlock_is_not_retried_after_an_ambiguous_failure(
    kisi: FakeKisi, failure: httpx.Response | Exception
) -> None:
    kisi.route("POST", "/locks/7/unlock", failure, kisi_json(200, {"message": "Unlocked!"}))

    with pytest.raises(KisiUnavailable) as raised:
        kisi.client().unlock(7)

    assert len(kisi.requests) == 1
    assert raised.value.unlock_failure_reason is UnlockFailureReason.KISI_UNAVAILABLE


@pytest.mark.parametrize(
    "failure",
    [kisi_error(429, "000429", "Too many", **{"Retry-After": "1"}), httpx.ConnectError("refused")],
    ids=["429", "connect-error"],
)
def test_unlock_is_retried_when_kisi_provably_did_not_act(
    kisi: FakeKisi, clock: FakeClock, failure: httpx.Response | Exception
) -> None:
    kisi.route("POST", "/locks/7/unlock", failure, kisi_json(200, {"message": "Unlocked!"}))

    assert kisi.client().unlock(7) == "Unlocked!"
    assert len(kisi.requests) == 2


@pytest.mark.parametrize(
    ("status", "code", "error_class", "reason"),
    [
        (403, "fcd8ef", KisiForbidden, UnlockFailureReason.DENIED),
        (403, "afc496", KisiForbidden, UnlockFailureReason.DENIED),
        (403, "fcd8ff", KisiForbidden, UnlockFailureReason.DISABLED),
        (403, "34ffaa", KisiForbidden, UnlockFailureReason.SCHEDULE),
        (403, "f35ade", KisiForbidden, UnlockFailureReason.EXPIRED),
        (403, "f358de", KisiForbidden, UnlockFailureReason.NOT_YET_VALID),
        (409, "fad001", KisiConflict, UnlockFailureReason.LOCKED_DOWN),
        (404, "fad10e", KisiNotFound, UnlockFailureReason.DOOR_NOT_FOUND),
        (503, "fac001", KisiUnavailable, UnlockFailureReason.DEVICE_UNAVAILABLE),
        (503, "FAC004", KisiUnavailable, UnlockFailureReason.DEVICE_UNAVAILABLE),
        (503, "fad107", KisiUnavailable, UnlockFailureReason.LOCK_OFFLINE),
        (503, "ffffff", KisiUnavailable, UnlockFailureReason.UNEXPECTED),
        (401, "000401", KisiInvalidCredentials, UnlockFailureReason.INVALID_CREDENTIALS),
        (429, "000429", KisiRateLimited, UnlockFailureReason.RATE_LIMITED),
        (409, "123456", KisiConflict, UnlockFailureReason.UNEXPECTED),
        (403, None, KisiForbidden, UnlockFailureReason.DENIED),
        (404, None, KisiNotFound, UnlockFailureReason.DOOR_NOT_FOUND),
        (400, None, KisiError, UnlockFailureReason.UNEXPECTED),
    ],
)
def test_unlock_failures_say_why_from_kisis_code(
    kisi: FakeKisi,
    status: int,
    code: str | None,
    error_class: type[KisiError],
    reason: UnlockFailureReason,
) -> None:
    body = {"error": "Nope"} if code is None else {"error": "Nope", "code": code}
    kisi.route("POST", "/locks/7/unlock", kisi_json(status, body))

    with pytest.raises(error_class) as raised:
        kisi.client(retry=NO_RETRY).unlock(7)

    assert raised.value.unlock_failure_reason is reason
    assert raised.value.code == code


def test_validate_credentials_gives_the_user_and_organisation(kisi: FakeKisi) -> None:
    kisi.route(
        "GET",
        "/user",
        kisi_json(200, {"id": 12, "email": "admin@club.test", "organization": ORGANIZATION}),
    )

    identity = kisi.client().validate_credentials()

    assert (identity.user_id, identity.user_email) == (12, "admin@club.test")
    assert (identity.organization.id, identity.organization.domain) == (3, "club")
    assert identity.rate_limit_key == "kisi-user:12"
    assert len(kisi.requests) == 1


def test_validate_credentials_asks_for_the_organisation_when_the_user_lacks_it(
    kisi: FakeKisi,
) -> None:
    kisi.route("GET", "/user", kisi_json(200, {"id": 12, "email": "admin@club.test"}))
    kisi.route("GET", "/organization", kisi_json(200, ORGANIZATION))

    identity = kisi.client().validate_credentials()

    assert identity.organization.name == "Club"


def test_an_invalid_key_fails_validation_with_kisis_message(kisi: FakeKisi) -> None:
    kisi.route("GET", "/user", kisi_error(401, "000401", "Invalid API key"))

    with pytest.raises(KisiInvalidCredentials, match="Invalid API key"):
        kisi.client().validate_credentials()

    assert len(kisi.requests) == 1


def test_get_group_parses_the_group(kisi: FakeKisi) -> None:
    kisi.route(
        "GET",
        "/groups/9",
        kisi_json(200, {"id": 9, "name": "24h members", "users_count": 120, "locks_count": 2}),
    )

    group = kisi.client().get_group(9)

    assert (group.name, group.users_count, group.locks_count) == ("24h members", 120, 2)
