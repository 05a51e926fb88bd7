"""What the HTTP edge answers for a service call, for tests that judge a service by its answer:
its result as a 200 JSON body, or its refusal as `http/errors.py` answers it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from access_core.domain.errors import DomainError
from access_core.http.errors import domain_error_response


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str | list[str]] = field(default_factory=dict)


def answer_of(call: Callable[[], BaseModel | Mapping[str, Any] | object]) -> Answer:
    try:
        result = call()
    except DomainError as refused:
        response = domain_error_response(refused)
        assert isinstance(response.body, dict)
        return Answer(response.status_code, response.body, dict(response.headers or {}))
    if isinstance(result, BaseModel):
        return Answer(200, result.model_dump(mode="json"))
    if isinstance(result, Mapping):
        return Answer(200, dict(result))
    return Answer(200, {})
