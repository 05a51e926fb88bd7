"""`KisiEmulator`: the state, the rate limiter, the faults and the call counts behind one lock.

`handle` answers one request, whatever carries it (the HTTP server, or an in-process transport);
the other public methods are the Python API that the control endpoints also call.

Order of checks for a Kisi request: faults (as the infrastructure in front of Kisi would),
rate limit (per key owner, or per client address without a valid key), unknown endpoint (404
`000404`), missing or bad key (401 `000401`), then the endpoint itself.
"""

import copy
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from kisi_emulator.call import Call
from kisi_emulator.clock import Clock, SystemClock
from kisi_emulator.demo import load_demo_seed
from kisi_emulator.faults import FaultInjector, FaultSpec
from kisi_emulator.rate_limit import REQUESTS_PER_SECOND, SlidingWindowLimiter
from kisi_emulator.routes import CONTROL_PREFIX, Route, RouteMatch, match_route
from kisi_emulator.seed import SeedDocument, apply_seed
from kisi_emulator.state import UNLOCK_ERRORS, ApiKey, EmulatorState
from kisi_emulator.wire import (
    EmulatorRequest,
    EmulatorResponse,
    KisiError,
    KisiValidationError,
    error_response,
    format_timestamp,
    not_found,
    rate_limited_response,
    server_error_response,
    unknown_endpoint_response,
    validation_response,
)

logger = logging.getLogger(__name__)

ANONYMOUS = "anonymous"


class CallKey(NamedTuple):
    organization_id: int | None
    user_id: int | None
    endpoint: str
    status: int


