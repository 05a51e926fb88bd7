"""``PushPressEmulator``: the emulator kit's ``ApiEmulator`` (state, rate limiter, faults, call
counts behind one lock) with PushPress's data, routes, API keys and answers, and webhook
deliveries.

``handle`` answers one request, whatever carries it (the HTTP server or an in-process
transport); the other public methods are the Python API that the control endpoints also call.

Order of checks for an API request: faults (as the infrastructure in front of PushPress would),
rate limit (per API key, or per client address without one), unknown endpoint (404), missing or
unknown ``API-KEY`` (401), the company (``company-id``: required for a key of several companies,
400 without it; 403 for a company the key does not serve), then the endpoint itself.

Changes made through the Python or control API send webhooks to the company's registrations,
synchronously, after the state lock is released (a receiver may call the emulator back).
"""

import logging
import secrets
from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError

from emulator_kit.clock import Clock
from emulator_kit.emulator import ApiEmulator
from emulator_kit.faults import FaultPlan
from emulator_kit.wire import EmulatorRequest, EmulatorResponse
from pushpress_emulator.call import Call
from pushpress_emulator.deliveries import (
    BodyFormat,
    Deliverer,
    Delivery,
    DeliveryStatus,
    DropRule,
    body_for,
    signature_for,
)
from pushpress_emulator.demo import demo_seed
from pushpress_emulator.faults import fault_injector
from pushpress_emulator.routes import ROUTE_TABLE, RouteMatch
from pushpress_emulator.seed import SeedDocument, apply_seed
from pushpress_emulator.state import Change, Company, EmulatorState
from pushpress_emulator.wire import (
    ApiError,
    error_response,
    not_found,
    rate_limited_response,
    unauthorized,
    unknown_endpoint_response,
)

logger = logging.getLogger(__name__)

# PushPress publishes no rate limit (docs/pushpress-api.md): the emulator enforces this many
# requests per API key in a sliding 1 s window, so that a client that does not pace itself meets
# 429s (answered with Retry-After: 1).
REQUESTS_PER_SECOND = 5

ANONYMOUS = "anonymous"
API_KEY_HEADER = "api-key"
COMPANY_ID_HEADER = "company-id"


class CallKey(NamedTuple):
    company_id: str | None
    endpoint: str
    status: int


