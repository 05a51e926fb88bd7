"""EventBridge schedule expressions (`cron(...)` with AWS's six fields, `rate(...)`), evaluated
locally so the template's schedules run on their own timetable, in UTC."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_RATE_UNITS = {
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
}
# A cron that never fires (31 February) must not spin forever.
_SEARCH_LIMIT = timedelta(days=366 * 5)


class UnsupportedExpression(ValueError):
    pass


def _values(field: str, low: int, high: int, names: dict[str, int]) -> set[int] | None:
    """The values a cron field allows; None for '*' and '?' (any)."""
    if field in {"*", "?"}:
        return None
    allowed: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        allowed.update(range(start, end + 1, step))
    return allowed


def _number(text: str, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise UnsupportedExpression(f"unsupported cron value {text!r}")
    return int(text)


def next_fire(expression: str, after: datetime) -> datetime:
    """The first time strictly after `after` (aware, UTC) when the schedule fires."""
    rate = re.fullmatch(r"rate\((\d+)\s+(\w+)\)", expression.strip())
    if rate:
        seconds = int(rate.group(1)) * _RATE_UNITS[rate.group(2).lower()]
        return after + timedelta(seconds=seconds)
    cron = re.fullmatch(r"cron\((.+)\)", expression.strip())
    if not cron:
        raise UnsupportedExpression(f"not a schedule expression: {expression!r}")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise UnsupportedExpression(f"cron needs 6 fields: {expression!r}")
    minutes, hours, days, months, weekdays, years = (
        _values(fields[0], 0, 59, {}),
        _values(fields[1], 0, 23, {}),
        _values(fields[2], 1, 31, {}),
        _values(fields[3], 1, 12, _MONTHS),
        _values(fields[4], 1, 7, _DAYS),
        _values(fields[5], 1970, 2199, {}),
    )
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = after + _SEARCH_LIMIT
    while moment <= limit:
        aws_weekday = (moment.weekday() + 1) % 7 + 1  # AWS: 1 = Sunday
        if (
            (months is None or moment.month in months)
            and (years is None or moment.year in years)
            and (days is None or moment.day in days)
            and (weekdays is None or aws_weekday in weekdays)
            and (hours is None or moment.hour in hours)
            and (minutes is None or moment.minute in minutes)
        ):
            return moment
        moment += timedelta(minutes=1)
    raise UnsupportedExpression(f"{expression!r} never fires")
