"""The stack in one process: the real handlers over the template's resources on moto (in-process
or a moto server) and a Kisi (emulator or real). Integration tests, the local runtime and the
benchmarks drive it; it holds no logic of its own beyond what Lambda, API Gateway and the SQS event
source would do."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from access_core import bootstrap
from access_core.ingest.signature import signature_headers
from local_runtime.aws_resources import StackResources, create_stack_resources
from local_runtime.lambda_events import LocalLambdaContext, http_api_event
from local_runtime.sqs_poller import SqsEventSourcePoller
from local_runtime.template import function_handler, load_template
from local_runtime.tenants import register_tenant

STAGE = "local"
SSM_PREFIX = f"/kisi-access-bridge/{STAGE}"


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: Any
    headers: Mapping[str, str]


def stack_environment(resources: StackResources, kisi_base_url: str) -> dict[str, str]:
    """The environment variables the template gives the functions, with local resource names."""
    return {
        "STAGE": STAGE,
        "TABLE_NAME": resources.table_names["BridgeTable"],
        "IDEMPOTENCY_TABLE_NAME": resources.table_names["IdempotencyTable"],
        "COMMAND_QUEUE_URL": resources.queue_urls["CommandQueue"],
        "COMMAND_DLQ_URL": resources.queue_urls["CommandDeadLetterQueue"],
        "SSM_PREFIX": SSM_PREFIX,
        "KISI_BASE_URL": kisi_base_url,
        "KISI_INTEGRATION_CONTACT": "",
        "POWERTOOLS_METRICS_NAMESPACE": "KisiAccessBridge",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


class InProcessStack:
    """Call `create()` inside moto's `mock_aws()` (or with AWS endpoints pointing at a moto
    server): it creates the resources, sets the functions' environment and starts a new
    container (bootstrap.start())."""

    def __init__(self, resources: StackResources, kisi_base_url: str) -> None:
        self.resources = resources
        self.kisi_base_url = kisi_base_url
        self.sqs = boto3.client("sqs")
        self.ssm = boto3.client("ssm")

    @classmethod
    def create(cls, kisi_base_url: str, **container_overrides: Any) -> InProcessStack:
        """`container_overrides`: fields of the new `bootstrap.Container` (e.g. a test's
        `worker_kisi_client`)."""
        resources = create_stack_resources(
            boto3.client("dynamodb"), boto3.client("sqs"), load_template()
        )
        os.environ.update(stack_environment(resources, kisi_base_url))
        bootstrap.start(bootstrap.Container.from_environment(**container_overrides))
        return cls(resources, kisi_base_url)

    # ---- tenants -------------------------------------------------------------------------------

    def add_tenant(self, tenant_id: str, *, api_key: str | None, **settings: Any) -> str:
        """Store a tenant as the admin API does; returns the webhook signing secret."""
        return register_tenant(
            tenant_id, api_key=api_key, kisi_base_url=self.kisi_base_url, **settings
        )

    # ---- the HTTP API --------------------------------------------------------------------------

    def post_webhook(
        self,
        platform: str,
        tenant_id: str,
        payload: bytes | Mapping[str, Any],
        *,
        secret: str | None,
        timestamp: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> HttpResult:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"content-type": "application/json"}
        if secret is not None:
            headers |= signature_headers(secret, timestamp or int(time.time()), body)
        headers |= dict(extra_headers or {})
        event = http_api_event(
            method="POST",
            route_key="POST /webhooks/{platform}/{tenant_id}",
            path=f"/webhooks/{platform}/{tenant_id}",
            path_parameters={"platform": platform, "tenant_id": tenant_id},
            headers=headers,
            body=body,
        )
        return self.invoke_http("WebhookFunction", event)

    def invoke_http(self, function: str, event: dict[str, Any]) -> HttpResult:
        response = self.handler(function)(event, LocalLambdaContext(function_name=function))
        body_text = response.get("body") or ""
        return HttpResult(
            status=int(response["statusCode"]),
            body=json.loads(body_text) if body_text else None,
            headers=response.get("headers") or {},
        )

    # ---- the worker ----------------------------------------------------------------------------

    def worker_poller(self, *, retry_visibility_seconds: int | None = 0) -> SqsEventSourcePoller:
        return SqsEventSourcePoller(
            self.sqs,
            self.resources.queue_urls["CommandQueue"],
            self.resources.queue_arns["CommandQueue"],
            self.handler("KisiWorkerFunction"),
            retry_visibility_seconds=retry_visibility_seconds,
        )

    def drain_commands(self, *, retry_visibility_seconds: int | None = 0) -> int:
        return self.worker_poller(retry_visibility_seconds=retry_visibility_seconds).drain()

    def queue_depth(self, logical_id: str = "CommandQueue") -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.resources.queue_urls[logical_id],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    # ---- handlers ------------------------------------------------------------------------------

    @staticmethod
    def handler(function: str) -> Callable[[dict[str, Any], Any], Any]:
        return function_handler(function)
