"""Which failures of AWS (and of the stores and secret store over it) are passing faults: retried
by the worker, answered 503 with Retry-After by the HTTP APIs; never a member's failure or a 500."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from access_core.domain.errors import SecretsUnavailable
from access_core.infrastructure.storage import TransactionConflict

TRANSIENT_AWS_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionCanceledException",
    }
)


def is_transient_fault(error: BaseException) -> bool:
    """AWS throttling, timeouts and 5xx (retried, never taken for a poison command)."""
    if isinstance(error, (BotoCoreError, TransactionConflict, SecretsUnavailable)):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return status >= 500 or code in TRANSIENT_AWS_CODES
    return False
