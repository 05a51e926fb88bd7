"""The emulator kit on its own, through a minimal emulator of a made-up API ("Echo"), answered
in process: routing, the shared control API, faults, counts, error answers, all-or-nothing
seeding, and the CLI's seed choice."""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emulator_kit import cli
from emulator_kit import control_api as shared_control
from emulator_kit.call import Call
from emulator_kit.clock import ManualClock
from emulator_kit.emulator import ApiEmulator
from emulator_kit.faults import FaultInjector, FaultPlan
from emulator_kit.routes import Route, RouteMatch, RouteTable, control
from emulator_kit.testing import in_process_transport
from emulator_kit.wire import EmulatorError, EmulatorRequest, EmulatorResponse, ok_response


class EchoError(EmulatorError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def to_response(self) -> EmulatorResponse:
        return EmulatorResponse(self.status, {"message": self.message})


@dataclass(frozen=True)
class EchoCall(Call):
    emulator: "EchoEmulator"

    def body_object(self) -> dict[str, Any]:
        body = json.loads(self.request.body) if self.request.body.strip() else {}
        if not isinstance(body, dict):
            raise EchoError(400, "not an object")
        return body


class Named(BaseModel):
    name: str


def echo(call: EchoCall) -> EmulatorResponse:
    return ok_response({"name": call.params.get("name"), "names": call.emulator.names()})


def refuse(call: EchoCall) -> EmulatorResponse:
    raise EchoError(418, "no")


def invalid(call: EchoCall) -> EmulatorResponse:
    return ok_response(Named.model_validate(call.body_object()).name)


def boom(call: EchoCall) -> EmulatorResponse:
    raise RuntimeError("a bug")


ROUTES = RouteTable[EchoCall](
    (
        Route("GET", "/echo/{name}", echo),
        Route("GET", "/refuse", refuse),
        Route("POST", "/invalid", invalid),
        Route("GET", "/boom", boom),
        *shared_control.ROUTES,
        control("GET", "/names", echo),
    ),
    unquote_params=True,
)


class EchoFaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: int = 503
    probability: float = Field(default=1.0, ge=0, le=1)
    duration_seconds: float | None = None
    max_requests: int | None = None
    path_prefix: str | None = None
    seed: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)


def apply_fault(spec: EchoFaultSpec, plan: FaultPlan, now: datetime) -> None:
    plan.response = plan.response or EmulatorResponse(spec.status, {"message": "fault"})


class CallKey(NamedTuple):
    client: str
    endpoint: str
    status: int


class EchoEmulator(ApiEmulator[EchoCall, list[str]]):
    log = logging.getLogger("echo_emulator")

    def __init__(self, *, clock: ManualClock, rate_limit: bool = False) -> None:
        super().__init__(
            routes=ROUTES,
            new_call=EchoCall,
            clock=clock,
            rate_limit=rate_limit,
            requests_per_second=2,
            faults=FaultInjector(EchoFaultSpec.model_validate, apply_fault, seed=7),
        )
        self.revoked: list[str] = []

    def answer(
        self,
        request: EmulatorRequest,
        matched: RouteMatch[EchoCall] | None,
        plan: FaultPlan,
        endpoint: str,
    ) -> tuple[EmulatorResponse, CallKey]:
        if plan.response is not None:
            response = plan.response
        elif self.rate_limit_enabled and not self._limiter.allow(request.client_address):
            response = EmulatorResponse(429, {"message": "slow down"})
        elif matched is None:
            response = self.unknown_endpoint_response()
        else:
            response = self.run(
                matched.route, EchoCall(self, request, matched.params, self.clock.now())
            )
        return response, CallKey(request.client_address, endpoint, response.status)

    def unknown_endpoint_response(self) -> EmulatorResponse:
        return EmulatorResponse(404, {"message": "no such endpoint"})

    def validation_failure_response(self, error: ValidationError) -> EmulatorResponse:
        return EmulatorResponse(422, {"message": f"{error.error_count()} problem(s)"})

    def internal_error_response(self) -> EmulatorResponse:
        return EmulatorResponse(500, {"message": "internal"})

    def not_found(self, what: str) -> EchoError:
        return EchoError(404, f"{what} not found")

    def new_state(self) -> list[str]:
        return []

    def names(self) -> list[str]:
        with self._lock:
            return list(self._state)

    def seed(self, document: Any) -> dict[str, Any]:
        names = list(document.get("names", []))

        def add(state: list[str]) -> dict[str, Any]:
            for name in names:
                if name == "bad":
                    raise EchoError(422, "bad name")
                state.append(name)
            return {"names": list(state)}

        return self._all_or_nothing(add)

    def seed_demo(self) -> dict[str, Any]:
        return self.seed({"names": ["demo"]})

    def revoke_api_key(self, key: str) -> None:
        self.revoked.append(key)

    def counts(self) -> dict[str, Any]:
        return self._counts_by(client=lambda key: key.client)

    def config(self) -> dict[str, Any]:
        return {"rate_limit": self.rate_limit_enabled}

    def call_count(self, endpoint: str | None = None, *, status: int | None = None) -> int:
        return self._count_calls(endpoint=endpoint, status=status)


