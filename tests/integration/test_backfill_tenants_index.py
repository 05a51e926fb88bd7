"""scripts/backfill-tenants-index: a tenant stored before the sparse Tenants index existed is put
into it (and so into the daily sync's list); a dry run writes nothing; a rerun changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from access_core import bootstrap
from kisi_emulator.server import RunningEmulator
from scripts import backfill_tenants_index
from tests.integration.harness import TENANT_ID, Club, make_club, restored_environment

OLD_TENANT = "club-from-before"


@pytest.fixture
def club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    with restored_environment():
        yield make_club(kisi)


def store_without_index_keys(club: Club) -> str:
    """A tenant item as the bridge wrote it before the index: no GSI6 keys."""
    table_name = club.stack.resources.table_names["BridgeTable"]
    boto3.client("dynamodb").put_item(
        TableName=table_name,
        Item={
            "PK": {"S": f"TENANT#{OLD_TENANT}"},
            "SK": {"S": "TENANT"},
            "entity": {"S": "tenant"},
            "tenant_id": {"S": OLD_TENANT},
            "platform": {"S": "canonical"},
        },
    )
    return table_name


def test_an_old_tenant_enters_the_index_and_a_rerun_changes_nothing(
    club: Club, capsys: pytest.CaptureFixture[str]
) -> None:
    table_name = store_without_index_keys(club)
    tenants = bootstrap.container().stores.tenants
    assert OLD_TENANT not in tenants.ids()

    assert backfill_tenants_index.main(["--table-name", table_name, "--dry-run"]) == 0
    assert "would index 1 tenant(s); 1 already in the index" in capsys.readouterr().out
    assert OLD_TENANT not in tenants.ids(), "a dry run writes nothing"

    assert backfill_tenants_index.main(["--table-name", table_name]) == 0
    assert f"indexed 1 tenant(s)\n  {OLD_TENANT}" in capsys.readouterr().out.replace(
        "; 1 already in the index", ""
    )
    assert tenants.ids() == sorted([TENANT_ID, OLD_TENANT])
    old = tenants.get(OLD_TENANT)
    assert old is not None
    assert old.tenant_id == OLD_TENANT, "the rest of the item is kept"

    report = backfill_tenants_index.backfill(boto3.client("dynamodb"), table_name, dry_run=False)
    assert report.indexed == []
    assert report.already == 2
