"""The webhook service's IdempotencyGuard over Powertools' idempotency utility (DynamoDB)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from access_core.domain.errors import ReusedEventId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )


# The field of the idempotent data holding the payload's fingerprint (config: validation path).
FINGERPRINT = "fingerprint"
KEY_PATH = "key"


class PowertoolsIdempotencyGuard:
    """Powertools' idempotency utility behind the services' small `run_once` interface."""

    def __init__(self, persistence: DynamoDBPersistenceLayer, config: IdempotencyConfig) -> None:
        self._persistence = persistence
        self.config = config

    def run_once(
        self, key: Mapping[str, str], fingerprint: str, work: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """`fingerprint` travels beside the key: the config's `payload_validation_jmespath`
        compares it with the stored record's, so a reused key with another payload raises
        Powertools' IdempotencyValidationError, raised again as `ReusedEventId` (409)."""
        from aws_lambda_powertools.utilities.idempotency import idempotent_function
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyValidationError,
        )

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="event_key",
            persistence_store=self._persistence,
            config=self.config,
        )
        def process_event(event_key: dict[str, str]) -> dict[str, Any]:
            return work()

        try:
            result: dict[str, Any] = process_event(
                event_key={"key": dict(key), FINGERPRINT: fingerprint}
            )
        except IdempotencyValidationError:
            raise ReusedEventId(
                "This event id was already received with another payload; nothing was changed."
            ) from None
        return result
