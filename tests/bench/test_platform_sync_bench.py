"""A tiny run of `bench.platform_sync` (PushPress calls of the syncs' pulls), so that it cannot
rot: its counts, never its time."""

from bench import platform_sync


def test_the_pulls_cost_their_listings_and_two_calls_per_member_fetched() -> None:
    figures = platform_sync.run(members=150).figures

    # 150 enrollments and 150 customers, 100 a page, each listing ended by an empty page.
    assert figures["weekly.pushpress_calls"] == 3 + 3
    assert figures["weekly.ratio_to_bound"] == 1.0
    assert figures["weekly.recorded_platform_calls"] == figures["weekly.pushpress_calls"]
    assert figures["weekly.fed"] == 0
    assert figures["weekly.fetched"] == 0
    # One cancelled, one pending cancel, one new: active (2 pages + the empty one), pendcancel
    # (1 + 1); the cancelled and the new member fetched, 2 calls each.
    assert figures["daily_1pct.pushpress_calls"] == 3 + 2 + 2 * 2
    assert figures["daily_1pct.ratio_to_bound"] == 1.0
    assert figures["daily_1pct.fetched"] == 2
    assert figures["daily_1pct.drift"] == 3
    assert figures["daily_1pct.commands_enqueued"] == 3
    assert figures["daily_1pct.repaired_in_kisi"] == 3
