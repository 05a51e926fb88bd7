"""What every platform adapter shares: the result types, the error type, and the edge rules.

The edge rules live here so that every platform applies them the same way:

- a pydantic `ValidationError` becomes `PayloadInvalid` naming each field by its dotted path in the
  platform's own payload (`data.customer.email`, `data.reservation.players.0.id`; `$` is the body);
- times are ISO 8601 strings with an offset (or `Z`), or JSON numbers of Unix epoch seconds;
  naive times are rejected, and so are times outside 2000..2100 (a far-future `updated_at` would
  win every later conditional write and freeze the record);
- a platform that sends no event id gets a stable derived one: the sha256 of the canonical JSON
  of the body, so a redelivered body has the same id.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from access_core.domain.events import MAX_ID_LENGTH, CanonicalEvent

BODY_PATH = "$"
DERIVED_EVENT_ID_PREFIX = "sha256:"
MAX_EVENT_TYPE_LENGTH = 100
MAX_NAME_LENGTH = 200
EARLIEST_PLAUSIBLE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_PLAUSIBLE_TIME = datetime(2100, 1, 1, tzinfo=UTC)
# Epoch numbers at or above this are milliseconds: as seconds they would be past the year 5000.
EPOCH_MILLISECONDS_THRESHOLD = 100_000_000_000

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
    name: str

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
    try:
        event = event_type.model_validate(values)
    except ValidationError as error:
        raise PayloadInvalid(field_errors(error, at=at, renames=paths)) from None
    # JSON escapes can carry unpaired surrogates, which no store or log can encode as UTF-8.
    unencodable = [
        FieldError(paths.get(name) or join_path(at, name), "must be valid Unicode text")
        for name, value in event
        if isinstance(value, str) and not _is_utf8_encodable(value)
    ]
    if unencodable:
        raise PayloadInvalid(unencodable)
    return event


def _is_utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


# --- times ------------------------------------------------------------------------------------

_TIME_TYPE = "must be an ISO 8601 time or Unix epoch seconds"
_TIME_FORMAT = "must be an ISO 8601 date and time, e.g. 2025-03-14T18:00:00Z"
_TIME_RANGE = "must be between 2000-01-01 and 2100-01-01 (UTC)"


def parse_instant(value: object) -> datetime:
    """An aware UTC datetime from an ISO 8601 string with offset, or from epoch seconds.

    Raises PydanticCustomError so that it can serve as a pydantic before-validator.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, bool):
        raise PydanticCustomError("time_type", _TIME_TYPE)
    elif isinstance(value, int | float):
        moment = _from_epoch(value)
    elif isinstance(value, str):
        moment = _from_iso(value)
    else:
        raise PydanticCustomError("time_type", _TIME_TYPE)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PydanticCustomError(
            "time_naive", "must include a UTC offset or Z (naive times are rejected)"
        )
    return ensure_plausible(moment)


def ensure_plausible(moment: datetime) -> datetime:
    try:
        utc_moment = moment.astimezone(UTC)
    except OverflowError:
        utc_moment = None
    if utc_moment is None or not EARLIEST_PLAUSIBLE_TIME <= utc_moment < LATEST_PLAUSIBLE_TIME:
        raise PydanticCustomError("time_range", _TIME_RANGE)
    return utc_moment


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise PydanticCustomError("time_type", "must be a finite number of epoch seconds")
    if abs(seconds) >= EPOCH_MILLISECONDS_THRESHOLD:
        seconds = seconds / 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise PydanticCustomError("time_range", _TIME_RANGE) from None


_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _from_iso(text: str) -> datetime:
    stripped = text.strip()
    # fromisoformat also reads bare dates and compact forms; a time of day is required here.
    if not _ISO_DATE_TIME.match(stripped):
        raise PydanticCustomError("time_format", _TIME_FORMAT)
    try:
        return datetime.fromisoformat(stripped)
    except ValueError:
        raise PydanticCustomError("time_format", _TIME_FORMAT) from None


Instant = Annotated[AwareDatetime, BeforeValidator(parse_instant)]
