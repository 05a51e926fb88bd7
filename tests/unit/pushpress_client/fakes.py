"""Test doubles for the PushPress client: a scripted PushPress behind httpx.MockTransport, on
the tests' one clock (tests/fakes.py)."""

from collections.abc import Sequence
from typing import Any

import httpx

from pushpress_client import PacerRegistry, PushPressClient, RetryPolicy
from tests.fakes import FakeClock
from tests.unit.http_client_kit.scripted_api import ScriptedApi

API_KEY = "pp-test-key-5b2d4f607f3a9c1e"
COMPANY_ID = "cli_5d2e8b40"
BASE_URL = "https://pushpress.test/v3"


def customer(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"usr_{number:04d}",
        "companyId": COMPANY_ID,
        "name": {"first": f"First{number}", "last": f"Last{number}", "nickname": ""},
        "email": f"member{number}@example.com",
        "role": "member",
        "account": {"type": "primary"},
        **fields,
    }


def enrollment(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"sub_{number:04d}",
        "customerId": f"usr_{number:04d}",
        "companyId": COMPANY_ID,
        "planId": "plan_24h",
        "billingSchedule": {"period": "month", "interval": 1},
        "status": "active",
        "checkinDetails": {"checkins": 0, "limit": -1},
        "entitlements": [],
        **fields,
    }


def listing(items: Sequence[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(200, json={"data": {"resultArray": list(items)}})


def error(status: int, message: str = "failed", **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"message": message}, headers=headers)


class FakePushPress(ScriptedApi):
    """Answers routed requests in order (the last answer repeats) and records every request;
    paths (under ``/v3``) are compared as sent, percent-escapes kept.

    ``collection`` serves a list with PushPress's page/limit paging, optionally capping the
    page size as a server might. Unrouted requests get a 404.
    """

    prefix = "/v3"
    raw_paths = True

    def __init__(self, clock: FakeClock, pacers: PacerRegistry) -> None:
        super().__init__(clock)
        self.pacers = pacers

    def unrouted(self) -> httpx.Response:
        return error(404, "Route not found")

    def collection(
        self, path: str, items: Sequence[dict[str, Any]], *, max_limit: int | None = None
    ) -> None:
        def serve(request: httpx.Request) -> httpx.Response:
            page = int(request.url.params.get("page", "1"))
            limit = int(request.url.params.get("limit", "10"))
            if max_limit is not None:
                limit = min(limit, max_limit)
            start = (page - 1) * limit
            return listing(items[start : start + limit])

        self.route("GET", path, serve)

    def client(self, **overrides: Any) -> PushPressClient:
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "company_id": COMPANY_ID,
            "pacers": self.pacers,
            "retry": RetryPolicy(jitter=lambda: 0.5),
            "http_client": self.http_client(),
        }
        options.update(overrides)
        return PushPressClient(API_KEY, **options)
