"""Bodies over a function's limit are refused from the raw event, before anything is decoded
(`http/events.refuse_oversized_body`): HTTP APIs accept up to 10 MB and have no smaller setting."""

from __future__ import annotations

import base64
import json

import pytest

from access_core.http.events import refuse_oversized_body

pytestmark = pytest.mark.unit

LIMIT = 1024


def test_a_body_over_the_limit_is_a_413_naming_the_limit() -> None:
    answer = refuse_oversized_body({"body": "x" * (LIMIT + 1)}, LIMIT)
    assert answer is not None
    assert answer["statusCode"] == 413
    body = json.loads(answer["body"])
    assert body["error"] == "payload_too_large"
    assert str(LIMIT) in body["message"]


def test_a_base64_body_is_judged_by_its_decoded_size() -> None:
    just_over = base64.b64encode(b"x" * (LIMIT + 3)).decode()
    at_limit = base64.b64encode(b"x" * LIMIT).decode()
    assert refuse_oversized_body({"body": just_over, "isBase64Encoded": True}, LIMIT) is not None
    assert refuse_oversized_body({"body": at_limit, "isBase64Encoded": True}, LIMIT) is None
    # Its encoded length is over the limit, its bytes are not.
    assert len(at_limit) > LIMIT


@pytest.mark.parametrize("event", [{}, {"body": None}, {"body": ""}, {"body": "x" * LIMIT}])
def test_no_body_or_one_within_the_limit_goes_on(event: dict[str, object]) -> None:
    assert refuse_oversized_body(event, LIMIT) is None
