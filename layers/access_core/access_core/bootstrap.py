"""Wiring for the Lambda handlers: AWS clients and adapters built once per cold start and reused by
every warm invocation. Handlers take what they need from here and pass it to a service.

Each `<function>_dependencies()` imports its service (and the Kisi client, Powertools idempotency)
when first called, so that a function's cold start imports only what that function uses
(bench/cold_start.py measures it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from access_core.infrastructure.config import settings
from access_core.infrastructure.repository import BridgeRepository
from access_core.infrastructure.sqs import SqsCommandQueue
from access_core.infrastructure.ssm import SsmSecretStore

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_ssm.client import SSMClient

    from access_core.admin.service import AdminDependencies
    from access_core.domain.commands import WeeklySyncStep
    from access_core.domain.model import Tenant
    from access_core.ingest.service import WebhookDependencies
    from access_core.kisi.gateway import KisiMembershipGateway
    from access_core.membership.worker import WorkerDependencies
    from access_core.sync.service import SyncDependencies
    from access_core.unlock.service import UnlockDependencies
    from kisi_client import KisiClient

WEBHOOK_IDEMPOTENCY_SECONDS = 24 * 60 * 60


def utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def dynamodb_client() -> DynamoDBClient:
    return boto3.client("dynamodb")


@cache
def sqs_client() -> SQSClient:
    return boto3.client("sqs")


@cache
def ssm_client() -> SSMClient:
    return boto3.client("ssm")


@cache
def repository() -> BridgeRepository:
    return BridgeRepository(dynamodb_client(), settings().table_name, utc_now)


@cache
def command_queue() -> SqsCommandQueue:
    return SqsCommandQueue(sqs_client(), settings().command_queue_url)


@cache
def secret_store() -> SsmSecretStore:
    return SsmSecretStore(ssm_client(), settings().ssm_prefix)


class PowertoolsMetricsSink:
    """Counts as CloudWatch EMF metrics, dimensioned by service only: a tenant dimension would
    make one custom metric per tenant and name. Per-tenant figures come from the admin status
    (members with access, pending, failed, last syncs) and the log lines, which carry tenant_id."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def count(self, name: str, value: int = 1) -> None:
        self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


class PowertoolsIdempotencyGuard:
    """Powertools' idempotency utility behind the services' small `run_once` interface."""

    def __init__(self, persistence: DynamoDBPersistenceLayer, config: IdempotencyConfig) -> None:
        self._persistence = persistence
        self.config = config

    def run_once(
        self, key: Mapping[str, str], work: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="event_key",
            persistence_store=self._persistence,
            config=self.config,
        )
        def process_event(event_key: dict[str, str]) -> dict[str, Any]:
            return work()

        result: dict[str, Any] = process_event(event_key=dict(key))
        return result


@cache
def webhook_idempotency() -> PowertoolsIdempotencyGuard:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )

    persistence = DynamoDBPersistenceLayer(
        table_name=settings().idempotency_table_name, boto3_client=dynamodb_client()
    )
    config = IdempotencyConfig(expires_after_seconds=WEBHOOK_IDEMPOTENCY_SECONDS)
    return PowertoolsIdempotencyGuard(persistence, config)


@cache
def webhook_dependencies() -> WebhookDependencies:
    from access_core.ingest.service import WebhookDependencies

    return WebhookDependencies(
        repository=repository(),
        queue=command_queue(),
        secrets=secret_store(),
        idempotency=webhook_idempotency(),
        metrics=PowertoolsMetricsSink(Metrics()),
        clock=utc_now,
    )


def tenant_worker_client(tenant: Tenant, api_key: str) -> KisiClient:
    """A Kisi client for the worker and the syncs: paced on the tenant's Kisi identity."""
    from access_core.kisi.gateway import worker_kisi_client

    config = settings()
    return worker_kisi_client(
        tenant, api_key, config.kisi_base_url, config.kisi_integration_contact
    )


