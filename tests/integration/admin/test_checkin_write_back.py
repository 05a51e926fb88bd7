"""Check-in write-back on the in-process stack: the admin stores Kisi's event webhook key and
turns the write-back on; POST /webhooks/kisi/{tenant} verifies Kisi's signature, ignores what it
does not act on, matches the unlocking user to a member by email and records the check-in
through the platform's recorder once per Kisi event (PushPress has none: `not_recorded`)."""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from access_core import bootstrap
from access_core.domain.checkins import Checkin, CheckinNotRecorded, CheckinRecorder
from access_core.domain.model import Tenant
from kisi_emulator.events import signature
from local_runtime.in_process import HttpResult
from local_runtime.lambda_events import http_api_event
from tests.integration.harness import T0, TENANT_ID, AdminApi, Club

KEY = "kisi-event-signature-key-0123456789"
ADA = "ada@example.com"


@dataclass
class FakeRecorder:
    recorded: list[Checkin] = field(default_factory=list)

    def record_checkin(self, checkin: Checkin) -> str:
        self.recorded.append(checkin)
        return f"chk-{len(self.recorded)}"


def unlock_event(email: str | None = ADA, **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "type": "lock.unlock",
        "actor_type": "User",
        "actor_id": 41,
        "actor_email": email,
        "object_type": "Lock",
        "object_id": 7,
        "object_name": "Front Door",
        "success": True,
        "created_at": "2026-12-01T07:30:00Z",
    }
    return event | changes


def send(club: Club, event: dict[str, Any], key: str = KEY) -> HttpResult:
    body = json.dumps(event).encode()
    request = http_api_event(
        method="POST",
        route_key="POST /webhooks/kisi/{tenant_id}",
        path=f"/webhooks/kisi/{TENANT_ID}",
        path_parameters={"tenant_id": TENANT_ID},
        headers={"content-type": "application/json", "x-signature": signature(body, key)},
        body=body,
    )
    return club.stack.invoke_http("WebhookFunction", request)


def turn_on(admin: AdminApi) -> dict[str, Any]:
    assert admin("PUT", "/kisi-event-secret", {"secret": KEY}).status == 200
    result = admin("PUT", "/checkin-write-back", {"enabled": True})
    assert result.status == 200, result.body
    body: dict[str, Any] = result.body
    return body


def with_recorder(recorder: CheckinRecorder | None) -> None:
    def recorders(_tenant: Tenant) -> CheckinRecorder | None:
        return recorder

    bootstrap.container().checkin_recorders = recorders


def test_the_write_back_is_off_by_default_and_needs_the_signature_key(
    club: Club, admin: AdminApi
) -> None:
    assert admin("GET", "/checkin-write-back").body["enabled"] is False
    assert send(club, unlock_event()).status == 401  # no key stored: nothing verifies

    refused = admin("PUT", "/checkin-write-back", {"enabled": True})
    assert (refused.status, refused.body["error"]) == (409, "kisi_event_secret_missing")

    assert admin("PUT", "/kisi-event-secret", {"secret": KEY}).status == 200
    off = send(club, unlock_event())
    assert (off.status, off.body["reason"]) == (202, "checkin_write_back_off")


def test_pushpress_has_no_check_in_api_so_a_matched_unlock_is_not_recorded(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    setting = turn_on(admin)
    assert (setting["enabled"], setting["platform_records_checkins"]) == (True, False)
    assert setting["webhook_path"] == f"/webhooks/kisi/{TENANT_ID}"

    result = send(club, unlock_event())

    assert result.status == 202, result.body
    assert result.body["outcome"] == "not_recorded"
    assert result.body["reason"] == "platform_has_no_checkin_api"
    assert result.body["member_id"] == "m1"
    assert club.stack_audit()[0]["action"] == "admin.checkin_write_back"


def test_a_matched_unlock_is_recorded_once_per_kisi_event(club: Club, admin: AdminApi) -> None:
    club.membership("m1", ADA, "active", T0)
    turn_on(admin)
    recorder = FakeRecorder()
    with_recorder(recorder)
    event = unlock_event(email="Ada@Example.com")

    first = send(club, event)
    again = send(club, event)

    assert first.status == again.status == 202
    assert first.body == again.body
    assert first.body["outcome"] == "recorded"
    (checkin,) = recorder.recorded
    assert (checkin.member_id, checkin.lock_id, checkin.kisi_event_id) == ("m1", 7, event["uuid"])


def test_unmatched_failed_and_other_events_are_left_alone(club: Club, admin: AdminApi) -> None:
    club.membership("m1", ADA, "active", T0)
    turn_on(admin)
    recorder = FakeRecorder()
    with_recorder(recorder)

    stranger = send(club, unlock_event(email="coach@club.example"))
    no_email = send(club, unlock_event(email=None))
    failed = send(club, unlock_event(success=False))
    other = send(club, unlock_event(type="user.create"))

    assert stranger.body["outcome"] == "unmatched"
    assert no_email.body["reason"] == "no_actor_email"
    assert (failed.body["status"], failed.body["reason"]) == ("ignored", "unlock_failed")
    assert other.body["reason"] == "event_type_not_handled"
    assert recorder.recorded == []


def test_a_forged_or_malformed_event_is_refused(club: Club, admin: AdminApi) -> None:
    turn_on(admin)

    forged = send(club, unlock_event(), key="not-the-key-0123456789")
    malformed = send(club, {"uuid": "e-1"})

    assert (forged.status, forged.body["error"]) == (401, "unauthorized")
    assert malformed.status == 422
    assert {f["field"] for f in malformed.body["fields"]} >= {"type", "created_at"}


@dataclass
class FailingOnce:
    """A platform that cannot be reached the first time."""

    recorded: list[Checkin] = field(default_factory=list)
    failures: int = 1

    def record_checkin(self, checkin: Checkin) -> str:
        if self.failures:
            self.failures -= 1
            raise CheckinNotRecorded("The platform could not be reached.")
        self.recorded.append(checkin)
        return "chk-1"


def test_a_platform_fault_is_answered_503_and_the_redelivery_records_it(
    club: Club, admin: AdminApi
) -> None:
    club.membership("m1", ADA, "active", T0)
    turn_on(admin)
    recorder = FailingOnce()
    with_recorder(recorder)
    event = unlock_event()

    failed = send(club, event)
    redelivered = send(club, event)

    assert (failed.status, failed.body["error"]) == (503, "checkin_not_recorded")
    assert redelivered.body["outcome"] == "recorded"
    assert len(recorder.recorded) == 1
