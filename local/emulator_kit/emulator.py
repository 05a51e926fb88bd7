"""`ApiEmulator`: the state, the rate limiter, the faults and the call counts behind one lock.

`handle` answers one request, whatever carries it (the HTTP server, or an in-process transport):
a control route (`/_emulator/...`: no auth, no rate limit, no faults, not counted) runs at once;
any other request meets the faults first (as the infrastructure in front of the API would), then
the emulator's own `answer` (rate limit, unknown endpoint, authentication, the endpoint), under
the lock, and is counted. The other public methods are the Python API that the control
endpoints also call; each emulator adds its own.
"""

import copy
import logging
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError

from emulator_kit.clock import Clock, SystemClock
from emulator_kit.faults import ActiveFault, FaultInjector, FaultPlan
from emulator_kit.rate_limit import SlidingWindowLimiter
from emulator_kit.routes import Route, RouteMatch, RouteTable, is_control_path
from emulator_kit.wire import EmulatorError, EmulatorRequest, EmulatorResponse


class CallKey(Protocol):
    """What every emulator's call key has (a `NamedTuple` with who called, too)."""

    @property
    def endpoint(self) -> str: ...
    @property
    def status(self) -> int: ...


def call_summary(calls: Iterable[tuple[CallKey, int]]) -> dict[str, Any]:
    """Totals of counted calls: all, 429s, by `METHOD /template` and by status."""
    by_endpoint: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    for key, count in calls:
        by_endpoint[key.endpoint] += count
        by_status[str(key.status)] += count
    return {
        "total": by_endpoint.total(),
        "rate_limited": by_status["429"],
        "by_endpoint": dict(sorted(by_endpoint.items())),
        "by_status": dict(sorted(by_status.items())),
    }


