"""Test doubles for the PushPress client: a scripted PushPress behind httpx.MockTransport and a
fake clock whose sleep moves it."""

from collections.abc import Callable, Sequence
from typing import Any

import httpx

from pushpress_client import PacerRegistry, PushPressClient, RetryPolicy

API_KEY = "pp-test-key-5b2d4f607f3a9c1e"
COMPANY_ID = "cli_5d2e8b40"
BASE_URL = "https://pushpress.test/v3"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Monotonic time that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


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


def raw_path(request: httpx.Request) -> str:
    """The path as sent, percent-escapes kept, without the query."""
    return request.url.raw_path.decode("ascii").partition("?")[0]


class FakePushPress:
    """Answers routed requests in order (the last answer repeats) and records every request.

    ``collection`` serves a list with PushPress's page/limit paging, optionally capping the
    page size as a server might. Unrouted requests get a 404.
    """

    def __init__(self, clock: FakeClock, pacers: PacerRegistry) -> None:
        self.clock = clock
        self.pacers = pacers
        self.requests: list[httpx.Request] = []
        self.request_times: list[float] = []
        self._routes: dict[tuple[str, str], list[Answer]] = {}

    def route(self, method: str, path: str, *answers: Answer) -> None:
        self._routes[(method, "/v3" + path)] = list(answers)

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

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.request_times.append(self.clock.now)
        answers = self._routes.get((request.method, raw_path(request)))
        if not answers:
            return error(404, "Route not found")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and raw_path(r) == "/v3" + path]

    def client(self, **overrides: Any) -> PushPressClient:
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "company_id": COMPANY_ID,
            "pacers": self.pacers,
            "retry": RetryPolicy(jitter=lambda: 0.5),
            "http_client": httpx.Client(transport=httpx.MockTransport(self.handle)),
        }
        options.update(overrides)
        return PushPressClient(API_KEY, **options)
