"""What a platform's time means: the rules every translation into canonical events applies.

- ISO 8601 strings with an offset (or `Z`), or JSON numbers of Unix epoch seconds (numbers of
  10^11 and above are milliseconds: as seconds they would lie past the year 5000);
- naive times are rejected, and so are times outside 2000..2100: a far-future `updated_at`
  would win every later conditional write and freeze the record;
- every time is normalised to UTC.

The parsers raise `PydanticCustomError`, so that they serve as pydantic before-validators
(`Instant`) and their messages read the same wherever a platform's record is translated (the
webhook adapters of `ingest/`, the platform gateways such as `pushpress/`).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

EARLIEST_PLAUSIBLE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_PLAUSIBLE_TIME = datetime(2100, 1, 1, tzinfo=UTC)
# Epoch numbers at or above this are milliseconds: as seconds they would be past the year 5000.
EPOCH_MILLISECONDS_THRESHOLD = 100_000_000_000

_TIME_TYPE = "must be an ISO 8601 time or Unix epoch seconds"
_TIME_FORMAT = "must be an ISO 8601 date and time, e.g. 2025-03-14T18:00:00Z"
_TIME_RANGE = "must be between 2000-01-01 and 2100-01-01 (UTC)"
_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def parse_instant(value: object) -> datetime:
    """An aware UTC datetime from an ISO 8601 string with offset, or from epoch seconds."""
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