@pytest.fixture
def emulator() -> EchoEmulator:
    return EchoEmulator(clock=ManualClock())


@pytest.fixture
def http(emulator: EchoEmulator) -> httpx.Client:
    return httpx.Client(
        base_url="http://echo.invalid", transport=in_process_transport(emulator.handle)
    )


def test_a_route_matches_its_method_and_path_and_its_parameters_are_decoded(
    http: httpx.Client, emulator: EchoEmulator
) -> None:
    assert http.get("/echo/a%20b").json() == {"name": "a b", "names": []}
    assert http.post("/echo/x").status_code == 404
    assert emulator.call_count("GET /echo/{name}", status=200) == 1
    assert emulator.call_count("POST /echo/x") == 1


def test_a_route_table_keeps_escapes_unless_asked() -> None:
    table = RouteTable[EchoCall]((Route("GET", "/echo/{name}", echo),))

    found = table.match("GET", "/echo/a%2Fb")
    assert found is not None
    assert found.params == {"name": "a%2Fb"}
    assert found.route.name == "GET /echo/{name}"
    assert not found.route.is_control


def test_errors_below_a_handler_become_the_emulators_answers(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="echo_emulator"):
        answers = [
            http.get("/refuse"),
            http.post("/invalid", json={}),
            http.get("/boom"),
            http.get("/nowhere"),
        ]

    assert [(a.status_code, a.json()["message"]) for a in answers] == [
        (418, "no"),
        (422, "1 problem(s)"),
        (500, "internal"),
        (404, "no such endpoint"),
    ]
    assert "emulator failure in GET /boom" in caplog.text


def test_the_shared_control_api_answers_uncounted_and_unknown_control_paths_are_404(
    http: httpx.Client, emulator: EchoEmulator
) -> None:
    health = http.get("/_emulator/health").json()
    assert health == {"status": "ok", "now": emulator.clock.now().isoformat()}
    assert http.post("/_emulator/seed", json={"names": ["ann"]}).json() == {"names": ["ann"]}
    assert http.post("/_emulator/seed/demo").json() == {"names": ["ann", "demo"]}
    assert http.get("/_emulator/names").json()["names"] == ["ann", "demo"]
    assert http.delete("/_emulator/api_keys/k%2F1").status_code == 204
    assert http.get("/_emulator/config").json() == {"rate_limit": False}
    assert http.get("/_emulator/nothing-here").status_code == 404
    assert http.get("/_emulator").status_code == 404

    assert emulator.revoked == ["k/1"]
    assert http.get("/_emulator/counts").json()["total"] == 0


def test_a_seed_that_fails_leaves_the_state_as_it_was(emulator: EchoEmulator) -> None:
    emulator.seed({"names": ["ann"]})

    with pytest.raises(EchoError):
        emulator.seed({"names": ["bob", "bad"]})

    assert emulator.names() == ["ann"]


def test_faults_fire_on_matching_paths_and_expire_after_max_requests(
    http: httpx.Client, emulator: EchoEmulator
) -> None:
    injected = http.post(
        "/_emulator/faults", json={"status": 502, "path_prefix": "/echo", "max_requests": 2}
    ).json()

    statuses = [http.get("/echo/a").status_code for _ in range(3)]

    assert injected["id"] == 1
    assert injected["fired"] == 0
    assert statuses == [502, 502, 200]
    assert http.get("/refuse").status_code == 418
    assert http.get("/_emulator/faults").json() == []
    assert emulator.counts()["by_status"] == {"200": 1, "418": 1, "502": 2}


