"""EventBridge daily schedule: the daily sync of every tenant (or of `tenant_id`, on demand).

Event: `{}` for every tenant; `{"tenant_id": "...", "dry_run": true}` for one tenant or a dry run.
Answers the per-tenant results (docs/sync.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from access_core import bootstrap
from access_core.sync.service import run_daily_sync, schedule_arguments

powertools = bootstrap.observability()


@powertools.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_ids, dry_run = schedule_arguments(event)
    return run_daily_sync(bootstrap.container().sync, tenant_ids, dry_run=dry_run)
