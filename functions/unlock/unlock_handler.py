"""GET /v1/reservations/{reservation_id}/doors and POST .../doors/{lock_id}/unlock: the Unlock API
of the mobile app (docs/unlock-api.md).

The player is the token's subject and the tenant its tenant claim. Routes validate the path and
hand it to one function of `access_core.unlock.service`; every answer is JSON, refusals carry a
machine-readable `error`, and the Kisi key never appears in a response or a log line.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from access_core import bootstrap
from access_core.domain.caller import Caller
from access_core.domain.events import MAX_ID_LENGTH
from access_core.domain.usage import UNLOCK_PER_PLAYER
from access_core.http.api import (
    MAX_BODY_BYTES,
    MAX_KISI_ID,
    KisiIdParameter,
    ResponseDocs,
    authorize_every_request,
    install_json_errors,
    json_resolver,
)
from access_core.http.events import ok, refuse_oversized_body
from access_core.unlock import service
from access_core.unlock.models import DoorsResponse, UnlockError, UnlockResponse
from access_core.unlock.service import UnlockDependencies

powertools = bootstrap.observability()

RESERVATION = "/v1/reservations/<reservation_id>"
TAG = "Unlock"
ERROR_DESCRIPTIONS = {
    401: "unauthorized: no subject or no tenant claim in the token, or not platform ids",
    403: "door_access_disabled: the club does not offer door access with bookings; for an "
    "unlock also window_not_open / window_closed (with window_opens_at and window_closes_at) "
    "and kisi_access_denied (Kisi refused the club's account for this door)",
    404: "reservation_not_found: no reservation with this id lists this player in this club "
    "(another player's or club's is answered the same); for an unlock also door_not_found "
    "(not a door players may open here)",
    409: "reservation_cancelled: the booking was cancelled, no door opens",
    422: "invalid_request: a path parameter is invalid (every offending field is named)",
    423: "door_locked_down: the door is locked down in Kisi",
    429: "kisi_rate_limited: the club's Kisi budget is used up; usage_limit_exceeded: this player "
    "made too many requests (docs/unlock-api.md); retry after Retry-After seconds",
    502: "kisi_error: Kisi answered in an unexpected way",
    503: "kisi_not_connected / kisi_credentials_invalid: the club must (re)connect Kisi; for an "
    "unlock also door_offline, and kisi_unavailable (retry after Retry-After seconds; the door "
    "may have opened)",
}

app = json_resolver()
install_json_errors(
    app,
    logger=powertools.logger,
    api_name="unlock",
    docs="docs/unlock-api.md",
    crash_message="Something went wrong; the door may or may not have opened.",
)
documented = ResponseDocs(
    UnlockError, ERROR_DESCRIPTIONS, frozenset({401, 403, 404, 409, 422, 429, 503})
).documented

ReservationId = Annotated[
    str,
    Path(
        description="The platform's reservation id",
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=r"^[\w.:@-]+$",
    ),
]
LockId = Annotated[
    KisiIdParameter,
    Path(description="The Kisi lock id (from GET .../doors)", gt=0, le=MAX_KISI_ID),
]


caller = authorize_every_request(
    app,
    lambda claims, _path: service.authorize(claims),
    admit=lambda player: bootstrap.container().admit_caller(player, UNLOCK_PER_PLAYER),
)


def unlock_dependencies() -> UnlockDependencies:
    return bootstrap.container().unlock


# Injected into the routes (Powertools' Depends; tests may set app.dependency_overrides).
Player = Annotated[Caller, Depends(caller)]
UnlockDeps = Annotated[UnlockDependencies, Depends(unlock_dependencies)]


@app.get(
    f"{RESERVATION}/doors",
    tags=[TAG],
    summary="The doors a player can open for a reservation, and when",
    description="The doors the club enabled for players, with the reservation's access window "
    "(from start minus the club's pre-reservation window to the end). Outside the window the "
    "doors are still listed, with unlock_allowed false and the refusal an unlock would get. "
    "Two DynamoDB reads, no Kisi call.",
    responses=documented(DoorsResponse, "The doors and the window"),
)
def get_doors(
    reservation_id: ReservationId, player: Player, deps: UnlockDeps
) -> Response[dict[str, Any]]:
    return ok(service.list_doors(player, reservation_id, deps))


@app.post(
    f"{RESERVATION}/doors/<lock_id>/unlock",
    tags=[TAG],
    summary="Open a door through Kisi",
    description="Opens the door when the reservation lists the player, is not cancelled, now is "
    "within its window and the club enabled the door. One DynamoDB read and a conditional claim "
    "of the door (two concurrent unlocks cannot both open it), then the Kisi call. "
    "Retry-safe: a repeat within a few seconds of a success is answered from it "
    "(deduplicated: true) without opening the door again. Every attempt is audited.",
    responses=documented(UnlockResponse, "The door is open", 423, 429, 502),
)
def post_unlock(
    reservation_id: ReservationId, lock_id: LockId, player: Player, deps: UnlockDeps
) -> Response[dict[str, Any]]:
    return ok(service.unlock_door(player, reservation_id, lock_id, deps))


@powertools.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return refuse_oversized_body(event, MAX_BODY_BYTES) or app.resolve(event, context)
