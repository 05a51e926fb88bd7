"""How long a command the worker could not finish waits before its next delivery."""

from hypothesis import given
from hypothesis import strategies as st

from access_core.membership.worker import (
    MAX_RETRY_DELAY_SECONDS,
    RETRIES_AT_KISIS_WORD,
    RetryLater,
    retry_delay_seconds,
)

MAX_RECEIVE_COUNT = 10  # template.yaml: CommandQueue's maxReceiveCount


def test_kisi_unreachable_backs_off_from_a_minute_to_fifteen() -> None:
    delays = [retry_delay_seconds(RetryLater("down"), n) for n in range(1, 7)]

    assert delays == [60, 120, 240, 480, 900, 900]


def test_a_throttled_command_first_waits_what_kisi_named() -> None:
    throttled = RetryLater("429", delay_seconds=1.2)

    assert [retry_delay_seconds(throttled, n) for n in range(1, RETRIES_AT_KISIS_WORD + 1)] == [
        2
    ] * RETRIES_AT_KISIS_WORD


def test_a_long_429_storm_does_not_dead_letter_a_command_within_the_hour() -> None:
    throttled = RetryLater("429", delay_seconds=1)

    waited = sum(retry_delay_seconds(throttled, n) for n in range(1, MAX_RECEIVE_COUNT))

    assert waited >= 3600


@given(
    st.integers(min_value=1, max_value=50),
    st.one_of(st.none(), st.floats(min_value=0, max_value=3600)),
)
def test_delays_never_shrink_and_never_undercut_kisi(
    receive_count: int, named: float | None
) -> None:
    retry = RetryLater("fault", delay_seconds=named)
    delay = retry_delay_seconds(retry, receive_count)

    assert delay >= retry_delay_seconds(retry, max(1, receive_count - 1))
    if named is not None:
        assert delay >= named
    assert delay <= max(MAX_RETRY_DELAY_SECONDS, named or 0) + 1
