"""SQS FIFO consumer: converges the members that queued commands name, a Kisi identity a group."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from access_core import bootstrap
from access_core.membership.worker import process_message

powertools = bootstrap.observability()
# A failed message holds back only its own message group (its Kisi identity); the others go on.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def record_handler(record: SQSRecord) -> None:
    process_message(
        record.body,
        record.receipt_handle,
        int(record.attributes.approximate_receive_count),
        bootstrap.container().worker,
    )


@powertools.handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
