"""Fault injection: each emulator names its fault kinds and what each does to a request; the
injector here keeps the faults, draws, counts and expires them and collects a `FaultPlan`.

Each fault draws from its own `random.Random`, seeded from the emulator's fault seed and the
fault's id unless it brings its own seed, so a run with the same requests in the same order
fails the same way every time. Windows (`duration_seconds`) run on the emulator's clock; a fault
with `max_requests` expires once it fired that often.
"""

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from emulator_kit.wire import EmulatorResponse


class FaultSpec(Protocol):
    """What the injector reads of an emulator's fault spec (a pydantic model)."""

    @property
    def probability(self) -> float: ...
    @property
    def duration_seconds(self) -> float | None: ...
    @property
    def max_requests(self) -> int | None: ...
    @property
    def seed(self) -> int | None: ...

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault applies to a request of this method and path."""
        ...

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


@dataclass
class FaultPlan:
    """What the faults decided for one request."""

    delay_seconds: float = 0.0
    """Wait before handling the request (latency)."""
    hold_seconds: float = 0.0
    """Wait after handling it, before answering (a client's timeout)."""
    applied: bool = True
    """False: the request is dropped, not carried out (the emulator answers its timeout)."""
    response: EmulatorResponse | None = None
    """Answer this instead of handling the request."""
    extra_headers: dict[str, str] = field(default_factory=dict)
    fired: list[int] = field(default_factory=list)
    """The ids of the faults that fired."""


@dataclass
class ActiveFault[S: FaultSpec]:
    id: int
    spec: S
    injected_at: datetime
    rng: random.Random
    fired: int = 0

    def expired(self, now: datetime) -> bool:
        limit = self.spec.max_requests
        window = self.spec.duration_seconds
        if limit is not None and self.fired >= limit:
            return True
        return window is not None and now >= self.injected_at + timedelta(seconds=window)

    def to_wire(self, **extra: Any) -> dict[str, Any]:
        """The fault as the control API lists it; `extra` goes before `fired`."""
        return {"id": self.id, **self.spec.model_dump(mode="json"), **extra, "fired": self.fired}


class FaultInjector[S: FaultSpec]:
    """The active faults of one emulator. `parse` makes the emulator's fault spec of what
    `inject` is given (its `FaultSpec.model_validate`); `apply(spec, plan, now)` does what a
    fault that fired does to the request's plan."""

    def __init__(
        self,
        parse: Callable[[Any], S],
        apply: Callable[[S, FaultPlan, datetime], None],
        seed: int = 0,
    ) -> None:
        self.seed = seed
        self._parse = parse
        self._apply = apply
        self._faults: list[ActiveFault[S]] = []
        self._next_id = 1
        self._release = threading.Event()
        self._lock = threading.Lock()

    def inject(self, spec: Any, now: datetime) -> ActiveFault[S]:
        """Add the fault `spec` describes (a spec, or a mapping of its fields)."""
        parsed = self._parse(spec)
        with self._lock:
            fault_id = self._next_id
            self._next_id += 1
            seed = parsed.seed if parsed.seed is not None else self.seed * 1_000_003 + fault_id
            fault = ActiveFault(fault_id, parsed, now, random.Random(seed))  # noqa: S311 (fault draws, not secrets)
            self._faults.append(fault)
            return fault

    def active(self, now: datetime) -> list[ActiveFault[S]]:
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
                if not fault.spec.matches(method, path):
                    continue
                if fault.rng.random() >= fault.spec.probability:
                    continue
                fault.fired += 1
                plan.fired.append(fault.id)
                self._apply(fault.spec, plan, now)
        return plan

    def _drop_expired(self, now: datetime) -> None:
        self._faults = [f for f in self._faults if not f.expired(now)]
