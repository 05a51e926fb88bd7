"""A scripted API behind httpx.MockTransport, on the tests' one clock (tests/fakes.py): the
base of each client's fake (`FakeKisi`, `FakePushPress`) and of the kit's own tests."""

from collections.abc import Callable

import httpx

from tests.fakes import FakeClock

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class ScriptedApi:
    """Answers routed requests in order (the last answer repeats) and records every request
    and the clock's monotonic time it was sent at. Unrouted requests get `unrouted()`.

    `prefix` is put before every routed path (PushPress's `/v3`); paths are compared as sent
    (`raw_path`: percent-escapes kept) when `raw_paths`, else decoded.
    """

    prefix = ""
    raw_paths = False

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.request_times: list[float] = []
        self._routes: dict[tuple[str, str], list[Answer]] = {}

    def unrouted(self) -> httpx.Response:
        return httpx.Response(404)

    def route(self, method: str, path: str, *answers: Answer) -> None:
        self._routes[(method, self.prefix + path)] = list(answers)

    def path_of(self, request: httpx.Request) -> str:
        if self.raw_paths:
            return request.url.raw_path.decode("ascii").partition("?")[0]
        return request.url.path

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.request_times.append(self.clock.monotonic())
        answers = self._routes.get((request.method, self.path_of(request)))
        if not answers:
            return self.unrouted()
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [
            r for r in self.requests if r.method == method and self.path_of(r) == self.prefix + path
        ]

    def http_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))
