"""What a route handler gets: the emulator kit's call (the request, its path parameters, the
time) and, for Kisi routes, who calls."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator_kit import call
from kisi_emulator.state import Organization, User
from kisi_emulator.wire import KisiValidationError, bad_request, not_found

if TYPE_CHECKING:
    from kisi_emulator.emulator import KisiEmulator


@dataclass(frozen=True)
class Call(call.Call):
    emulator: "KisiEmulator"
    organization: Organization | None = None
    actor: User | None = None
    """The API key owner's user record in `organization`."""

    @property
    def org(self) -> Organization:
        assert self.organization is not None, "a Kisi route runs only with a valid key"
        return self.organization

    @property
    def caller(self) -> User:
        assert self.actor is not None, "a Kisi route runs only with a valid key"
        return self.actor

    def record_id(self, name: str = "id", what: str = "Record") -> int:
        """A numeric path parameter; anything else cannot name a record (404)."""
        raw = self.params[name]
        if not raw.isdigit():
            raise not_found(what)
        return int(raw)

    def json_body(self) -> Any:
        """The parsed body, or None when there is none or it is not sent as JSON (as Rails does,
        a body of another content type is not read). Malformed JSON is a 400."""
        content_type = self.request.headers.get("content-type", "application/json")
        if not self.request.body.strip() or "json" not in content_type.lower():
            return None
        try:
            return json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("The request body is not valid JSON.") from None

    def body_object(self) -> dict[str, Any]:
        """A control body: a JSON object, or none (`{}`); anything else is a 400."""
        body = self.json_body()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object.")
        return body

    def wrapped_body(self, resource: str) -> Mapping[str, Any]:
        """Kisi wraps a body in its singular resource name (`{"user": {...}}`); else 422."""
        body = self.json_body()
        inner = body.get(resource) if isinstance(body, dict) else None
        if not isinstance(inner, dict):
            raise KisiValidationError({resource: ["can't be blank"]})
        return inner
