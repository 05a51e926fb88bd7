"""Test doubles for the Kisi client: a scripted Kisi behind httpx.MockTransport, on the tests'
one clock (tests/fakes.py)."""

import json
from collections.abc import Sequence
from typing import Any

import httpx

from kisi_client import KisiClient, PacerRegistry, RetryPolicy
from tests.fakes import FakeClock
from tests.unit.http_client_kit.scripted_api import ScriptedApi

API_KEY = "kisi-test-key-7f3a9c1e5b2d4f60"
BASE_URL = "https://kisi.test"


def kisi_json(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def kisi_error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "error": message}, headers=headers)


class FakeKisi(ScriptedApi):
    """Answers routed requests in order (the last answer repeats) and records every request.

    ``collection`` serves a list with Kisi's limit/offset paging and X-Collection-Range.
    Unrouted requests get Kisi's 404.
    """

    def __init__(self, clock: FakeClock, pacers: PacerRegistry) -> None:
        super().__init__(clock)
        self.pacers = pacers

    def unrouted(self) -> httpx.Response:
        return kisi_error(404, "000404", "The endpoint does not exist.")

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

    def client(self, **overrides: Any) -> KisiClient:
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "pacers": self.pacers,
            "retry": RetryPolicy(jitter=lambda: 0.5),
            "integration_contact": "dev@club.test",
            "http_client": self.http_client(),
        }
        options.update(overrides)
        return KisiClient(API_KEY, **options)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def timeout(request_kind: type[httpx.TransportError] = httpx.ReadTimeout) -> Exception:
    return request_kind("simulated")
