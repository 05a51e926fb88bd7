"""Per-caller request counts (`ports.UsageCounter`): one item per caller and fixed window, counted
with one conditional UpdateItem and deleted by DynamoDB's TTL once the window is over."""

from __future__ import annotations

from botocore.exceptions import ClientError

from access_core.domain.events import utc_iso
from access_core.domain.usage import UsageLimit, UsageWindow
from access_core.infrastructure.storage.table import Table, Update, tenant_pk

# A window's item outlives it a little: TTL deletion is lazy, readers never look at old windows.
EXPIRY_AFTER_WINDOW_SECONDS = 60


def usage_key(
    tenant_id: str, caller: str, limit: UsageLimit, window: UsageWindow
) -> dict[str, str]:
    return {
        "PK": tenant_pk(tenant_id),
        "SK": f"USAGE#{limit.api}#{caller}#{utc_iso(window.starts_at)}",
    }


class UsageStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def take(self, tenant_id: str, caller: str, limit: UsageLimit, window: UsageWindow) -> bool:
        update = Update().increment("requests")
        update.set("entity", "usage")
        update.set("expires_at", int(window.ends_at.timestamp()) + EXPIRY_AFTER_WINDOW_SECONDS)
        count = update.name("requests")
        condition = f"attribute_not_exists({count}) OR {count} < {update.value(limit.requests)}"
        try:
            self._table.update(
                usage_key(tenant_id, caller, limit, window), update, condition=condition
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True
