"""Smoke runs of the benchmarks at tiny sizes, so that they cannot rot. They assert counts (Kisi
calls, AWS round trips, members converged), never time."""

import importlib.util
from pathlib import Path

import pytest

from bench import cold_start, kisi_calls, rate_limit, unlock_path, webhook_ingestion


def test_kisi_calls_per_grant_and_revoke_meet_the_lower_bounds() -> None:
    figures = kisi_calls.run(members=1).figures

    assert figures["grant_new_member.calls_per_member"] == 2
    assert figures["grant_pending_cancel.calls_per_member"] == 2
    assert figures["duplicate_webhook.calls_per_member"] == 0
    assert figures["revoke.calls_per_member"] == 1
    assert figures["email_change.calls_per_member"] == 3
    assert figures["plan_loses_24h_access.calls_per_member"] == 1
    assert figures["members_left_in_group"] == 0


def test_sync_benchmark_is_skipped_with_a_note_or_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda _name: None)  # kisi_calls' importlib

    assert kisi_calls.run_sync_benchmarks(quick=True) is False
    assert "sync_cost: skipped" in capsys.readouterr().out


def test_webhook_ingestion_counts_round_trips_and_sends_per_event() -> None:
    figures = webhook_ingestion.run(events=1).figures

    # The tenant, the club's usage count, the member's conditional write.
    assert figures["membership_upserted.new_member.store_round_trips"] == 3
    assert figures["membership_upserted.new_member.sqs_sends"] == 1
    assert figures["membership_upserted.new_member.ssm_reads"] == 0
    # A redelivery is answered from the idempotency record: nothing stored, nothing sent.
    assert figures["membership_upserted.redelivered.sqs_sends"] == 0
    assert figures["membership_upserted.stale.sqs_sends"] == 0
    assert figures["reservation_upserted.sqs_sends"] == 0
    for name, value in figures.items():
        if name.endswith(".dynamodb_round_trips"):
            store_round_trips = figures[name.replace("dynamodb_", "store_")]
            assert isinstance(value, int | float), name  # round trips per event: numbers
            assert isinstance(store_round_trips, int | float), name
            assert value >= store_round_trips, name


def test_unlock_path_makes_one_read_and_one_claim_before_one_kisi_call() -> None:
    report = unlock_path.run(unlocks=2)
    if not report.figures:
        pytest.skip("the Unlock API answers 501")
    figures = report.figures

    assert figures["answers"] == "{200: 2}"
    assert figures["dynamodb_round_trips_before_kisi"] == 3  # usage count, read, claim
    assert figures["kisi_calls"] == 1
    assert figures["ssm_reads"] == 0


def test_rate_limited_convergence_loses_nothing() -> None:
    figures = rate_limit.run(
        members=2, pair_members=0, workers=1, unlock_interval=0.5, idle_unlocks=0
    ).figures

    assert figures["in_process.http_429"] == 0
    assert figures["one_tenant.members"] == 2
    assert figures["one_tenant.commands_lost"] == 0
    assert figures["one_tenant.unlocks_refused"] == 0


def test_cold_start_sees_what_the_webhook_imports(tmp_path: Path) -> None:
    folder, module = cold_start.functions()["webhook"]
    probe, _ = cold_start._probe(module, [folder, *cold_start.LAYER_ROOTS], tmp_path)

    assert probe["seconds"] > 0
    assert "kisi_client" not in probe["loaded"]
    assert "httpx" not in probe["loaded"]


def test_heaviest_imports_sum_each_package_own_time() -> None:
    log = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:      1000 |       1000 |     botocore.utils",
            "import time:      3000 |       4000 |   botocore",
            "import time:       500 |        500 | json",
        ]
    )

    assert cold_start.heaviest_imports(log, most=2) == [("botocore", 0.004), ("json", 0.0005)]
