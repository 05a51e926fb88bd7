"""The control endpoints every emulator has, under `/_emulator/` (no auth, no rate limit, no
faults, not counted): health, reset, seed, API key revocation, faults, counts, config and the
clock. Each parses its body and calls the emulator method of the same purpose, so the HTTP
control API and the Python API cannot drift apart. An emulator lists them in its routing table
with its own (`ROUTES`), and adds what differs (clearing one fault, changing its config)."""

from pydantic import BaseModel, ConfigDict, Field

from emulator_kit.call import ControlCall
from emulator_kit.routes import Route, control
from emulator_kit.wire import EmulatorResponse, no_content_response, ok_response


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0)


def health(call: ControlCall) -> EmulatorResponse:
    return ok_response({"status": "ok", "now": call.now.isoformat()})


def reset(call: ControlCall) -> EmulatorResponse:
    call.emulator.reset()
    return no_content_response()


def seed(call: ControlCall) -> EmulatorResponse:
    return ok_response(call.emulator.seed(call.body_object()))


def seed_demo(call: ControlCall) -> EmulatorResponse:
    return ok_response(call.emulator.seed_demo())


def revoke_api_key(call: ControlCall) -> EmulatorResponse:
    call.emulator.revoke_api_key(call.params["key"])
    return no_content_response()


def inject_fault(call: ControlCall) -> EmulatorResponse:
    return ok_response(call.emulator.inject_fault(call.body_object()))


def list_faults(call: ControlCall) -> EmulatorResponse:
    return ok_response(call.emulator.faults())


def clear_faults(call: ControlCall) -> EmulatorResponse:
    call.emulator.clear_faults()
    return no_content_response()


def counts(call: ControlCall) -> EmulatorResponse:
    return ok_response(call.emulator.counts())


def reset_counts(call: ControlCall) -> EmulatorResponse:
    call.emulator.reset_counts()
    return no_content_response()


def config(call: ControlCall) -> EmulatorResponse:
    return ok_response(call.emulator.config())


def clock(call: ControlCall) -> EmulatorResponse:
    return ok_response({"now": call.now.isoformat()})


def advance_clock(call: ControlCall) -> EmulatorResponse:
    advance = ClockAdvance.model_validate(call.body_object())
    return ok_response({"now": call.emulator.advance_clock(advance.seconds).isoformat()})


ROUTES: tuple[Route[ControlCall], ...] = (
    control("GET", "/health", health),
    control("POST", "/reset", reset),
    control("POST", "/seed", seed),
    control("POST", "/seed/demo", seed_demo),
    control("DELETE", "/api_keys/{key}", revoke_api_key),
    control("GET", "/faults", list_faults),
    control("POST", "/faults", inject_fault),
    control("DELETE", "/faults", clear_faults),
    control("GET", "/counts", counts),
    control("DELETE", "/counts", reset_counts),
    control("GET", "/config", config),
    control("GET", "/clock", clock),
    control("POST", "/clock/advance", advance_clock),
)
"""The shared control routes, for an emulator's routing table."""
