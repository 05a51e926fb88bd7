"""EventBridge weekly schedule: the full reconciliation of every tenant (or of `tenant_id`).

Event: `{}` for every tenant; `{"tenant_id": "...", "dry_run": true}` for one tenant or a dry run
(the drift report, nothing changed). Large tenants continue as queued steps (docs/sync.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from access_core import bootstrap
from access_core.sync.service import run_weekly_syncs, schedule_arguments

powertools = bootstrap.observability()


@powertools.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_ids, dry_run = schedule_arguments(event)
    return run_weekly_syncs(bootstrap.container().sync, tenant_ids, dry_run=dry_run)
