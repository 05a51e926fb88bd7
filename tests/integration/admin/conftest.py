"""The Admin API on an in-process stack with one connected club (club-1) and the Kisi emulator."""

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest

from access_core import bootstrap
from access_core.infrastructure.ssm import SsmSecretStore
from kisi_emulator.server import RunningEmulator
from tests.integration.harness import AdminApi, Club, make_club, restored_environment


@pytest.fixture
def club(aws: None, kisi: RunningEmulator) -> Iterator[Club]:
    with restored_environment():
        club = make_club(kisi)
        # The template gives the admin function the command DLQ's URL (for GET /status).
        os.environ["COMMAND_DLQ_URL"] = club.stack.resources.queue_urls["CommandDeadLetterQueue"]
        yield club


@pytest.fixture
def admin(club: Club) -> AdminApi:
    return AdminApi(club.stack)


@pytest.fixture
def admin_in_own_container(admin: AdminApi) -> AdminApi:
    """The admin API with a secret cache of its own. In AWS the admin function runs in its own
    containers: its writes to SSM cannot clear the caches of the webhook, worker or sync
    functions, which the in-process stack otherwise shares with it."""
    container = bootstrap.container()
    own_store = SsmSecretStore(container.ssm, container.settings.ssm_prefix)
    container.admin = replace(container.admin, secrets=own_store)
    return admin
