"""`KisiEmulator`: the emulator kit's `ApiEmulator` (state, rate limiter, faults and call counts
behind one lock) with Kisi's state, routes, authentication and answers.

`handle` answers one request, whatever carries it (the HTTP server, or an in-process transport);
the other public methods are the Python API that the control endpoints also call.

Order of checks for a Kisi request: faults (as the infrastructure in front of Kisi would),
rate limit (per key owner, or per client address without a valid key), unknown endpoint (404
`000404`), missing or bad key (401 `000401`), then the endpoint itself.
"""

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from emulator_kit.clock import Clock
from emulator_kit.emulator import ApiEmulator
from emulator_kit.faults import ActiveFault, FaultPlan
from emulator_kit.rate_limit import REQUESTS_PER_SECOND
from emulator_kit.wire import EmulatorRequest, EmulatorResponse
from kisi_emulator.call import Call
from kisi_emulator.demo import load_demo_seed
from kisi_emulator.events import EventLog, EventWebhook, deliver, unlock_event
from kisi_emulator.faults import FaultSpec, fault_injector
from kisi_emulator.routes import ROUTE_TABLE, RouteMatch
from kisi_emulator.seed import SeedDocument, apply_seed
from kisi_emulator.state import UNLOCK_ERRORS, ApiKey, EmulatorState
from kisi_emulator.wire import (
    KisiError,
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


class KisiEmulator(ApiEmulator[Call, EmulatorState]):
    """A stateful Kisi for tests, benchmarks and the local runtime (thread-safe).

    `clock` drives the rate limiter, fault windows, timestamps and validity windows (default:
    the system clock); `rate_limit=False` turns Kisi's 5 requests/s per user off; `fault_seed`
    makes probabilistic faults repeatable.
    """

    log = logger

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        rate_limit: bool = True,
        fault_seed: int = 0,
        requests_per_second: int = REQUESTS_PER_SECOND,
    ) -> None:
        super().__init__(
            routes=ROUTE_TABLE,
            new_call=Call,
            clock=clock,
            rate_limit=rate_limit,
            requests_per_second=requests_per_second,
            faults=fault_injector(fault_seed),
        )
        self._events = EventLog()

    # -- answering requests, in Kisi's terms --

    def answer(
        self,
        request: EmulatorRequest,
        matched: RouteMatch[Call] | None,
        plan: FaultPlan,
        endpoint: str,
    ) -> tuple[EmulatorResponse, CallKey]:
        api_key = self._identify(request)
        if plan.response is not None:
            response = plan.response
        elif not plan.applied:
            response = server_error_response(504)
        else:
            response = self._answer(request, matched, api_key)
        response.headers.update(plan.extra_headers)
        organization_id = api_key.organization_id if api_key else None
        user_id = api_key.admin_id if api_key else None
        return response, CallKey(organization_id, user_id, endpoint, response.status)

    def _identify(self, request: EmulatorRequest) -> ApiKey | None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.upper() != "KISI-LOGIN":
            return None
        return self._state.api_keys.get(key.strip())

    def _answer(
        self, request: EmulatorRequest, matched: RouteMatch[Call] | None, api_key: ApiKey | None
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
        return self.run(matched.route, call)

    def unknown_endpoint_response(self) -> EmulatorResponse:
        return unknown_endpoint_response()

    def validation_failure_response(self, error: ValidationError) -> EmulatorResponse:
        return validation_response(_validation_errors(error))

    def internal_error_response(self) -> EmulatorResponse:
        return error_response(500, "ffffff", "An unexpected error occurred.")

    def not_found(self, what: str) -> KisiError:
        return not_found(what)

    # -- state --

    def reset(self) -> None:
        """Forget everything, event webhooks and their deliveries included."""
        super().reset()
        with self._lock:
            self._events = EventLog()

    def new_state(self) -> EmulatorState:
        """No organisations, no keys (`reset` also forgets faults, counts and rate windows)."""
        return EmulatorState()

    def seed(self, document: SeedDocument | Mapping[str, Any]) -> dict[str, Any]:
        """Create what the document describes (all or nothing); answer the new ids by ref."""
        parsed = SeedDocument.model_validate(document)
        return self._all_or_nothing(lambda state: apply_seed(state, parsed, self.clock.now()))

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

    # -- Kisi's Event Webhook integration (kisi_emulator.events) --

    def add_event_webhook(
        self, organization_id: int, url: str, secret: str | None = None
    ) -> dict[str, Any]:
        """An Event Webhook integration of the organisation: `lock.unlock` events go to `url`,
        signed with `secret` when given."""
        with self._lock:
            self._state.organization(organization_id)
            webhook = EventWebhook(len(self._events.webhooks) + 1, organization_id, url, secret)
            self._events.webhooks.append(webhook)
            return webhook.to_wire()

    def unlock_as(self, organization_id: int, lock_id: int, email: str) -> dict[str, Any]:
        """The user with `email` opens the lock in the Kisi app (their own access decides, as in
        `unlock`); the `lock.unlock` event, successful or not, goes to every Event Webhook of the
        organisation. Answers the event and what each receiver answered."""
        now = self.clock.now()
        with self._lock:
            org = self._state.organization(organization_id)
            user = org.user_by_email(email)
            if user is None:
                raise not_found("User")
            lock = org.lock(lock_id)
            refused: KisiError | None = None
            try:
                org.unlock(lock_id, user, now)
            except KisiError as error:
                refused = error
            event = unlock_event(
                organization_id=organization_id,
                place_id=lock.place_id,
                lock_id=lock.id,
                lock_name=lock.name,
                user_id=user.id,
                user_email=user.email,
                user_name=user.name,
                success=refused is None,
                error_code=refused.code if refused else None,
                error_message=refused.message if refused else None,
                at=now,
            )
            webhooks = [w for w in self._events.webhooks if w.organization_id == organization_id]
        # Sent outside the lock: the receiver may call this emulator while it answers.
        deliveries = [deliver(webhook, event) for webhook in webhooks]
        with self._lock:
            self._events.deliveries.extend(deliveries)
        return {"event": event, "deliveries": [d.to_wire() for d in deliveries]}

    def event_deliveries(self, organization_id: int) -> list[dict[str, Any]]:
        with self._lock:
            ids = {w.id for w in self._events.webhooks if w.organization_id == organization_id}
            return [d.to_wire() for d in self._events.deliveries if d.webhook_id in ids]

    def revoke_api_key(self, key: str) -> None:
        """The key answers 401 from now on (its user lost admin rights, or it expired)."""
        with self._lock:
            self._state.revoke_api_key(key)

    # -- faults (inject_fault, faults, clear_faults: the kit's, with Kisi's `FaultSpec`) --

    def fault_wire(self, fault: ActiveFault[FaultSpec]) -> dict[str, Any]:
        return fault.to_wire(injected_at=format_timestamp(fault.injected_at))

    # -- counts --

    def counts(self) -> dict[str, Any]:
        """Calls to Kisi endpoints: totals, 429s, by `METHOD /template` and status, by
        organisation and by key owner (`anonymous` without a valid key)."""
        return self._counts_by(
            organization=lambda key: _label(key.organization_id),
            user=lambda key: _label(key.user_id),
        )

    def call_count(
        self,
        endpoint: str | None = None,
        *,
        organization_id: int | None = None,
        user_id: int | None = None,
        status: int | None = None,
    ) -> int:
        """Calls matching every filter given, e.g. `call_count("POST /users", status=200)`."""
        return self._count_calls(
            endpoint=endpoint, organization_id=organization_id, user_id=user_id, status=status
        )

    # -- settings and time --

    def config(self) -> dict[str, Any]:
        """What `configure` sets (the kit's: the rate limit and the fault seed)."""
        return {"rate_limit": self.rate_limit_enabled, "fault_seed": self._faults.seed}


def _label(record_id: int | None) -> str:
    return ANONYMOUS if record_id is None else str(record_id)
