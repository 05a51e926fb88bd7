"""Test doubles for the Kisi client: a scripted Kisi behind httpx.MockTransport, on the tests'
one clock (tests/fakes.py)."""

import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from kisi_client import KisiClient, PacerRegistry, RetryPolicy
from tests.fakes import FakeClock

API_KEY = "kisi-test-key-7f3a9c1e5b2d4f60"
BASE_URL = "https://kisi.test"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def kisi_json(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def kisi_error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "error": message}, headers=headers)


class FakeKisi:
    """Answers routed requests in order (the last answer repeats) and records every request.

    ``collection`` serves a list with Kisi's limit/offset paging and X-Collection-Range.
    Unrouted requests get Kisi's 404.
    """

    def __init__(self, clock: FakeClock, pacers: PacerRegistry) -> None:
        self.clock = clock
        self.pacers = pacers
        self.requests: list[httpx.Request] = []
        self.request_times: list[float] = []
        self._routes: dict[tuple[str, str], list[Answer]] = {}

    def route(self, method: str, path: str, *answers: Answer) -> None:
        self._routes[(method, path)] = list(answers)

    def collection(
        self, path: str, items: Sequence[dict[str, Any]], *, range_header: bool = True
    ) -> None:
        def serve(request: httpx.Request) -> httpx.Response:
            limit = int(request.url.params["limit"])
            offset = int(request.url.params["offset"])
            page = list(items[offset : offset + limit])
            headers = {}
            if range_header:
                span = f"{offset}-{offset + len(page) - 1}" if page else "*"
                headers["X-Collection-Range"] = f"{span}/{len(items)}"
            return httpx.Response(200, json=page, headers=headers)

        self.route("GET", path, serve)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.request_times.append(self.clock.monotonic())
        answers = self._routes.get((request.method, request.url.path))
        if not answers:
            return kisi_error(404, "000404", "The endpoint does not exist.")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def client(self, **overrides: Any) -> KisiClient:
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "pacers": self.pacers,
            "retry": RetryPolicy(jitter=lambda: 0.5),
            "integration_contact": "dev@club.test",
            "http_client": httpx.Client(transport=httpx.MockTransport(self.handle)),
        }
        options.update(overrides)
        return KisiClient(API_KEY, **options)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def timeout(request_kind: type[httpx.TransportError] = httpx.ReadTimeout) -> Exception:
    return request_kind("simulated")