def test_a_fault_window_runs_on_the_emulators_clock(
    http: httpx.Client, emulator: EchoEmulator
) -> None:
    emulator.inject_fault(duration_seconds=10)

    first = http.get("/echo/a").status_code
    emulator.advance_clock(10)
    second = http.get("/echo/a").status_code

    assert (first, second) == (503, 200)


def test_probabilistic_faults_repeat_with_the_same_seed() -> None:
    def pattern() -> list[int]:
        emulator = EchoEmulator(clock=ManualClock())
        emulator.inject_fault(probability=0.5)
        return [emulator.handle(EmulatorRequest("GET", "/echo/a")).status for _ in range(20)]

    first = pattern()
    assert first == pattern()
    assert {200, 503} == set(first)


def test_clearing_faults(http: httpx.Client, emulator: EchoEmulator) -> None:
    emulator.inject_fault(status=500)
    emulator.inject_fault(status=502)

    assert http.delete("/_emulator/faults").status_code == 204
    assert emulator.faults() == []
    with pytest.raises(EchoError, match="Fault not found"):
        emulator.clear_faults(99)


def test_the_rate_limit_counts_per_identity_in_a_sliding_second() -> None:
    clock = ManualClock()
    emulator = EchoEmulator(clock=clock, rate_limit=True)

    statuses = [emulator.handle(EmulatorRequest("GET", "/echo/a")).status for _ in range(3)]
    clock.advance(1)
    after = emulator.handle(EmulatorRequest("GET", "/echo/a")).status

    assert statuses == [200, 200, 429]
    assert after == 200
    assert emulator.counts()["rate_limited"] == 1
    assert emulator.configure(rate_limit=False) == {"rate_limit": False}
    assert emulator.handle(EmulatorRequest("GET", "/echo/a")).status == 200


def test_counts_are_summed_by_endpoint_status_and_each_label(emulator: EchoEmulator) -> None:
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        emulator.handle(EmulatorRequest("GET", "/echo/a", client_address=address))
    emulator.handle(EmulatorRequest("GET", "/refuse", client_address="10.0.0.2"))

    counts = emulator.counts()

    assert counts["by_client"] == {
        "10.0.0.1": {
            "total": 2,
            "rate_limited": 0,
            "by_endpoint": {"GET /echo/{name}": 2},
            "by_status": {"200": 2},
        },
        "10.0.0.2": {
            "total": 2,
            "rate_limited": 0,
            "by_endpoint": {"GET /echo/{name}": 1, "GET /refuse": 1},
            "by_status": {"200": 1, "418": 1},
        },
    }
    assert counts["total"] == 4
    assert counts["by_status"] == {"200": 3, "418": 1}


def test_reset_forgets_the_state_the_faults_and_the_counts(
    http: httpx.Client, emulator: EchoEmulator
) -> None:
    emulator.seed({"names": ["ann"]})
    emulator.inject_fault(path_prefix="/refuse")
    http.get("/echo/a")

    assert http.post("/_emulator/reset").status_code == 204

    assert emulator.names() == []
    assert emulator.faults() == []
    assert emulator.counts()["total"] == 0


def test_the_clock_moves_through_the_control_api(
    http: httpx.Client, emulator: EchoEmulator
) -> None:
    start = emulator.clock.now()

    moved = http.post("/_emulator/clock/advance", json={"seconds": 90}).json()

    assert datetime.fromisoformat(moved["now"]) - start == emulator.clock.now() - start
    assert (emulator.clock.now() - start).total_seconds() == 90
    assert http.post("/_emulator/clock/advance", json={"seconds": -1}).status_code == 422


def test_the_cli_seed_is_the_demo_nothing_or_a_file(tmp_path: Path) -> None:
    document = tmp_path / "seed.json"
    document.write_text('{"names": ["file"]}', encoding="utf-8")

    def demo() -> dict[str, Any]:
        return {"names": ["demo"]}

    assert cli.load_seed("demo", demo) == {"names": ["demo"]}
    assert cli.load_seed("none", demo) is None
    assert cli.load_seed(str(document), demo) == {"names": ["file"]}


def test_the_cli_arguments_every_emulator_takes() -> None:
    parser = cli.argument_parser("echo", "An echo.", default_port=9999, rate_limit="2 requests/s")

    arguments = parser.parse_args(["--no-rate-limit", "--fault-seed", "3"])

    assert (arguments.host, arguments.port, arguments.seed) == ("127.0.0.1", 9999, "demo")
    assert (arguments.no_rate_limit, arguments.fault_seed, arguments.quiet) == (True, 3, False)
