"""The one DynamoDB table every store shares: item encoding, update expressions, paging, batches
and transactions, with a count of round trips (the benches report it per operation).

Keys are in docs/data-model.md. No store knows another's items; a change that spans two stores
goes through one `Transaction` (see `unit_of_work.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from access_core.domain.events import utc_iso
from access_core.domain.ports import Clock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()
# DynamoDB's own limits: 25 writes a BatchWriteItem, 100 actions a TransactWriteItems.
BATCH_WRITE_LIMIT = 25
TRANSACTION_LIMIT = 100

Key = Mapping[str, str]


class WriteResult(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"


@dataclass(frozen=True)
class WriteOutcome:
    result: WriteResult
    version: int = 0


class TransactionConflict(Exception):
    """A condition of the transaction failed: nothing of it was written."""


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints/floats, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def to_item(values: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    return {k: _SERIALIZER.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: plain(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


def without_keys(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("PK", "SK", "entity")}


def json_ready(values: Mapping[str, Any]) -> Any:
    """Plain JSON types (datetimes as strings), as DynamoDB stores them."""
    return json.loads(json.dumps(dict(values), default=str))


class Update:
    """Builds one UpdateExpression with placeholder names and values."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.removes: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: str, value: Any) -> Update:
        if value is None:
            self.removes.append(self.name(attribute))
        else:
            self.sets.append(f"{self.name(attribute)} = {self.value(value)}")
        return self

    def set_all(self, values: Mapping[str, Any]) -> Update:
        for attribute, value in values.items():
            self.set(attribute, value)
        return self

    def increment(self, attribute: str) -> Update:
        n = self.name(attribute)
        self.sets.append(f"{n} = if_not_exists({n}, {self.value(0)}) + {self.value(1)}")
        return self

    def expression(self) -> str:
        parts = []
        if self.sets:
            parts.append("SET " + ", ".join(self.sets))
        if self.removes:
            parts.append("REMOVE " + ", ".join(self.removes))
        return " ".join(parts)

    def serialized_values(self) -> dict[str, AttributeValueTypeDef]:
        return {k: _SERIALIZER.serialize(v) for k, v in self.values.items()}


