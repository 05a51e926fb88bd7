"""The admin console in a real Chromium against the local stack (issue 16's scenario): a club
admin signs in, creates the club's settings, connects Kisi with a bad then a good key, syncs 300
locks and makes two available, sets the pre-reservation window, picks the Kisi group, asks why a
member has no access (typed, then found by name), runs a dry-run weekly sync that reports the
drift (a job from the queue), reads the health and the audit log."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from access_core.ingest.signature import signature_headers

from .conftest import ConsoleStack, Screenshots

pytestmark = pytest.mark.e2e

TENANT = "browser-club"
KISI_KEY = "browser-club-kisi-key-0123456789"
BAD_KEY = "not-a-real-kisi-key-000"
LOCKS = 300
# A Kisi user in the club's group before the bridge: the platform says this member cancelled, so
# the weekly sync's listing finds access the rules do not give (unexpected_access drift).
LAPSED_EMAIL = "lapsed@example.com"


def seed_kisi(stack: ConsoleStack) -> int:
    """The club's Kisi organisation: 300 locks in two places, the Members group, one user in it;
    answers the group's id."""
    document = {
        "admins": [{"ref": "owner", "email": "owner@browser-club.example", "name": "Owner"}],
        "organizations": [
            {
                "ref": "club",
                "name": "Browser Club",
                "domain": "browser-club",
                "api_keys": [{"key": KISI_KEY, "admin": "owner"}],
                "places": [
                    {"ref": "hall", "name": "Main Hall"},
                    {"ref": "courts", "name": "Courts"},
                ],
                "locks": [
                    {
                        "ref": f"lock-{n}",
                        "name": f"Door {n:03d}",
                        "place": "hall" if n % 2 else "courts",
                        "online": n % 7 != 0,
                    }
                    for n in range(1, LOCKS + 1)
                ],
                "groups": [
                    {"ref": "members", "name": "Members", "place": "hall", "locks": ["lock-1"]}
                ],
                "users": [{"ref": "lapsed", "email": LAPSED_EMAIL, "name": "Lee Lapsed"}],
                "role_assignments": [{"user": "lapsed", "group": "members"}],
            }
        ],
    }
    response = stack.kisi.post("/_emulator/seed", json=document)
    assert response.status_code == 200, response.text
    return int(response.json()["organizations"]["club"]["groups"]["members"])


def send_webhook(stack: ConsoleStack, secret: str, event_type: str, data: dict[str, Any]) -> None:
    """The platform's side: a signed canonical webhook."""
    body = json.dumps(
        {
            "id": uuid.uuid4().hex,
            "type": event_type,
            "data": {**data, "updated_at": "2026-11-23T10:00:00Z"},
        }
    ).encode()
    response = stack.http.post(
        f"/webhooks/canonical/{TENANT}",
        content=body,
        headers={"content-type": "application/json"}
        | signature_headers(secret, int(time.time()), body),
    )
    assert response.status_code == 202, response.text


