"""EventBridge weekly schedule: the full reconciliation of every tenant (or of `tenant_id`).

Event: `{}` for every tenant; `{"tenant_id": "...", "dry_run": true}` for one tenant or a dry run
(the drift report, nothing changed). Large tenants continue as queued steps (docs/sync.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from access_core import bootstrap
from access_core.sync.service import run_weekly_syncs, schedule_arguments

logger = Logger()
tracer = Tracer()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"access_core", "kisi_client"})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_ids, dry_run = schedule_arguments(event)
    return run_weekly_syncs(bootstrap.container().sync, tenant_ids, dry_run=dry_run)