class Table:
    """One DynamoDB table and the operations the stores build on."""

    def __init__(self, client: DynamoDBClient, table_name: str, clock: Clock) -> None:
        self.client = client
        self.name = table_name
        self.now = clock
        self.round_trips = 0

    def get(self, key: Key) -> dict[str, Any] | None:
        self.round_trips += 1
        response = self.client.get_item(TableName=self.name, Key=to_item(key), ConsistentRead=True)
        item = response.get("Item")
        return from_item(item) if item else None

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """One BatchGetItem (consistent) for (PK, SK) pairs; the plain items found, by key."""
        request: list[dict[str, AttributeValueTypeDef]] = [
            to_item({"PK": pk, "SK": sk}) for pk, sk in keys
        ]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        while request:
            self.round_trips += 1
            response = self.client.batch_get_item(
                RequestItems={self.name: {"Keys": request, "ConsistentRead": True}}
            )
            for raw in response["Responses"].get(self.name, []):
                item = from_item(raw)
                found[(item["PK"], item["SK"])] = item
            unprocessed = response.get("UnprocessedKeys", {}).get(self.name)
            request = list(unprocessed["Keys"]) if unprocessed else []
        return found

    def put(self, item: Mapping[str, Any]) -> None:
        self.round_trips += 1
        self.client.put_item(TableName=self.name, Item=to_item(item))

    def update(
        self,
        key: Key,
        update: Update,
        *,
        condition: str | None = None,
        return_new: bool = False,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_item(key),
            "UpdateExpression": update.expression(),
            "ExpressionAttributeNames": update.names,
            "ExpressionAttributeValues": update.serialized_values(),
            "ReturnValues": "ALL_NEW" if return_new else "NONE",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        if not update.values:
            del kwargs["ExpressionAttributeValues"]
        self.round_trips += 1
        response = self.client.update_item(**kwargs)
        return from_item(response.get("Attributes", {}))

    def conditional_write(
        self,
        key: Key,
        updated_at: datetime,
        update: Update,
        timestamp_attribute: str = "platform_updated_at",
    ) -> WriteOutcome:
        """Apply `update` if `updated_at` is newer than the item's `timestamp_attribute`: the
        rule that keeps duplicate and out-of-order platform events from overwriting newer data.

        An item without that attribute (new, or written so far only by another event stream with
        its own timestamp attribute) takes the write.
        """
        incoming = utc_iso(updated_at)
        stored_name = update.name(timestamp_attribute)
        incoming_value = update.value(incoming)
        update.sets.append(f"{stored_name} = {incoming_value}")
        condition = f"attribute_not_exists({stored_name}) OR {stored_name} < {incoming_value}"
        try:
            attributes = self.update(key, update, condition=condition, return_new=True)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old_item: Mapping[str, Any] = error.response.get("Item", {})  # type: ignore[assignment]
            old = from_item(old_item)
            if old.get(timestamp_attribute) == incoming:
                return WriteOutcome(WriteResult.DUPLICATE, int(old.get("version", 0)))
            return WriteOutcome(WriteResult.STALE, int(old.get("version", 0)))
        return WriteOutcome(WriteResult.APPLIED, int(attributes.get("version", 0)))

    def query_prefix(
        self,
        tenant_id: str,
        sort_key_prefix: str,
        *,
        projection: Sequence[str] = (),
        consistent: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """The tenant's items whose SK starts with `sort_key_prefix`, page after page."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": tenant_pk(tenant_id)},
                ":prefix": {"S": sort_key_prefix},
            },
            "ConsistentRead": consistent,
        }
        if projection:
            names = {f"#p{index}": name for index, name in enumerate(projection)}
            kwargs["ProjectionExpression"] = ", ".join(names)
            kwargs["ExpressionAttributeNames"] = names
        return self.pages(self.client.query, kwargs)

    def query_page(
        self, kwargs: Mapping[str, Any], cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a Query and the cursor of the next page (None: the last page)."""
        request = {"TableName": self.name, **kwargs}
        if cursor:
            request["ExclusiveStartKey"] = json.loads(cursor)
        self.round_trips += 1
        response = self.client.query(**request)
        last = response.get("LastEvaluatedKey")
        return [from_item(item) for item in response["Items"]], json.dumps(last) if last else None

    def prefix_page(
        self, tenant_id: str, sort_key_prefix: str, cursor: str | None, page_size: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the tenant's items whose SK starts with `sort_key_prefix`, in SK order."""
        return self.query_page(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": tenant_pk(tenant_id)},
                    ":prefix": {"S": sort_key_prefix},
                },
                "Limit": page_size,
            },
            cursor,
        )

    def ids_on_index(self, index: str, condition: str, values: Mapping[str, str]) -> list[str]:
        """The `member_id` of every item on an index matching `condition` (string values)."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": {name: {"S": value} for name, value in values.items()},
            "ProjectionExpression": "member_id",
        }
        return [str(item["member_id"]) for item in self.pages(self.client.query, kwargs)]

    def pages(
        self, operation: Callable[..., Any], kwargs: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Every item of a Query or Scan, page after page."""
        while True:
            self.round_trips += 1
            response = operation(**kwargs)
            yield from (from_item(item) for item in response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def batch_write(self, requests: Sequence[Mapping[str, Any]]) -> None:
        """Put/Delete requests, 25 a BatchWriteItem, sending again what DynamoDB leaves over
        (UnprocessedItems) until nothing is left."""
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: list[Any] = list(requests[start : start + BATCH_WRITE_LIMIT])
            while pending:
                self.round_trips += 1
                response = self.client.batch_write_item(RequestItems={self.name: pending})
                pending = list(response.get("UnprocessedItems", {}).get(self.name, []))

    def transaction(self) -> Transaction:
        return Transaction(self)


class Transaction:
    """Writes of one or more stores that land together or not at all (TransactWriteItems).

    Stores add their actions with `put`/`update`; `commit` raises `TransactionConflict` when a
    condition failed, and then nothing was written."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._actions: list[Any] = []

    def put(self, item: Mapping[str, Any], condition: str | None = None, **values: Any) -> None:
        put: dict[str, Any] = {"TableName": self._table.name, "Item": to_item(item)}
        if condition:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = to_item(values)
        self._actions.append({"Put": put})

    def update(self, key: Key, update: Update, condition: str) -> None:
        action = {
            "TableName": self._table.name,
            "Key": to_item(key),
            "UpdateExpression": update.expression(),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": update.names,
            "ExpressionAttributeValues": update.serialized_values(),
        }
        if not update.values:
            del action["ExpressionAttributeValues"]
        self._actions.append({"Update": action})

    def commit(self) -> None:
        if not self._actions:
            return
        if len(self._actions) > TRANSACTION_LIMIT:
            raise ValueError(f"a transaction holds at most {TRANSACTION_LIMIT} writes")
        self._table.round_trips += 1
        try:
            self._table.client.transact_write_items(TransactItems=self._actions)
        except ClientError as error:
            if not _condition_failed(error):
                raise
            raise TransactionConflict(str(error)) from None


def _condition_failed(error: ClientError) -> bool:
    """A transaction cancelled by one of its conditions, not by throttling or a concurrent
    transaction on the same item (those are faults: retried, never taken as an answer)."""
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons: Sequence[Mapping[str, Any]] = error.response.get("CancellationReasons", [])
    return not reasons or any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
