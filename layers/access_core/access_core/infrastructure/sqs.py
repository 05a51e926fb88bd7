"""The command queue on SQS FIFO."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from access_core.domain.commands import QueuedCommand

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

SQS_BATCH_LIMIT = 10
# SQS caps a message's visibility timeout at 12 hours.
MAX_VISIBILITY_SECONDS = 12 * 60 * 60


class CommandQueueSendError(RuntimeError):
    """Some commands could not be sent; the caller fails so that the sender retries."""


class SqsCommandQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url
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

    def delay_retry(self, receipt_handle: str, delay_seconds: int) -> None:
        self.round_trips += 1
        self._client.change_message_visibility(
            QueueUrl=self._queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(delay_seconds, MAX_VISIBILITY_SECONDS)),
        )
