"""Only a missing parameter means "no secret" (issue 14, H2): a throttled or failing SSM is
raised as SecretsUnavailable (answered 503, retried by the worker), never read as no secret."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from access_core.domain.errors import SecretsUnavailable
from access_core.infrastructure.faults import is_transient_fault
from access_core.infrastructure.ssm import SsmSecretStore

PREFIX = "/kisi-access-bridge/test"


def store_answering(error_code: str) -> tuple[SsmSecretStore, Stubber]:
    client = boto3.client("ssm", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_client_error("get_parameter", service_error_code=error_code, http_status_code=400)
    stubber.activate()
    return SsmSecretStore(client, PREFIX, max_age_seconds=0), stubber


def test_a_missing_parameter_is_no_secret() -> None:
    store, stubber = store_answering("ParameterNotFound")
    assert store.kisi_api_key("club-1") is None
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "error_code", ["ThrottlingException", "InternalServerError", "AccessDeniedException"]
)
def test_any_other_failure_is_raised_not_taken_for_no_secret(error_code: str) -> None:
    store, _ = store_answering(error_code)
    with pytest.raises(SecretsUnavailable) as raised:
        store.kisi_api_key("club-1")
    assert raised.value.retry_after_seconds == 5
    assert is_transient_fault(raised.value), "the worker retries it instead of failing the member"


def test_the_webhook_secrets_read_fails_the_same_way() -> None:
    store, _ = store_answering("ThrottlingException")
    with pytest.raises(SecretsUnavailable):
        store.webhook_secrets("club-1", "canonical")
