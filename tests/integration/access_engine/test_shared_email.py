"""Two members on one email (a family): Kisi has one user and one assignment for them, and it stays
while either is entitled, until the later of their ends (issue 14)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.integration.harness import T0, Club

FAMILY = "family@club.example"


def valid_until(club: Club) -> datetime | None:
    raw = club.group_assignments()[FAMILY].get("valid_until")
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


def test_revoking_one_member_keeps_the_access_of_the_other(club: Club) -> None:
    club.membership("parent", FAMILY, "active", T0)
    club.membership("child", FAMILY, "active", T0)
    club.converge()
    assert FAMILY in club.group_emails()
    assert len(club.users_by_email()[FAMILY]) == 1

    club.membership("child", FAMILY, "cancelled", T0 + timedelta(hours=1))
    club.converge()
    assert FAMILY in club.group_emails(), "the parent's paid access must stay"
    assert club.stored_member("child").kisi.grants == []
    assert club.stored_member("parent").kisi.grants

    club.membership("parent", FAMILY, "cancelled", T0 + timedelta(hours=2))
    club.converge()
    assert FAMILY not in club.group_emails()


def test_the_shared_assignment_ends_with_the_last_entitled_member(club: Club) -> None:
    """A pending cancellation ending in ten days beside an open-ended plan: open-ended. When the
    open-ended one cancels, the assignment ends when the pending one does."""
    ends = datetime.now(T0.tzinfo) + timedelta(days=10)
    club.membership("parent", FAMILY, "active", T0)
    club.converge()
    club.membership("child", FAMILY, "pending_cancel", T0, cancellation_at=ends)
    club.converge()
    assert valid_until(club) is None

    club.membership("parent", FAMILY, "cancelled", T0 + timedelta(hours=1))
    club.converge()
    assert FAMILY in club.group_emails()
    until = valid_until(club)
    assert until is not None
    assert abs(until - ends) < timedelta(seconds=1)
