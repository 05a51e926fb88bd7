"""Moves the commands the Kisi worker dead-lettered back to the command queue (docs/operations.md).

    scripts/redrive-dlq --stack-name kisi-access-bridge-prod --dry-run   # what is in the DLQ
    scripts/redrive-dlq --stack-name kisi-access-bridge-prod             # move it all back
    scripts/redrive-dlq --dlq-url URL --queue-url URL                    # queues named directly

The default method is a receive / send / delete loop, one batch of up to 10 messages at a time:

- each message keeps its `MessageGroupId` (its Kisi identity), so one identity's commands still run
  one at a time, in the order the DLQ hands them out;
- each gets a *fresh* deduplication id, derived from its DLQ message id: the command's own id (a
  hash of its body) may still be inside SQS's 5-minute deduplication window, and SQS would then
  accept the redriven copy and silently drop it. Derived, not random, so that rerunning the script
  after it stopped between a send and its delete does not enqueue the same message twice within
  the window;
- a message is deleted from the DLQ only after the command queue accepted its copy.

`--method move-task` asks SQS to do the move instead (StartMessageMoveTask, which AWS supports for
FIFO dead-letter queues into FIFO queues); moto does not implement it, so the loop is what the
tests exercise. Redriving is always safe: commands name which member or plan to converge, never
what to write, and the worker decides from the current state when it runs them.

The message copy (body, group, attributes, deduplication id) is built by
`access_core.infrastructure.dead_letters`, which the Admin API's per-tenant redrive uses too.

Uses boto3's usual configuration: AWS_PROFILE / AWS_REGION, and AWS_ENDPOINT_URL for a moto server.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3

from access_core.infrastructure.dead_letters import (
    redrive_deduplication_id as redrive_deduplication_id,  # re-exported for callers
)
from access_core.infrastructure.dead_letters import redrive_entry

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

SQS_BATCH_LIMIT = 10
# Long enough to send and delete one batch; a message not deleted in time is simply received again.
RECEIVE_VISIBILITY_SECONDS = 60
STACK_OUTPUTS = {"dlq": "CommandDeadLetterQueueUrl", "queue": "CommandQueueUrl"}


class RedriveError(RuntimeError):
    """Some messages could not be moved; they are still in the dead-letter queue."""

    def __init__(self, report: RedriveReport) -> None:
        super().__init__("; ".join(report.failed))
        self.report = report


@dataclass
class RedriveReport:
    moved: int = 0
    by_group: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)

    def lines(self, *, dry_run: bool) -> list[str]:
        verb = "would move" if dry_run else "moved"
        lines = [f"{verb} {self.moved} message(s)"]
        lines += [f"  group {group}: {count}" for group, count in sorted(self.by_group.items())]
        lines += [f"  command {kind}: {count}" for kind, count in sorted(self.by_kind.items())]
        lines += [f"  NOT moved: {reason}" for reason in self.failed]
        return lines


def _command_kind(body: str) -> str:
    # The command's kind only, for the report: bodies hold no secrets, but stay out of the output.
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return "unreadable"
    return str(parsed.get("kind", "unknown")) if isinstance(parsed, dict) else "unreadable"


def _receive(
    sqs: SQSClient,
    queue_url: str,
    wait_seconds: int,
    visibility_seconds: int = RECEIVE_VISIBILITY_SECONDS,
) -> list[MessageTypeDef]:
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=SQS_BATCH_LIMIT,
        WaitTimeSeconds=wait_seconds,
        VisibilityTimeout=visibility_seconds,
        MessageSystemAttributeNames=["MessageGroupId"],
        MessageAttributeNames=["All"],
    )
    return list(response.get("Messages", []))


def redrive(
    sqs: SQSClient,
    dlq_url: str,
    queue_url: str,
    *,
    max_messages: int | None = None,
    wait_seconds: int = 1,
    visibility_seconds: int = RECEIVE_VISIBILITY_SECONDS,
) -> RedriveReport:
    """Move messages from `dlq_url` to `queue_url` until the DLQ answers empty (or
    `max_messages` were moved). Raises RedriveError if any message could not be moved."""
    report = RedriveReport()
    while max_messages is None or report.moved < max_messages:
        messages = _receive(sqs, dlq_url, wait_seconds, visibility_seconds)
        if max_messages is not None:
            keep = messages[: max_messages - report.moved]
            _release(sqs, dlq_url, messages[len(keep) :])
            messages = keep
        if not messages:
            break
        response = sqs.send_message_batch(
            QueueUrl=queue_url, Entries=[redrive_entry(i, m) for i, m in enumerate(messages)]
        )
        sent = {int(ok["Id"]) for ok in response.get("Successful", [])}
        for failure in response.get("Failed", []):
            report.failed.append(f"{failure['Code']}: {failure.get('Message', '')}")
        moved = [m for i, m in enumerate(messages) if i in sent]
        if moved:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(moved)
                ],
            )
        _count(report, moved)
        if len(moved) < len(messages):
            # Stop: the next receive would hand out the same group's later messages first.
            _release(sqs, dlq_url, [m for i, m in enumerate(messages) if i not in sent])
            break
    if report.failed:
        raise RedriveError(report)
    return report


def inspect(sqs: SQSClient, dlq_url: str) -> RedriveReport:
    """What a redrive would move, without moving anything: the DLQ's depth, and the group and
    command kind of the messages the first receive hands out (made visible again at once)."""
    report = RedriveReport()
    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    report.moved = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )
    sample = _receive(sqs, dlq_url, wait_seconds=0)
    _release(sqs, dlq_url, sample)
    for message in sample:
        report.by_group[message.get("Attributes", {}).get("MessageGroupId", "-")] += 1
        report.by_kind[_command_kind(message["Body"])] += 1
    return report


def start_move_task(sqs: SQSClient, dlq_url: str, queue_url: str, per_second: int | None) -> str:
    """SQS's own redrive (StartMessageMoveTask); returns the task handle."""
    arns = [
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        for url in (dlq_url, queue_url)
    ]
    request: dict[str, Any] = {"SourceArn": arns[0], "DestinationArn": arns[1]}
    if per_second:
        request["MaxNumberOfMessagesPerSecond"] = per_second
    return sqs.start_message_move_task(**request)["TaskHandle"]


