"""`make demo`: a scripted end-to-end scenario over real HTTP against the local stack, printing a
readable transcript and failing (exit 1) when any step does not behave as described.

It plays every role through the stack's own front door: a club admin (admin API with an admin
JWT), a partner platform (signed webhooks), a player (unlock API with a player JWT), the weekly
schedule, and someone changing Kisi by hand (the Kisi API with the club's key).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from access_core.ingest.signature import signature_headers
from kisi_emulator import DEMO_API_KEY, DEMO_GROUP_NAME
from kisi_emulator.testing import patient_client

SCENARIO_TENANT_ID = "demo-scenario"
PLAYER_ID = "player-7"
MEMBER_EMAIL = "riley.member@example.com"
GOLD_PLAN = "gold-24h"


class StepFailed(AssertionError):
    pass


@dataclass
class Transcript:
    out: Callable[[str], None] = print
    failures: list[str] = field(default_factory=list)

    def step(self, title: str) -> None:
        self.out(f"\n== {title}")

    def note(self, text: str) -> None:
        self.out(f"   {text}")

    def expect(self, condition: bool, description: str) -> None:
        self.out(f"   [{'ok' if condition else 'FAILED'}] {description}")
        if not condition:
            self.failures.append(description)


class DemoScenario:
    def __init__(
        self, base_url: str, transcript: Transcript | None = None, timeout: float = 30.0
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout)
        self.log = transcript or Transcript()
        health = self.http.get("/_local/health").json()
        self.kisi = patient_client(health["kisi_base_url"], timeout=timeout)
        self.admin_token = self._token("admin-7", ["admin"])
        self.player_token = self._token(PLAYER_ID, ["player"])
        self.webhook_secret = ""
        self.organization_id = 0

    # ---- plumbing ----------------------------------------------------------------------------

    def _token(self, subject: str, roles: list[str]) -> str:
        response = self.http.post(
            "/_local/tokens",
            json={"sub": subject, "tenant_id": SCENARIO_TENANT_ID, "roles": roles},
        )
        token: str = response.json()["token"]
        return token

    def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.http.request(
            method,
            f"/v1/admin/tenants/{SCENARIO_TENANT_ID}{path}",
            json=body,
            headers={"authorization": f"Bearer {self.admin_token}"},
        )

    def player(self, method: str, path: str) -> httpx.Response:
        return self.http.request(
            method, path, headers={"authorization": f"Bearer {self.player_token}"}
        )

    def webhook(self, event_type: str, data: dict[str, Any]) -> httpx.Response:
        body = json.dumps(
            {"id": f"evt-{uuid.uuid4().hex[:12]}", "type": event_type, "data": data}
        ).encode()
        headers = {
            "content-type": "application/json",
            **signature_headers(self.webhook_secret, int(time.time()), body),
        }
        return self.http.post(
            f"/webhooks/canonical/{SCENARIO_TENANT_ID}", content=body, headers=headers
        )

    def wait_for_worker(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.http.get("/_local/queues").json().get("CommandQueue", 0) == 0:
                return
            time.sleep(0.2)
        raise StepFailed("the command queue did not drain")

    def kisi_access(self, email: str) -> dict[str, Any]:
        response = self.kisi.get(
            f"/_emulator/organizations/{self.organization_id}/access", params={"email": email}
        )
        return response.json() if response.is_success else {"group_ids": [], "absent": True}

    def kisi_assignment(self, email: str) -> dict[str, Any] | None:
        snapshot = self.kisi.get(f"/_emulator/organizations/{self.organization_id}").json()
        users = {u["id"]: u["email"].lower() for u in snapshot["users"]}
        return next(
            (
                a
                for a in snapshot["role_assignments"]
                if a["applies_to_id"] == self.group_id and users.get(a["assignee_id"]) == email
            ),
            None,
        )

    # ---- the scenario ------------------------------------------------------------------------

    def run(self) -> bool:
        for part in (
            self.connect_kisi,
            self.sync_and_enable_locks,
            self.reservation_access,
            self.membership_statuses,
            self.weekly_sync_undoes_a_hand_made_change,
            self.a_lost_pushpress_webhook_is_repaired,
        ):
            try:
                part()
            except (StepFailed, httpx.HTTPError, KeyError, ValueError) as error:
                self.log.expect(False, f"{part.__name__} could not go on: {error}")
                break
        self.log.step("Result")
        if self.log.failures:
            self.log.note(f"{len(self.log.failures)} step(s) did not behave as described")
            return False
        self.log.note("every step behaved as described")
        return True

    def a_lost_pushpress_webhook_is_repaired(self) -> None:
        PushPressClubScenario(self).run()

    def connect_kisi(self) -> None:
        log = self.log
        log.step("A club admin sets up the club and connects Kisi")
        organization = self.kisi.get(
            "/user", headers={"authorization": f"KISI-LOGIN {DEMO_API_KEY}"}
        ).json()["organization"]
        self.organization_id = organization["id"]
        groups = self.kisi.get(
            "/groups",
            params={"query": DEMO_GROUP_NAME, "limit": 250},
            headers={"authorization": f"KISI-LOGIN {DEMO_API_KEY}"},
        ).json()
        self.group_id = next(g["id"] for g in groups if g["name"] == DEMO_GROUP_NAME)
        settings = self.admin(
            "PUT",
            "/settings",
            {
                "platform": "canonical",
                "door_access_enabled": True,
                "pre_reservation_window_minutes": 15,
                "kisi_group_id": self.group_id,
                "send_invitation_emails": True,
                "plans": [{"plan_id": GOLD_PLAN, "has_24h_access": True}],
            },
        )
        log.expect(settings.status_code == 200, f"settings saved ({settings.status_code})")
        secret = self.admin("POST", "/webhook-secret")
        log.expect(secret.status_code in (200, 201), "webhook signing secret generated")
        self.webhook_secret = secret.json()["secret"]
        wrong = self.admin("PUT", "/kisi-credentials", {"api_key": "not-a-real-key-000"})
        log.expect(
            wrong.status_code == 422, f"an invalid Kisi key is refused ({wrong.status_code})"
        )
        connected = self.admin(
            "PUT", "/kisi-credentials", {"api_key": DEMO_API_KEY, "group_id": self.group_id}
        )
        log.expect(connected.status_code == 200, "the Kisi key is validated and stored")
        log.expect(DEMO_API_KEY not in connected.text, "the key is never returned")
        status = self.admin("GET", "/status").json()
        log.note(f"connection: {json.dumps(status.get('connection', status))[:160]}")

    def sync_and_enable_locks(self) -> None:
        log = self.log
        log.step("The admin syncs the locks from Kisi and enables two doors")
        synced = self.admin("POST", "/locks/sync")
        log.expect(synced.status_code == 200, f"locks imported ({synced.text[:120]})")
        locks = self.admin("GET", "/locks").json()["locks"]
        for lock in locks:
            log.note(f"lock {lock['lock_id']}: {lock['name']} (online: {lock.get('online')})")
        by_name = {lock["name"]: lock["lock_id"] for lock in locks}
        self.front_door = by_name["Main Entrance"]
        self.court_gate = by_name["Court Gate North"]
        self.locker_rooms = by_name["Locker Rooms"]
        enabled = self.admin(
            "PUT", "/locks/enabled", {"lock_ids": [self.front_door, self.court_gate]}
        )
        log.expect(enabled.status_code == 200, "Main Entrance and Court Gate North enabled")

    def reservation_access(self) -> None:
        log = self.log
        log.step("A court booking: the player's doors open 15 minutes before the start")
        now = datetime.now(UTC).replace(microsecond=0)
        booking = {
            "reservation_id": "res-42",
            "player_ids": [PLAYER_ID],
            "court": "Court 3",
            "start": (now + timedelta(minutes=40)).isoformat(),
            "end": (now + timedelta(minutes=100)).isoformat(),
            "updated_at": now.isoformat(),
        }
        accepted = self.webhook("reservation.upserted", booking)
        log.expect(accepted.status_code == 202, "booking webhook accepted")
        doors = self.player("GET", "/v1/reservations/res-42/doors")
        log.expect(doors.status_code == 200, "the player lists the booking's doors")
        listed = {d["lock_id"] for d in doors.json().get("doors", [])}
        log.expect(
            listed == {self.front_door, self.court_gate},
            "only the enabled doors are listed (not the Locker Rooms)",
        )
        early = self.player("POST", f"/v1/reservations/res-42/doors/{self.court_gate}/unlock")
        log.expect(
            early.status_code == 403,
            f"25 minutes before the window: refused ({early.status_code} "
            f"{early.json().get('error')})",
        )
        moved = {
            **booking,
            "start": (now + timedelta(minutes=10)).isoformat(),
            "updated_at": (now + timedelta(seconds=1)).isoformat(),
        }
        self.webhook("reservation.upserted", moved)
        log.note("the booking moves to start in 10 minutes: the window is open")
        opened = self.player("POST", f"/v1/reservations/res-42/doors/{self.court_gate}/unlock")
        log.expect(opened.status_code == 200, f"unlock inside the window ({opened.status_code})")
        unlocks = self.kisi.get(f"/_emulator/organizations/{self.organization_id}/unlocks").json()
        log.expect(
            any(u.get("lock_id") == self.court_gate for u in unlocks),
            "Kisi opened Court Gate North",
        )
        self.webhook(
            "reservation.cancelled",
            {"reservation_id": "res-42", "updated_at": (now + timedelta(seconds=2)).isoformat()},
        )
        cancelled = self.player("POST", f"/v1/reservations/res-42/doors/{self.court_gate}/unlock")
        log.expect(
            cancelled.status_code == 409,
            f"after cancellation: refused at once ({cancelled.status_code})",
        )

    def membership_statuses(self) -> None:
        log = self.log
        log.step("Membership webhooks through every status of the status table")
        now = datetime.now(UTC).replace(microsecond=0)
        cancels_at = now + timedelta(days=10)
        rows: list[tuple[str, dict[str, Any], bool]] = [
            ("pending_active", {}, False),
            ("active", {}, True),
            ("pending_cancel", {"cancellation_at": cancels_at.isoformat()}, True),
            ("paused", {}, False),
            ("active", {}, True),
            ("expired", {}, False),
            ("active", {}, True),
            ("cancelled", {}, False),
            ("active", {}, True),
        ]
        for index, (status, extra, granted) in enumerate(rows):
            self.webhook(
                "membership.upserted",
                {
                    "member_id": "member-1",
                    "email": MEMBER_EMAIL,
                    "name": "Riley Member",
                    "plan_id": GOLD_PLAN,
                    "status": status,
                    "updated_at": (now + timedelta(seconds=index)).isoformat(),
                    **extra,
                },
            )
            self.wait_for_worker()
            assignment = self.kisi_assignment(MEMBER_EMAIL)
            held = assignment is not None
            until = assignment.get("valid_until") if assignment else None
            log.expect(
                held == granted,
                f"{status:<15} -> Kisi group access: {'yes' if held else 'no'}"
                + (f" until {until}" if until else ""),
            )
            if status == "pending_cancel":
                log.expect(
                    until is not None
                    and datetime.fromisoformat(until.replace("Z", "+00:00")) == cancels_at,
                    "pending cancel: Kisi enforces the cancellation date (valid_until)",
                )
        why = self.admin("GET", "/members/member-1/access")
        decision = why.json().get("decision", {}) if why.is_success else {}
        log.expect(
            why.status_code == 200 and decision.get("granted") is True,
            f"the admin asks why the member has access: {decision.get('reason')} "
            f"({decision.get('explanation')})",
        )

    def weekly_sync_undoes_a_hand_made_change(self) -> None:
        log = self.log
        log.step(
            "Someone removes the member from the Kisi group by hand; the weekly sync undoes it"
        )
        assignment = self.kisi_assignment(MEMBER_EMAIL)
        if assignment is None:
            raise StepFailed("the member should hold the group before the hand-made change")
        removed = self.kisi.delete(
            f"/role_assignments/{assignment['id']}",
            headers={"authorization": f"KISI-LOGIN {DEMO_API_KEY}"},
        )
        log.expect(removed.status_code == 204, "assignment deleted in Kisi by hand")
        log.expect(self.kisi_assignment(MEMBER_EMAIL) is None, "the member has no access now")
        report = self.http.post("/_local/schedules/Weekly", json={"tenant_id": SCENARIO_TENANT_ID})
        result = report.json() if report.is_success else {}
        log.expect(
            report.status_code == 200 and result.get("succeeded") == 1,
            f"the weekly sync ran ({report.status_code}): {result.get('commands_enqueued')} "
            f"command(s) queued for the drift, {result.get('kisi_calls')} Kisi call(s)",
        )
        self.wait_for_worker()
        log.expect(
            self.kisi_assignment(MEMBER_EMAIL) is not None,
            "the member's access is back in Kisi",
        )


PUSHPRESS_TENANT_ID = "demo-pushpress-scenario"


class PushPressClubScenario:
    """A PushPress club whose webhooks never reached the bridge: the daily sync, which pulls from
    PushPress's API, grants its members and then revokes a cancellation nobody was told of."""

    def __init__(self, scenario: DemoScenario) -> None:
        self.s = scenario
        health = scenario.http.get("/_local/health").json()
        api_url: str = health["pushpress_base_url"]
        self.control = httpx.Client(
            base_url=api_url.removesuffix("/v3") + "/_emulator", timeout=scenario.http.timeout
        )
        token = scenario.http.post(
            "/_local/tokens",
            json={"sub": "admin-pp", "tenant_id": PUSHPRESS_TENANT_ID, "roles": ["admin"]},
        ).json()["token"]
        self.admin = httpx.Client(
            base_url=f"{scenario.http.base_url}/v1/admin/tenants/{PUSHPRESS_TENANT_ID}",
            headers={"authorization": f"Bearer {token}"},
            timeout=scenario.http.timeout,
        )

    def daily(self) -> dict[str, Any]:
        report = self.s.http.post(
            "/_local/schedules/Daily", json={"tenant_id": PUSHPRESS_TENANT_ID}
        )
        self.s.wait_for_worker()
        return report.json() if report.is_success else {}

    def run(self) -> None:
        from pushpress_emulator import DEMO_API_KEY as PUSHPRESS_DEMO_KEY

        log = self.s.log
        log.step("A PushPress club connects; its webhooks never arrive; the daily sync repairs it")
        [company] = self.control.get("/companies").json()
        state = self.control.get(f"/companies/{company['id']}").json()
        plan = next(p for p in state["plans"] if p["policies"]["allow24HourAccess"])
        emails = {c["id"]: c["email"].lower() for c in state["customers"]}
        entitled = [
            e for e in state["enrollments"] if e["planId"] == plan["id"] and e["status"] == "active"
        ]
        settings = self.admin.put(
            "/settings",
            json={
                "platform": "pushpress",
                "door_access_enabled": False,
                "kisi_group_id": self.s.group_id,
                "plans": [{"plan_id": plan["id"], "has_24h_access": True, "name": plan["name"]}],
            },
        )
        log.expect(settings.status_code == 200, "settings saved with the 24-hour plan")
        kisi = self.admin.put(
            "/kisi-credentials", json={"api_key": DEMO_API_KEY, "group_id": self.s.group_id}
        )
        log.expect(kisi.status_code == 200, "Kisi connected")
        pushpress = self.admin.put(
            "/platform-credentials", json={"platform": "pushpress", "api_key": PUSHPRESS_DEMO_KEY}
        )
        log.expect(
            pushpress.status_code == 200,
            f"PushPress API key checked and stored: {pushpress.json().get('account_name')}",
        )
        log.note("no webhook is registered in PushPress: every change below is a lost webhook")
        report = self.daily()
        log.note(f"daily sync: {json.dumps(report)[:220]}")
        for enrollment in entitled:
            email = emails[enrollment["customerId"]]
            log.expect(
                self.s.kisi_assignment(email) is not None,
                f"{email} has 24-hour access (pulled from PushPress)",
            )
        cancelled = entitled[0]
        email = emails[cancelled["customerId"]]
        changed = self.control.patch(
            f"/companies/{company['id']}/enrollments/{cancelled['id']}",
            json={"status": "canceled"},
        )
        log.expect(changed.is_success, f"{email} cancels in PushPress; the webhook is lost")
        self.daily()
        log.expect(
            self.s.kisi_assignment(email) is None,
            f"the next daily sync revoked {email}'s access",
        )