@cache
def worker_dependencies() -> WorkerDependencies:
    from access_core.kisi.gateway import KisiMembershipGateway
    from access_core.membership.worker import WorkerDependencies

    def kisi_for(tenant: Tenant, api_key: str) -> KisiMembershipGateway:
        return KisiMembershipGateway(tenant_worker_client(tenant, api_key))

    def weekly_step(command: WeeklySyncStep) -> None:
        from access_core.sync.service import continue_weekly_sync

        continue_weekly_sync(sync_dependencies(), command)

    return WorkerDependencies(
        repository=repository(),
        queue=command_queue(),
        secrets=secret_store(),
        kisi_for=kisi_for,
        metrics=PowertoolsMetricsSink(Metrics()),
        clock=utc_now,
        weekly_step=weekly_step,
    )


@cache
def sync_dependencies() -> SyncDependencies:
    """The daily and weekly syncs (and the worker's weekly steps): Kisi clients paced on the
    tenant's Kisi identity with the worker's headroom, like the worker's own."""
    from access_core.sync.service import SyncDependencies

    return SyncDependencies(
        repository=repository(),
        queue=command_queue(),
        secrets=secret_store(),
        kisi_for=tenant_worker_client,
        metrics=PowertoolsMetricsSink(Metrics()),
        clock=utc_now,
    )


@cache
def unlock_dependencies() -> UnlockDependencies:
    """Kept across warm invocations: it holds each tenant's Kisi client and key (read from SSM
    without Powertools' cache; `TenantKisiClients` bounds its age and drops it when the tenant's
    connection changes)."""
    from access_core.unlock.service import (
        TenantKisiClients,
        UnlockDependencies,
        unlock_kisi_client,
    )

    config = settings()

    def kisi_for(tenant: Tenant, api_key: str) -> KisiClient:
        return unlock_kisi_client(
            tenant, api_key, config.kisi_base_url, config.kisi_integration_contact
        )

    uncached_secrets = SsmSecretStore(ssm_client(), config.ssm_prefix, max_age_seconds=0)
    return UnlockDependencies(
        store=repository(),
        kisi=TenantKisiClients(uncached_secrets, kisi_for),
        metrics=PowertoolsMetricsSink(Metrics()),
        clock=utc_now,
    )


def reset() -> None:
    """Forget every cached client, adapter and setting (a new environment: tests, local runs)."""
    for cached in (
        settings,
        dynamodb_client,
        sqs_client,
        ssm_client,
        repository,
        command_queue,
        secret_store,
        webhook_idempotency,
        webhook_dependencies,
        worker_dependencies,
        sync_dependencies,
        unlock_dependencies,
    ):
        cached.cache_clear()


def command_dead_letter_depth() -> int | None:
    """Messages in the command DLQ (shared by all tenants); None when COMMAND_DLQ_URL is unset."""
    queue_url = os.environ.get("COMMAND_DLQ_URL")
    if not queue_url:
        return None
    attributes = sqs_client().get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def admin_dependencies() -> AdminDependencies:
    """Built per invocation from the cached clients (cheap; nothing here holds state)."""
    from access_core.admin.service import AdminDependencies
    from access_core.kisi.gateway import ADMIN_PROFILE, kisi_client

    config = settings()

    def kisi_for_key(api_key: str, pacer_key: str | None) -> KisiClient:
        return kisi_client(
            api_key,
            ADMIN_PROFILE,
            base_url=config.kisi_base_url,
            integration_contact=config.kisi_integration_contact,
            pacer_key=pacer_key,
        )

    return AdminDependencies(
        repository=repository(),
        queue=command_queue(),
        secrets=secret_store(),
        kisi_for_key=kisi_for_key,
        metrics=PowertoolsMetricsSink(Metrics()),
        clock=utc_now,
        dead_letter_depth=command_dead_letter_depth,
        latest_sync_runs=latest_sync_runs,
    )


def latest_sync_runs(tenant_id: str) -> dict[str, dict[str, Any] | None]:
    """The tenant's last daily and weekly sync results, for the admin status."""
    from access_core.sync.service import latest_sync_runs as latest

    return latest(repository(), tenant_id)
