"""The command queue on SQS FIFO."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from access_core.domain.commands import QueuedCommand

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

SQS_BATCH_LIMIT = 10
# SQS caps a message's visibility timeout at 12 hours.
MAX_VISIBILITY_SECONDS = 12 * 60 * 60


class CommandQueueSendError(RuntimeError):
    """Some commands could not be sent; the caller fails so that the sender retries."""


class SqsCommandQueue:
    def __init__(
        self, client: SQSClient, queue_url: str, dead_letter_url: str | None = None
    ) -> None:
        self._client = client
        self._queue_url = queue_url
        self._dead_letter_url = dead_letter_url
        self.round_trips = 0

    def send(self, commands: Sequence[QueuedCommand]) -> None:
        for start in range(0, len(commands), SQS_BATCH_LIMIT):
            chunk = commands[start : start + SQS_BATCH_LIMIT]
            self.round_trips += 1
            response = self._client.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "MessageBody": queued.body,
                        "MessageGroupId": queued.message_group_id,
                        "MessageDeduplicationId": queued.deduplication_id,
                    }
                    for index, queued in enumerate(chunk)
                ],
            )
            failed = response.get("Failed", [])
            if failed:
                reasons = ", ".join(f"{f['Code']}: {f.get('Message', '')}" for f in failed)
                raise CommandQueueSendError(f"{len(failed)} command(s) not sent ({reasons})")

    def requeue(self, body: str, message_group_id: str) -> None:
        self._send_one(self._queue_url, body, message_group_id, {})

    def dead_letter(self, body: str, message_group_id: str, reason: str) -> None:
        if not self._dead_letter_url:
            raise RuntimeError("no dead-letter queue is configured (COMMAND_DLQ_URL)")
        attributes = {"reason": {"DataType": "String", "StringValue": reason[:256]}}
        self._send_one(self._dead_letter_url, body, message_group_id, attributes)

    def _send_one(
        self, queue_url: str, body: str, message_group_id: str, attributes: dict[str, Any]
    ) -> None:
        self.round_trips += 1
        self._client.send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            MessageGroupId=message_group_id,
            # A fresh id: a copy of the same body sent within SQS's 5-minute window is not
            # dropped as a duplicate of the original.
            MessageDeduplicationId=uuid.uuid4().hex,
            MessageAttributes=attributes,
        )

    def delay_retry(self, receipt_handle: str, delay_seconds: int) -> None:
        self.round_trips += 1
        self._client.change_message_visibility(
            QueueUrl=self._queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(delay_seconds, MAX_VISIBILITY_SECONDS)),
        )
