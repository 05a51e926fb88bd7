"""Lambda's side of the local runtime: the events API Gateway (HTTP API, payload 2.0) and the SQS
event source hand to a function, and the context object it receives."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_REGION = "us-east-1"


@dataclass
class LocalLambdaContext:
    """What Powertools reads from Lambda's context object."""

    function_name: str = "local-function"
    memory_limit_in_mb: int = 512
    timeout_seconds: float = 30.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def http_api_event(
    *,
    method: str,
    route_key: str,
    path: str,
    path_parameters: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    jwt_claims: Mapping[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, as the real service builds it."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    now = time.time()
    raw_query = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": "local",
            "domainName": lowered.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        try:
            event["body"] = body.decode()
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    if jwt_claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": dict(jwt_claims), "scopes": None}
        }
    return event


def sqs_event(messages: list[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The SQS event source's batch for messages as ReceiveMessage returned them."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": LOCAL_REGION,
            }
            for message in messages
        ]
    }
