"""Hosts the template's functions in this process the way Lambda would: each invocation runs with
its function's own environment and a context object, one at a time (a Lambda instance serves one
request at a time; here, one instance per function)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from local_runtime.lambda_events import LocalLambdaContext
from local_runtime.stack_model import StackModel
from local_runtime.template import function_handler

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionsHost:
    def __init__(self, model: StackModel, base_environment: dict[str, str]) -> None:
        self._model = model
        self._base_environment = base_environment
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.RLock()

    def environment(self, function: str) -> dict[str, str]:
        return {**self._base_environment, **self._model.function_environment(function)}

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        def run_handler() -> Any:
            handler = self._handlers.get(function)
            if handler is None:
                handler = self._handlers[function] = function_handler(function)
            context = LocalLambdaContext(
                function_name=function, timeout_seconds=self._model.function_timeout(function)
            )
            return handler(event, context)

        return self.invoke_callable(function, run_handler)

    def invoke_callable(self, function: str, work: Callable[[], Any]) -> Any:
        """Run `work()` inside `function`'s environment, one invocation at a time."""
        with self._lock:
            saved = dict(os.environ)
            os.environ.update(self.environment(function))
            try:
                return work()
            finally:
                os.environ.clear()
                os.environ.update(saved)

    def handler_for(self, function: str) -> Handler:
        """A plain callable for the SQS poller: invoking it goes through this host."""
        return lambda event, _context: self.invoke(function, event)
