"""The worker's batches of command messages: Powertools' FIFO partial-batch processing (a failed
message holds back only its own message group), with two rules of the worker's own:

- **Out of time**: with less than `time_margin_seconds` of the invocation left, a message is
  not started; it is returned as a failure and made visible again at once, so the function's
  timeout never cuts a convergence in half and nothing waits out a visibility timeout.
- **Held back near the receive limit**: a message skipped because an earlier one of its group
  failed still counts a receive; near the limit it is sent again as a new message instead of
  being dead-lettered with the group (commands name a member, so their order does not matter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from access_core.membership.worker import (
    REQUEUE_AT_RECEIVES,
    ReceivedMessage,
    WorkerDependencies,
    process_message,
)

DEFAULT_TIME_MARGIN_SECONDS = 15.0


class OutOfTime(Exception):
    """Not started: too little of the invocation was left."""


class CommandBatchProcessor(SqsFifoPartialProcessor):
    def __init__(
        self,
        dependencies: Callable[[], WorkerDependencies],
        *,
        time_margin_seconds: float = DEFAULT_TIME_MARGIN_SECONDS,
    ) -> None:
        super().__init__(skip_group_on_error=True)
        # A batch whose every message failed (Kisi down, no time left) answers its failures like
        # any other instead of failing the invocation: SQS retries the same messages either way,
        # and the function's Errors metric stays for bugs.
        self.raise_on_entire_batch_failure = False
        self._dependencies = dependencies
        self._margin_ms = time_margin_seconds * 1000

    def _process_record(self, record: dict[str, Any]) -> Any:
        attributes = record.get("attributes", {})
        group = str(attributes.get("MessageGroupId", ""))
        receive_count = int(attributes.get("ApproximateReceiveCount", "1"))
        context = getattr(self, "lambda_context", None)
        if context is not None and context.get_remaining_time_in_millis() < self._margin_ms:
            self._dependencies().queue.delay_retry(record["receiptHandle"], 0)
            self._current_group_id = group  # type: ignore[assignment]  # Powertools types it None
            failure = OutOfTime("too little time left in this invocation")
            return self.failure_handler(
                record=self._to_batch_type(record, event_type=self.event_type, model=self.model),
                exception=(OutOfTime, failure, None),
            )
        if group in self._failed_group_ids and receive_count >= REQUEUE_AT_RECEIVES:
            self._dependencies().queue.requeue(record["body"], group)
            return self.success_handler(
                record=self._to_batch_type(record, event_type=self.event_type, model=self.model),
                result="requeued",
            )
        return super()._process_record(record)  # type: ignore[no-untyped-call]


def process_batch(
    event: dict[str, Any],
    context: Any,
    processor: CommandBatchProcessor,
    dependencies: Callable[[], WorkerDependencies],
) -> PartialItemFailureResponse:
    """One invocation's batch: each message through `process_message`."""

    def handle(record: SQSRecord) -> None:
        process_message(
            ReceivedMessage(
                body=record.body,
                receipt_handle=record.receipt_handle,
                receive_count=int(record.attributes.approximate_receive_count),
                message_group_id=record.attributes.message_group_id or "",
            ),
            dependencies(),
        )

    return process_partial_response(
        event=event, record_handler=handle, processor=processor, context=context
    )
