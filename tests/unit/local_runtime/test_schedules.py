from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local_runtime.schedules import UnsupportedExpression, next_fire

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(15 3 * * ? *)", datetime(2026, 11, 24, 3, 15, tzinfo=UTC)),
        ("cron(30 4 ? * SUN *)", datetime(2026, 11, 29, 4, 30, tzinfo=UTC)),
        ("cron(0 9 ? * MON-FRI *)", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("cron(0/20 * * * ? *)", datetime(2026, 11, 23, 9, 20, tzinfo=UTC)),
        ("cron(0 0 1 JAN ? 2027)", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("rate(5 minutes)", MONDAY + timedelta(minutes=5)),
        ("rate(1 day)", MONDAY + timedelta(days=1)),
    ],
)
def test_next_fire_follows_aws_schedule_expressions(expression: str, expected: datetime) -> None:
    assert next_fire(expression, MONDAY) == expected


@pytest.mark.parametrize(
    "expression", ["every day", "cron(1 2 3)", "cron(0 0 L * ? *)", "cron(0 0 30 FEB ? *)"]
)
def test_unsupported_or_impossible_expressions_are_refused(expression: str) -> None:
    with pytest.raises(UnsupportedExpression):
        next_fire(expression, MONDAY)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_the_weekly_schedule_fires_on_a_sunday_after_the_given_time(moment: datetime) -> None:
    after = moment.replace(tzinfo=UTC)
    fired = next_fire("cron(30 4 ? * SUN *)", after)
    assert fired > after
    assert fired.weekday() == 6
    assert (fired.hour, fired.minute) == (4, 30)
    assert fired - after <= timedelta(days=7)
