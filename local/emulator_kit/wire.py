"""Requests and responses as plain data, independent of the transport (the HTTP server, or an
in-process httpx transport), and the exception a handler raises to answer with an error.

Each emulator's own wire module builds its API's error bodies and pages on top of these.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class EmulatorRequest:
    """One HTTP request, independent of the transport. Header names are lower-cased."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    client_address: str = "127.0.0.1"

    @classmethod
    def from_target(
        cls,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        client_address: str = "127.0.0.1",
    ) -> Self:
        """Split a request target (`/users?email=a%40b.c`) into path and query (last value wins)."""
        parts = urlsplit(target)
        return cls(
            method=method.upper(),
            path=parts.path.rstrip("/") or "/",
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in headers.items()},
            body=body,
            client_address=client_address,
        )


@dataclass
class EmulatorResponse:
    status: int
    payload: Any = None
    """The JSON document to send; None means no body at all (204)."""
    headers: dict[str, str] = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        if self.payload is None:
            return b""
        return json.dumps(self.payload, separators=(",", ":")).encode()

    def all_headers(self) -> dict[str, str]:
        if self.payload is None:
            return dict(self.headers)
        return {"Content-Type": JSON_CONTENT_TYPE, **self.headers}


def ok_response(payload: Any, status: int = 200) -> EmulatorResponse:
    """`status` (200) with the object (or array) as the body."""
    return EmulatorResponse(status, payload)


def no_content_response() -> EmulatorResponse:
    """204 with no body at all."""
    return EmulatorResponse(204)


class EmulatorError(Exception, ABC):
    """An error answer in the emulated API's format, raised anywhere below a handler."""

    @abstractmethod
    def to_response(self) -> EmulatorResponse:
        """The answer this error is."""
