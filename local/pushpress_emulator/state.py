"""The emulated PushPress data: companies and their customers, plans, enrollments, API keys and
webhook registrations, in PushPress's shapes.

Nothing here locks, talks HTTP or delivers webhooks; ``PushPressEmulator`` serialises access and
turns the ``Change``s that operations return into signed deliveries.
"""

import hashlib
import ipaddress
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from pushpress_emulator.wire import ApiError, not_found

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ENROLLMENT_STATUSES = frozenset(
    {"active", "alert", "canceled", "completed", "paused", "pendactivation", "pendcancel"}
)
CUSTOMER_ROLES = frozenset(
    {"superuser", "admin", "coach", "frontdesk", "member", "non-member", "ex-member", "lead"}
)
# Every event type a PushPress webhook may subscribe to (the SDK's CreateWebhookEventTypes);
# the emulator sends the customer and enrollment ones.
EVENT_TYPES = frozenset(
    {
        "appointment.scheduled",
        "appointment.rescheduled",
        "appointment.noshowed",
        "appointment.canceled",
        "checkin.created",
        "checkin.updated",
        "checkin.failed",
        "checkin.deleted",
        "class.canceled",
        "customer.created",
        "customer.details.changed",
        "customer.status.changed",
        "customer.deleted",
        "enrollment.created",
        "enrollment.status.changed",
        "enrollment.deleted",
        "memberapp.updated",
        "reservation.created",
        "reservation.waitlisted",
        "reservation.canceled",
        "reservation.noshowed",
        "app.installed",
        "app.uninstalled",
    }
)
TWENTY_FOUR_HOUR_ACCESS = "24_HOUR_ACCESS"


class ValidationFailure(ApiError):
    """422 naming the offending fields."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        described = "; ".join(f"{name}: {message}" for name, message in errors.items())
        super().__init__(422, f"Validation failed: {described}")
        self.errors = dict(errors)


class IdMaker:
    """PushPress-looking ids (``usr_3f2a...``), deterministic per emulator."""

    def __init__(self) -> None:
        self._last = 0

    def make(self, prefix: str) -> str:
        self._last += 1
        digest = hashlib.sha256(f"{prefix}:{self._last}".encode()).hexdigest()[:12]
        return f"{prefix}_{digest}"


@dataclass(frozen=True)
class Change:
    """A webhook event an operation caused, for ``company_id``'s registrations."""

    company_id: str
    event: str
    data: dict[str, Any]


@dataclass
class Customer:
    id: str
    company_id: str
    email: str
    first: str
    last: str
    nickname: str
    phone: str | None
    role: str
    member_since: str | None

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "companyId": self.company_id,
            "name": {"first": self.first, "last": self.last, "nickname": self.nickname},
            "gender": None,
            "dob": None,
            "address": {
                "line1": "",
                "line2": "",
                "city": "",
                "country": "",
                "state": "",
                "zip": "",
            },
            "assignedToStaffId": None,
            "account": {"type": "primary"},
            "profileImage": None,
            "membershipDetails": (
                {"initialMembershipStartDate": self.member_since} if self.member_since else None
            ),
            "email": self.email,
            "phone": self.phone,
            "role": self.role,
        }


@dataclass
class Plan:
    id: str
    company_id: str
    name: str
    allow_24_hour_access: bool
    category: str
    entitlement_id: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "companyId": self.company_id,
            "recurrenceDetails": {"type": "recurring"},
            "policies": {
                "allowClassCheckins": True,
                "allowOpenGymCheckins": True,
                "allow24HourAccess": self.allow_24_hour_access,
            },
            "category": {"name": self.category},
        }


@dataclass
class Enrollment:
    id: str
    company_id: str
    customer_id: str
    plan_id: str | None
    status: str
    start_date: str | None
    end_date: str | None

    def to_wire(self, plan: Plan | None) -> dict[str, Any]:
        entitlements = []
        if plan is not None and plan.allow_24_hour_access:
            entitlements.append(
                {
                    "type": TWENTY_FOUR_HOUR_ACCESS,
                    "id": plan.entitlement_id,
                    "interval": "",
                    "quantity": 1,
                    "metadata": {},
                }
            )
        return {
            "id": self.id,
            "customerId": self.customer_id,
            "companyId": self.company_id,
            "planId": self.plan_id,
            "billingSchedule": {"period": "month", "interval": 1},
            "status": self.status,
            "startDate": self.start_date,
            "endDate": self.end_date,
            "lastCharge": self.start_date,
            "nextCharge": None,
            "paidUntil": None,
            "checkinDetails": {"checkins": 0, "limit": -1},
            "entitlements": entitlements,
        }


