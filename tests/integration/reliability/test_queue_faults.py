"""The command queue loses nothing and lets nothing hold a tenant back (issue 14, M3/M4):
a poison message is dead-lettered alone and its group goes on; an outage longer than the queue's
receive limit dead-letters nothing; a batch the invocation has no time left for is handed back
at once, not cut off."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from access_core import bootstrap
from access_core.domain.errors import SecretsUnavailable
from access_core.domain.model import SyncState
from access_core.membership.worker import RECEIVE_LIMIT
from local_runtime.lambda_events import LocalLambdaContext, sqs_event
from tests.fakes import FakeSecrets
from tests.integration.harness import T0, UNMANAGED_EMAIL, Club

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

ADA, BO = "ada@example.com", "bo@example.com"
DLQ = "CommandDeadLetterQueue"


def send_raw(club: Club, body: str) -> None:
    """A message on the command queue in the tenant's group, as no bridge code would send it."""
    club.stack.sqs.send_message(
        QueueUrl=club.stack.resources.queue_urls["CommandQueue"],
        MessageBody=body,
        MessageGroupId=club.stack_tenant().message_group_id,
        MessageDeduplicationId=uuid.uuid4().hex,
    )


def dead_letters(club: Club) -> list[MessageTypeDef]:
    return list(
        club.stack.sqs.receive_message(
            QueueUrl=club.stack.resources.queue_urls[DLQ],
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=0,
        ).get("Messages", [])
    )


def test_a_poison_message_is_dead_lettered_alone_and_its_group_goes_on(club: Club) -> None:
    send_raw(club, '{"kind": "no_such_command"}')
    club.membership("m1", ADA, "active", T0)
    club.converge()

    assert club.group_emails() == {UNMANAGED_EMAIL, ADA}
    [poison] = dead_letters(club)
    assert poison["Body"] == '{"kind": "no_such_command"}'
    assert poison["MessageAttributes"]["reason"]["StringValue"] == "not a valid command"
    assert club.stack.queue_depth() == 0


def test_an_outage_longer_than_the_receive_limit_dead_letters_nothing(club: Club) -> None:
    club.kisi.emulator.inject_fault(kind="outage")
    club.membership("m1", ADA, "active", T0)
    club.membership("m2", BO, "active", T0)
    poller = club.stack.worker_poller(retry_visibility_seconds=0)
    for _ in range(RECEIVE_LIMIT * 2):
        poller.poll_once()
    assert club.stack.queue_depth(DLQ) == 0
    assert club.stack.queue_depth() == 2, "both commands still wait"

    club.kisi.emulator.clear_faults()
    club.converge()
    assert club.group_emails() == {UNMANAGED_EMAIL, ADA, BO}
    assert club.stack.queue_depth(DLQ) == 0


def test_a_batch_started_too_late_is_handed_back_at_once(club: Club) -> None:
    club.membership("m1", ADA, "active", T0)
    club.membership("m2", BO, "active", T0 + timedelta(seconds=1))
    urls, arns = club.stack.resources.queue_urls, club.stack.resources.queue_arns
    messages = club.stack.sqs.receive_message(
        QueueUrl=urls["CommandQueue"], MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert len(messages) == 2

    answer = club.stack.handler("KisiWorkerFunction")(
        sqs_event(list(messages), arns["CommandQueue"]),
        LocalLambdaContext(function_name="KisiWorkerFunction", timeout_seconds=2.0),
    )

    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    assert failed == {m["MessageId"] for m in messages}
    assert club.group_emails() == {UNMANAGED_EMAIL}, "nothing was started"
    # Visible again at once (not after the queue's 6-minute visibility timeout).
    again = club.stack.sqs.receive_message(QueueUrl=urls["CommandQueue"], MaxNumberOfMessages=10)
    assert len(again.get("Messages", [])) == 2


class ThrottledSecrets(FakeSecrets):
    """SSM throttles every read of a Kisi key."""

    def kisi_api_key(self, tenant_id: str, *, hint: str | None = None) -> str | None:
        raise SecretsUnavailable()


def test_a_throttled_secret_store_retries_the_command_instead_of_failing_the_member(
    club: Club,
) -> None:
    """Issue 14, H2: SSM throttling used to read as "no key": the member was recorded failed and
    the command deleted."""
    container = bootstrap.container()
    working = container.worker
    container.worker = replace(working, secrets=ThrottledSecrets())
    club.membership("m1", ADA, "active", T0)
    club.stack.worker_poller(retry_visibility_seconds=0).poll_once()
    assert club.stack.queue_depth() == 1, "the command waits on the queue"
    assert club.stored_member("m1").kisi.sync_state is not SyncState.FAILED
    assert club.stored_member("m1").kisi.last_error is None

    container.worker = working
    club.converge()
    assert ADA in club.group_emails()
