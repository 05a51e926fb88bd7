"""GET /dead-letters, POST /dead-letters/redrive and GET /health (issue 16): the shared command
DLQ seen and redriven per tenant (another tenant's message is never shown nor moved), the queue
depth and the members whose last Kisi write failed; and GET /kisi-groups."""

from __future__ import annotations

from access_core import bootstrap
from tests.integration.harness import API_KEY, T0, AdminApi, Club

DLQ = "CommandDeadLetterQueue"
ADA = "ada@example.com"


def dead_letter_what_is_queued(club: Club) -> None:
    """Move every queued command to the DLQ, as the worker does with one it cannot run."""
    sqs, urls = club.stack.sqs, club.stack.resources.queue_urls
    while True:
        messages = sqs.receive_message(
            QueueUrl=urls["CommandQueue"],
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["MessageGroupId"],
        ).get("Messages", [])
        if not messages:
            return
        for message in messages:
            bootstrap.container().command_queue.dead_letter(
                message["Body"], message["Attributes"]["MessageGroupId"], "RuntimeError"
            )
            sqs.delete_message(
                QueueUrl=urls["CommandQueue"], ReceiptHandle=message["ReceiptHandle"]
            )


def another_tenants_dead_letter(club: Club) -> None:
    bootstrap.container().command_queue.dead_letter(
        '{"kind":"converge_member","tenant_id":"other-club","member_id":"m9","cause":""}',
        "kisi-user-9",
        "RuntimeError",
    )


def test_only_this_tenants_dead_letters_are_listed_and_redriven_and_they_converge(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    dead_letter_what_is_queued(club)
    another_tenants_dead_letter(club)
    assert club.stack.queue_depth(DLQ) == 2

    dead_letters = bootstrap.container().dead_letters
    assert dead_letters is not None
    before = dead_letters.round_trips
    listed = admin("GET", "/dead-letters")
    assert listed.status == 200, listed.body
    # The depth, one receive (both messages), one release of both.
    assert dead_letters.round_trips - before == 3
    assert listed.body["depth"] == 2
    assert [(m["kind"], m["member_id"]) for m in listed.body["messages"]] == [
        ("converge_member", "m1")
    ]
    assert listed.body["messages"][0]["reason"] == "RuntimeError"
    assert club.stack.queue_depth(DLQ) == 2  # looking moved nothing

    health = admin("GET", "/health")
    assert health.status == 200, health.body
    assert [m["member_id"] for m in health.body["dead_letters"]["messages"]] == ["m1"]
    assert health.body["command_queue"] == {"visible": 0, "in_flight": 0}

    foreign = admin("POST", "/dead-letters/redrive", {"message_ids": ["no-such-id"]})
    assert foreign.status == 200, foreign.body
    assert foreign.body["moved"] == []
    assert foreign.body["not_found"] == ["no-such-id"]

    moved = admin("POST", "/dead-letters/redrive", {"message_ids": None})
    assert moved.status == 200, moved.body
    assert moved.body["moved"] == [listed.body["messages"][0]["message_id"]]
    assert club.stack.queue_depth(DLQ) == 1  # the other tenant's stays
    assert club.stack.queue_depth() == 1
    assert any(e["action"] == "admin.dead_letters_redriven" for e in club.stack_audit())

    club.converge()
    assert ADA in club.group_emails()
    assert admin("GET", "/dead-letters").body["messages"] == []


def test_health_lists_members_whose_last_kisi_write_failed(club: Club, admin: AdminApi) -> None:
    admin("DELETE", "/kisi-credentials")
    club.membership("m1", ADA, "active", T0)
    club.converge()  # not connected: recorded as failed

    health = admin("GET", "/health")
    assert health.status == 200, health.body
    assert [(e["member_id"], e["error"]) for e in health.body["recent_errors"]] == [
        ("m1", "kisi_not_connected")
    ]


def test_kisi_groups_are_listed_with_one_kisi_call(club: Club, admin: AdminApi) -> None:
    admin("POST", "/locks/sync")
    club.kisi.emulator.reset_counts()

    groups = admin("GET", "/kisi-groups")

    assert groups.status == 200, groups.body
    assert [(g["id"], g["name"], g["place_name"]) for g in groups.body["groups"]] == [
        (club.group_id, "24h Members", "Clubhouse"),
        (club.other_group_id, "VIP", "Clubhouse"),
    ]
    assert club.kisi.emulator.call_count() == 1


def test_kisi_groups_with_a_refused_key_is_the_lock_syncs_409(club: Club, admin: AdminApi) -> None:
    club.kisi.emulator.revoke_api_key(API_KEY)
    refused = admin("GET", "/kisi-groups")
    assert refused.status == 409
    assert refused.body["error"] == "kisi_credentials_invalid"

    admin("DELETE", "/kisi-credentials")
    assert admin("GET", "/kisi-groups").body["error"] == "kisi_not_connected"


def test_a_redrive_without_an_explicit_choice_is_a_422_and_moves_nothing(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    dead_letter_what_is_queued(club)

    refused = admin("POST", "/dead-letters/redrive", {})

    assert refused.status == 422
    assert refused.body["fields"][0]["field"] == "body.message_ids"
    assert club.stack.queue_depth(DLQ) == 1