class ApiEmulator[C, State](ABC):
    """A stateful API emulator (thread-safe); `C` is its routes' call, `State` its data.

    `clock` drives the rate limiter, fault windows and timestamps (default: the system clock);
    `rate_limit=False` turns the limit off; the faults' seed makes probabilistic faults
    repeatable.
    """

    log: ClassVar[logging.Logger]

    def __init__(
        self,
        *,
        routes: RouteTable[C],
        new_call: Callable[[Any, EmulatorRequest, Mapping[str, str], datetime], C],
        clock: Clock | None,
        rate_limit: bool,
        requests_per_second: int,
        faults: FaultInjector[Any],
    ) -> None:
        """`new_call(emulator, request, params, now)` makes the call of a control route."""
        self._routes = routes
        self._new_call = new_call
        self.clock: Clock = clock or SystemClock()
        self.rate_limit_enabled = rate_limit
        self._lock = threading.RLock()
        self._state = self.new_state()
        self._limiter = SlidingWindowLimiter(self.clock, requests_per_second)
        self._faults = faults
        self._calls: Counter[Any] = Counter()

    # -- what each emulator says in its API's terms --

    @abstractmethod
    def answer(
        self,
        request: EmulatorRequest,
        matched: RouteMatch[C] | None,
        plan: FaultPlan,
        endpoint: str,
    ) -> tuple[EmulatorResponse, Any]:
        """Answer an API request under the lock, after the faults' latency; return the answer
        and its call key (counted once)."""

    @abstractmethod
    def unknown_endpoint_response(self) -> EmulatorResponse: ...

    @abstractmethod
    def validation_failure_response(self, error: ValidationError) -> EmulatorResponse:
        """The answer to a body (or a control document) that its pydantic model refused."""

    @abstractmethod
    def internal_error_response(self) -> EmulatorResponse: ...

    @abstractmethod
    def not_found(self, what: str) -> EmulatorError: ...

    @abstractmethod
    def new_state(self) -> State: ...

    @abstractmethod
    def seed(self, document: Any) -> dict[str, Any]: ...

    @abstractmethod
    def seed_demo(self) -> dict[str, Any]: ...

    @abstractmethod
    def revoke_api_key(self, key: str) -> None: ...

    @abstractmethod
    def counts(self) -> dict[str, Any]: ...

    @abstractmethod
    def config(self) -> dict[str, Any]: ...

    # -- answering requests --

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        matched = self._routes.match(request.method, request.path)
        if matched is not None and matched.route.is_control:
            call = self._new_call(self, request, matched.params, self.clock.now())
            return self.run(matched.route, call)
        if is_control_path(request.path):
            return self.unknown_endpoint_response()
        endpoint = matched.route.name if matched else f"{request.method} {request.path}"
        plan = self._faults.plan(request.method, request.path, self.clock.now())
        self._faults.wait(plan.delay_seconds)
        with self._lock:
            response, call_key = self.answer(request, matched, plan, endpoint)
            self._calls[call_key] += 1
        # Held after the request took effect and was counted, as when a client times out.
        self._faults.wait(plan.hold_seconds)
        return response

    def run(self, route: Route[C], call: C) -> EmulatorResponse:
        """Run a route's handler; an error it raises becomes the API's error answer."""
        try:
            return route.handler(call)
        except EmulatorError as error:
            return error.to_response()
        except ValidationError as error:
            return self.validation_failure_response(error)
        except Exception:
            self.log.exception("emulator failure in %s", route.name)
            return self.internal_error_response()

    # -- state --

    def reset(self) -> None:
        """Forget everything: the data, faults, counts and rate-limit windows."""
        with self._lock:
            self._state = self.new_state()
            self._faults.clear()
            self._limiter.reset()
            self._calls.clear()

    def _all_or_nothing(self, change: Callable[[State], dict[str, Any]]) -> dict[str, Any]:
        """`change(state)` under the lock; the state as it was if it raises."""
        with self._lock:
            backup = copy.deepcopy(self._state)
            try:
                return change(self._state)
            except Exception:
                self._state = backup
                raise

    # -- faults --

    def inject_fault(
        self, spec: Mapping[str, Any] | Any | None = None, /, **fields: Any
    ) -> dict[str, Any]:
        """Add a fault, from the emulator's `FaultSpec`, a mapping or keywords
        (`kind="outage"`, ...)."""
        fault = self._faults.inject(spec if spec is not None else fields, self.clock.now())
        return self.fault_wire(fault)

    def faults(self) -> list[dict[str, Any]]:
        return [self.fault_wire(fault) for fault in self._faults.active(self.clock.now())]

    def fault_wire(self, fault: ActiveFault[Any]) -> dict[str, Any]:
        """A fault as the control API lists it."""
        return fault.to_wire()

    def clear_faults(self, fault_id: int | None = None) -> None:
        """Remove one fault, or all of them (which also lets held requests go)."""
        if not self._faults.clear(fault_id) and fault_id is not None:
            raise self.not_found("Fault")

    def release_waiting_requests(self) -> None:
        self._faults.release_waiting()

    # -- counts --

    def _counts_by(self, **labels: Callable[[Any], str]) -> dict[str, Any]:
        """`call_summary` of every counted call and, for each `name=label`, under `by_<name>`,
        of the calls of each label (`label(call_key)`)."""
        with self._lock:
            calls = list(self._calls.items())
        counts = call_summary(calls)
        for name, label in labels.items():
            groups: dict[str, list[tuple[Any, int]]] = {}
            for key, count in calls:
                groups.setdefault(label(key), []).append((key, count))
            counts[f"by_{name}"] = {k: call_summary(v) for k, v in sorted(groups.items())}
        return counts

    def _count_calls(self, **wanted: object) -> int:
        """Counted calls whose key matches every filter that is not None."""
        with self._lock:
            return sum(
                count
                for key, count in self._calls.items()
                if all(v is None or getattr(key, k) == v for k, v in wanted.items())
            )

    def reset_counts(self) -> None:
        with self._lock:
            self._calls.clear()

    # -- settings, time, and the end --

    def configure(
        self, *, rate_limit: bool | None = None, fault_seed: int | None = None
    ) -> dict[str, Any]:
        """Turn the rate limit on or off; set the seed of faults injected from now on."""
        with self._lock:
            if rate_limit is not None:
                self.rate_limit_enabled = rate_limit
                self._limiter.reset()
            if fault_seed is not None:
                self._faults.seed = fault_seed
            return self.config()

    def advance_clock(self, seconds: float) -> datetime:
        self.clock.advance(seconds)
        return self.clock.now()

    def close(self) -> None:  # noqa: B027 (most emulators hold nothing)
        """Release what the emulator holds (the server calls it on stop)."""
