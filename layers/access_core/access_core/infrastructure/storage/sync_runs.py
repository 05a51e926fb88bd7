"""What the daily and weekly syncs remember between runs: each run's summary and cursor, and the
pages of Kisi a weekly run listed (kept a week for its diff steps)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from access_core.infrastructure.storage.table import Table, tenant_pk, to_item, without_keys

OBSERVATION_RETENTION = timedelta(days=8)
HISTORY_RETENTION = timedelta(days=90)
HISTORY_PREFIX = "SYNCHIST#"


def sync_key(tenant_id: str, name: str) -> dict[str, str]:
    return {"PK": tenant_pk(tenant_id), "SK": f"SYNCRUN#{name}"}


class SyncRunStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, tenant_id: str, name: str) -> dict[str, Any] | None:
        """A sync item (`daily`, `weekly`, `weekly#cursor`) without its keys."""
        item = self._table.get(sync_key(tenant_id, name))
        return without_keys(item) if item else None

    def put(self, tenant_id: str, name: str, body: Mapping[str, Any]) -> None:
        self._table.put(
            {**json.loads(json.dumps(body)), **sync_key(tenant_id, name), "entity": "sync_run"}
        )

    def record_run(self, tenant_id: str, name: str, body: Mapping[str, Any]) -> None:
        """A run's result as the latest of its kind (`name`) and in the history (kept 90 days,
        one item per run: a run recorded again, in progress then finished, replaces its own),
        in one BatchWriteItem."""
        plain = json.loads(json.dumps(body))
        history_key = {
            "PK": tenant_pk(tenant_id),
            "SK": f"{HISTORY_PREFIX}{plain['started_at']}#{plain['run_id']}",
        }
        expires = self._table.now() + HISTORY_RETENTION
        items = [
            {**plain, **sync_key(tenant_id, name), "entity": "sync_run"},
            {
                **plain,
                **history_key,
                "entity": "sync_history",
                "expires_at": int(expires.timestamp()),
            },
        ]
        self._table.batch_write([{"PutRequest": {"Item": to_item(item)}} for item in items])

    def history_page(
        self, tenant_id: str, *, kind: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Recorded runs newest first (by start), of one kind or all, and the next page's
        cursor (None: the last page). A kind filter can leave a page short of `limit`."""
        values: dict[str, Any] = {
            ":pk": {"S": tenant_pk(tenant_id)},
            ":prefix": {"S": HISTORY_PREFIX},
        }
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if kind is not None:
            kwargs["FilterExpression"] = "#kind = :kind"
            kwargs["ExpressionAttributeNames"] = {"#kind": "kind"}
            values[":kind"] = {"S": kind}
        items, next_cursor = self._table.query_page(kwargs, cursor)
        return [without_keys(item) for item in items], next_cursor

    def latest(self, tenant_id: str, names: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Several sync items in one BatchGetItem, by name (None where there is none)."""
        keys = [(tenant_pk(tenant_id), sync_key(tenant_id, name)["SK"]) for name in names]
        found = self._table.get_many(keys)
        return {
            name: without_keys(found[key]) if key in found else None
            for name, key in zip(names, keys, strict=True)
        }

    def put_observations(
        self, tenant_id: str, run_id: str, page: str, observed: Sequence[Mapping[str, Any]]
    ) -> None:
        """One listed page of a weekly run (what Kisi showed)."""
        expires = self._table.now() + OBSERVATION_RETENTION
        self._table.put(
            {
                "PK": tenant_pk(tenant_id),
                "SK": f"SYNCOBS#{run_id}#{page}",
                "entity": "sync_observations",
                "observed": json.dumps(list(observed), separators=(",", ":")),
                "expires_at": int(expires.timestamp()),
            }
        )

    def observations(self, tenant_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every observation a weekly run stored, page after page."""
        observed: list[dict[str, Any]] = []
        for item in self._table.query_prefix(tenant_id, f"SYNCOBS#{run_id}#"):
            observed += json.loads(item["observed"])
        return observed
