"""Kisi faults lose nothing: 429s, 5xx, outages and a revoked key all end in the right access once
Kisi answers again, without duplicate users. Also email changes, adoption and unmanaged users."""

from datetime import timedelta

import pytest

from access_core.domain.model import ConnectionState
from tests.integration.conftest import LogCapture

from .conftest import API_KEY, T0, TENANT_ID, UNMANAGED_EMAIL, Club

EMAIL = "ada@example.com"


def converge_through_faults(club: Club, polls: int) -> None:
    """Deliver the queue a few times while Kisi is failing (redeliveries made visible at once)."""
    poller = club.stack.worker_poller(retry_visibility_seconds=0)
    for _ in range(polls):
        poller.poll_once()


def test_email_change_grants_the_new_address_before_revoking_the_old(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    club.converge()
    club.membership("m1", "ada.new@example.com", "active", T0 + timedelta(hours=1))
    club.converge()

    assert "ada.new@example.com" in club.group_emails()
    assert EMAIL not in club.group_emails()
    actions = [
        (entry["action"], entry["detail"]["email"])
        for entry in reversed(club.stack_audit())
        if entry["action"] in {"kisi.grant", "kisi.revoke"}
    ]
    assert actions[-2:] == [("kisi.grant", "ada.new@example.com"), ("kisi.revoke", EMAIL)]


def test_an_existing_kisi_user_is_adopted_not_duplicated_and_never_deleted(club: Club) -> None:
    club.membership("m9", UNMANAGED_EMAIL.upper(), "active", T0)
    club.converge()
    users = club.users_by_email()[UNMANAGED_EMAIL]
    assert [u["id"] for u in users] == [club.unmanaged_user_id]
    assert "managed_by" not in (users[0].get("metadata") or {})
    grant = club.stored_member("m9").kisi.grants[0]
    assert grant.user_created_by_us is False


def test_kisi_users_not_in_the_platform_are_never_touched(club: Club) -> None:
    before = club.users_by_email()[UNMANAGED_EMAIL]
    for index, status in enumerate(["active", "paused", "active", "cancelled"]):
        club.membership("m1", EMAIL, status, T0 + timedelta(minutes=index))
        club.converge()
    assert club.users_by_email()[UNMANAGED_EMAIL] == before
    assert UNMANAGED_EMAIL in club.group_emails()


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "rate_limit", "max_requests": 6},
        {"kind": "error", "status": 502, "max_requests": 4},
        {"kind": "outage", "max_requests": 12},
    ],
    ids=["429-storm", "5xx", "outage"],
)
def test_kisi_faults_during_convergence_end_in_the_right_state(
    club: Club, fault: dict[str, object]
) -> None:
    club.kisi.emulator.inject_fault(fault)
    club.membership("m1", EMAIL, "active", T0)
    club.membership("m2", "bo@example.com", "active", T0)
    converge_through_faults(club, polls=3)
    club.kisi.emulator.clear_faults()
    club.converge()

    assert {EMAIL, "bo@example.com"} <= club.group_emails()
    users = club.users_by_email()
    assert len(users[EMAIL]) == len(users["bo@example.com"]) == 1
    assert club.stored_member("m1").kisi.sync_state.value == "in_sync"
    assert club.stack.queue_depth() == 0


def test_an_outage_holds_revocations_until_kisi_is_back(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    club.converge()
    club.kisi.emulator.inject_fault(kind="outage")
    club.membership("m1", EMAIL, "cancelled", T0 + timedelta(hours=1))
    converge_through_faults(club, polls=2)
    assert EMAIL in club.group_emails()  # Kisi unreachable: nothing could change yet
    failed = club.stored_member("m1")
    assert failed.kisi.sync_state.value == "failed"
    assert "KisiUnavailable" in (failed.kisi.last_error or "")

    club.kisi.emulator.clear_faults()
    club.converge()
    assert EMAIL not in club.group_emails()
    assert club.stored_member("m1").kisi.sync_state.value == "in_sync"


def test_a_create_whose_answer_was_lost_is_recovered_without_a_duplicate(club: Club) -> None:
    # The user is created in Kisi but the answer never arrives (a 504 after the write).
    club.kisi.emulator.inject_fault(
        kind="timeout",
        hold_seconds=0.01,
        applied=True,
        path_prefix="/users",
        method="POST",
        max_requests=1,
    )
    club.membership("m1", EMAIL, "active", T0)
    converge_through_faults(club, polls=2)
    club.kisi.emulator.clear_faults()
    club.converge()
    assert len(club.users_by_email()[EMAIL]) == 1
    assert EMAIL in club.group_emails()
    assert club.stored_member("m1").kisi.grants[0].user_created_by_us is True


def test_invalid_credentials_mark_the_tenant_and_stop_kisi_traffic(club: Club) -> None:
    club.kisi.emulator.revoke_api_key(API_KEY)
    club.membership("m1", EMAIL, "active", T0)
    club.converge()

    tenant = club.stack_tenant()
    assert tenant.connection_state is ConnectionState.INVALID_CREDENTIALS
    assert club.stored_member("m1").kisi.last_error == "credentials_invalid"
    calls_after_first = club.kisi.emulator.counts()["total"]

    club.membership("m2", "bo@example.com", "active", T0)
    club.membership("m1", EMAIL, "paused", T0 + timedelta(hours=1))
    club.converge()
    assert club.kisi.emulator.counts()["total"] == calls_after_first
    assert club.stack.queue_depth() == 0


def test_secrets_appear_in_no_response_and_no_log_line(
    club: Club, capfd: pytest.CaptureFixture[str], all_logs: LogCapture
) -> None:
    responses = [club.membership("m1", EMAIL, "active", T0)]
    club.kisi.emulator.inject_fault(kind="rate_limit", max_requests=2)
    club.converge()
    club.kisi.emulator.revoke_api_key(API_KEY)
    responses.append(club.membership("m1", EMAIL, "paused", T0 + timedelta(hours=1)))
    club.converge()
    responses.append(club.stack.post_webhook("canonical", TENANT_ID, b"{}", secret="wrong"))

    captured = capfd.readouterr()
    everything = "\n".join(
        [captured.out, captured.err, all_logs.text, repr([r.body for r in responses])]
    )
    assert "Kisi rejected the tenant's API key" in all_logs.text  # the logs were captured
    assert "429" in all_logs.text
    assert API_KEY not in everything
    assert club.webhook_secret not in everything
