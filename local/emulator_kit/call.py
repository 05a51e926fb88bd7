"""What a route handler gets: the request, its path parameters and the time it arrived; each
emulator's own `Call` adds who calls (the organisation, the company)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from emulator_kit.wire import EmulatorRequest

if TYPE_CHECKING:
    from emulator_kit.emulator import ApiEmulator


@dataclass(frozen=True)
class Call:
    """An emulator's own call names its emulator's class (`emulator: "KisiEmulator"`)."""

    emulator: "ApiEmulator[Any, Any]"
    request: EmulatorRequest
    params: Mapping[str, str]
    now: datetime


class ControlCall(Protocol):
    """What the shared control handlers (`emulator_kit.control_api`) read of a call."""

    @property
    def emulator(self) -> "ApiEmulator[Any, Any]": ...
    @property
    def params(self) -> Mapping[str, str]: ...
    @property
    def now(self) -> datetime: ...

    def body_object(self) -> dict[str, Any]:
        """The body as a JSON object (none is `{}`), or the emulator's 400."""
        ...