@dataclass
class Webhook:
    """A webhook registration: where the company's events go, signed with ``signing_secret``."""

    id: str
    company_id: str
    url: str
    event_types: frozenset[str]
    signing_secret: str
    active: bool = True

    def wants(self, event: str) -> bool:
        return self.active and event in self.event_types

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "eventTypes": sorted(self.event_types),
            "active": self.active,
            "signingSecret": self.signing_secret,
        }


@dataclass
class Company:
    id: str
    name: str
    subdomain: str
    timezone: str
    email: str
    customers: dict[str, Customer] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    enrollments: dict[str, Enrollment] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "subdomain": self.subdomain,
            "address": {
                "line1": "",
                "line2": "",
                "city": "",
                "country": "",
                "state": "",
                "zip": "",
            },
            "defaultTimezone": self.timezone,
            "phone": None,
            "email": self.email,
            "url": None,
        }

    def customer(self, customer_id: str) -> Customer:
        return _find(self.customers, customer_id, "Customer")

    def plan(self, plan_id: str) -> Plan:
        return _find(self.plans, plan_id, "Plan")

    def enrollment(self, enrollment_id: str) -> Enrollment:
        return _find(self.enrollments, enrollment_id, "Enrollment")

    def webhook(self, webhook_id: str) -> Webhook:
        return _find(self.webhooks, webhook_id, "Webhook")

    def enrollment_wire(self, enrollment: Enrollment) -> dict[str, Any]:
        plan = self.plans.get(enrollment.plan_id) if enrollment.plan_id else None
        return enrollment.to_wire(plan)