class LockStateChange(BaseModel):
    """What the control API may change on a lock; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    online: bool | None = None
    locked_down: bool = False
    configured: bool = True
    forced_unlock_error: str | None = None

    @field_validator("forced_unlock_error")
    @classmethod
    def _known_code(cls, code: str | None) -> str | None:
        if code is not None and code not in UNLOCK_ERRORS:
            raise ValueError(f"must be one of {sorted(UNLOCK_ERRORS)}")
        return code


def _validation_errors(error: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for detail in error.errors():
        location = ".".join(str(part) for part in detail["loc"]) or "base"
        errors.setdefault(location, []).append(detail["msg"])
    return errors


def _call_summary(calls: Iterable[tuple[CallKey, int]]) -> dict[str, Any]:
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


class KisiEmulator:
    """A stateful Kisi for tests, benchmarks and the local runtime (thread-safe).

    `clock` drives the rate limiter, fault windows, timestamps and validity windows (default:
    the system clock); `rate_limit=False` turns Kisi's 5 requests/s per user off; `fault_seed`
    makes probabilistic faults repeatable.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        rate_limit: bool = True,
        fault_seed: int = 0,
        requests_per_second: int = REQUESTS_PER_SECOND,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.rate_limit_enabled = rate_limit
        self._lock = threading.RLock()
        self._state = EmulatorState()
        self._limiter = SlidingWindowLimiter(self.clock, requests_per_second)
        self._faults = FaultInjector(fault_seed)
        self._calls: Counter[CallKey] = Counter()

    # -- answering requests --

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        matched = match_route(request.method, request.path)
        if matched is not None and matched.route.is_control:
            call = Call(self, request, matched.params, self.clock.now())
            return self._run(matched.route, call)
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            return unknown_endpoint_response()
        return self._handle_kisi(request, matched)

    def _handle_kisi(
        self, request: EmulatorRequest, matched: RouteMatch | None
    ) -> EmulatorResponse:
        endpoint = matched.route.name if matched else f"{request.method} {request.path}"
        plan = self._faults.plan(request.method, request.path, self.clock.now())
        self._faults.wait(plan.delay_seconds)
        with self._lock:
            api_key = self._identify(request)
            if plan.response is not None:
                response = plan.response
            elif not plan.applied:
                response = server_error_response(504)
            else:
                response = self._answer(request, matched, api_key)
            response.headers.update(plan.extra_headers)
            self._record(api_key, endpoint, response.status)
        # Held after the request took effect and was counted, as when a client times out.
        self._faults.wait(plan.hold_seconds)
        return response

    def _identify(self, request: EmulatorRequest) -> ApiKey | None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.upper() != "KISI-LOGIN":
            return None
        return self._state.api_keys.get(key.strip())

    def _answer(
        self, request: EmulatorRequest, matched: RouteMatch | None, api_key: ApiKey | None
    ) -> EmulatorResponse:
        identity = ("user", api_key.admin_id) if api_key else ("address", request.client_address)
        if self.rate_limit_enabled and not self._limiter.allow(identity):
            return rate_limited_response()
        if matched is None:
            return unknown_endpoint_response()
        if api_key is None:
            return error_response(401, "000401", "Invalid or missing API key (KISI-LOGIN).")
        organization = self._state.organizations[api_key.organization_id]
        actor = organization.users[api_key.admin_id]
        call = Call(self, request, matched.params, self.clock.now(), organization, actor)
        return self._run(matched.route, call)

    @staticmethod
    def _run(route: Route, call: Call) -> EmulatorResponse:
        try:
            return route.handler(call)
        except (KisiError, KisiValidationError) as error:
            return error.to_response()
        except ValidationError as error:
            return validation_response(_validation_errors(error))
        except Exception:
            logger.exception("emulator failure in %s", route.name)
            return error_response(500, "ffffff", "An unexpected error occurred.")

    def _record(self, api_key: ApiKey | None, endpoint: str, status: int) -> None:
        organization_id = api_key.organization_id if api_key else None
        user_id = api_key.admin_id if api_key else None
        self._calls[CallKey(organization_id, user_id, endpoint, status)] += 1

    # -- state --

    def reset(self) -> None:
        """Forget everything: organisations, keys, faults, counts and rate-limit windows."""
        with self._lock:
            self._state = EmulatorState()
            self._faults.clear()
            self._limiter.reset()
            self._calls.clear()

    def seed(self, document: SeedDocument | Mapping[str, Any]) -> dict[str, Any]:
        """Create what the document describes (all or nothing); answer the new ids by ref."""
        parsed = SeedDocument.model_validate(document)
        with self._lock:
            backup = copy.deepcopy(self._state)
            try:
                return apply_seed(self._state, parsed, self.clock.now())
            except Exception:
                self._state = backup
                raise

    def seed_demo(self) -> dict[str, Any]:
        """Seed the demo organisation (see `kisi_emulator.demo`)."""
        return self.seed(load_demo_seed())

    def organizations(self) -> list[dict[str, Any]]:
        with self._lock:
            return [org.organization_wire() for org in self._state.organizations.values()]

    def snapshot(self, organization_id: int) -> dict[str, Any]:
        """An organisation's whole state, in Kisi's shapes plus what only the emulator knows
        (lock fault settings, group lock ids, unlock log, emails Kisi would have sent)."""
        with self._lock:
            org = self._state.organization(organization_id)
            admins = [self._state.admins[admin_id] for admin_id in sorted(org.key_owner_ids)]
            return {
                "organization": org.organization_wire(),
                "admins": [{"id": a.id, "email": a.email, "name": a.name} for a in admins],
                "places": [org.place_wire(place) for place in org.places.values()],
                "locks": [
                    {**org.lock_wire(lock), "forced_unlock_error": lock.forced_unlock_error}
                    for lock in org.locks.values()
                ],
                "groups": [
                    {**org.group_wire(group), "lock_ids": list(group.lock_ids)}
                    for group in org.groups.values()
                ],
                "users": [user.to_wire() for user in org.users.values()],
                "role_assignments": [
                    org.role_assignment_wire(a) for a in org.role_assignments.values()
                ],
                "unlocks": [record.to_wire() for record in org.unlocks],
                "emails": [
                    {"to": e.to, "kind": e.kind, "created_at": format_timestamp(e.created_at)}
                    for e in org.emails
                ],
            }

    def unlock_log(self, organization_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [
                record.to_wire() for record in self._state.organization(organization_id).unlocks
            ]

    def effective_access(
        self, organization_id: int, *, user_id: int | None = None, email: str | None = None
    ) -> dict[str, Any]:
        """Which groups and locks Kisi lets the user open now (`valid_from`/`valid_until` and
        `access_enabled` applied), by user id or by email (case-insensitive)."""
        with self._lock:
            org = self._state.organization(organization_id)
            if user_id is not None:
                user = org.user(user_id)
            else:
                found = org.user_by_email(email or "")
                if found is None:
                    raise not_found("User")
                user = found
            return org.effective_access(user, self.clock.now())

    def set_lock_state(self, organization_id: int, lock_id: int, **changes: Any) -> dict[str, Any]:
        """Change `online`, `locked_down`, `configured` or `forced_unlock_error` (a code of
        docs/kisi-api.md every unlock then fails with, e.g. `fac002`; None clears it)."""
        parsed = LockStateChange.model_validate(changes)
        with self._lock:
            org = self._state.organization(organization_id)
            lock = org.lock(lock_id)
            for name in parsed.model_fields_set:
                setattr(lock, name, getattr(parsed, name))
            lock.updated_at = self.clock.now()
            return {**org.lock_wire(lock), "forced_unlock_error": lock.forced_unlock_error}

    def revoke_api_key(self, key: str) -> None:
        """The key answers 401 from now on (its user lost admin rights, or it expired)."""
        with self._lock:
            self._state.revoke_api_key(key)

    # -- faults --

    def inject_fault(
        self, spec: FaultSpec | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> dict[str, Any]:
        """Add a fault, from a `FaultSpec`, a mapping or keywords (`kind="outage"`, ...)."""
        parsed = FaultSpec.model_validate(spec if spec is not None else fields)
        return self._faults.inject(parsed, self.clock.now()).to_wire()

    def faults(self) -> list[dict[str, Any]]:
        return [fault.to_wire() for fault in self._faults.active(self.clock.now())]

    def clear_faults(self, fault_id: int | None = None) -> None:
        """Remove one fault, or all of them (which also lets held requests go)."""
        if not self._faults.clear(fault_id) and fault_id is not None:
            raise not_found("Fault")

    def release_waiting_requests(self) -> None:
        self._faults.release_waiting()

    # -- counts --

    def counts(self) -> dict[str, Any]:
        """Calls to Kisi endpoints: totals, 429s, by `METHOD /template` and status, by
        organisation and by key owner (`anonymous` without a valid key)."""
        with self._lock:
            calls = list(self._calls.items())
        by_organization: dict[str, list[tuple[CallKey, int]]] = {}
        by_user: dict[str, list[tuple[CallKey, int]]] = {}
        for key, count in calls:
            org_label = ANONYMOUS if key.organization_id is None else str(key.organization_id)
            user_label = ANONYMOUS if key.user_id is None else str(key.user_id)
            by_organization.setdefault(org_label, []).append((key, count))
            by_user.setdefault(user_label, []).append((key, count))
        return {
            **_call_summary(calls),
            "by_organization": {k: _call_summary(v) for k, v in sorted(by_organization.items())},
            "by_user": {k: _call_summary(v) for k, v in sorted(by_user.items())},
        }

    def call_count(
        self,
        endpoint: str | None = None,
        *,
        organization_id: int | None = None,
        user_id: int | None = None,
        status: int | None = None,
    ) -> int:
        """Calls matching every filter given, e.g. `call_count("POST /users", status=200)`."""
        wanted = {
            "endpoint": endpoint,
            "organization_id": organization_id,
            "user_id": user_id,
            "status": status,
        }
        with self._lock:
            return sum(
                count
                for key, count in self._calls.items()
                if all(v is None or getattr(key, k) == v for k, v in wanted.items())
            )

    def reset_counts(self) -> None:
        with self._lock:
            self._calls.clear()

    # -- settings and time --

    def config(self) -> dict[str, Any]:
        return {"rate_limit": self.rate_limit_enabled, "fault_seed": self._faults.seed}

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
