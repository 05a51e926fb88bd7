"""The check-in write-back's port: a club platform's check-in API (ingest/kisi_events.py records
through it; docs/webhooks.md, "Kisi's unlock events")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from access_core.domain.errors import Unavailable
from access_core.domain.model import Tenant


@dataclass(frozen=True)
class Checkin:
    """A door opened by a member, to record on the platform."""

    tenant_id: str
    member_id: str
    email: str
    lock_id: int | None
    door_name: str | None
    at: datetime
    kisi_event_id: str


class CheckinRecorder(Protocol):
    """The club platform's check-in API (the port). Raises `CheckinNotRecorded` when the
    platform refused or could not be reached (the event is then answered 503, so Kisi's
    redelivery can try again)."""

    def record_checkin(self, checkin: Checkin) -> str:
        """The platform's id of the check-in."""
        ...


class CheckinNotRecorded(Unavailable):
    code = "checkin_not_recorded"


# tenant -> its platform's check-in recorder, None when the platform has no check-in API
CheckinRecorders = Callable[[Tenant], CheckinRecorder | None]


def no_checkin_api(_tenant: Tenant) -> CheckinRecorder | None:
    """PushPress's Platform API has no call that creates a check-in (docs/pushpress-api.md),
    and Playbypoint's API is not connected to the bridge: no platform has a recorder today."""
    return None
