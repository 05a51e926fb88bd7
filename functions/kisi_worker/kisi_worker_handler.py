"""SQS FIFO consumer: converges the members that queued commands name, a Kisi identity a group."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from access_core import bootstrap
from access_core.membership.batch import CommandBatchProcessor, process_batch
from access_core.membership.worker import WorkerDependencies

powertools = bootstrap.observability()


def dependencies() -> WorkerDependencies:
    return bootstrap.container().worker


# A failed message holds back only its own message group (its Kisi identity); the others go on.
processor = CommandBatchProcessor(dependencies)


@powertools.handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, processor, dependencies)
