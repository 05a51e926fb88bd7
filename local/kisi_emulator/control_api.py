"""Handlers of the control API under `/_emulator/` (no Kisi auth, no rate limit, no faults).

Each handler parses its body and calls the `KisiEmulator` method of the same purpose, so the
HTTP control API and the Python API cannot drift apart.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kisi_emulator.call import Call
from kisi_emulator.faults import FaultSpec
from kisi_emulator.seed import SeedDocument
from kisi_emulator.wire import EmulatorResponse, bad_request, no_content_response, ok_response


class ConfigChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_limit: bool | None = None
    fault_seed: int | None = None


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0)


def _body(call: Call) -> dict[str, Any]:
    body = call.json_body()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    return body


def health(call: Call) -> EmulatorResponse:
    return ok_response({"status": "ok", "now": call.now.isoformat()})


def reset(call: Call) -> EmulatorResponse:
    call.emulator.reset()
    return no_content_response()


def seed(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.seed(SeedDocument.model_validate(_body(call))))


def seed_demo(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.seed_demo())


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
    return ok_response(call.emulator.set_lock_state(organization_id, lock_id, **_body(call)))


def revoke_api_key(call: Call) -> EmulatorResponse:
    call.emulator.revoke_api_key(call.params["key"])
    return no_content_response()


def inject_fault(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.inject_fault(FaultSpec.model_validate(_body(call))))


def list_faults(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.faults())


def clear_faults(call: Call) -> EmulatorResponse:
    call.emulator.clear_faults()
    return no_content_response()


def clear_fault(call: Call) -> EmulatorResponse:
    call.emulator.clear_faults(call.record_id(what="Fault"))
    return no_content_response()


def counts(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.counts())


def reset_counts(call: Call) -> EmulatorResponse:
    call.emulator.reset_counts()
    return no_content_response()


def config(call: Call) -> EmulatorResponse:
    return ok_response(call.emulator.config())


def change_config(call: Call) -> EmulatorResponse:
    change = ConfigChange.model_validate(_body(call))
    return ok_response(
        call.emulator.configure(rate_limit=change.rate_limit, fault_seed=change.fault_seed)
    )


def clock(call: Call) -> EmulatorResponse:
    return ok_response({"now": call.now.isoformat()})


def advance_clock(call: Call) -> EmulatorResponse:
    advance = ClockAdvance.model_validate(_body(call))
    return ok_response({"now": call.emulator.advance_clock(advance.seconds).isoformat()})
