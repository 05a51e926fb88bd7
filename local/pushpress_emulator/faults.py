"""Fault injection on the PushPress API: outages, 5xx, 429 storms, slow and held answers.

The emulator kit's injector keeps, draws and expires the faults (each from its own seeded
``random.Random``, so the same requests in the same order fail the same way every time; windows
run on the emulator's clock); this module says what each kind does to a request.
"""

import enum
from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from emulator_kit.faults import FaultInjector, FaultPlan
from pushpress_emulator.wire import rate_limited_response, server_error_response


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

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        prefix = self.path_prefix
        return prefix is None or path.startswith(prefix) or path.startswith("/v3" + prefix)

    @model_validator(mode="after")
    def _upper_method(self) -> Self:
        if self.method is not None and self.method != self.method.upper():
            object.__setattr__(self, "method", self.method.upper())
        return self


def fault_injector(seed: int = 0) -> FaultInjector[FaultSpec]:
    """The emulator kit's injector with PushPress's faults."""
    return FaultInjector(FaultSpec.model_validate, _apply, seed)


def _apply(spec: FaultSpec, plan: FaultPlan, now: datetime) -> None:
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
