"""What a service answers its handler: a status code and a JSON body that names the problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ServiceResponse:
    status_code: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def error_response(status_code: int, error: str, message: str, **extra: Any) -> ServiceResponse:
    """An error with a machine-readable code and a human message (and any extra fields)."""
    return ServiceResponse(status_code, {"error": error, "message": message, **extra})
