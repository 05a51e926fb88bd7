"""Fault injection on the PushPress API: outages, 5xx, 429 storms, slow and held answers.

Each fault draws from its own ``random.Random``, seeded from the emulator's fault seed and the
fault's id unless it brings its own seed, so the same requests in the same order fail the same
way every time. Windows (``duration_seconds``) run on the emulator's clock.
"""

import enum
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pushpress_emulator.wire import EmulatorResponse, rate_limited_response, server_error_response


class FaultKind(enum.StrEnum):
    ERROR = "error"
    """A 5xx (``status``, default 500)."""
    OUTAGE = "outage"
    """503 to every matching request."""
    RATE_LIMIT = "rate_limit"
    """429 with ``Retry-After: retry_after``."""
    LATENCY = "latency"
    """Answer after ``latency_ms`` (slow, but served)."""
    TIMEOUT = "timeout"
    """Hold the answer ``hold_seconds`` (past a client's timeout), then 504."""


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    status: int = Field(default=500, ge=500, le=599)
    retry_after: int = Field(default=1, ge=0, le=3600)
    latency_ms: int = Field(default=200, ge=0, le=60_000)
    hold_seconds: float = Field(default=5.0, ge=0, le=120)
    probability: float = Field(default=1.0, ge=0, le=1)
    duration_seconds: float | None = Field(default=None, gt=0)
    max_requests: int | None = Field(default=None, ge=1)
    path_prefix: str | None = None
    """Matched against the path after ``/v3`` (``/customers``), or the full path."""
    method: str | None = None
    seed: int | None = None

    @model_validator(mode="after")
    def _upper_method(self) -> Self:
        if self.method is not None and self.method != self.method.upper():
            object.__setattr__(self, "method", self.method.upper())
        return self


@dataclass
class ActiveFault:
    id: int
    spec: FaultSpec
    injected_at: datetime
    rng: random.Random
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.spec.method is not None and self.spec.method != method:
            return False
        prefix = self.spec.path_prefix
        if prefix is not None and not (path.startswith(prefix) or path.startswith("/v3" + prefix)):
            return False
        return self.spec.max_requests is None or self.fired < self.spec.max_requests

    def expired(self, now: datetime) -> bool:
        duration = self.spec.duration_seconds
        if duration is not None and now >= self.injected_at + timedelta(seconds=duration):
            return True
        return self.spec.max_requests is not None and self.fired >= self.spec.max_requests

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec.model_dump(mode="json"), "fired": self.fired}


@dataclass
class FaultPlan:
    """What the matching faults do to one request."""

    response: EmulatorResponse | None = None
    delay_seconds: float = 0.0
    hold_seconds: float = 0.0
    fired: list[int] = field(default_factory=list)


class FaultInjector:
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._faults: list[ActiveFault] = []
        self._next_id = 1
        self._lock = threading.Lock()
        self._release = threading.Event()

    def inject(self, spec: FaultSpec, now: datetime) -> ActiveFault:
        with self._lock:
            fault_id = self._next_id
            self._next_id += 1
            seed = spec.seed if spec.seed is not None else self.seed * 1_000_003 + fault_id
            fault = ActiveFault(fault_id, spec, now, random.Random(seed))  # noqa: S311 (not secrets)
            self._faults.append(fault)
            return fault

    def active(self, now: datetime) -> list[ActiveFault]:
        with self._lock:
            self._faults = [f for f in self._faults if not f.expired(now)]
            return list(self._faults)

    def clear(self, fault_id: int | None = None) -> bool:
        """Remove one fault (False if it is not there) or all; held requests are let go."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
            removed = len(self._faults) < before
        if fault_id is None:
            self.release_waiting()
        return removed

    def release_waiting(self) -> None:
        self._release.set()
        self._release = threading.Event()

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self._release.wait(seconds)

    def plan(self, method: str, path: str, now: datetime) -> FaultPlan:
        plan = FaultPlan()
        with self._lock:
            self._faults = [f for f in self._faults if not f.expired(now)]
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.rng.random() >= fault.spec.probability:
                    continue
                fault.fired += 1
                plan.fired.append(fault.id)
                _apply(fault.spec, plan)
        return plan


def _apply(spec: FaultSpec, plan: FaultPlan) -> None:
    match spec.kind:
        case FaultKind.ERROR:
            plan.response = plan.response or server_error_response(spec.status)
        case FaultKind.OUTAGE:
            plan.response = plan.response or server_error_response(503)
        case FaultKind.RATE_LIMIT:
            plan.response = plan.response or rate_limited_response(spec.retry_after)
        case FaultKind.LATENCY:
            plan.delay_seconds += spec.latency_ms / 1000
        case FaultKind.TIMEOUT:
            plan.hold_seconds = max(plan.hold_seconds, spec.hold_seconds)
            plan.response = plan.response or server_error_response(504)
