"""What a route handler gets: the emulator kit's call (the request, its path parameters, the
time) and, for API routes, the company the caller acts for."""

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator_kit import call
from pushpress_emulator.state import Company
from pushpress_emulator.wire import bad_request

if TYPE_CHECKING:
    from pushpress_emulator.emulator import PushPressEmulator


@dataclass(frozen=True)
class Call(call.Call):
    emulator: "PushPressEmulator"
    company: Company | None = None

    @property
    def org(self) -> Company:
        assert self.company is not None, "an API route runs only for an authorised company"
        return self.company

    def body_object(self) -> dict[str, Any]:
        """The body as a JSON object (an empty body is ``{}``); anything else is a 400."""
        if not self.request.body.strip():
            return {}
        try:
            body = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object")
        return body
