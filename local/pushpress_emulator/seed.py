"""The seed document: companies with their API keys, plans, customers, enrollments and webhook
registrations, created through the same operations as the control API (so the same rules
apply). Seeding sends no webhooks: it describes the state as it already is."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pushpress_emulator.state import EmulatorState


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedPlan(_Strict):
    ref: str | None = None
    id: str | None = None
    name: str = "Membership"
    allow_24_hour_access: bool = False
    category: str = "Memberships"


class SeedCustomer(_Strict):
    ref: str | None = None
    id: str | None = None
    email: str
    first: str = ""
    last: str = ""
    nickname: str = ""
    phone: str | None = None
    role: str = "member"
    member_since: str | None = None


class SeedEnrollment(_Strict):
    ref: str | None = None
    id: str | None = None
    customer: str
    """A customer's ref (or id)."""
    plan: str | None = None
    """A plan's ref (or id)."""
    status: str = "active"
    start_date: str | None = None
    end_date: str | None = None


class SeedWebhook(_Strict):
    ref: str | None = None
    id: str | None = None
    url: str
    event_types: list[str] | None = None
    signing_secret: str | None = None


def _one_generated_key() -> list[str | None]:
    return [None]


class SeedCompany(_Strict):
    ref: str | None = None
    id: str | None = None
    name: str = "Club"
    subdomain: str | None = None
    timezone: str = "America/Chicago"
    email: str = "front-desk@club.example"
    api_keys: list[str | None] = Field(default_factory=_one_generated_key)
    """Fixed keys, or null for a generated one. A key listed by two companies serves both
    (a multi-company key: requests then name the company in ``company-id``)."""
    plans: list[SeedPlan] = Field(default_factory=list)
    customers: list[SeedCustomer] = Field(default_factory=list)
    enrollments: list[SeedEnrollment] = Field(default_factory=list)
    webhooks: list[SeedWebhook] = Field(default_factory=list)


class SeedDocument(_Strict):
    companies: list[SeedCompany] = Field(default_factory=list)


def _fields(model: BaseModel, *skip: str) -> dict[str, Any]:
    return {k: v for k, v in model.model_dump(exclude_none=True).items() if k not in skip}


def apply_seed(state: EmulatorState, document: SeedDocument) -> dict[str, Any]:
    """Create what the document describes; answer the new ids by ref."""
    answer: dict[str, Any] = {"companies": {}}
    for seed in document.companies:
        company = state.create_company(_fields(seed, "ref", "api_keys", *_LISTS))
        keys = [state.add_api_key(key, company.id) for key in seed.api_keys]
        plans = {
            plan.ref or plan.name: state.create_plan(company, _fields(plan, "ref")).id
            for plan in seed.plans
        }
        customers = {
            customer.ref or customer.email: state.create_customer(
                company, _fields(customer, "ref")
            ).id
            for customer in seed.customers
        }
        enrollments = {}
        for number, enrollment in enumerate(seed.enrollments):
            fields = _fields(enrollment, "ref", "customer", "plan")
            fields["customer_id"] = customers.get(enrollment.customer, enrollment.customer)
            if enrollment.plan is not None:
                fields["plan_id"] = plans.get(enrollment.plan, enrollment.plan)
            created = state.create_enrollment(company, fields)
            enrollments[enrollment.ref or f"enrollment_{number}"] = created.id
        webhooks = {}
        for number, webhook in enumerate(seed.webhooks):
            registered = state.register_webhook(company, _fields(webhook, "ref"))
            webhooks[webhook.ref or f"webhook_{number}"] = registered.to_wire()
        answer["companies"][seed.ref or seed.name] = {
            "id": company.id,
            "api_keys": keys,
            "plans": plans,
            "customers": customers,
            "enrollments": enrollments,
            "webhooks": webhooks,
        }
    return answer


_LISTS = ("plans", "customers", "enrollments", "webhooks")
