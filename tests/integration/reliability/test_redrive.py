"""Commands dead-lettered by a failing worker converge once it is fixed and the command DLQ
is redriven with the documented procedure (scripts/redrive-dlq, docs/operations.md)."""

import hashlib
import json
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest

from access_core import bootstrap
from access_core.domain.model import Tenant
from access_core.domain.ports import MembershipKisi
from scripts import redrive_dlq
from tests.integration.harness import T0, UNMANAGED_EMAIL, Club

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

ADA, BO, CY = "ada@example.com", "bo@example.com", "cy@example.com"
DLQ = "CommandDeadLetterQueue"


def queue_args(club: Club) -> list[str]:
    urls = club.stack.resources.queue_urls
    return ["--dlq-url", urls[DLQ], "--queue-url", urls["CommandQueue"]]


def dead_letter_during_an_outage(club: Club) -> None:
    """A bug in the worker fails every command it takes (a fault of Kisi would not: commands are
    sent again before the receive limit), until each is moved to the dead-letter queue alone."""
    club.membership("m3", CY, "active", T0)
    club.converge()
    container = bootstrap.container()
    working = container.worker

    def broken(tenant: Tenant, api_key: str) -> MembershipKisi:
        raise RuntimeError("a bug in the worker")

    container.worker = replace(working, kisi_for=broken)
    club.membership("m1", ADA, "active", T0)
    club.membership("m2", BO, "active", T0)
    club.membership("m3", CY, "cancelled", T0 + timedelta(hours=1))
    club.stack.drain_commands(retry_visibility_seconds=0)
    container.worker = working
    assert club.stack.queue_depth() == 0
    assert club.stack.queue_depth(DLQ) == 3


def peek_commands(club: Club) -> list[dict[str, str]]:
    """What waits on the command queue (left visible): body, group and deduplication id."""
    messages = club.stack.sqs.receive_message(
        QueueUrl=club.stack.resources.queue_urls["CommandQueue"],
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"],
    ).get("Messages", [])
    return [{"body": m["Body"], **dict[str, str](m["Attributes"].items())} for m in messages]


def test_dead_lettered_commands_converge_after_the_redrive(
    club: Club, capfd: pytest.CaptureFixture[str]
) -> None:
    dead_letter_during_an_outage(club)
    assert club.group_emails() == {UNMANAGED_EMAIL, CY}  # nothing could change in Kisi
    assert club.stored_member("m1").kisi.sync_state.value == "pending"

    # The worker is fixed; meanwhile the platform moved on: m2 cancelled (converged at once).
    club.membership("m2", BO, "cancelled", T0 + timedelta(hours=2))
    club.converge()

    assert redrive_dlq.main([*queue_args(club), "--dry-run"]) == 0
    assert "would move 3 message(s)" in capfd.readouterr().out
    assert club.stack.queue_depth(DLQ) == 3  # a dry run moves nothing

    assert redrive_dlq.main(queue_args(club)) == 0
    report = capfd.readouterr().out
    assert "moved 3 message(s)" in report
    assert "command converge_member: 3" in report
    assert club.stack.queue_depth(DLQ) == 0
    redriven = peek_commands(club)
    assert [c["MessageGroupId"] for c in redriven] == [club.stack_tenant().message_group_id] * 3
    # Not the commands' own deduplication ids: SQS would drop a copy sent again within 5 minutes
    # of the original (moto only compares with messages still queued, so this is checked here).
    for command in redriven:
        original = hashlib.sha256(command["body"].encode()).hexdigest()
        assert command["MessageDeduplicationId"] != original

    club.converge()
    # The redriven commands applied today's decisions: m1 granted, m2's newer cancellation kept,
    # m3's cancellation finally reached Kisi.
    assert club.group_emails() == {UNMANAGED_EMAIL, ADA}
    assert all(len(users) == 1 for users in club.users_by_email().values())
    for member_id in ("m1", "m2", "m3"):
        assert club.stored_member(member_id).kisi.sync_state.value == "in_sync"
    assert club.stack.queue_depth() == club.stack.queue_depth(DLQ) == 0


def test_a_redrive_can_be_limited_and_resumed(club: Club) -> None:
    dead_letter_during_an_outage(club)

    assert redrive_dlq.main([*queue_args(club), "--max-messages", "1"]) == 0
    assert club.stack.queue_depth(DLQ) == 2
    club.converge()
    assert redrive_dlq.main(queue_args(club)) == 0
    club.converge()

    assert club.group_emails() == {UNMANAGED_EMAIL, ADA, BO}
    assert club.stack.queue_depth(DLQ) == 0


class DeleteFails:
    """An SQS client whose batch deletes fail: the redrive stops between a send and its delete."""

    def __init__(self, sqs: "SQSClient") -> None:
        self._sqs = sqs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)

    def delete_message_batch(self, **_: Any) -> Any:
        raise ConnectionError("the redrive was interrupted")


def test_a_redrive_interrupted_after_sending_does_not_enqueue_twice(club: Club) -> None:
    dead_letter_during_an_outage(club)
    urls = club.stack.resources.queue_urls
    # DeleteFails hands every other call to the real client: an SQSClient but for one method.
    failing_deletes = cast("SQSClient", DeleteFails(club.stack.sqs))

    with pytest.raises(ConnectionError):
        redrive_dlq.redrive(failing_deletes, urls[DLQ], urls["CommandQueue"], visibility_seconds=0)
    assert club.stack.queue_depth() == club.stack.queue_depth(DLQ) == 3
    redrive_dlq.redrive(club.stack.sqs, urls[DLQ], urls["CommandQueue"], wait_seconds=0)

    assert club.stack.queue_depth() == 3  # the second run's copies were deduplicated
    assert club.stack.queue_depth(DLQ) == 0
    club.converge()
    assert club.group_emails() == {UNMANAGED_EMAIL, ADA, BO}


def test_the_redrive_deduplication_id_is_fresh_and_stable() -> None:
    message: MessageTypeDef = {"MessageId": "dlq-message-1", "Body": '{"kind": "converge_member"}'}
    first = redrive_dlq.redrive_deduplication_id(message)
    assert first == redrive_dlq.redrive_deduplication_id(message.copy())
    assert first != redrive_dlq.redrive_deduplication_id({**message, "MessageId": "other"})


def test_the_script_needs_both_queues_or_a_stack() -> None:
    with pytest.raises(SystemExit):
        redrive_dlq.parse_arguments(["--dlq-url", "https://sqs.example/dlq.fifo"])


def test_the_queues_can_be_found_from_the_stack_outputs(
    aws: None, capfd: pytest.CaptureFixture[str]
) -> None:
    def fifo(name: str) -> dict[str, Any]:
        return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name, "FifoQueue": True}}

    template = {
        "Resources": {"Dlq": fifo("d.fifo"), "Queue": fifo("q.fifo")},
        "Outputs": {
            "CommandDeadLetterQueueUrl": {"Value": {"Ref": "Dlq"}},
            "CommandQueueUrl": {"Value": {"Ref": "Queue"}},
        },
    }
    boto3.client("cloudformation").create_stack(
        StackName="bridge-test", TemplateBody=json.dumps(template)
    )
    dlq_url, queue_url = redrive_dlq.stack_queue_urls("bridge-test")
    assert dlq_url.endswith("/d.fifo")
    assert queue_url.endswith("/q.fifo")
    assert redrive_dlq.main(["--stack-name", "bridge-test", "--dry-run"]) == 0
    assert "would move 0 message(s)" in capfd.readouterr().out
