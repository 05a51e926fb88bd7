"""Handlers of the control API under ``/_emulator/`` (no auth, no rate limit, no faults, not
counted). Each parses its body and calls the ``PushPressEmulator`` method of the same purpose,
so the HTTP control API and the Python API cannot drift apart."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pushpress_emulator.call import Call
from pushpress_emulator.deliveries import BodyFormat
from pushpress_emulator.faults import FaultSpec
from pushpress_emulator.seed import SeedDocument
from pushpress_emulator.wire import EmulatorResponse, bad_request, no_content_response, ok_response


class ConfigChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_limit: bool | None = None
    fault_seed: int | None = None
    deliver_webhooks: bool | None = None
    body_format: BodyFormat | None = None


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0)


class DropDeliveries(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=1, ge=1)
    event: str | None = None


class WebhookRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    event_types: list[str] | None = None
    signing_secret: str | None = None
    active: bool = True


class WebhookActivation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


def _company(call: Call) -> str:
    return call.params["id"]


def _delivery_id(call: Call) -> int:
    raw = call.params["delivery_id"]
    if not raw.isdigit():
        raise bad_request("delivery ids are integers")
    return int(raw)


def _fields(call: Call) -> dict[str, Any]:
    return call.json_object()


def health(call: Call) -> EmulatorResponse:
    return ok_response({"status": "ok", "now": call.now.isoformat()})


def reset(call: Call) -> EmulatorResponse:
    call.emulator.reset()
    return no_content_response()


def seed(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.seed(SeedDocument.model_validate(_fields(call))))


def seed_demo(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.seed_demo())


def list_companies(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.companies())


def company_state(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.snapshot(_company(call)))


def add_api_key(call: Call) -> EmulatorResponse:
    key = _fields(call).get("key")
    if key is not None and not isinstance(key, str):
        raise bad_request("key must be a string")
    return ok_response({"key": call.emulator.add_api_key(_company(call), key)}, status=201)


def revoke_api_key(call: Call) -> EmulatorResponse:
    call.emulator.revoke_api_key(call.params["key"])
    return no_content_response()


def create_customer(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.create_customer(_company(call), **_fields(call)), status=201)


def update_customer(call: Call) -> EmulatorResponse:
    customer_id = call.params["customer_id"]
    return ok_response(call.emulator.update_customer(_company(call), customer_id, **_fields(call)))


def delete_customer(call: Call) -> EmulatorResponse:
    call.emulator.delete_customer(_company(call), call.params["customer_id"])
    return no_content_response()


def create_plan(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.create_plan(_company(call), **_fields(call)), status=201)


def update_plan(call: Call) -> EmulatorResponse:
    plan_id = call.params["plan_id"]
    return ok_response(call.emulator.update_plan(_company(call), plan_id, **_fields(call)))


def create_enrollment(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.create_enrollment(_company(call), **_fields(call)), status=201)


def update_enrollment(call: Call) -> EmulatorResponse:
    enrollment_id = call.params["enrollment_id"]
    return ok_response(
        call.emulator.update_enrollment(_company(call), enrollment_id, **_fields(call))
    )


def delete_enrollment(call: Call) -> EmulatorResponse:
    call.emulator.delete_enrollment(_company(call), call.params["enrollment_id"])
    return no_content_response()


def register_webhook(call: Call) -> EmulatorResponse:
    body = WebhookRegistration.model_validate(_fields(call))
    registered = call.emulator.register_webhook(
        _company(call),
        body.url,
        event_types=body.event_types,
        signing_secret=body.signing_secret,
        active=body.active,
    )
    return ok_response(registered, status=201)


def rotate_webhook_secret(call: Call) -> EmulatorResponse:
    return ok_response(
        call.emulator.rotate_webhook_secret(_company(call), call.params["webhook_id"])
    )


def change_webhook(call: Call) -> EmulatorResponse:
    body = WebhookActivation.model_validate(_fields(call))
    return ok_response(
        call.emulator.set_webhook_active(_company(call), call.params["webhook_id"], body.active)
    )


def list_deliveries(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.deliveries())


def drop_deliveries(call: Call) -> EmulatorResponse:
    body = DropDeliveries.model_validate(_fields(call))
    call.emulator.drop_deliveries(body.count, body.event)
    return no_content_response()


def redeliver(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.redeliver(_delivery_id(call)))


def deliver_pending(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.deliver_pending())


def inject_fault(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.inject_fault(FaultSpec.model_validate(_fields(call))))


def list_faults(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.faults())


def clear_faults(call: Call) -> EmulatorResponse:
    call.emulator.clear_faults()
    return no_content_response()


def clear_fault(call: Call) -> EmulatorResponse:
    raw = call.params["fault_id"]
    if not raw.isdigit():
        raise bad_request("fault ids are integers")
    call.emulator.clear_faults(int(raw))
    return no_content_response()


def counts(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.counts())


def reset_counts(call: Call) -> EmulatorResponse:
    call.emulator.reset_counts()
    return no_content_response()


def config(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.config())


def change_config(call: Call) -> EmulatorResponse:
    change = ConfigChange.model_validate(_fields(call))
    return ok_response(
        call.emulator.configure(
            rate_limit=change.rate_limit,
            fault_seed=change.fault_seed,
            deliver_webhooks=change.deliver_webhooks,
            body_format=change.body_format,
        )
    )


def clock(call: Call) -> EmulatorResponse:
    return ok_response({"now": call.now.isoformat()})


def advance_clock(call: Call) -> EmulatorResponse:
    advance = ClockAdvance.model_validate(_fields(call))
    return ok_response({"now": call.emulator.advance_clock(advance.seconds).isoformat()})
