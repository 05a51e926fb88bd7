"""Handlers of the PushPress emulator's own control endpoints under ``/_emulator/`` (no auth, no
rate limit, no faults, not counted); the ones every emulator has are in
``emulator_kit.control_api``. Each parses its body and calls the ``PushPressEmulator`` method of
the same purpose, so the HTTP control API and the Python API cannot drift apart."""

from pydantic import BaseModel, ConfigDict, Field

from emulator_kit.wire import EmulatorResponse, no_content_response, ok_response
from pushpress_emulator.call import Call
from pushpress_emulator.deliveries import BodyFormat
from pushpress_emulator.wire import bad_request


class ConfigChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_limit: bool | None = None
    fault_seed: int | None = None
    deliver_webhooks: bool | None = None
    body_format: BodyFormat | None = None


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


def list_companies(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.companies())


def company_state(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.snapshot(_company(call)))


def add_api_key(call: Call) -> EmulatorResponse:
    key = call.body_object().get("key")
    if key is not None and not isinstance(key, str):
        raise bad_request("key must be a string")
    return ok_response({"key": call.emulator.add_api_key(_company(call), key)}, status=201)


def create_customer(call: Call) -> EmulatorResponse:
    return ok_response(
        call.emulator.create_customer(_company(call), **call.body_object()), status=201
    )


def update_customer(call: Call) -> EmulatorResponse:
    customer_id = call.params["customer_id"]
    return ok_response(
        call.emulator.update_customer(_company(call), customer_id, **call.body_object())
    )


def delete_customer(call: Call) -> EmulatorResponse:
    call.emulator.delete_customer(_company(call), call.params["customer_id"])
    return no_content_response()


def create_plan(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.create_plan(_company(call), **call.body_object()), status=201)


def update_plan(call: Call) -> EmulatorResponse:
    plan_id = call.params["plan_id"]
    return ok_response(call.emulator.update_plan(_company(call), plan_id, **call.body_object()))


def create_enrollment(call: Call) -> EmulatorResponse:
    return ok_response(
        call.emulator.create_enrollment(_company(call), **call.body_object()), status=201
    )


def update_enrollment(call: Call) -> EmulatorResponse:
    enrollment_id = call.params["enrollment_id"]
    return ok_response(
        call.emulator.update_enrollment(_company(call), enrollment_id, **call.body_object())
    )


def delete_enrollment(call: Call) -> EmulatorResponse:
    call.emulator.delete_enrollment(_company(call), call.params["enrollment_id"])
    return no_content_response()


def register_webhook(call: Call) -> EmulatorResponse:
    body = WebhookRegistration.model_validate(call.body_object())
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
    body = WebhookActivation.model_validate(call.body_object())
    return ok_response(
        call.emulator.set_webhook_active(_company(call), call.params["webhook_id"], body.active)
    )


def list_deliveries(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.deliveries())


def drop_deliveries(call: Call) -> EmulatorResponse:
    body = DropDeliveries.model_validate(call.body_object())
    call.emulator.drop_deliveries(body.count, body.event)
    return no_content_response()


def redeliver(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.redeliver(_delivery_id(call)))


def deliver_pending(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.deliver_pending())


def clear_fault(call: Call) -> EmulatorResponse:
    raw = call.params["fault_id"]
    if not raw.isdigit():
        raise bad_request("fault ids are integers")
    call.emulator.clear_faults(int(raw))
    return no_content_response()


def change_config(call: Call) -> EmulatorResponse:
    change = ConfigChange.model_validate(call.body_object())
    return ok_response(
        call.emulator.configure(
            rate_limit=change.rate_limit,
            fault_seed=change.fault_seed,
            deliver_webhooks=change.deliver_webhooks,
            body_format=change.body_format,
        )
    )
