"""PushPress end to end: the real sample bodies under events/webhooks/pushpress/, signed and posted
through the webhook handler for a PushPress club, converged by the worker into the Kisi emulator.

PushPress sends a member in two streams: enrollment events (plan and status, no email) and
customer events (email and name, no plan). A member is granted once both have arrived, in either
order, and each stream is ordered by its own clock.
"""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from access_core import bootstrap
from kisi_emulator.server import RunningEmulator
from tests.integration.harness import restored_environment

from .conftest import ADMIN_EMAIL, T0, TENANT_ID, UNMANAGED_EMAIL, Club, make_club

SAMPLES = Path(__file__).resolve().parents[3] / "events" / "webhooks" / "pushpress"
PUSHPRESS_PLAN = "plan_2b9f6a13"  # the plan of the samples' enrollments
MAYA = "usr_7f3a9c21"
EMAIL = "maya.okafor@example.com"  # customer_created.json (sent as Maya.Okafor@Example.com)
NEW_EMAIL = "maya.okafor@newmail.example"  # customer_details_changed.json

ENROLLMENT_WITHOUT_CUSTOMER = "enrollment_status_changed_without_customer.json"  # active
CUSTOMER_CREATED = "customer_created.json"
CUSTOMER_DETAILS_CHANGED = "customer_details_changed.json"  # later than customer_created
ENROLLMENT_CANCELED = "enrollment_status_changed_canceled.json"  # the latest enrollment event


@pytest.fixture
def pushpress_club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    """A PushPress club whose admin marked the samples' plan as carrying 24-hour access."""
    with restored_environment():
        club = make_club(kisi, platform="pushpress")
        assert club.plan(PUSHPRESS_PLAN, True, T0 - timedelta(days=30)).status == 202
        club.converge()
        yield club


def post_sample(club: Club, name: str) -> dict[str, Any]:
    """Post the sample file byte for byte; return the accepted response's body."""
    response = club.post_platform("pushpress", (SAMPLES / name).read_bytes())
    assert response.status == 202, response.body
    assert response.body["status"] == "accepted", response.body
    body: dict[str, Any] = response.body
    return body


def managed_users(club: Club) -> set[str]:
    """Emails of the Kisi users other than the seeded ones (the key's admin, the coach)."""
    return set(club.users_by_email()) - {ADMIN_EMAIL, UNMANAGED_EMAIL}


def kisi_name(club: Club, email: str) -> str:
    [user] = club.users_by_email()[email]
    name: str = user["name"]
    return name


def test_the_club_is_a_pushpress_club(pushpress_club: Club) -> None:
    assert pushpress_club.stack_tenant().platform == "pushpress"


def test_enrollment_without_customer_waits_for_the_customer_event_then_grants(
    pushpress_club: Club,
) -> None:
    club = pushpress_club
    assert post_sample(club, ENROLLMENT_WITHOUT_CUSTOMER)["applied"] == 1
    club.converge()

    # No email yet: nothing to key a Kisi user by.
    assert managed_users(club) == set()
    assert club.group_emails() == {UNMANAGED_EMAIL}
    stored = club.stored_member(MAYA)
    assert stored.email is None
    assert stored.status.value == "active"
    assert stored.plan_id == PUSHPRESS_PLAN

    # customer.created is older than the enrollment event, but it is another stream: it applies.
    assert post_sample(club, CUSTOMER_CREATED)["applied"] == 1
    club.converge()

    assert club.group_emails() == {UNMANAGED_EMAIL, EMAIL}
    assert managed_users(club) == {EMAIL}
    assert kisi_name(club, EMAIL) == "Maya Okafor"
    stored = club.stored_member(MAYA)
    assert stored.email == EMAIL
    assert stored.kisi.sync_state.value == "in_sync"


def test_customer_details_changed_moves_access_to_the_new_email(pushpress_club: Club) -> None:
    club = pushpress_club
    post_sample(club, ENROLLMENT_WITHOUT_CUSTOMER)
    post_sample(club, CUSTOMER_CREATED)
    club.converge()
    assert club.group_emails() == {UNMANAGED_EMAIL, EMAIL}

    assert post_sample(club, CUSTOMER_DETAILS_CHANGED)["applied"] == 1
    club.converge()

    assert club.group_emails() == {UNMANAGED_EMAIL, NEW_EMAIL}
    assert club.stored_member(MAYA).email == NEW_EMAIL
    # The new address was granted before the old one was revoked (audit is newest first).
    actions = [
        (entry["action"], entry["detail"]["email"])
        for entry in reversed(club.stack_audit())
        if entry["action"] in ("kisi.grant", "kisi.revoke")
    ]
    assert actions[-2:] == [("kisi.grant", NEW_EMAIL), ("kisi.revoke", EMAIL)]


def test_customer_event_first_then_enrollment_grants(pushpress_club: Club) -> None:
    club = pushpress_club
    assert post_sample(club, CUSTOMER_CREATED)["applied"] == 1
    club.converge()

    # A customer without an enrollment is not a member: nothing in Kisi.
    assert managed_users(club) == set()
    assert bootstrap.container().stores.members.get(TENANT_ID, MAYA) is None

    assert post_sample(club, ENROLLMENT_WITHOUT_CUSTOMER)["applied"] == 1
    club.converge()

    assert club.group_emails() == {UNMANAGED_EMAIL, EMAIL}
    # The enrollment carries no name: the customer's stays.
    assert kisi_name(club, EMAIL) == "Maya Okafor"
    assert club.stored_member(MAYA).name == "Maya Okafor"


def test_stale_customer_event_does_not_overwrite_a_newer_email(pushpress_club: Club) -> None:
    club = pushpress_club
    assert post_sample(club, CUSTOMER_DETAILS_CHANGED)["applied"] == 1
    assert post_sample(club, CUSTOMER_CREATED)["stale"] == 1  # older `created`, delivered late
    post_sample(club, ENROLLMENT_WITHOUT_CUSTOMER)
    club.converge()

    assert club.stored_member(MAYA).email == NEW_EMAIL
    assert club.group_emails() == {UNMANAGED_EMAIL, NEW_EMAIL}
    assert managed_users(club) == {NEW_EMAIL}


def test_enrollment_canceled_revokes(pushpress_club: Club) -> None:
    club = pushpress_club
    post_sample(club, ENROLLMENT_WITHOUT_CUSTOMER)
    post_sample(club, CUSTOMER_CREATED)
    club.converge()
    assert club.group_emails() == {UNMANAGED_EMAIL, EMAIL}

    assert post_sample(club, ENROLLMENT_CANCELED)["applied"] == 1
    club.converge()

    assert club.group_emails() == {UNMANAGED_EMAIL}
    stored = club.stored_member(MAYA)
    assert stored.status.value == "cancelled"
    assert stored.kisi.grants == []
