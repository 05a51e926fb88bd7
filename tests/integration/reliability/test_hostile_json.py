"""Bodies no parser should crash on (issue 14, L1): a 5,000-digit number (over Python's int
conversion limit) and 20,000 nested arrays (over its recursion limit), on the Admin API and in
authentic (signed) webhooks on every platform, get a 4xx naming the problem and change nothing."""

from __future__ import annotations

import json

import pytest

from tests.integration.harness import (
    AdminApi,
    Club,
    native_headers,
    stack_contents,
)

HUGE_NUMBER = "1" * 5000
DEEP = "[" * 20_000 + "]" * 20_000


def settings_with(value: str) -> bytes:
    return (
        '{"platform": "canonical", "door_access_enabled": true, '
        f'"pre_reservation_window_minutes": {value}}}'
    ).encode()


@pytest.fixture
def admin(club: Club) -> AdminApi:
    return AdminApi(club.stack)


@pytest.mark.parametrize("value", [HUGE_NUMBER, DEEP], ids=["5000 digits", "20000 deep"])
def test_the_admin_api_answers_400(club: Club, admin: AdminApi, value: str) -> None:
    before = stack_contents(club.stack)
    answer = admin(
        "PUT",
        "/settings",
        raw_body=settings_with(value),
        headers={"content-type": "application/json"},
    )
    assert answer.status == 400, answer.body
    assert answer.body["error"] == "malformed_json"
    assert stack_contents(club.stack) == before


def canonical_body(value: str) -> bytes:
    return (
        '{"id": "evt-hostile", "type": "membership.upserted", "data": {"member_id": "m1", '
        f'"email": "a@example.com", "status": "active", "updated_at": {value}}}}}'
    ).encode()


def native_body(platform: str, value: str) -> bytes:
    if platform == "pushpress":
        return (
            f'{{"event": "enrollment.created", "created": 1, "data": {{"id": {value}}}}}'.encode()
        )
    return f'{{"event": "reservation.created", "data": {{"id": {value}}}}}'.encode()


@pytest.mark.parametrize("value", [HUGE_NUMBER, DEEP], ids=["5000 digits", "20000 deep"])
@pytest.mark.parametrize("platform", ["canonical", "pushpress", "playbypoint"])
def test_signed_webhooks_answer_4xx(club: Club, platform: str, value: str) -> None:
    before = stack_contents(club.stack)
    if platform == "canonical":
        answer = club.post_platform("canonical", canonical_body(value))
    else:
        body = native_body(platform, value)
        try:
            headers = native_headers(platform, body)
        except (ValueError, RecursionError):
            headers = {"webhook-signature": "0" * 64}  # no signer can read it either
        answer = club.stack.post_webhook(
            platform, "club-1", body, secret=None, extra_headers=headers
        )
    assert 400 <= answer.status < 500, answer.body
    assert "error" in answer.body
    assert stack_contents(club.stack) == before
    json.dumps(answer.body)  # a JSON answer
