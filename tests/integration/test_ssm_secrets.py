"""SsmSecretStore on moto: cached reads, and the bounded fresh read of a rotated webhook secret."""

import boto3

from access_core.infrastructure.ssm import WEBHOOK_SECRET_REFRESH_SECONDS, SsmSecretStore

PREFIX = "/kisi-access-bridge/test"


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_refresh_reads_a_rotated_secret_at_most_once_per_interval(aws: None) -> None:
    client = boto3.client("ssm")
    ticks = Ticks()
    webhook_store = SsmSecretStore(client, PREFIX, monotonic=ticks)
    admin_store = SsmSecretStore(client, PREFIX)  # another function's container
    admin_store.put_webhook_secret("club-1", "first-secret")
    assert webhook_store.webhook_secret("club-1") == "first-secret"

    admin_store.put_webhook_secret("club-1", "second-secret")

    assert webhook_store.webhook_secret("club-1") == "first-secret"  # cached
    assert webhook_store.webhook_secret("club-1", refresh=True) == "second-secret"
    admin_store.put_webhook_secret("club-1", "third-secret")
    # Within the interval a refresh answers the cache: bad signatures cost no SSM read.
    ticks.now += WEBHOOK_SECRET_REFRESH_SECONDS - 1
    assert webhook_store.webhook_secret("club-1", refresh=True) == "second-secret"
    ticks.now += 1
    assert webhook_store.webhook_secret("club-1", refresh=True) == "third-secret"


def test_the_refresh_interval_is_per_tenant(aws: None) -> None:
    client = boto3.client("ssm")
    webhook_store = SsmSecretStore(client, PREFIX, monotonic=Ticks())
    admin_store = SsmSecretStore(client, PREFIX)
    for tenant in ("club-1", "club-2"):
        admin_store.put_webhook_secret(tenant, f"{tenant}-old")
        webhook_store.webhook_secret(tenant)
        admin_store.put_webhook_secret(tenant, f"{tenant}-new")

    assert webhook_store.webhook_secret("club-1", refresh=True) == "club-1-new"
    assert webhook_store.webhook_secret("club-2", refresh=True) == "club-2-new"


def test_an_unknown_tenant_has_no_secret(aws: None) -> None:
    store = SsmSecretStore(boto3.client("ssm"), PREFIX)

    assert store.webhook_secret("nobody") is None
    assert store.webhook_secret("nobody", refresh=True) is None
    assert store.kisi_api_key("nobody") is None