def watch_for_problems(page: Page) -> list[str]:
    """Script errors and CSP violations (HTTP refusals are logged too; those are expected)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("dialog", lambda dialog: dialog.accept())
    return problems


def sign_in(page: Page, stack: ConsoleStack, tenant: str) -> None:
    page.goto(stack.console_url)
    page.get_by_label("Token for club (tenant id)").fill(tenant)
    page.get_by_role("button", name="Mint a local admin token").click()
    expect(page.get_by_text("A local admin token is filled in")).to_be_visible()
    expect(page.get_by_label("Club (tenant id)", exact=True)).to_have_value(tenant)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_club_admin_sets_up_the_club_in_the_console(
    page: Page, console_stack: ConsoleStack, screenshots: Screenshots
) -> None:
    problems = watch_for_problems(page)
    group_id = seed_kisi(console_stack)

    # ---- sign in: the club has no settings yet, so Access rules creates them
    page.goto(console_stack.console_url)
    expect(page.get_by_role("button", name="Mint a local admin token")).to_be_visible()
    screenshots.take(page, "sign-in")
    sign_in(page, console_stack, TENANT)
    expect(page.get_by_role("heading", name="Access rules", level=1)).to_be_visible()
    expect(page.get_by_text("has no settings yet")).to_be_visible()
    page.get_by_label("Club name").fill("Browser Tennis Club")
    page.get_by_label("Platform").select_option("canonical")
    page.get_by_label("Plan id").fill("gold")
    page.get_by_role("button", name="Add plan").click()
    expect(page.get_by_label("24-hr access: gold")).to_be_checked()
    page.get_by_role("button", name="Create the club's settings").click()
    expect(page.get_by_text("The club's settings are created")).to_be_visible()
    expect(page.locator("#club")).to_have_text("· Browser Tennis Club")

    # ---- connect Kisi: a bad key is refused in words, a good one connects; neither stays
    page.get_by_role("link", name="Connection").click()
    expect(page.get_by_text("Not connected", exact=True)).to_be_visible()
    key_field = page.get_by_label("Kisi API key")
    key_field.fill(BAD_KEY)
    page.get_by_role("button", name="Check with Kisi and connect").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Kisi refused this API key")
    expect(refusal).to_contain_text("nothing was stored")
    expect(refusal).to_contain_text("HTTP 422 · kisi_key_invalid")
    expect(key_field).to_have_value("")
    key_field.fill(KISI_KEY)
    page.get_by_label("Kisi group id").fill(str(group_id))
    page.get_by_role("button", name="Check with Kisi and connect").click()
    expect(page.get_by_text("Connected to Browser Club")).to_be_visible()
    status = page.locator("[data-test=connection-status]")
    expect(status.get_by_text("Connected", exact=True)).to_be_visible()
    expect(status).to_contain_text(f"ending in …{KISI_KEY[-4:]}")
    expect(status).to_contain_text("Browser Club (id ")
    expect(key_field).to_have_value("")
    assert KISI_KEY not in page.content()
    stored = page.evaluate(
        "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert KISI_KEY not in stored
    assert json.loads(stored)[0] == [], "the console keeps nothing in localStorage"

    # ---- the webhook URL and a new signing secret, with copy buttons
    page.get_by_role("button", name="Copy URL").click()
    webhook_url = f"{console_stack.base_url}/webhooks/canonical/{TENANT}"
    assert page.evaluate("navigator.clipboard.readText()") == webhook_url
    page.get_by_role("button", name="Generate a new signing secret").click()
    secret_field = page.locator("[data-test=webhook-secret]")
    expect(secret_field).to_have_value(re.compile(r"^[\w-]{40,}$"))
    secret = secret_field.input_value()
    page.get_by_role("button", name="Copy secret").click()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    screenshots.take(page, "connection")

    # ---- locks: sync 300 from Kisi, make the first two available, save
    page.get_by_role("link", name="Locks").click()
    expect(page.get_by_text("No locks imported yet")).to_be_visible()
    page.get_by_role("button", name="Sync from Kisi").click()
    expect(page.get_by_text(f"Kisi lists {LOCKS} locks; {LOCKS} added")).to_be_visible()
    expect(page.get_by_text("Page 1 of 12 · 1-25 of 300 locks")).to_be_visible()
    rows = page.locator("table.locks tbody tr")
    expect(rows).to_have_count(25)
    first_two = [
        rows.nth(0).locator("strong").inner_text(),
        rows.nth(1).locator("strong").inner_text(),
    ]
    for name in first_two:
        page.get_by_label(f"Available for this facility: {name}").check()
    expect(page.get_by_text("300 locks · 2 available for players")).to_contain_text(
        "2 changes not saved"
    )
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Page 2 of 12")).to_be_visible()
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_label(f"Available for this facility: {first_two[0]}")).to_be_checked()
    expect(page.get_by_text("Offline").first).to_be_visible()
    page.get_by_role("button", name="Save Selected Locks").click()
    expect(page.get_by_text("Saved: 2 locks available for players")).to_be_visible()
    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_text("300 locks · 2 available for players · 42 offline")).to_be_visible()
    page.get_by_label("Only available locks").check()
    expect(rows).to_have_count(2)
    enabled = console_stack.http.get(
        f"/v1/admin/tenants/{TENANT}/locks",
        headers={"authorization": f"Bearer {admin_token(console_stack)}"},
    ).json()["locks"]
    assert sorted(lock["name"] for lock in enabled if lock["enabled"]) == sorted(first_two)
    page.get_by_label("Only available locks").uncheck()
    screenshots.take(page, "locks")

    # ---- access rules: an impossible window is refused in words, 30 minutes is saved
    page.get_by_role("link", name="Access rules").click()
    window = page.get_by_label("Pre-reservation window (minutes)")
    window.fill("500")
    page.get_by_role("button", name="Save access rules").click()
    expect(page.get_by_role("alert")).to_contain_text("from 0 to 240")
    window.fill("30")
    page.get_by_role("button", name="Save access rules").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.get_by_role("link", name="Locks").click()
    page.get_by_role("link", name="Access rules").click()
    expect(page.get_by_label("Pre-reservation window (minutes)")).to_have_value("30")
    # The Kisi group picker lists the organisation's groups (GET /kisi-groups).
    page.get_by_label("Pick the default Kisi group").select_option(
        label=f"Members (Main Hall) · id {group_id}"
    )
    expect(page.get_by_label("Default Kisi group id")).to_have_value(str(group_id))
    screenshots.take(page, "access-rules")

    # ---- the platform names two members; one is paused: why has she no access?
    send_webhook(console_stack, secret, "plan.updated", {"plan_id": "gold", "has_24h_access": True})
    for member_id, email, status_ in (
        ("m-paused", "paused@example.com", "paused"),
        ("m-lapsed", LAPSED_EMAIL, "cancelled"),
    ):
        send_webhook(
            console_stack,
            secret,
            "membership.upserted",
            {
                "member_id": member_id,
                "email": email,
                "name": member_id,
                "plan_id": "gold",
                "status": status_,
            },
        )
    console_stack.wait_until_idle()
    page.get_by_role("link", name="Members & reservations").click()
    page.get_by_label("Member id").fill("nobody")
    page.get_by_role("button", name="Why (no) access?").click()
    expect(page.get_by_role("alert")).to_contain_text("No member 'nobody'")
    page.get_by_label("Member id").fill("m-paused")
    page.get_by_role("button", name="Why (no) access?").click()
    result = page.locator("[data-test=member-result]")
    expect(result.get_by_text("No door access")).to_be_visible()
    expect(result.locator("[data-test=explanation]")).to_have_text("Membership is paused.")
    expect(result.locator("code", has_text="paused")).to_be_visible()
    expect(result).to_contain_text("in sync")
    # Search by name, then "why?" from the result (GET /members)
    page.get_by_label("Name contains").fill("lapsed")
    page.get_by_role("button", name="Search members").click()
    found = page.locator("[data-test=member-search] tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(LAPSED_EMAIL)
    page.get_by_role("button", name="Why? m-lapsed").click()
    expect(result.locator("code", has_text="cancelled")).to_be_visible()
    screenshots.take(page, "member-lookup")

    # ---- a dry-run weekly sync reports the drift and changes nothing
    page.get_by_role("link", name="Sync runs").click()
    page.get_by_label(re.compile("^Weekly")).check()
    expect(page.get_by_label("Dry run: report the drift, change nothing")).to_be_checked()
    page.get_by_role("button", name="Start sync").click()
    sync_result = page.locator("[data-test=sync-result]")
    expect(sync_result).to_contain_text("dry run: nothing was changed")
    expect(sync_result.get_by_text("Drift: 1 member differs from Kisi")).to_be_visible()
    drift_row = sync_result.locator("table tbody tr")
    expect(drift_row).to_have_count(1)
    expect(drift_row).to_contain_text("m-lapsed")
    expect(drift_row).to_contain_text("Unexpected access")
    expect(drift_row).to_contain_text(LAPSED_EMAIL)
    screenshots.take(page, "sync-dry-run")

    expect(page.get_by_text("No run recorded yet")).to_be_visible()  # dry runs are not

    # ---- health: the status, the command queue, this club's dead letters, recent errors
    page.get_by_role("link", name="Health").click()
    expect(page.get_by_text("All clear")).to_be_visible()
    expect(page.get_by_role("heading", name="Dead-letter queue")).to_be_visible()
    expect(page.locator("[data-test=queue-visible]")).to_have_text("0")
    expect(page.get_by_text("No member's last Kisi write failed.")).to_be_visible()
    screenshots.take(page, "health")

    # ---- the audit log: filtered by action prefix, a page at a time
    page.get_by_role("link", name="Audit log").click()
    entries = page.locator("[data-test=audit-entries] tbody tr")
    expect(entries.first).to_be_visible()
    page.get_by_label("Action").select_option("unlock.")
    page.get_by_role("button", name="Show entries").click()
    expect(page.get_by_text("No entries on this page")).to_be_visible()  # nobody unlocked
    page.get_by_label("Action").select_option("admin.")
    page.get_by_role("button", name="Show entries").click()
    expect(entries.filter(has_text="admin.locks_enabled")).to_have_count(1)
    expect(page.get_by_text("Page 1 · ")).to_contain_text("the last page")
    screenshots.take(page, "audit-log")

    assert problems == [], problems


def admin_token(stack: ConsoleStack) -> str:
    response = stack.http.post(
        "/_local/tokens", json={"sub": "test-admin", "tenant_id": TENANT, "roles": ["admin"]}
    )
    return str(response.json()["token"])


def test_a_token_without_the_admin_role_is_refused_in_words(
    page: Page, console_stack: ConsoleStack
) -> None:
    problems = watch_for_problems(page)
    token = console_stack.http.post(
        "/_local/tokens", json={"sub": "player-9", "tenant_id": "demo-club", "roles": ["player"]}
    ).json()["token"]
    page.goto(console_stack.console_url)
    page.get_by_label("Admin token (JWT)").fill(token)
    expect(page.get_by_label("Club (tenant id)", exact=True)).to_have_value("demo-club")
    page.get_by_role("button", name="Sign in", exact=True).click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("This token is not a club admin's")
    expect(refusal).to_contain_text("HTTP 403 · admin_role_required")
    expect(page.get_by_role("navigation", name="Screens")).to_be_hidden()

    page.get_by_label("Admin token (JWT)").fill("not.a.token")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("not readable JSON")
    assert problems == [], problems


def test_console_files_carry_a_strict_content_security_policy(console_stack: ConsoleStack) -> None:
    """Headers from template.yaml's response headers policy, as CloudFront adds them."""
    page = console_stack.http.get("/console/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "connect-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-cache"
    script = console_stack.http.get("/console/js/app.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    revalidated = console_stack.http.get(
        "/console/js/app.js", headers={"if-none-match": script.headers["etag"]}
    )
    assert revalidated.status_code == 304
    assert console_stack.http.get("/console").headers["location"] == "/console/"
    assert console_stack.http.get("/console/nothing.js").status_code == 404
