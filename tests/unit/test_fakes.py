"""The shared fakes (tests/fakes.py) are the ports they stand in for: typed as the ports here, so
mypy checks them, and they keep the rules the tests rely on."""

from datetime import UTC, datetime, timedelta

import pytest

from access_core.domain.commands import ConvergeMember, QueuedCommand
from access_core.domain.ports import Clock, CommandQueue, MetricsSink, SecretStore
from kisi_emulator.clock import Clock as EmulatorClock
from tests.fakes import FakeClock, FakeMetrics, FakeQueue, FakeSecrets

START = datetime(2030, 6, 15, 18, 0, tzinfo=UTC)


def test_the_fakes_satisfy_their_ports() -> None:
    clock = FakeClock(START)
    secrets: SecretStore = FakeSecrets(clock=clock)
    metrics: MetricsSink = FakeMetrics()
    queue: CommandQueue = FakeQueue()
    now: Clock = clock.now
    emulator_clock: EmulatorClock = clock

    metrics.count("UnlockAttempts")
    queue.send([])
    emulator_clock.advance(60)
    assert secrets.kisi_api_key("club-1") is None
    assert now() == emulator_clock.now() == START + timedelta(minutes=1)


def test_the_clock_moves_its_two_readings_together_and_only_forward() -> None:
    clock = FakeClock(START, monotonic=10.0)

    clock.advance(1.5)
    clock.sleep(2.0)

    assert (clock.now(), clock.monotonic()) == (START + timedelta(seconds=3.5), 13.5)
    assert clock.sleeps == [2.0]
    assert clock.slept == 2.0
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2030, 1, 1))


def test_fake_secrets_rotate_webhook_secrets_with_the_overlap() -> None:
    clock = FakeClock(START)
    secrets = FakeSecrets(clock=clock, rotation_overlap=timedelta(hours=1))
    secrets.put_webhook_secret("club-1", "first-secret")
    status = secrets.add_webhook_secret("club-1", "canonical", "second-secret")

    assert secrets.webhook_secret("club-1") == "second-secret"
    assert status.previous_valid_until == START + timedelta(hours=1)
    assert [s.value for s in secrets.webhook_secrets("club-1", "canonical")] == [
        "second-secret",
        "first-secret",
    ]
    assert secrets.end_webhook_secret_overlap("club-1", "canonical").previous_valid_until is None
    secrets.delete_webhook_secrets("club-1", "canonical")
    assert secrets.webhook_secret("club-1") is None
    assert not secrets.webhook_secret_status("club-1", "canonical").configured


def test_fake_secrets_keep_kisi_keys_per_tenant_and_log_each_call() -> None:
    secrets = FakeSecrets(kisi_keys={"club-1": "kisi-key-0123456789"})
    secrets.put_kisi_api_key("club-2", "kisi-key-abcdef")
    secrets.delete_kisi_api_key("club-1")

    assert secrets.kisi_api_key("club-1") is None
    assert secrets.kisi_api_key("club-2") == "kisi-key-abcdef"
    assert "kisi-key" not in repr(secrets)
    assert secrets.log == [
        "ssm.put_kisi_api_key",
        "ssm.delete_kisi_api_key",
        "ssm.kisi_api_key",
        "ssm.kisi_api_key",
    ]


def test_fake_metrics_and_queue_record_what_they_get() -> None:
    metrics, queue = FakeMetrics(), FakeQueue()
    command = QueuedCommand(ConvergeMember(tenant_id="club-1", member_id="m1"), "club-1")

    metrics.count("UnlockOpened")
    metrics.count("UnlockOpened", 2)
    queue.send([command])
    queue.delay_retry("receipt-1", 30)

    assert metrics.counts == {"UnlockOpened": 3}
    assert (queue.sent, queue.delayed) == ([command], [("receipt-1", 30)])
