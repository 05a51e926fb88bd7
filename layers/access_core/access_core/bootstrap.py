"""The composition root: the one place that builds the AWS clients, adapters and each function's
service dependencies, from the settings of the environment.

A Lambda process builds its `Container` on first use (the cold start) and keeps it while warm:
`container()`. Whatever runs functions in a process of its own (the local runtime, the
integration tests, the benchmarks) begins a new process-like life with `start()`, which builds a
container from the environment as it is now, instead of resetting caches one by one.

Each dependency set imports its service (and the Kisi client, Powertools idempotency) when first
asked for, so that a function's cold start imports only what that function uses
(bench/cold_start.py measures it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from access_core.domain.caller import Caller
from access_core.domain.ports import Clock
from access_core.domain.usage import UsageLimit, admit
from access_core.infrastructure.config import Settings, settings_from
from access_core.infrastructure.metrics import PowertoolsMetricsSink
from access_core.infrastructure.sqs import SqsCommandQueue
from access_core.infrastructure.ssm import SsmSecretStore
from access_core.infrastructure.storage import Stores

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_ssm.client import SSMClient

    from access_core.admin.service import AdminDependencies
    from access_core.domain.checkins import CheckinRecorders
    from access_core.domain.commands import WeeklySyncStep
    from access_core.domain.model import Tenant
    from access_core.domain.ports import PlatformDirectory
    from access_core.infrastructure.dead_letters import SqsDeadLetters
    from access_core.infrastructure.idempotency import PowertoolsIdempotencyGuard
    from access_core.ingest.service import WebhookDependencies
    from access_core.kisi.gateway import KisiMembershipGateway
    from access_core.membership.worker import WorkerDependencies
    from access_core.sync.service import SyncDependencies
    from access_core.unlock.service import UnlockDependencies
    from kisi_client import KisiClient

WEBHOOK_IDEMPOTENCY_SECONDS = 24 * 60 * 60
# The libraries whose loggers log as the function's own (JSON, with the Lambda context).
LOGGED_PACKAGES = frozenset({"access_core", "kisi_client", "pushpress_client"})
Handler = TypeVar("Handler", bound=Callable[..., Any])


@dataclass(frozen=True)
class Observability:
    """A function's Powertools Logger, Tracer and Metrics, and the decorator of its handler."""

    logger: Logger
    tracer: Tracer
    metrics: Metrics

    def handler(self, function: Handler) -> Handler:
        """Log with the invocation's Lambda context (cleared each time), trace the invocation,
        and flush its metrics."""
        measured = self.metrics.log_metrics(function)
        traced = self.tracer.capture_lambda_handler(measured)
        return cast(Handler, self.logger.inject_lambda_context(traced, clear_state=True))


