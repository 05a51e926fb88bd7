"""Drives a function from an SQS queue the way Lambda's event source does: batches of up to N
messages, FIFO group ordering (SQS holds a group back while one of its messages is in flight),
partial batch failures (only the failed messages stay on the queue), and the queue's own redrive
to its dead-letter queue after maxReceiveCount receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_runtime.lambda_events import LocalLambdaContext, sqs_event

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class BatchOutcome:
    received: int
    failed: int


class SqsEventSourcePoller:
    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        *,
        batch_size: int = 10,
        function_name: str = "KisiWorkerFunction",
        function_timeout_seconds: float = 60.0,
        retry_visibility_seconds: int | None = None,
    ) -> None:
        """`retry_visibility_seconds`, when set, makes failed messages visible again after that
        many seconds instead of the delay the function or the queue set: tests and demos use
        0 to see redelivery without waiting minutes."""
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._handler = handler
        self._batch_size = batch_size
        self._function_name = function_name
        self._timeout = function_timeout_seconds
        self._retry_visibility = retry_visibility_seconds

    def poll_once(self, wait_seconds: int = 0) -> BatchOutcome:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return BatchOutcome(0, 0)
        context = LocalLambdaContext(
            function_name=self._function_name, timeout_seconds=self._timeout
        )
        try:
            result = self._handler(sqs_event(list(messages), self._queue_arn), context)
            failed_ids = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        except Exception:
            # A function error fails the whole batch, as with Lambda.
            failed_ids = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed_ids:
                if self._retry_visibility is not None:
                    self._sqs.change_message_visibility(
                        QueueUrl=self._queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self._retry_visibility,
                    )
            else:
                self._sqs.delete_message(
                    QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return BatchOutcome(len(messages), len(failed_ids))

    def drain(self, max_batches: int = 10_000) -> int:
        """Poll until a receive finds nothing; returns the number of messages handled."""
        handled = 0
        for _ in range(max_batches):
            outcome = self.poll_once()
            if outcome.received == 0:
                return handled
            handled += outcome.received
        raise RuntimeError(f"queue not drained after {max_batches} batches")
