"""PushPress objects as the client returns them (PushPress's camelCase on the wire, snake_case
here). Unknown fields are ignored; only the fields the bridge relies on are required, so a
field PushPress adds or leaves out does not break a listing.

Shapes follow the Platform API v3 components as published in PushPress's SDK (Customer,
Enrollment, Plan, Company; see docs/pushpress-api.md).
"""

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

TWENTY_FOUR_HOUR_ACCESS_ENTITLEMENT = "24_HOUR_ACCESS"


class PushPressModel(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class EnrollmentStatus(enum.StrEnum):
    """The values of PushPress's ``EnrollmentStatus``."""

    ACTIVE = "active"
    ALERT = "alert"
    CANCELED = "canceled"
    COMPLETED = "completed"
    PAUSED = "paused"
    PENDING_ACTIVATION = "pendactivation"
    PENDING_CANCEL = "pendcancel"


class CustomerRole(enum.StrEnum):
    """The values of PushPress's ``CustomerRole``; the list filter accepts the first four."""

    ADMIN = "admin"
    FRONTDESK = "frontdesk"
    COACH = "coach"
    MEMBER = "member"
    SUPERUSER = "superuser"
    NON_MEMBER = "non-member"
    EX_MEMBER = "ex-member"
    LEAD = "lead"


class CustomerName(PushPressModel):
    first: str | None = None
    last: str | None = None
    nickname: str | None = None

    @property
    def full(self) -> str | None:
        """``first last``, or whichever is set; None when neither is."""
        parts = [part.strip() for part in (self.first, self.last) if part and part.strip()]
        return " ".join(parts) or None


class CustomerAccount(PushPressModel):
    """``primary``, or ``linked`` to the primary customer that pays (a family account)."""

    type: str | None = None
    primary_customer_id: str | None = None


class Customer(PushPressModel):
    """A customer, former customer or lead of the company (PushPress's ``Customer``)."""

    id: str
    company_id: str | None = None
    email: str | None = None
    name: CustomerName | None = None
    phone: str | None = None
    role: str | None = None
    account: CustomerAccount | None = None

    @property
    def full_name(self) -> str | None:
        return self.name.full if self.name else None


class BillingSchedule(PushPressModel):
    period: str | None = None
    interval: int | None = None


class CheckinDetails(PushPressModel):
    checkins: int | None = None
    limit: int | None = None
    """-1 for unlimited."""


class Entitlement(PushPressModel):
    type: str
    id: str | None = None
    interval: str | None = None
    quantity: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata", mode="before")
    @classmethod
    def _null_metadata_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class Enrollment(PushPressModel):
    """A customer's subscription to a plan (PushPress's ``Enrollment``).

    ``status`` is kept as sent, so one enrollment with a status PushPress adds later does not
    make a whole listing unreadable; ``known_status`` is None for such a value. Dates are
    PushPress's date strings (``2022-01-01``), kept as sent.
    """

    id: str
    customer_id: str
    company_id: str | None = None
    plan_id: str | None = None
    status: str
    start_date: str | None = None
    end_date: str | None = None
    last_charge: str | None = None
    next_charge: str | None = None
    paid_until: str | None = None
    billing_schedule: BillingSchedule | None = None
    checkin_details: CheckinDetails | None = None
    entitlements: list[Entitlement] = Field(default_factory=list)

    @field_validator("entitlements", mode="before")
    @classmethod
    def _null_entitlements_are_none(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def known_status(self) -> EnrollmentStatus | None:
        try:
            return EnrollmentStatus(self.status.strip().lower())
        except ValueError:
            return None

    @property
    def lists_24_hour_access(self) -> bool:
        """Whether the enrollment carries a ``24_HOUR_ACCESS`` entitlement (its plan's copy)."""
        return any(e.type == TWENTY_FOUR_HOUR_ACCESS_ENTITLEMENT for e in self.entitlements)


class PlanPolicies(PushPressModel):
    allow_class_checkins: bool | None = None
    allow_open_gym_checkins: bool | None = None
    allow_24_hour_access: bool | None = Field(default=None, alias="allow24HourAccess")


class RecurrenceDetails(PushPressModel):
    """``recurring``, ``non-recurring``, ``limited-recurring`` or ``session-pack``."""

    type: str | None = None
    occurrences: int | None = None


class PlanCategory(PushPressModel):
    name: str | None = None


class Plan(PushPressModel):
    """A plan customers enroll in (PushPress's ``Plan``); ``policies.allow_24_hour_access`` is
    PushPress's "24-hr access" setting of the plan."""

    id: str
    name: str | None = None
    company_id: str | None = None
    policies: PlanPolicies | None = None
    recurrence_details: RecurrenceDetails | None = None
    category: PlanCategory | None = None

    @property
    def allows_24_hour_access(self) -> bool:
        return bool(self.policies and self.policies.allow_24_hour_access)


class Company(PushPressModel):
    """The company (gym) the API key acts for (``GET /company``)."""

    id: str
    name: str | None = None
    subdomain: str | None = None
    default_timezone: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
