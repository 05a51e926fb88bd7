"""SsmSecretStore's webhook secret sets on moto: one parameter per platform, the rotation overlap
written with the set, a plain value (written by hand, or before overlaps existed) read as one
current secret, statuses without secret material, cached reads refreshed per tenant and set."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from access_core.domain.secrets import DEFAULT_ROTATION_OVERLAP
from access_core.infrastructure.ssm import WEBHOOK_SECRET_REFRESH_SECONDS, SsmSecretStore

PREFIX = "/kisi-access-bridge/test"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Clocks:
    def __init__(self) -> None:
        self.now = T0
        self.ticks = 1000.0

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.ticks


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def store(aws: None, clocks: Clocks) -> SsmSecretStore:
    return SsmSecretStore(
        boto3.client("ssm"), PREFIX, monotonic=clocks.monotonic, clock=clocks.clock
    )


def parameter(name: str) -> str:
    client = boto3.client("ssm")
    value: str = client.get_parameter(Name=f"{PREFIX}/tenants/club-1/{name}", WithDecryption=True)[
        "Parameter"
    ]["Value"]
    return value


def test_each_platform_has_its_own_parameter(store: SsmSecretStore) -> None:
    store.add_webhook_secret("club-1", "canonical", "bridge-secret-1")
    store.add_webhook_secret("club-1", "pushpress", "pushpress-secret-1")
    store.add_webhook_secret("club-1", "playbypoint", "playbypoint-token-1")

    assert "bridge-secret-1" in parameter("webhook-secret")
    assert "pushpress-secret-1" in parameter("pushpress-webhook-secret")
    assert "playbypoint-token-1" in parameter("playbypoint-webhook-secret")
    assert [s.value for s in store.webhook_secrets("club-1", "pushpress")] == ["pushpress-secret-1"]
    assert store.webhook_secret("club-1") == "bridge-secret-1"
    parameters = boto3.client("ssm").describe_parameters()["Parameters"]
    assert {p["Type"] for p in parameters} == {"SecureString"}


def test_adding_keeps_the_previous_secret_for_the_overlap(
    store: SsmSecretStore, clocks: Clocks
) -> None:
    store.add_webhook_secret("club-1", "pushpress", "pushpress-secret-1")
    clocks.now += timedelta(hours=1)

    status = store.add_webhook_secret("club-1", "pushpress", "pushpress-secret-2")

    secrets = store.webhook_secrets("club-1", "pushpress")
    assert [(s.value, s.valid_until) for s in secrets] == [
        ("pushpress-secret-2", None),
        ("pushpress-secret-1", clocks.now + DEFAULT_ROTATION_OVERLAP),
    ]
    assert [(s.current, s.valid_until) for s in status.secrets] == [
        (True, None),
        (False, clocks.now + DEFAULT_ROTATION_OVERLAP),
    ]
    assert "pushpress-secret" not in repr(status) + repr(secrets)
    clocks.now += DEFAULT_ROTATION_OVERLAP
    store.add_webhook_secret("club-1", "pushpress", "pushpress-secret-3", overlap=timedelta(0))
    assert [s.value for s in store.webhook_secrets("club-1", "pushpress")] == ["pushpress-secret-3"]


def test_the_overlap_is_configurable_and_can_be_ended(aws: None, clocks: Clocks) -> None:
    store = SsmSecretStore(
        boto3.client("ssm"), PREFIX, clock=clocks.clock, rotation_overlap=timedelta(hours=2)
    )
    store.add_webhook_secret("club-1", "canonical", "bridge-secret-1")
    store.put_webhook_secret("club-1", "bridge-secret-2")  # the admin's rotation

    status = store.webhook_secret_status("club-1", "canonical")
    assert status.previous_valid_until == T0 + timedelta(hours=2)
    ended = store.end_webhook_secret_overlap("club-1", "canonical")
    assert [s.current for s in ended.secrets] == [True]
    assert [s.value for s in store.webhook_secrets("club-1", "canonical")] == ["bridge-secret-2"]


def test_a_plain_value_is_one_current_secret(store: SsmSecretStore) -> None:
    """docs/deploy.md's `aws ssm put-parameter --value "$SECRET"`, and every secret stored before
    sets existed."""
    boto3.client("ssm").put_parameter(
        Name=f"{PREFIX}/tenants/club-1/webhook-secret",
        Value="hand-written-secret",
        Type="SecureString",
    )
    assert store.webhook_secret("club-1") == "hand-written-secret"
    store.put_webhook_secret("club-1", "rotated-secret-1")
    assert [s.value for s in store.webhook_secrets("club-1", "canonical")] == [
        "rotated-secret-1",
        "hand-written-secret",
    ]


def test_a_broken_set_is_no_secret_at_all(store: SsmSecretStore) -> None:
    boto3.client("ssm").put_parameter(
        Name=f"{PREFIX}/tenants/club-1/pushpress-webhook-secret",
        Value='{"format": "webhook-secrets", "version": 1, "secrets": [{"value": "x"}]}',
        Type="SecureString",
    )
    assert store.webhook_secrets("club-1", "pushpress") == []


def test_refreshes_are_bounded_per_tenant_and_set(store: SsmSecretStore, clocks: Clocks) -> None:
    admin = SsmSecretStore(boto3.client("ssm"), PREFIX, clock=clocks.clock)
    for platform in ("pushpress", "playbypoint"):
        admin.add_webhook_secret("club-1", platform, f"{platform}-old-1")
        store.webhook_secrets("club-1", platform)
        admin.add_webhook_secret("club-1", platform, f"{platform}-new-1")

    def newest(platform: str, refresh: bool) -> str:
        return store.webhook_secrets("club-1", platform, refresh=refresh)[0].value

    assert newest("pushpress", False) == "pushpress-old-1"  # cached
    assert newest("pushpress", True) == "pushpress-new-1"
    assert newest("playbypoint", True) == "playbypoint-new-1"  # its own interval
    admin.add_webhook_secret("club-1", "pushpress", "pushpress-newer-1")
    clocks.ticks += WEBHOOK_SECRET_REFRESH_SECONDS - 1
    assert newest("pushpress", True) == "pushpress-new-1"
    clocks.ticks += 1
    assert newest("pushpress", True) == "pushpress-newer-1"


def test_deleting_a_set_and_unknown_names(store: SsmSecretStore) -> None:
    store.add_webhook_secret("club-1", "playbypoint", "playbypoint-token-1")
    store.delete_webhook_secrets("club-1", "playbypoint")
    store.delete_webhook_secrets("club-1", "playbypoint")  # already gone: fine
    assert store.webhook_secrets("club-1", "playbypoint") == []
    assert not store.webhook_secret_status("club-1", "playbypoint").configured
    for name in ("", "../kisi-api-key", "PushPress", "kisi-api-key"):
        with pytest.raises(ValueError, match="not a webhook secret set"):
            store.webhook_secrets("club-1", name)


def test_values_that_cannot_be_secrets_are_refused_and_not_stored(store: SsmSecretStore) -> None:
    for value in ("short", " padded-secret-value ", "x" * 600):
        with pytest.raises(ValueError) as refused:
            store.add_webhook_secret("club-1", "pushpress", value)
        assert value.strip() not in str(refused.value)
    assert store.webhook_secrets("club-1", "pushpress") == []