class PushPressEmulator(ApiEmulator[Call, EmulatorState]):
    """A stateful PushPress for tests and local runs (thread-safe).

    ``clock`` drives the rate limiter, fault windows and ``created`` stamps (default: the system
    clock); ``rate_limit=False`` turns the limit off; ``fault_seed`` makes probabilistic faults
    repeatable; ``deliver_webhooks=False`` records deliveries as pending until
    ``deliver_pending()`` or ``redeliver(id)`` sends them (to reorder or delay them).
    """

    log = logger

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        rate_limit: bool = True,
        requests_per_second: int = REQUESTS_PER_SECOND,
        fault_seed: int = 0,
        deliver_webhooks: bool = True,
        body_format: BodyFormat = BodyFormat.COMPACT,
    ) -> None:
        super().__init__(
            routes=ROUTE_TABLE,
            new_call=Call,
            clock=clock,
            rate_limit=rate_limit,
            requests_per_second=requests_per_second,
            faults=fault_injector(fault_seed),
        )
        self.deliver_webhooks = deliver_webhooks
        self.body_format = body_format
        self._deliveries: list[Delivery] = []
        self._drop_rules: list[DropRule] = []
        self._deliverer = Deliverer()

    # -- answering requests, in PushPress's terms --

    def answer(
        self,
        request: EmulatorRequest,
        matched: RouteMatch[Call] | None,
        plan: FaultPlan,
        endpoint: str,
    ) -> tuple[EmulatorResponse, CallKey]:
        key = request.headers.get(API_KEY_HEADER, "").strip()
        companies = self._state.api_keys.get(key) if key else None
        company: Company | None = None
        if plan.response is not None:
            response = plan.response
        else:
            identity = ("key", key) if companies else ("address", request.client_address)
            if self.rate_limit_enabled and not self._limiter.allow(identity):
                response = rate_limited_response()
            elif matched is None:
                response = unknown_endpoint_response()
            else:
                try:
                    company = self._company_for(request, companies)
                except ApiError as error:
                    response = error.to_response()
                else:
                    call = Call(self, request, matched.params, self.clock.now(), company)
                    response = self.run(matched.route, call)
        return response, CallKey(company.id if company else None, endpoint, response.status)

    def _company_for(self, request: EmulatorRequest, companies: set[str] | None) -> Company:
        if not companies:
            raise unauthorized()
        wanted = request.headers.get(COMPANY_ID_HEADER, "").strip()
        if wanted:
            if wanted not in companies:
                raise ApiError(403, "Forbidden: the API key does not serve this company")
            return self._state.company(wanted)
        if len(companies) > 1:
            raise ApiError(400, "company-id header is required for a multi-company API key")
        return self._state.company(next(iter(companies)))

    def unknown_endpoint_response(self) -> EmulatorResponse:
        return unknown_endpoint_response()

    def validation_failure_response(self, error: ValidationError) -> EmulatorResponse:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "body"
        return error_response(422, f"Validation failed: {location}: {first['msg']}")

    def internal_error_response(self) -> EmulatorResponse:
        return error_response(500, "Internal Server Error")

    def not_found(self, what: str) -> ApiError:
        return not_found(what)

    # -- state --

    def new_state(self) -> EmulatorState:
        return EmulatorState()

    def reset(self) -> None:
        """Forget everything: companies, keys, faults, counts, deliveries, rate-limit windows."""
        with self._lock:
            super().reset()
            self._deliveries.clear()
            self._drop_rules.clear()

    def seed(self, document: SeedDocument | Mapping[str, Any]) -> dict[str, Any]:
        """Create what the document describes (all or nothing, no webhooks); answer the ids."""
        parsed = SeedDocument.model_validate(document)
        return self._all_or_nothing(lambda state: apply_seed(state, parsed))

    def seed_demo(self) -> dict[str, Any]:
        return self.seed(demo_seed())

    def companies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [company.to_wire() for company in self._state.companies.values()]

    def snapshot(self, company_id: str) -> dict[str, Any]:
        """A company's whole state in PushPress's shapes, with its keys and registrations."""
        with self._lock:
            company = self._state.company(company_id)
            return {
                "company": company.to_wire(),
                "api_keys": sorted(
                    k for k, ids in self._state.api_keys.items() if company.id in ids
                ),
                "plans": [plan.to_wire() for plan in company.plans.values()],
                "customers": [customer.to_wire() for customer in company.customers.values()],
                "enrollments": [company.enrollment_wire(e) for e in company.enrollments.values()],
                "webhooks": [webhook.to_wire() for webhook in company.webhooks.values()],
            }

    def add_api_key(self, company_id: str, key: str | None = None) -> str:
        with self._lock:
            return self._state.add_api_key(key, company_id)

    def revoke_api_key(self, key: str) -> None:
        """The key answers 401 from now on."""
        with self._lock:
            self._state.revoke_api_key(key)

    def create_customer(self, company_id: str, **fields: Any) -> dict[str, Any]:
        """Fields: email (required), first, last, nickname, phone, role, member_since, id.
        Sends ``customer.created``."""
        with self._lock:
            customer = self._state.create_customer(self._state.company(company_id), fields)
            wire = customer.to_wire()
            pending = self._queue([Change(company_id, "customer.created", wire)])
        self._send(pending)
        return wire

    def update_customer(self, company_id: str, customer_id: str, **fields: Any) -> dict[str, Any]:
        """Sends ``customer.details.changed`` when email, name, phone or member-since changed,
        ``customer.status.changed`` when the role did."""
        with self._lock:
            company = self._state.company(company_id)
            customer = company.customer(customer_id)
            events = self._state.update_customer(company, customer, fields)
            wire = customer.to_wire()
            pending = self._queue([Change(company_id, event, wire) for event in events])
        self._send(pending)
        return wire

    def delete_customer(self, company_id: str, customer_id: str) -> None:
        """Removes the customer and their enrollments; sends ``customer.deleted`` only."""
        with self._lock:
            company = self._state.company(company_id)
            company.customer(customer_id)
            del company.customers[customer_id]
            for enrollment_id in [
                e.id for e in company.enrollments.values() if e.customer_id == customer_id
            ]:
                del company.enrollments[enrollment_id]
            data = {"id": customer_id, "companyId": company_id}
            pending = self._queue([Change(company_id, "customer.deleted", data)])
        self._send(pending)

    def create_plan(self, company_id: str, **fields: Any) -> dict[str, Any]:
        """Fields: name, allow_24_hour_access, category, id. PushPress sends no plan webhooks."""
        with self._lock:
            return self._state.create_plan(self._state.company(company_id), fields).to_wire()

    def update_plan(self, company_id: str, plan_id: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            plan = self._state.company(company_id).plan(plan_id)
            self._state.update_plan(plan, fields)
            return plan.to_wire()

    def create_enrollment(self, company_id: str, **fields: Any) -> dict[str, Any]:
        """Fields: customer_id (required), plan_id, status, start_date, end_date, id.
        Sends ``enrollment.created``."""
        with self._lock:
            company = self._state.company(company_id)
            enrollment = self._state.create_enrollment(company, fields)
            wire = company.enrollment_wire(enrollment)
            pending = self._queue([Change(company_id, "enrollment.created", wire)])
        self._send(pending)
        return wire

    def update_enrollment(
        self, company_id: str, enrollment_id: str, **fields: Any
    ) -> dict[str, Any]:
        """Fields: status, plan_id, start_date, end_date. Sends ``enrollment.status.changed``
        when the status changed, nothing otherwise (PushPress has no other enrollment event)."""
        with self._lock:
            company = self._state.company(company_id)
            enrollment = company.enrollment(enrollment_id)
            status_changed = self._state.update_enrollment(company, enrollment, fields)
            wire = company.enrollment_wire(enrollment)
            changes = [Change(company_id, "enrollment.status.changed", wire)]
            pending = self._queue(changes if status_changed else [])
        self._send(pending)
        return wire

    def delete_enrollment(self, company_id: str, enrollment_id: str) -> None:
        """Sends ``enrollment.deleted`` with PushPress's slim body: ``data: {"id": ...}``."""
        with self._lock:
            company = self._state.company(company_id)
            company.enrollment(enrollment_id)
            del company.enrollments[enrollment_id]
            pending = self._queue([Change(company_id, "enrollment.deleted", {"id": enrollment_id})])
        self._send(pending)

    # -- webhooks --

    def register_webhook(
        self,
        company_id: str,
        url: str,
        *,
        event_types: list[str] | None = None,
        signing_secret: str | None = None,
        active: bool = True,
    ) -> dict[str, Any]:
        """Register a loopback URL for the company's events (all when ``event_types`` is None).
        The answer includes the ``signingSecret``, as PushPress's create answer does."""
        fields: dict[str, Any] = {"url": url, "event_types": event_types, "active": active}
        if signing_secret is not None:
            fields["signing_secret"] = signing_secret
        with self._lock:
            return self._state.register_webhook(self._state.company(company_id), fields).to_wire()

    def rotate_webhook_secret(self, company_id: str, webhook_id: str) -> dict[str, Any]:
        """A new signing secret; deliveries from now on are signed with it only."""
        with self._lock:
            webhook = self._state.company(company_id).webhook(webhook_id)
            webhook.signing_secret = secrets.token_urlsafe(32)
            return {"webhookUuid": webhook.id, "signingSecret": webhook.signing_secret}

    def set_webhook_active(self, company_id: str, webhook_id: str, active: bool) -> dict[str, Any]:
        with self._lock:
            webhook = self._state.company(company_id).webhook(webhook_id)
            webhook.active = active
            return webhook.to_wire()

    def webhook_registrations(self) -> list[dict[str, Any]]:
        """Every company's registrations (with their signing secrets)."""
        with self._lock:
            return [
                {**webhook.to_wire(), "companyId": company.id}
                for company in self._state.companies.values()
                for webhook in company.webhooks.values()
            ]

    def drop_deliveries(self, count: int = 1, event: str | None = None) -> None:
        """Lose the next ``count`` deliveries (of ``event`` only, when given)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._drop_rules.append(DropRule(remaining=count, event=event))

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [delivery.to_wire() for delivery in self._deliveries]

    def delivery(self, delivery_id: int) -> Delivery:
        """The delivery record itself (body bytes and headers as sent)."""
        with self._lock:
            return self._delivery(delivery_id)

    def redeliver(self, delivery_id: int) -> dict[str, Any]:
        """Send a delivery again (or for the first time, if pending or dropped), same body and
        signature, as a PushPress retry would."""
        with self._lock:
            delivery = self._delivery(delivery_id)
        self._send([delivery])
        with self._lock:
            return delivery.to_wire()

    def deliver_pending(self) -> list[dict[str, Any]]:
        """Send every pending delivery, oldest first."""
        with self._lock:
            pending = [d for d in self._deliveries if d.status is DeliveryStatus.PENDING]
        self._send(pending)
        with self._lock:
            return [delivery.to_wire() for delivery in pending]

    def _delivery(self, delivery_id: int) -> Delivery:
        if not 1 <= delivery_id <= len(self._deliveries):
            raise not_found("Delivery")
        return self._deliveries[delivery_id - 1]

    def _queue(self, changes: list[Change]) -> list[Delivery]:
        """Record a delivery per change and interested registration; return those to send."""
        created = int(self.clock.now().timestamp())
        to_send = []
        for change in changes:
            company = self._state.company(change.company_id)
            for webhook in company.webhooks.values():
                if not webhook.wants(change.event):
                    continue
                delivery = Delivery(
                    id=len(self._deliveries) + 1,
                    webhook_id=webhook.id,
                    company_id=company.id,
                    url=webhook.url,
                    event=change.event,
                    created=created,
                    body=body_for(change.event, created, change.data, self.body_format),
                    signature=signature_for(change.data, webhook.signing_secret),
                )
                self._deliveries.append(delivery)
                if any(rule.take(change.event) for rule in self._drop_rules):
                    delivery.status = DeliveryStatus.DROPPED
                elif self.deliver_webhooks:
                    to_send.append(delivery)
            self._drop_rules = [rule for rule in self._drop_rules if rule.remaining > 0]
        return to_send

    def _send(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            outcome = self._deliverer.send(delivery.url, delivery.body, delivery.headers)
            with self._lock:
                delivery.attempts += 1
                delivery.status = outcome.status
                delivery.response_status = outcome.response_status
                delivery.error = outcome.error

    # -- faults: the kit's inject_fault, faults and clear_faults, with PushPress's FaultSpec --

    # -- counts --

    def counts(self) -> dict[str, Any]:
        """API calls: totals, 429s, by ``METHOD /template`` and status, and by company
        (``anonymous`` when no company was resolved)."""
        return self._counts_by(company=lambda key: key.company_id or ANONYMOUS)

    def call_count(
        self,
        endpoint: str | None = None,
        *,
        company_id: str | None = None,
        status: int | None = None,
    ) -> int:
        """Calls matching every filter, e.g. ``call_count("GET /v3/customers", status=429)``."""
        return self._count_calls(endpoint=endpoint, company_id=company_id, status=status)

    # -- settings and time --

    def config(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rate_limit": self.rate_limit_enabled,
                "requests_per_second": self._limiter.limit,
                "fault_seed": self._faults.seed,
                "deliver_webhooks": self.deliver_webhooks,
                "body_format": self.body_format.value,
            }

    def configure(
        self,
        *,
        rate_limit: bool | None = None,
        fault_seed: int | None = None,
        deliver_webhooks: bool | None = None,
        body_format: BodyFormat | str | None = None,
    ) -> dict[str, Any]:
        """The kit's settings, and whether and how webhooks are delivered."""
        with self._lock:
            super().configure(rate_limit=rate_limit, fault_seed=fault_seed)
            if deliver_webhooks is not None:
                self.deliver_webhooks = deliver_webhooks
            if body_format is not None:
                self.body_format = BodyFormat(body_format)
        return self.config()

    def close(self) -> None:
        """Release the delivery connection pool (the server calls it on stop)."""
        self._deliverer.close()
