"""A returning member costs one Kisi call (issue 15): the Kisi user found or created for the
member is remembered when its access is revoked, so the grant on return is the assignment alone,
not a create that Kisi refuses (409), a lookup and then the assignment."""

from __future__ import annotations

from datetime import timedelta

import httpx

from kisi_emulator.testing import kisi_headers
from tests.integration.harness import API_KEY, T0, Club

NOA = "noa@example.com"


def test_a_returning_member_is_granted_with_one_kisi_call(club: Club) -> None:
    club.membership("noa", NOA, "active", T0)
    club.converge()
    club.membership("noa", NOA, "cancelled", T0 + timedelta(days=1))
    club.converge()
    assert NOA not in club.group_emails()
    assert NOA in club.stored_member("noa").kisi.known_users

    club.kisi.emulator.reset_counts()
    club.membership("noa", NOA, "active", T0 + timedelta(days=2))
    club.converge()

    assert NOA in club.group_emails()
    assert club.kisi.emulator.counts()["total"] == 1
    assert len(club.users_by_email()[NOA]) == 1


def test_a_remembered_user_deleted_by_hand_is_found_or_created_again(club: Club) -> None:
    club.membership("noa", NOA, "active", T0)
    club.converge()
    club.membership("noa", NOA, "cancelled", T0 + timedelta(days=1))
    club.converge()
    user_id = club.stored_member("noa").kisi.known_users[NOA].user_id
    deleted = httpx.delete(f"{club.kisi.base_url}/users/{user_id}", headers=kisi_headers(API_KEY))
    assert deleted.status_code in (200, 204)

    club.membership("noa", NOA, "active", T0 + timedelta(days=2))
    club.converge()
    assert NOA in club.group_emails()
    [grant] = club.stored_member("noa").kisi.grants
    assert grant.user_id != user_id
    assert len(club.users_by_email()[NOA]) == 1
