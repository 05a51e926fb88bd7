"""Handlers of the Kisi emulator's own control endpoints under `/_emulator/` (no Kisi auth, no
rate limit, no faults); the ones every emulator has are in `emulator_kit.control_api`.

Each handler parses its body and calls the `KisiEmulator` method of the same purpose, so the
HTTP control API and the Python API cannot drift apart.
"""

from pydantic import BaseModel, ConfigDict

from emulator_kit.wire import EmulatorResponse, no_content_response, ok_response
from kisi_emulator.call import Call
from kisi_emulator.wire import bad_request


class ConfigChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_limit: bool | None = None
    fault_seed: int | None = None


def list_organizations(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.organizations())


def organization_state(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.snapshot(call.record_id(what="Organization")))


def unlock_log(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.unlock_log(call.record_id(what="Organization")))


def access_by_email(call: Call) -> EmulatorResponse:
    email = call.request.query.get("email")
    if not email:
        raise bad_request("email is required")
    return ok_response(
        call.emulator.effective_access(call.record_id(what="Organization"), email=email)
    )


def user_access(call: Call) -> EmulatorResponse:
    organization_id = call.record_id(what="Organization")
    user_id = call.record_id("user_id", what="User")
    return ok_response(call.emulator.effective_access(organization_id, user_id=user_id))


def change_lock(call: Call) -> EmulatorResponse:
    organization_id = call.record_id(what="Organization")
    lock_id = call.record_id("lock_id", what="Lock")
    return ok_response(call.emulator.set_lock_state(organization_id, lock_id, **call.body_object()))


def clear_fault(call: Call) -> EmulatorResponse:
    call.emulator.clear_faults(call.record_id(what="Fault"))
    return no_content_response()


def change_config(call: Call) -> EmulatorResponse:
    change = ConfigChange.model_validate(call.body_object())
    return ok_response(
        call.emulator.configure(rate_limit=change.rate_limit, fault_seed=change.fault_seed)
    )


class EventWebhookRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    secret: str | None = None


class UnlockAs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str


def add_event_webhook(call: Call) -> EmulatorResponse:
    registration = EventWebhookRegistration.model_validate(call.body_object())
    return ok_response(
        call.emulator.add_event_webhook(
            call.record_id(what="Organization"), registration.url, registration.secret
        )
    )


def event_deliveries(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.event_deliveries(call.record_id(what="Organization")))


def unlock_as(call: Call) -> EmulatorResponse:
    request = UnlockAs.model_validate(call.body_object())
    organization_id = call.record_id(what="Organization")
    lock_id = call.record_id("lock_id", what="Lock")
    return ok_response(call.emulator.unlock_as(organization_id, lock_id, request.email))
