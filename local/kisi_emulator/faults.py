"""Fault injection: errors, outages, 429 storms, latency, held responses, deprecation headers.

Each fault draws from its own `random.Random`, seeded from the emulator's fault seed and the
fault's id unless it brings its own seed, so a run with the same requests in the same order
fails the same way every time. Windows (`duration_seconds`) run on the emulator's clock.
"""

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kisi_emulator.wire import (
    EmulatorResponse,
    format_timestamp,
    rate_limited_response,
    server_error_response,
)


class FaultKind(StrEnum):
    ERROR = "error"
    """Answer `status` (a 5xx, 503 by default) with `probability`."""
    OUTAGE = "outage"
    """Answer 503 to every matching request."""
    RATE_LIMIT = "rate_limit"
    """A 429 storm: answer 429 (`Retry-After: 1`) to every matching request."""
    LATENCY = "latency"
    """Wait `latency_ms` before handling the request."""
    TIMEOUT = "timeout"
    """Hold the response `hold_seconds` (longer than the client's timeout). With `applied`
    the request takes effect before the hold; without, it is dropped and a 504 follows."""
    DEPRECATED = "deprecated"
    """Add `Deprecation` and `Sunset` headers, as Kisi does on deprecated endpoints."""


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    status: int = Field(default=503, ge=500, le=599)
    latency_ms: int = Field(default=0, ge=0)
    hold_seconds: float = Field(default=0.0, ge=0.0)
    applied: bool = True
    duration_seconds: float | None = Field(default=None, gt=0)
    """Active for this long after injection (emulator clock); None = until cleared."""
    max_requests: int | None = Field(default=None, ge=1)
    """Fires on at most this many requests, then expires."""
    path_prefix: str | None = None
    method: str | None = None
    seed: int | None = None

    @model_validator(mode="after")
    def _kind_needs_its_amount(self) -> Self:
        if self.kind is FaultKind.LATENCY and self.latency_ms == 0:
            raise ValueError("a latency fault needs latency_ms > 0")
        if self.kind is FaultKind.TIMEOUT and self.hold_seconds == 0:
            raise ValueError("a timeout fault needs hold_seconds > 0")
        return self


@dataclass
class ActiveFault:
    id: int
    spec: FaultSpec
    injected_at: datetime
    rng: random.Random
    fired: int = 0

    def expired(self, now: datetime) -> bool:
        limit = self.spec.max_requests
        window = self.spec.duration_seconds
        if limit is not None and self.fired >= limit:
            return True
        return window is not None and now >= self.injected_at + timedelta(seconds=window)

    def matches(self, method: str, path: str) -> bool:
        spec = self.spec
        if spec.method is not None and spec.method.upper() != method:
            return False
        return spec.path_prefix is None or path.startswith(spec.path_prefix)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.spec.model_dump(mode="json"),
            "injected_at": format_timestamp(self.injected_at),
            "fired": self.fired,
        }


@dataclass
class FaultPlan:
    """What the faults decided for one request."""

    delay_seconds: float = 0.0
    hold_seconds: float = 0.0
    applied: bool = True
    response: EmulatorResponse | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


class FaultInjector:
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._faults: list[ActiveFault] = []
        self._next_id = 1
        self._release = threading.Event()
        self._lock = threading.Lock()

    def inject(self, spec: FaultSpec, now: datetime) -> ActiveFault:
        with self._lock:
            fault_id = self._next_id
            self._next_id += 1
            seed = spec.seed if spec.seed is not None else self.seed * 1_000_003 + fault_id
            fault = ActiveFault(fault_id, spec, now, random.Random(seed))  # noqa: S311 (fault draws, not secrets)
            self._faults.append(fault)
            return fault

    def active(self, now: datetime) -> list[ActiveFault]:
        with self._lock:
            self._drop_expired(now)
            return list(self._faults)

    def clear(self, fault_id: int | None = None) -> bool:
        """Remove one fault (False if it is not there) or all; waiting requests are let go."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
            removed = len(self._faults) < before
            if fault_id is None:
                self.release_waiting()
            return removed

    def release_waiting(self) -> None:
        """End every latency and hold now (on clear and on server stop)."""
        self._release.set()
        self._release = threading.Event()

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self._release.wait(seconds)

    def plan(self, method: str, path: str, now: datetime) -> FaultPlan:
        plan = FaultPlan()
        with self._lock:
            self._drop_expired(now)
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.rng.random() >= fault.spec.probability:
                    continue
                fault.fired += 1
                _apply(fault.spec, plan, now)
        return plan

    def _drop_expired(self, now: datetime) -> None:
        self._faults = [f for f in self._faults if not f.expired(now)]


def _apply(spec: FaultSpec, plan: FaultPlan, now: datetime) -> None:
    match spec.kind:
        case FaultKind.ERROR:
            plan.response = plan.response or server_error_response(spec.status)
        case FaultKind.OUTAGE:
            plan.response = plan.response or server_error_response(503)
        case FaultKind.RATE_LIMIT:
            plan.response = plan.response or rate_limited_response()
        case FaultKind.LATENCY:
            plan.delay_seconds += spec.latency_ms / 1000
        case FaultKind.TIMEOUT:
            plan.hold_seconds = max(plan.hold_seconds, spec.hold_seconds)
            plan.applied = plan.applied and spec.applied
        case FaultKind.DEPRECATED:
            sunset = now + timedelta(days=90)
            plan.extra_headers["Deprecation"] = "true"
            plan.extra_headers["Sunset"] = sunset.strftime("%a, %d %b %Y %H:%M:%S GMT")
