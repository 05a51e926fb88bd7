"""Puts every tenant stored before the sparse `Tenants` index existed into it (docs/operations.md).

    scripts/backfill-tenants-index --stack-name kisi-access-bridge-prod --dry-run   # which ones
    scripts/backfill-tenants-index --stack-name kisi-access-bridge-prod             # index them
    scripts/backfill-tenants-index --table-name NAME                                # table named

The daily sync lists tenants through the index, and a tenant item enters it at its next write
(`TenantStore.update` sets the index keys). A tenant that was not written since the index was
added is not synced daily until then. This one-off Scan (tenant items only are returned, the
rest is filtered by DynamoDB) sets the keys on each tenant item that lacks them, through the
same store method, conditionally on the tenant still existing. Rerunning it is harmless.

Uses boto3's usual configuration: AWS_PROFILE / AWS_REGION, and AWS_ENDPOINT_URL for a moto server.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3

from access_core.infrastructure.storage import Stores
from access_core.infrastructure.storage.tenants import TENANTS_INDEX_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

STACK_OUTPUT = "BridgeTableName"


@dataclass
class BackfillReport:
    indexed: list[str] = field(default_factory=list)
    already: int = 0


def unindexed_tenant_ids(client: DynamoDBClient, table_name: str) -> tuple[list[str], int]:
    """The ids of tenant items without the index keys, and how many already have them."""
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "FilterExpression": "SK = :tenant",
        "ExpressionAttributeValues": {":tenant": {"S": "TENANT"}},
        "ProjectionExpression": "PK, GSI6PK",
    }
    missing: list[str] = []
    already = 0
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            if item.get("GSI6PK", {}).get("S") == TENANTS_INDEX_KEY:
                already += 1
            else:
                missing.append(item["PK"]["S"].removeprefix("TENANT#"))
        if "LastEvaluatedKey" not in page:
            return sorted(missing), already
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def backfill(client: DynamoDBClient, table_name: str, *, dry_run: bool) -> BackfillReport:
    missing, already = unindexed_tenant_ids(client, table_name)
    report = BackfillReport(already=already)
    stores = Stores.on(client, table_name, clock=_no_clock)
    for tenant_id in missing:
        if not dry_run:
            stores.tenants.update(tenant_id, {})
        report.indexed.append(tenant_id)
    return report


def _no_clock() -> Any:
    raise AssertionError("the backfill writes no time")


def table_name_from_stack(stack_name: str) -> str:
    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    for output in outputs.get("Outputs", []):
        if output["OutputKey"] == STACK_OUTPUT:
            return str(output["OutputValue"])
    raise SystemExit(f"stack {stack_name} has no {STACK_OUTPUT} output")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack-name")
    where.add_argument("--table-name")
    parser.add_argument("--dry-run", action="store_true", help="list the tenants, write nothing")
    args = parser.parse_args(argv)
    table_name = args.table_name or table_name_from_stack(args.stack_name)
    report = backfill(boto3.client("dynamodb"), table_name, dry_run=args.dry_run)
    verb = "would index" if args.dry_run else "indexed"
    print(f"{verb} {len(report.indexed)} tenant(s); {report.already} already in the index")
    for tenant_id in report.indexed:
        print(f"  {tenant_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
