"""What every platform adapter shares: the result types, the error type, and the edge rules.

The edge rules live here so that every platform applies them the same way:

- a pydantic `ValidationError` becomes `PayloadInvalid` naming each field by its dotted path in the
  platform's own payload (`data.customer.email`, `data.reservation.players.0.id`; `$` is the body);
- times follow `domain/times.py` (ISO 8601 with an offset, or epoch seconds; naive times and
  times outside 2000..2100 are rejected), re-exported here for the adapters;
- a platform that sends no event id gets a stable derived one: the sha256 of the canonical JSON
  of the body, so a redelivered body has the same id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from access_core.domain.events import MAX_ID_LENGTH, CanonicalEvent
from access_core.domain.times import (
    EARLIEST_PLAUSIBLE_TIME,
    EPOCH_MILLISECONDS_THRESHOLD,
    LATEST_PLAUSIBLE_TIME,
    Instant,
    ensure_plausible,
    parse_instant,
)
from access_core.ingest.verification import WebhookVerifier

__all__ = [
    "BODY_PATH",
    "DERIVED_EVENT_ID_PREFIX",
    "EARLIEST_PLAUSIBLE_TIME",
    "EPOCH_MILLISECONDS_THRESHOLD",
    "LATEST_PLAUSIBLE_TIME",
    "MAX_EVENT_TYPE_LENGTH",
    "MAX_NAME_LENGTH",
    "EventTypeName",
    "FieldError",
    "Instant",
    "PayloadInvalid",
    "PlatformAdapter",
    "PlatformModel",
    "PlatformRef",
    "Translation",
    "build_event",
    "derive_event_id",
    "display_name",
    "ensure_plausible",
    "field_errors",
    "ignored",
    "join_path",
    "lookup_in",
    "parse_instant",
    "require_object",
    "validate_as",
]

BODY_PATH = "$"
DERIVED_EVENT_ID_PREFIX = "sha256:"
MAX_EVENT_TYPE_LENGTH = 100
MAX_NAME_LENGTH = 200

# Pydantic's own wording for these is about the regex or the Python type, not the payload.
_FRIENDLIER_MESSAGES = {
    "string_pattern_mismatch": "may contain only letters, digits and . _ : @ -",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "list_type": "must be a JSON array",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class PayloadInvalid(Exception):
    """The payload does not match the platform's schema: answered 422, naming each field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors: list[FieldError] = list(dict.fromkeys(errors))
        super().__init__(
            "invalid payload: " + "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        )

    @classmethod
    def at(cls, path: str, message: str) -> PayloadInvalid:
        return cls([FieldError(path or BODY_PATH, message)])


@dataclass(frozen=True, kw_only=True)
class Translation:
    """What one webhook body means in canonical events.

    `ignored_reason` is set (and `events` empty) when the platform's event type is one the bridge
    does not act on: the webhook is acknowledged and logged, nothing is written.
    """

    events: list[CanonicalEvent]
    ignored_reason: str | None = None
    source_event_id: str
    source_event_type: str


class PlatformAdapter(Protocol):
    """A platform's webhook format: how a delivery is authenticated (`verifier`, a pure check
    against the tenant's secrets for that platform) and how its body translates."""

    name: str

    @property
    def verifier(self) -> WebhookVerifier: ...

    # Whether the verified delivery vouches for its events' times. PushPress signs `data` only:
    # its `created` could be set forward by whoever replays a captured delivery, so its events
    # are stored no later than their receipt (membership.intake.not_after).
    @property
    def signs_event_times(self) -> bool: ...

    def translate(self, payload: object) -> Translation:
        """Translate an already-parsed JSON body.

        Raises PayloadInvalid for schema errors and nothing else, whatever the JSON value.
        """
        ...


class PlatformModel(BaseModel):
    """Base of the platform payload models: platforms add fields, so unknown ones are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def ignored(source_event_id: str, source_event_type: str, reason: str) -> Translation:
    return Translation(
        events=[],
        ignored_reason=reason,
        source_event_id=source_event_id,
        source_event_type=source_event_type,
    )


# --- field paths ------------------------------------------------------------------------------


def join_path(*parts: str | int) -> str:
    return ".".join(str(part) for part in parts if part != "")


def field_errors(
    error: ValidationError, *, at: str = "", renames: Mapping[str, str] | None = None
) -> list[FieldError]:
    """One FieldError per pydantic error, located in the platform's payload.

    `at` is the path of the validated value inside the body; `renames` maps a top-level field of
    the validated model to its path in the body when the two differ (canonical field names of an
    event built from platform fields).
    """
    renames = renames or {}
    errors: list[FieldError] = []
    for detail in error.errors(include_url=False, include_input=False, include_context=False):
        location: list[str | int] = list(detail["loc"])
        if location and str(location[0]) in renames:
            path = join_path(renames[str(location[0])], *location[1:])
        else:
            path = join_path(at, *location)
        message = _FRIENDLIER_MESSAGES.get(detail["type"], detail["msg"])
        errors.append(FieldError(path or BODY_PATH, message.removeprefix("Value error, ")))
    return errors


def validate_as[ModelT: BaseModel](model: type[ModelT], value: object, *, at: str = "") -> ModelT:
    """Validate a platform payload (or part of one), raising PayloadInvalid on schema errors."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise PayloadInvalid(field_errors(error, at=at)) from None


def build_event[EventT: BaseModel](
    event_type: type[EventT], values: Mapping[str, Any], *, paths: Mapping[str, str], at: str = ""
) -> EventT:
    """Build a canonical event; a field the canonical model rejects is named by its platform path.

    `paths` maps canonical field names to where they came from in the body; other fields are
    located under `at`. For platform adapters whose models already enforce the canonical
    constraints this is a safety net that keeps the contract (PayloadInvalid, nothing else).
    """
    # The canonical models also refuse text that cannot be stored as UTF-8 (JSON escapes can
    # carry unpaired surrogates): named here like any other field.
    try:
        return event_type.model_validate(values)
    except ValidationError as error:
        raise PayloadInvalid(field_errors(error, at=at, renames=paths)) from None


def require_object(payload: object) -> Mapping[str, object]:
    if not isinstance(payload, Mapping):
        raise PayloadInvalid.at(BODY_PATH, "must be a JSON object")
    return payload


# --- event ids --------------------------------------------------------------------------------


def derive_event_id(payload: object) -> str:
    """A stable id for a body whose platform sends none: same JSON value, same id.

    Keys are sorted and separators fixed, so formatting and key order do not matter; ASCII
    escaping keeps lone surrogates (valid in JSON escapes) encodable.
    """
    canonical_json = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(canonical_json.encode("ascii")).hexdigest()
    return DERIVED_EVENT_ID_PREFIX + digest


# Validated platform references: ids may arrive as JSON strings or integers; canonical ids are text.
def _integer_id_as_text(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


PlatformRef = Annotated[
    str,
    BeforeValidator(_integer_id_as_text),
    Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[\w.:@-]+$"),
]
EventTypeName = Annotated[str, Field(min_length=1, max_length=MAX_EVENT_TYPE_LENGTH)]


def display_name(*parts: str | None) -> str:
    return " ".join(part.strip() for part in parts if part and part.strip())[:MAX_NAME_LENGTH]


# --- status tables ----------------------------------------------------------------------------


def lookup_in[ValueT](table: Mapping[str, ValueT], what: str) -> Callable[[object], ValueT]:
    """A pydantic before-validator mapping a platform's status text through `table`.

    Matching ignores case and surrounding spaces. A status missing from the table is a schema
    error: an unknown status is never granted by default.
    """
    expected = ", ".join(sorted(table))

    def lookup(value: object) -> ValueT:
        if not isinstance(value, str):
            raise PydanticCustomError("string_type", "Input should be a valid string")
        try:
            return table[value.strip().lower()]
        except KeyError:
            raise PydanticCustomError(
                "unknown_status",
                "unknown {what} {value}; expected one of: {expected}",
                {"what": what, "value": repr(value[:50]), "expected": expected},
            ) from None

    return lookup
