"""POST /webhooks/{platform}/{tenant_id}: a partner platform's webhook, authenticated the platform's
own way (canonical: the bridge's HMAC; pushpress: PushPress's `webhook-signature`; playbypoint:
a bearer token; `access_core/ingest/verification.py`). POST /webhooks/kisi/{tenant_id}: Kisi's
event webhook, for the check-in write-back (`access_core/ingest/kisi_events.py`). Every refusal
is a JSON answer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from access_core import bootstrap
from access_core.http import events as http_events
from access_core.http.errors import install_domain_errors
from access_core.http.responses import ServiceResponse
from access_core.ingest.kisi_events import receive_kisi_event
from access_core.ingest.service import MAX_WEBHOOK_BODY_BYTES, WebhookRequest, receive_webhook

logger = Logger()
tracer = Tracer()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"access_core", "kisi_client"})
app = APIGatewayHttpResolver()
install_domain_errors(app)


# Registered before the platforms' route, which would otherwise take /webhooks/kisi/... too.
@app.post("/webhooks/kisi/<tenant_id>")
def post_kisi_event(tenant_id: str) -> Response[dict[str, Any]]:
    container = bootstrap.container()
    receipt = receive_kisi_event(
        _request("kisi", tenant_id), container.webhook, container.checkin_recorders
    )
    return http_events.api_response(ServiceResponse(202, receipt.body()))


@app.post("/webhooks/<platform>/<tenant_id>")
def post_webhook(platform: str, tenant_id: str) -> Response[dict[str, Any]]:
    receipt = receive_webhook(_request(platform, tenant_id), bootstrap.container().webhook)
    return http_events.api_response(ServiceResponse(202, receipt.body()))


def _request(platform: str, tenant_id: str) -> WebhookRequest:
    event = app.current_event
    return WebhookRequest(
        platform=platform,
        tenant_id=tenant_id,
        headers=http_events.lower_case_headers(event),
        body=http_events.raw_body(event),
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    too_large = http_events.refuse_oversized_body(event, MAX_WEBHOOK_BODY_BYTES)
    if too_large is not None:
        return too_large
    bootstrap.container().webhook_idempotency.config.register_lambda_context(context)
    return app.resolve(event, context)
