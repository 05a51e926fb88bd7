"""Fault injection: errors, outages, 429 storms, latency, held responses, deprecation headers.

The emulator kit's injector keeps, draws and expires the faults (each from its own seeded
`random.Random`, so the same requests in the same order fail the same way every time; windows
run on the emulator's clock); this module says what each kind does to a request.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from emulator_kit.faults import FaultInjector, FaultPlan
from kisi_emulator.wire import rate_limited_response, server_error_response


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

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)

    @model_validator(mode="after")
    def _kind_needs_its_amount(self) -> Self:
        if self.kind is FaultKind.LATENCY and self.latency_ms == 0:
            raise ValueError("a latency fault needs latency_ms > 0")
        if self.kind is FaultKind.TIMEOUT and self.hold_seconds == 0:
            raise ValueError("a timeout fault needs hold_seconds > 0")
        return self


def fault_injector(seed: int = 0) -> FaultInjector[FaultSpec]:
    """The emulator kit's injector with Kisi's faults."""
    return FaultInjector(FaultSpec.model_validate, _apply, seed)


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
