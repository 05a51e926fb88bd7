"""The command dead-letter queue (SQS FIFO, shared by every tenant): what one tenant has in it, and
moving that tenant's messages back to the command queue (`scripts/redrive-dlq` moves them all).

SQS cannot be asked for one tenant's messages: the scan receives the DLQ's messages (10 a call,
at most `max_scan`), keeps them in flight while it looks, and makes every message it did not move
visible again at the end. While a scan runs, the messages it holds are invisible to another scan
(or to `scripts/redrive-dlq`) for at most `visibility_seconds`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef, SendMessageBatchRequestEntryTypeDef

SQS_BATCH_LIMIT = 10
# Long enough to look at a few hundred messages and move this tenant's; a message not released in
# time (the function stopped) simply becomes visible again.
SCAN_VISIBILITY_SECONDS = 30
DEFAULT_MAX_SCAN = 500
# Short polls can answer empty while messages exist (SQS samples its servers): ask again this
# often before concluding the queue has no more visible messages.
EMPTY_ANSWERS_BEFORE_DONE = 2


def queue_depth(client: SQSClient, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue, as SQS approximates them."""
    attributes = client.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes.get("ApproximateNumberOfMessages", 0)),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    )


def redrive_deduplication_id(message: MessageTypeDef) -> str:
    """Fresh for the command queue (the command's own id may still be inside SQS's 5-minute
    deduplication window), and the same if this DLQ message is sent again."""
    return hashlib.sha256(f"redrive:{message['MessageId']}".encode()).hexdigest()


def redrive_entry(index: int, message: MessageTypeDef) -> SendMessageBatchRequestEntryTypeDef:
    """The command queue's copy of a dead-lettered message: same body, group and attributes."""
    entry: SendMessageBatchRequestEntryTypeDef = {"Id": str(index), "MessageBody": message["Body"]}
    group = message.get("Attributes", {}).get("MessageGroupId")
    if group:
        entry["MessageGroupId"] = group
        entry["MessageDeduplicationId"] = redrive_deduplication_id(message)
    if message.get("MessageAttributes"):
        entry["MessageAttributes"] = message["MessageAttributes"]
    return entry


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered command, described without its body."""

    message_id: str
    kind: str
    member_id: str | None
    plan_id: str | None
    reason: str | None
    dead_lettered_at: datetime | None


@dataclass
class DeadLetterScan:
    depth: int  # the whole queue's (every tenant)
    messages: list[DeadLetter] = field(default_factory=list)
    complete: bool = True  # False: the queue holds more than one scan looks at


@dataclass
class RedriveOutcome:
    moved: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _command_of(body: str) -> dict[str, object] | None:
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _describe(message: MessageTypeDef, command: dict[str, object]) -> DeadLetter:
    sent = message.get("Attributes", {}).get("SentTimestamp")
    reason_attribute = message.get("MessageAttributes", {}).get("reason")
    reason = reason_attribute.get("StringValue") if reason_attribute else None
    member_id, plan_id = command.get("member_id"), command.get("plan_id")
    return DeadLetter(
        message_id=message["MessageId"],
        kind=str(command.get("kind", "unknown")),
        member_id=str(member_id) if member_id is not None else None,
        plan_id=str(plan_id) if plan_id is not None else None,
        reason=reason,
        dead_lettered_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
    )


class SqsDeadLetters:
    def __init__(
        self,
        client: SQSClient,
        dead_letter_url: str,
        queue_url: str,
        *,
        max_scan: int = DEFAULT_MAX_SCAN,
        visibility_seconds: int = SCAN_VISIBILITY_SECONDS,
    ) -> None:
        self._client = client
        self._dead_letter_url = dead_letter_url
        self._queue_url = queue_url
        self._max_scan = max_scan
        self._visibility_seconds = visibility_seconds
        self.round_trips = 0

    def depth(self) -> int:
        self.round_trips += 1
        return sum(queue_depth(self._client, self._dead_letter_url))

    def scan(self, tenant_id: str) -> DeadLetterScan:
        """This tenant's dead-lettered commands (oldest first); moves nothing."""
        report = DeadLetterScan(depth=self.depth())
        held = self._receive_all(report)
        try:
            for message in held:
                command = _command_of(message["Body"])
                if command is not None and command.get("tenant_id") == tenant_id:
                    report.messages.append(_describe(message, command))
        finally:
            self._release(held)
        return report

    def redrive(self, tenant_id: str, message_ids: Collection[str] | None) -> RedriveOutcome:
        """Move this tenant's dead-lettered commands (all, or those named) to the command queue.
        Another tenant's message is never moved, whatever id is named. A message leaves the DLQ
        only after the command queue accepted its copy."""
        outcome = RedriveOutcome()
        held = self._receive_all(DeadLetterScan(depth=self.depth()))
        chosen: list[MessageTypeDef] = []
        for message in held:
            command = _command_of(message["Body"])
            if command is None or command.get("tenant_id") != tenant_id:
                continue
            if message_ids is None or message["MessageId"] in message_ids:
                chosen.append(message)
        moved: list[MessageTypeDef] = []
        try:
            for start in range(0, len(chosen), SQS_BATCH_LIMIT):
                batch = chosen[start : start + SQS_BATCH_LIMIT]
                self.round_trips += 1
                response = self._client.send_message_batch(
                    QueueUrl=self._queue_url,
                    Entries=[redrive_entry(i, m) for i, m in enumerate(batch)],
                )
                sent = {int(ok["Id"]) for ok in response.get("Successful", [])}
                outcome.failed += [batch[int(f["Id"])]["MessageId"] for f in response["Failed"]]
                accepted = [m for i, m in enumerate(batch) if i in sent]
                if accepted:
                    self.round_trips += 1
                    self._client.delete_message_batch(
                        QueueUrl=self._dead_letter_url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(accepted)
                        ],
                    )
                    moved += accepted
                    outcome.moved += [m["MessageId"] for m in accepted]
        finally:
            moved_ids = {m["MessageId"] for m in moved}
            self._release([m for m in held if m["MessageId"] not in moved_ids])
        return outcome

    def _receive_all(self, report: DeadLetterScan) -> list[MessageTypeDef]:
        held: list[MessageTypeDef] = []
        empty_answers = 0
        while len(held) < self._max_scan and empty_answers < EMPTY_ANSWERS_BEFORE_DONE:
            self.round_trips += 1
            messages = self._client.receive_message(
                QueueUrl=self._dead_letter_url,
                MaxNumberOfMessages=SQS_BATCH_LIMIT,
                WaitTimeSeconds=0,
                VisibilityTimeout=self._visibility_seconds,
                MessageSystemAttributeNames=["MessageGroupId", "SentTimestamp"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            empty_answers = 0 if messages else empty_answers + 1
            held += messages
            if report.depth and len(held) >= report.depth:
                break
        report.complete = len(held) < self._max_scan
        return held

    def _release(self, messages: Sequence[MessageTypeDef]) -> None:
        for start in range(0, len(messages), SQS_BATCH_LIMIT):
            batch = messages[start : start + SQS_BATCH_LIMIT]
            self.round_trips += 1
            self._client.change_message_visibility_batch(
                QueueUrl=self._dead_letter_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(batch)
                ],
            )
