"""Faults between a write and the next step lose nothing (issue 14): the platform's retry of a
webhook whose state was stored but whose command could not be sent still converges the member;
DynamoDB throttling the worker's record is retried, not recorded as a failure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pytest
from botocore.exceptions import ClientError

from access_core import bootstrap
from access_core.domain.commands import QueuedCommand
from access_core.domain.model import Member, MemberKisiState, SyncState
from access_core.domain.ports import CommandQueue
from access_core.infrastructure.storage import Transaction
from access_core.infrastructure.storage.members import MemberStore
from tests.integration.harness import T0, Club

ADA = "ada@example.com"


@dataclass
class SendFailsOnce:
    """The command queue, whose first send fails (SQS unreachable after the state was stored)."""

    inner: CommandQueue
    failed: list[int] = field(default_factory=list)

    def send(self, commands: Sequence[QueuedCommand]) -> None:
        if not self.failed:
            self.failed.append(len(commands))
            raise ClientError(
                {"Error": {"Code": "ServiceUnavailable", "Message": "SQS is down"}},
                "SendMessageBatch",
            )
        self.inner.send(commands)

    def delay_retry(self, receipt_handle: str, delay_seconds: int) -> None:
        self.inner.delay_retry(receipt_handle, delay_seconds)

    def requeue(self, body: str, message_group_id: str) -> None:
        self.inner.requeue(body, message_group_id)

    def dead_letter(self, body: str, message_group_id: str, reason: str) -> None:
        self.inner.dead_letter(body, message_group_id, reason)


def test_a_webhook_stored_but_not_queued_converges_on_the_platforms_retry(club: Club) -> None:
    container = bootstrap.container()
    failing = SendFailsOnce(container.webhook.queue)
    container.webhook = replace(container.webhook, queue=failing)
    data = {
        "member_id": "m1",
        "email": ADA,
        "plan_id": "gold-24h",
        "status": "active",
        "updated_at": T0.isoformat(),
    }
    # The function fails (API Gateway answers 500) and the platform retries the delivery.
    with pytest.raises(ClientError):
        club.post("membership.upserted", data, event_id="evt-sqs-down")
    assert failing.failed == [1]
    assert club.stored_member("m1").status.value == "active", "the state was stored"
    assert club.stack.queue_depth() == 0, "but no command was sent"

    again = club.post("membership.upserted", data, event_id="evt-sqs-down")
    assert again.status == 202, again.body
    assert json.dumps(again.body)
    club.converge()
    assert ADA in club.group_emails()


class ThrottledOnce(MemberStore):
    """DynamoDB throttles the first record of a convergence that wrote an assignment."""

    throttled = 0

    def add_kisi_state_to(
        self,
        transaction: Transaction,
        member: Member,
        state: MemberKisiState,
        *,
        converged_version: int | None,
    ) -> None:
        wrote = any(grant.assignment_id for grant in state.grants)
        if converged_version is not None and wrote and not ThrottledOnce.throttled:
            ThrottledOnce.throttled += 1
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "TransactWriteItems",
            )
        super().add_kisi_state_to(transaction, member, state, converged_version=converged_version)


def test_dynamodb_throttling_the_workers_record_is_retried_not_a_failure(club: Club) -> None:
    stores = bootstrap.container().stores
    ThrottledOnce.throttled = 0
    stores.members = ThrottledOnce(stores.table)
    club.membership("m2", ADA, "active", T0)
    club.converge()
    assert ThrottledOnce.throttled == 1
    member = club.stored_member("m2")
    assert member.kisi.sync_state is SyncState.IN_SYNC
    assert ADA in club.group_emails()
    assert len(club.users_by_email()[ADA]) == 1