def _release(sqs: SQSClient, queue_url: str, messages: Sequence[MessageTypeDef]) -> None:
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )


def _count(report: RedriveReport, moved: Sequence[MessageTypeDef]) -> None:
    report.moved += len(moved)
    for message in moved:
        report.by_group[message.get("Attributes", {}).get("MessageGroupId", "-")] += 1
        report.by_kind[_command_kind(message["Body"])] += 1


def stack_queue_urls(stack_name: str) -> tuple[str, str]:
    """The command DLQ's and queue's URLs from the stack's outputs."""
    stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return outputs[STACK_OUTPUTS["dlq"]], outputs[STACK_OUTPUTS["queue"]]


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/redrive-dlq",
        description="Move dead-lettered Kisi commands back to the command queue.",
    )
    parser.add_argument("--stack-name", help="read both queue URLs from this stack's outputs")
    parser.add_argument("--dlq-url", help="the command dead-letter queue's URL")
    parser.add_argument("--queue-url", help="the command queue's URL")
    parser.add_argument("--dry-run", action="store_true", help="report, move nothing")
    parser.add_argument("--max-messages", type=int, help="move at most this many")
    parser.add_argument(
        "--method",
        choices=("loop", "move-task"),
        default="loop",
        help="loop: receive/send/delete here (default); move-task: SQS StartMessageMoveTask",
    )
    parser.add_argument(
        "--per-second", type=int, help="move-task only: MaxNumberOfMessagesPerSecond"
    )
    arguments = parser.parse_args(argv)
    if arguments.stack_name is None and not (arguments.dlq_url and arguments.queue_url):
        parser.error("give --stack-name, or both --dlq-url and --queue-url")
    return arguments


def main(argv: Sequence[str] | None = None, sqs: SQSClient | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.stack_name is not None:
        dlq_url, queue_url = stack_queue_urls(arguments.stack_name)
    else:
        dlq_url, queue_url = arguments.dlq_url, arguments.queue_url
    client = sqs or boto3.client("sqs")
    if arguments.dry_run:
        print("\n".join(inspect(client, dlq_url).lines(dry_run=True)))
        return 0
    if arguments.method == "move-task":
        handle = start_move_task(client, dlq_url, queue_url, arguments.per_second)
        print(f"started message move task {handle}")
        print("progress: aws sqs list-message-move-tasks --source-arn <DLQ ARN>")
        return 0
    try:
        report = redrive(client, dlq_url, queue_url, max_messages=arguments.max_messages)
    except RedriveError as error:
        print("\n".join(error.report.lines(dry_run=False)))
        print(f"redrive stopped: {error}", file=sys.stderr)
        return 1
    print("\n".join(report.lines(dry_run=False)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
