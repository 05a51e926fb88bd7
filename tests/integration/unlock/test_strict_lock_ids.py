"""Lock ids are strict integers (issue 14, L4): a path id that is not plain decimal digits, and a
JSON lock id that is not a JSON integer, are refused with 422 naming the field; nothing opens."""

from __future__ import annotations

import pytest

from tests.integration.harness import AdminApi, Club, UnlockApi
from tests.integration.unlock.conftest import Doors, book, kisi_unlocks


@pytest.mark.parametrize("written", ["6.0", "06", "+6", "6_0", " 6", "6e0", "0x6", "-6"])
def test_a_lock_id_not_written_in_digits_is_refused(
    club: Club, doors: Doors, player: UnlockApi, written: str
) -> None:
    book(club)
    answer = player.unlock("res-1", written)
    assert answer.status == 422, answer.body
    assert answer.body["error"] == "invalid_request"
    assert [f["field"] for f in answer.body["fields"]] == ["path.lock_id"]
    assert kisi_unlocks(club) == []


@pytest.mark.parametrize("lock_id", ["6", 6.0, True])
def test_a_lock_id_that_is_not_a_json_integer_is_refused(
    club: Club, doors: Doors, admin: AdminApi, lock_id: object
) -> None:
    answer = admin("PUT", "/locks/enabled", {"lock_ids": [lock_id]})
    assert answer.status == 422, answer.body
    assert answer.body["fields"][0]["field"].startswith("body.lock_ids")
