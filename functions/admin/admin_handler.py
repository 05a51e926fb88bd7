"""Placeholder for ANY /v1/admin/{proxy+} (club admin API); answers 501 until written."""

from __future__ import annotations

import json


def handler(event: dict[str, object], context: object) -> dict[str, object]:
    return {
        "statusCode": 501,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"error": "not implemented"}),
    }