def observability() -> Observability:
    """One per function module, at import (Powertools reads its settings from the environment)."""
    logger = Logger()
    copy_config_to_registered_loggers(source_logger=logger, include=set(LOGGED_PACKAGES))
    return Observability(logger, Tracer(), Metrics())


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """Everything the functions of one process share, each built on first use."""

    settings: Settings
    environ: Mapping[str, str] = field(default_factory=dict)
    clock: Clock = utc_now
    # How the worker and the syncs get a tenant's Kisi client. None: as in production, paced on
    # the tenant's Kisi identity (tests pass one paced on a virtual clock).
    worker_kisi_client: Callable[[Tenant, str], KisiClient] | None = None

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> Container:
        """Settings are read now; `environ` (the process's own by default) stays readable for
        optional variables such as COMMAND_DLQ_URL. `overrides` set the other fields."""
        values = os.environ if environ is None else environ
        return cls(settings=settings_from(values), environ=values, **overrides)

    # ---- AWS clients and adapters ----------------------------------------------------------

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return boto3.client("dynamodb")

    @cached_property
    def sqs(self) -> SQSClient:
        return boto3.client("sqs")

    @cached_property
    def ssm(self) -> SSMClient:
        return boto3.client("ssm")

    @cached_property
    def stores(self) -> Stores:
        return Stores.on(self.dynamodb, self.settings.table_name, self.clock)

    @cached_property
    def command_queue(self) -> SqsCommandQueue:
        return SqsCommandQueue(
            self.sqs, self.settings.command_queue_url, self.environ.get("COMMAND_DLQ_URL")
        )

    @cached_property
    def secret_store(self) -> SsmSecretStore:
        return SsmSecretStore(self.ssm, self.settings.ssm_prefix, clock=self.clock)

    def metrics(self) -> PowertoolsMetricsSink:
        return PowertoolsMetricsSink(Metrics())

    @cached_property
    def webhook_idempotency(self) -> PowertoolsIdempotencyGuard:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
        )

        from access_core.infrastructure.idempotency import PowertoolsIdempotencyGuard

        persistence = DynamoDBPersistenceLayer(
            table_name=self.settings.idempotency_table_name, boto3_client=self.dynamodb
        )
        from access_core.infrastructure.idempotency import FINGERPRINT, KEY_PATH

        config = IdempotencyConfig(
            event_key_jmespath=KEY_PATH,
            payload_validation_jmespath=FINGERPRINT,
            expires_after_seconds=WEBHOOK_IDEMPOTENCY_SECONDS,
        )
        return PowertoolsIdempotencyGuard(persistence, config)

    def tenant_worker_client(self, tenant: Tenant, api_key: str) -> KisiClient:
        """A Kisi client for the worker and the syncs: paced on the tenant's Kisi identity."""
        if self.worker_kisi_client is not None:
            return self.worker_kisi_client(tenant, api_key)
        from access_core.kisi import gateway

        return gateway.worker_kisi_client(
            tenant, api_key, self.settings.kisi_base_url, self.settings.kisi_integration_contact
        )

    def pushpress_directory(
        self,
        api_key: str,
        company_id: str | None,
        access_plan_ids: Collection[str] | None = None,
    ) -> PlatformDirectory:
        """PushPress's API for one key (`company_id`: for a multi-company key)."""
        from access_core.pushpress.directory import PushPressDirectory
        from pushpress_client import PushPressClient

        client = PushPressClient(
            api_key, company_id=company_id or None, base_url=self.settings.pushpress_base_url
        )
        return PushPressDirectory(client, clock=self.clock, access_plan_ids=access_plan_ids)

    def platform_directory(self, tenant: Tenant) -> PlatformDirectory | None:
        """The tenant's platform API, when the club connected it (PushPress: a key checked and
        not refused since); None otherwise (Playbypoint has no API to read)."""
        if tenant.platform != "pushpress" or not tenant.platform_api_connected:
            return None
        api_key = self.secret_store.platform_api_key(
            tenant.tenant_id, tenant.platform, hint=tenant.platform_api_key_hint
        )
        if api_key is None:
            return None
        access_plans = [
            stored.plan.plan_id
            for stored in self.stores.tenants.plans(tenant.tenant_id)
            if stored.plan.has_24h_access
        ]
        return self.pushpress_directory(api_key, tenant.platform_company_id, access_plans)

    def command_dead_letter_depth(self) -> int | None:
        """Messages in the command DLQ (shared by all tenants); None when COMMAND_DLQ_URL is
        unset."""
        from access_core.infrastructure.dead_letters import queue_depth

        queue_url = self.environ.get("COMMAND_DLQ_URL")
        return sum(queue_depth(self.sqs, queue_url)) if queue_url else None

    def command_queue_depth(self) -> tuple[int, int] | None:
        """(visible, in flight) commands on the shared command queue."""
        from access_core.infrastructure.dead_letters import queue_depth

        return queue_depth(self.sqs, self.settings.command_queue_url)

    @cached_property
    def dead_letters(self) -> SqsDeadLetters | None:
        """The command DLQ as the Admin API reads and redrives it, per tenant."""
        from access_core.infrastructure.dead_letters import SqsDeadLetters

        queue_url = self.environ.get("COMMAND_DLQ_URL")
        if not queue_url:
            return None
        return SqsDeadLetters(self.sqs, queue_url, self.settings.command_queue_url)

    def admit_caller(self, caller: Caller, limit: UsageLimit) -> None:
        """Count the caller's request against `limit`; raises `RateLimited` when over it."""
        admit(
            self.stores.usage, caller.tenant_id, caller.subject, limit, self.clock(), self.metrics()
        )

    def latest_sync_runs(self, tenant_id: str) -> dict[str, dict[str, Any] | None]:
        """The tenant's last daily and weekly sync results, for the admin status."""
        from access_core.sync.service import latest_sync_runs

        return latest_sync_runs(self.stores, tenant_id)

    # ---- each function's dependencies --------------------------------------------------------

    @cached_property
    def webhook(self) -> WebhookDependencies:
        from access_core.ingest.service import WebhookDependencies

        return WebhookDependencies(
            stores=self.stores,
            queue=self.command_queue,
            secrets=self.secret_store,
            idempotency=self.webhook_idempotency,
            metrics=self.metrics(),
            clock=self.clock,
        )

    @cached_property
    def checkin_recorders(self) -> CheckinRecorders:
        """Each tenant's platform check-in API for the check-in write-back: none today (a test
        sets its own on the container)."""
        from access_core.domain.checkins import no_checkin_api

        return no_checkin_api

    @cached_property
    def worker(self) -> WorkerDependencies:
        from access_core.kisi.gateway import KisiMembershipGateway
        from access_core.membership.worker import WorkerDependencies

        def kisi_for(tenant: Tenant, api_key: str) -> KisiMembershipGateway:
            return KisiMembershipGateway(self.tenant_worker_client(tenant, api_key))

        def weekly_step(command: WeeklySyncStep) -> None:
            from access_core.sync.service import continue_weekly_sync

            continue_weekly_sync(self.sync, command)

        return WorkerDependencies(
            stores=self.stores,
            queue=self.command_queue,
            secrets=self.secret_store,
            kisi_for=kisi_for,
            metrics=self.metrics(),
            clock=self.clock,
            weekly_step=weekly_step,
            platform_for=self.platform_directory,
        )

    @cached_property
    def sync(self) -> SyncDependencies:
        """The daily and weekly syncs (and the worker's weekly steps): Kisi clients paced on the
        tenant's Kisi identity with the worker's headroom, like the worker's own."""
        from access_core.sync.service import SyncDependencies

        return SyncDependencies(
            stores=self.stores,
            queue=self.command_queue,
            secrets=self.secret_store,
            kisi_for=self.tenant_worker_client,
            metrics=self.metrics(),
            clock=self.clock,
            platform_for=self.platform_directory,
        )

    @cached_property
    def unlock(self) -> UnlockDependencies:
        """Kept across warm invocations: it holds each tenant's Kisi client and key (read from
        SSM without Powertools' cache; `TenantKisiClients` bounds its age and drops it when the
        tenant's connection changes)."""
        from access_core.kisi.gateway import unlock_kisi_client
        from access_core.unlock.service import TenantKisiClients, UnlockDependencies
        from access_core.unlock.storage import StoredUnlocks

        config = self.settings

        def kisi_for(tenant: Tenant, api_key: str) -> KisiClient:
            return unlock_kisi_client(
                tenant, api_key, config.kisi_base_url, config.kisi_integration_contact
            )

        uncached_secrets = SsmSecretStore(
            self.ssm, config.ssm_prefix, max_age_seconds=0, clock=self.clock
        )
        return UnlockDependencies(
            store=StoredUnlocks(self.stores),
            kisi=TenantKisiClients(uncached_secrets, kisi_for),
            metrics=self.metrics(),
            clock=self.clock,
        )

    @cached_property
    def admin(self) -> AdminDependencies:
        from access_core.admin.service import AdminDependencies
        from access_core.kisi.gateway import ADMIN_PROFILE, kisi_client

        config = self.settings

        def kisi_for_key(api_key: str, pacer_key: str | None) -> KisiClient:
            return kisi_client(
                api_key,
                ADMIN_PROFILE,
                base_url=config.kisi_base_url,
                integration_contact=config.kisi_integration_contact,
                pacer_key=pacer_key,
            )

        return AdminDependencies(
            stores=self.stores,
            queue=self.command_queue,
            secrets=self.secret_store,
            kisi_for_key=kisi_for_key,
            metrics=self.metrics(),
            clock=self.clock,
            dead_letter_depth=self.command_dead_letter_depth,
            dead_letters=self.dead_letters,
            command_queue_depth=self.command_queue_depth,
            latest_sync_runs=self.latest_sync_runs,
            platform_for_key=lambda api_key, company_id: self.pushpress_directory(
                api_key, company_id
            ),
        )


_process_container: Container | None = None


def container() -> Container:
    """The process's container: built from the environment on first use (a Lambda cold start)
    and kept while the process is warm."""
    global _process_container
    if _process_container is None:
        _process_container = Container.from_environment()
    return _process_container


def start(new: Container | None = None) -> Container:
    """Begin a new process-like life: `new`, or a container built from the environment now (the
    local runtime and the tests, after they set the functions' environment)."""
    global _process_container
    _process_container = new if new is not None else Container.from_environment()
    return _process_container


def stop() -> None:
    """End the process-like life: the next `container()` is built from the environment then."""
    global _process_container
    _process_container = None