def _find[Record](records: Mapping[str, Record], record_id: str, what: str) -> Record:
    """The record with this id, or a 404 naming `what`."""
    record = records.get(record_id)
    if record is None:
        raise not_found(what)
    return record


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` is http(s) on this machine: the emulator delivers nowhere else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _text(fields: Mapping[str, Any], name: str, errors: dict[str, str], default: str = "") -> str:
    value = fields.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        errors[name] = "must be a string"
        return default
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors[name] = "must be valid Unicode text"
        return default
    return value


def _email(fields: Mapping[str, Any], errors: dict[str, str]) -> str:
    value = _text(fields, "email", errors)
    if not EMAIL_PATTERN.match(value):
        errors.setdefault("email", "is not a valid email address")
    return value


def _choice(
    fields: Mapping[str, Any],
    name: str,
    allowed: frozenset[str],
    default: str,
    errors: dict[str, str],
) -> str:
    value = _text(fields, name, errors, default)
    if value not in allowed:
        errors[name] = f"must be one of {', '.join(sorted(allowed))}"
    return value


def _date(fields: Mapping[str, Any], name: str, errors: dict[str, str]) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = "must be a date such as 2025-01-31"
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        errors[name] = "must be a date such as 2025-01-31"
        return None
    return value


def _unknown_fields(fields: Mapping[str, Any], allowed: set[str], errors: dict[str, str]) -> None:
    for name in fields:
        if name not in allowed:
            errors[name] = "is not a known field"


def _raise_if(errors: Mapping[str, str]) -> None:
    if errors:
        raise ValidationFailure(errors)


CUSTOMER_FIELDS = {"id", "email", "first", "last", "nickname", "phone", "role", "member_since"}
PLAN_FIELDS = {"id", "name", "allow_24_hour_access", "category"}
ENROLLMENT_FIELDS = {"id", "customer_id", "plan_id", "status", "start_date", "end_date"}


class EmulatorState:
    """Every company, and who may call for which (API key -> company ids)."""

    def __init__(self) -> None:
        self.ids = IdMaker()
        self.companies: dict[str, Company] = {}
        self.api_keys: dict[str, set[str]] = {}

    def company(self, company_id: str) -> Company:
        return _find(self.companies, company_id, "Company")

    def create_company(self, fields: Mapping[str, Any]) -> Company:
        errors: dict[str, str] = {}
        _unknown_fields(fields, {"id", "name", "subdomain", "timezone", "email"}, errors)
        company_id = _text(fields, "id", errors) or self.ids.make("cli")
        if company_id in self.companies:
            errors["id"] = "is already taken"
        name = _text(fields, "name", errors, "Club")
        company = Company(
            id=company_id,
            name=name,
            subdomain=_text(fields, "subdomain", errors) or re.sub(r"[^a-z0-9]+", "", name.lower()),
            timezone=_text(fields, "timezone", errors, "America/Chicago"),
            email=_text(fields, "email", errors, "front-desk@club.example"),
        )
        _raise_if(errors)
        self.companies[company.id] = company
        return company

    def add_api_key(self, key: str | None, company_id: str) -> str:
        self.company(company_id)
        key = key or f"pp-emulator-{secrets.token_hex(16)}"
        if not key or key != key.strip():
            raise ValidationFailure({"api_keys": "keys must be non-empty, without blanks around"})
        self.api_keys.setdefault(key, set()).add(company_id)
        return key

    def revoke_api_key(self, key: str) -> None:
        if self.api_keys.pop(key, None) is None:
            raise not_found("API key")

    # customers

    def create_customer(self, company: Company, fields: Mapping[str, Any]) -> Customer:
        errors: dict[str, str] = {}
        _unknown_fields(fields, CUSTOMER_FIELDS, errors)
        customer_id = _text(fields, "id", errors) or self.ids.make("usr")
        if customer_id in company.customers:
            errors["id"] = "is already taken"
        customer = Customer(
            id=customer_id,
            company_id=company.id,
            email=_email(fields, errors),
            first=_text(fields, "first", errors),
            last=_text(fields, "last", errors),
            nickname=_text(fields, "nickname", errors),
            phone=_text(fields, "phone", errors) or None,
            role=_choice(fields, "role", CUSTOMER_ROLES, "member", errors),
            member_since=_date(fields, "member_since", errors),
        )
        _raise_if(errors)
        company.customers[customer.id] = customer
        return customer

    def update_customer(
        self, company: Company, customer: Customer, fields: Mapping[str, Any]
    ) -> list[str]:
        """Apply ``fields``; return the events PushPress would send (details, then status)."""
        errors: dict[str, str] = {}
        _unknown_fields(fields, CUSTOMER_FIELDS - {"id"}, errors)
        before = customer.to_wire()
        updated = {
            "email": _email(fields, errors) if "email" in fields else customer.email,
            "first": _text(fields, "first", errors, customer.first),
            "last": _text(fields, "last", errors, customer.last),
            "nickname": _text(fields, "nickname", errors, customer.nickname),
            "phone": _text(fields, "phone", errors, customer.phone or "") or None,
            "role": _choice(fields, "role", CUSTOMER_ROLES, customer.role, errors),
            "member_since": (
                _date(fields, "member_since", errors)
                if "member_since" in fields
                else customer.member_since
            ),
        }
        _raise_if(errors)
        for name, value in updated.items():
            setattr(customer, name, value)
        after = customer.to_wire()
        events = []
        details = ("email", "name", "phone", "membershipDetails")
        if any(before[key] != after[key] for key in details):
            events.append("customer.details.changed")
        if before["role"] != after["role"]:
            events.append("customer.status.changed")
        return events

    # plans

    def create_plan(self, company: Company, fields: Mapping[str, Any]) -> Plan:
        errors: dict[str, str] = {}
        _unknown_fields(fields, PLAN_FIELDS, errors)
        plan_id = _text(fields, "id", errors) or self.ids.make("plan")
        if plan_id in company.plans:
            errors["id"] = "is already taken"
        access = fields.get("allow_24_hour_access", False)
        if not isinstance(access, bool):
            errors["allow_24_hour_access"] = "must be true or false"
        plan = Plan(
            id=plan_id,
            company_id=company.id,
            name=_text(fields, "name", errors, "Membership"),
            allow_24_hour_access=bool(access),
            category=_text(fields, "category", errors, "Memberships"),
            entitlement_id=self.ids.make("plnentl"),
        )
        _raise_if(errors)
        company.plans[plan.id] = plan
        return plan

    def update_plan(self, plan: Plan, fields: Mapping[str, Any]) -> None:
        errors: dict[str, str] = {}
        _unknown_fields(fields, PLAN_FIELDS - {"id"}, errors)
        access = fields.get("allow_24_hour_access", plan.allow_24_hour_access)
        if not isinstance(access, bool):
            errors["allow_24_hour_access"] = "must be true or false"
        name = _text(fields, "name", errors, plan.name)
        category = _text(fields, "category", errors, plan.category)
        _raise_if(errors)
        plan.allow_24_hour_access, plan.name, plan.category = bool(access), name, category

    # enrollments

    def create_enrollment(self, company: Company, fields: Mapping[str, Any]) -> Enrollment:
        errors: dict[str, str] = {}
        _unknown_fields(fields, ENROLLMENT_FIELDS, errors)
        enrollment_id = _text(fields, "id", errors) or self.ids.make("sub")
        if enrollment_id in company.enrollments:
            errors["id"] = "is already taken"
        customer_id = _text(fields, "customer_id", errors)
        if customer_id not in company.customers:
            errors["customer_id"] = "names no customer of this company"
        plan_id = _text(fields, "plan_id", errors) or None
        if plan_id is not None and plan_id not in company.plans:
            errors["plan_id"] = "names no plan of this company"
        enrollment = Enrollment(
            id=enrollment_id,
            company_id=company.id,
            customer_id=customer_id,
            plan_id=plan_id,
            status=_choice(fields, "status", ENROLLMENT_STATUSES, "active", errors),
            start_date=_date(fields, "start_date", errors),
            end_date=_date(fields, "end_date", errors),
        )
        _raise_if(errors)
        company.enrollments[enrollment.id] = enrollment
        return enrollment

    def update_enrollment(
        self, company: Company, enrollment: Enrollment, fields: Mapping[str, Any]
    ) -> bool:
        """Apply ``fields``; return whether the status changed (PushPress's only enrollment
        change event: a new plan or end date alone sends nothing)."""
        errors: dict[str, str] = {}
        _unknown_fields(fields, ENROLLMENT_FIELDS - {"id", "customer_id"}, errors)
        status = _choice(fields, "status", ENROLLMENT_STATUSES, enrollment.status, errors)
        plan_id = _text(fields, "plan_id", errors, enrollment.plan_id or "") or None
        if plan_id is not None and plan_id not in company.plans:
            errors["plan_id"] = "names no plan of this company"
        start = (
            _date(fields, "start_date", errors) if "start_date" in fields else enrollment.start_date
        )
        end = _date(fields, "end_date", errors) if "end_date" in fields else enrollment.end_date
        _raise_if(errors)
        changed = status != enrollment.status
        enrollment.status, enrollment.plan_id = status, plan_id
        enrollment.start_date, enrollment.end_date = start, end
        return changed

    # webhooks

    def register_webhook(self, company: Company, fields: Mapping[str, Any]) -> Webhook:
        errors: dict[str, str] = {}
        _unknown_fields(fields, {"id", "url", "event_types", "signing_secret", "active"}, errors)
        webhook_id = _text(fields, "id", errors) or self.ids.make("wh")
        url = _text(fields, "url", errors)
        if not is_loopback_url(url):
            errors["url"] = "must be an http(s) URL on loopback (127.0.0.0/8, ::1, localhost)"
        raw_types = fields.get("event_types")
        event_types = EVENT_TYPES if raw_types is None else raw_types
        if not isinstance(event_types, list | frozenset) or not all(
            isinstance(t, str) and t in EVENT_TYPES for t in event_types
        ):
            errors["event_types"] = "must be a list of PushPress event types"
            event_types = frozenset()
        secret = _text(fields, "signing_secret", errors) or secrets.token_urlsafe(32)
        active = fields.get("active", True)
        if not isinstance(active, bool):
            errors["active"] = "must be true or false"
        _raise_if(errors)
        webhook = Webhook(
            id=webhook_id,
            company_id=company.id,
            url=url,
            event_types=frozenset(event_types),
            signing_secret=secret,
            active=bool(active),
        )
        company.webhooks[webhook.id] = webhook
        return webhook
