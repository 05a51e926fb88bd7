"""The webhook service's IdempotencyGuard over Powertools' idempotency utility (DynamoDB)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )


class PowertoolsIdempotencyGuard:
    """Powertools' idempotency utility behind the services' small `run_once` interface."""

    def __init__(self, persistence: DynamoDBPersistenceLayer, config: IdempotencyConfig) -> None:
        self._persistence = persistence
        self.config = config

    def run_once(
        self, key: Mapping[str, str], work: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="event_key",
            persistence_store=self._persistence,
            config=self.config,
        )
        def process_event(event_key: dict[str, str]) -> dict[str, Any]:
            return work()

        result: dict[str, Any] = process_event(event_key=dict(key))
        return result
