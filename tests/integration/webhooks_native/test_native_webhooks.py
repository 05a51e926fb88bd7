"""PushPress and Playbypoint post to the bridge directly, no relay: `/webhooks/pushpress/{tenant}`
verifies PushPress's own `webhook-signature`, `/webhooks/playbypoint/{tenant}` the bearer token.
Forged, stale (a secret past its overlap) and missing credentials get a 401 JSON body and
nothing is written: no DynamoDB item (bridge or idempotency table), no SQS message, no SSM
change. No secret appears in a response or a log line."""

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from access_core import bootstrap
from access_core.domain.secrets import DEFAULT_ROTATION_OVERLAP
from access_core.ingest.signature import signature_headers
from local_runtime.in_process import HttpResult
from pushpress_emulator import PushPressEmulator
from tests.integration.conftest import LogCapture
from tests.integration.harness import (
    PLAYBYPOINT_TOKEN,
    PUSHPRESS_SIGNING_SECRET,
    TENANT_ID,
    Club,
    native_headers,
    stack_contents,
)

SAMPLES = Path(__file__).resolve().parents[3] / "events" / "webhooks"
ENROLLMENT = (SAMPLES / "pushpress" / "enrollment_created.json").read_bytes()
RESERVATION = (SAMPLES / "playbypoint" / "reservation_created.json").read_bytes()
NEW_PUSHPRESS_SECRET = "pushpress-signing-secret-rotated-42"


def post(
    club: Club, platform: str, body: bytes, headers: dict[str, str], tenant: str = TENANT_ID
) -> HttpResult:
    return club.stack.post_webhook(platform, tenant, body, secret=None, extra_headers=headers)


def at(moment: datetime) -> None:
    """The webhook function's clock reads `moment` from now on."""
    container = bootstrap.container()
    container.webhook = replace(container.webhook, clock=lambda: moment)


def after_the_overlap() -> datetime:
    return datetime.now(UTC) + DEFAULT_ROTATION_OVERLAP + timedelta(minutes=1)


def assert_refused_and_nothing_written(
    club: Club, attempts: list[tuple[str, bytes, dict[str, str]]]
) -> None:
    before = stack_contents(club.stack)
    answers = [post(club, platform, body, headers) for platform, body, headers in attempts]
    for answer in answers:
        assert answer.status == 401
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.body == {
            "error": "unauthorized",
            "message": "Invalid signature or unknown tenant.",
        }
    assert stack_contents(club.stack) == before


# --- accepted -----------------------------------------------------------------------------------


def test_a_pushpress_delivery_signed_with_the_signing_secret_is_accepted(club: Club) -> None:
    response = post(club, "pushpress", ENROLLMENT, native_headers("pushpress", ENROLLMENT))
    assert response.status == 202, response.body
    assert (response.body["status"], response.body["applied"]) == ("accepted", 1)
    assert club.stored_member("usr_7f3a9c21").email == "maya.okafor@example.com"
    assert club.stack.queue_depth() == 1


def test_a_delivery_made_by_the_pushpress_emulator_is_accepted_as_it_was_sent(club: Club) -> None:
    """The emulator signs with its own signer and sends compact bodies: posted byte for byte
    with its headers, as PushPress would."""
    emulator = PushPressEmulator(rate_limit=False, deliver_webhooks=False)
    ids = emulator.seed(
        {
            "companies": [
                {
                    "ref": "club",
                    "customers": [{"ref": "ann", "email": "ann@example.com"}],
                    "webhooks": [
                        {
                            "url": f"http://127.0.0.1:9/webhooks/pushpress/{TENANT_ID}",
                            "signing_secret": PUSHPRESS_SIGNING_SECRET,
                        }
                    ],
                }
            ]
        }
    )["companies"]["club"]
    emulator.create_enrollment(ids["id"], customer_id=ids["customers"]["ann"], status="active")
    [delivery] = [d for d in emulator.deliveries() if d["event"] == "enrollment.created"]

    response = post(
        club,
        "pushpress",
        delivery["body"].encode(),
        {"webhook-signature": delivery["signature"]},
    )

    assert response.status == 202, response.body
    assert club.stored_member(ids["customers"]["ann"]).status.value == "active"


def test_a_playbypoint_delivery_with_the_token_is_accepted(club: Club) -> None:
    response = post(club, "playbypoint", RESERVATION, native_headers("playbypoint", RESERVATION))
    assert response.status == 202, response.body
    assert response.body["applied"] == 1


# --- refused, nothing written -----------------------------------------------------------------


def test_forged_and_missing_pushpress_signatures_are_refused_and_write_nothing(
    club: Club,
) -> None:
    tampered = ENROLLMENT.replace(b'"active"', b'"paused"')
    assert_refused_and_nothing_written(
        club,
        [
            ("pushpress", ENROLLMENT, {}),
            ("pushpress", ENROLLMENT, {"webhook-signature": ""}),
            ("pushpress", ENROLLMENT, {"webhook-signature": "not-a-signature"}),
            ("pushpress", ENROLLMENT, {"webhook-signature": "0" * 64}),
            (
                "pushpress",
                ENROLLMENT,
                native_headers("pushpress", ENROLLMENT, pushpress_secret="another-secret-1"),
            ),
            ("pushpress", tampered, native_headers("pushpress", ENROLLMENT)),
            # Our own HMAC opens the canonical endpoint only.
            (
                "pushpress",
                ENROLLMENT,
                signature_headers(club.webhook_secret, int(time.time()), ENROLLMENT),
            ),
        ],
    )


def test_forged_and_missing_playbypoint_tokens_are_refused_and_write_nothing(club: Club) -> None:
    assert_refused_and_nothing_written(
        club,
        [
            ("playbypoint", RESERVATION, {}),
            ("playbypoint", RESERVATION, {"authorization": PLAYBYPOINT_TOKEN}),
            ("playbypoint", RESERVATION, {"authorization": f"Basic {PLAYBYPOINT_TOKEN}"}),
            ("playbypoint", RESERVATION, {"authorization": f"Bearer {PLAYBYPOINT_TOKEN}0"}),
            ("playbypoint", RESERVATION, {"authorization": "Bearer not-the-token"}),
            ("playbypoint", RESERVATION, native_headers("pushpress", ENROLLMENT)),
        ],
    )


def test_a_pushpress_secret_rotated_with_an_overlap_then_stale(club: Club) -> None:
    """The admin pastes PushPress's new signing secret: deliveries signed with either verify
    for the overlap; after it, the old one is refused (a stale secret) and writes nothing."""
    secrets = bootstrap.container().secret_store
    secrets.add_webhook_secret(TENANT_ID, "pushpress", NEW_PUSHPRESS_SECRET)
    old_signed = native_headers("pushpress", ENROLLMENT)
    new_signed = native_headers("pushpress", ENROLLMENT, pushpress_secret=NEW_PUSHPRESS_SECRET)

    assert post(club, "pushpress", ENROLLMENT, old_signed).status == 202
    assert post(club, "pushpress", ENROLLMENT, new_signed).status == 202

    at(after_the_overlap())
    assert_refused_and_nothing_written(club, [("pushpress", ENROLLMENT, old_signed)])
    status = secrets.webhook_secret_status(TENANT_ID, "pushpress")
    assert [s.current for s in status.secrets] == [True, False]


def test_a_playbypoint_token_rotated_with_an_overlap_then_stale(club: Club) -> None:
    secrets = bootstrap.container().secret_store
    secrets.add_webhook_secret(TENANT_ID, "playbypoint", "playbypoint-token-rotated-42")
    new = {"authorization": "Bearer playbypoint-token-rotated-42"}
    old = native_headers("playbypoint", RESERVATION)

    assert post(club, "playbypoint", RESERVATION, old).status == 202
    at(after_the_overlap())
    assert_refused_and_nothing_written(club, [("playbypoint", RESERVATION, old)])
    assert post(club, "playbypoint", RESERVATION, new).status == 202


def test_a_leaked_secret_is_refused_at_once_when_the_overlap_is_ended(club: Club) -> None:
    secrets = bootstrap.container().secret_store
    secrets.add_webhook_secret(TENANT_ID, "pushpress", NEW_PUSHPRESS_SECRET, overlap=timedelta(0))
    old_signed = native_headers("pushpress", ENROLLMENT)
    # The webhook function cached the old set; its fresh read finds the old secret gone.
    assert_refused_and_nothing_written(club, [("pushpress", ENROLLMENT, old_signed)])


def test_a_tenant_without_the_platform_connected_is_refused(club: Club) -> None:
    bootstrap.container().secret_store.delete_webhook_secrets(TENANT_ID, "playbypoint")
    assert_refused_and_nothing_written(
        club, [("playbypoint", RESERVATION, native_headers("playbypoint", RESERVATION))]
    )


@pytest.mark.parametrize("platform", ["pushpress", "playbypoint"])
def test_unknown_tenants_cost_no_ssm_read_on_the_native_endpoints(
    club: Club, platform: str
) -> None:
    """Issue 14, H1: refused from DynamoDB before any SSM call (SSM's throughput is shared by
    every tenant's secret reads)."""
    reads: list[str] = []
    bootstrap.container().ssm.meta.events.register(
        "before-parameter-build.ssm.GetParameter",
        lambda params, **_: reads.append(params["Name"]),
    )
    body = ENROLLMENT if platform == "pushpress" else RESERVATION
    for index in range(3):
        tenant = f"no-such-club-{index}"
        response = post(club, platform, body, native_headers(platform, body), tenant=tenant)
        assert response.status == 401
    assert reads == []


def test_no_secret_reaches_a_response_or_a_log_line(club: Club, all_logs: LogCapture) -> None:
    signature = native_headers("pushpress", ENROLLMENT)["webhook-signature"]
    answers: list[Any] = [
        post(club, "pushpress", ENROLLMENT, native_headers("pushpress", ENROLLMENT)),
        post(club, "pushpress", ENROLLMENT, {"webhook-signature": signature[::-1]}),
        post(club, "playbypoint", RESERVATION, native_headers("playbypoint", RESERVATION)),
        post(club, "playbypoint", RESERVATION, {"authorization": f"Bearer {PLAYBYPOINT_TOKEN}x"}),
    ]
    shown = json.dumps([(a.status, a.body, dict(a.headers)) for a in answers]) + all_logs.text
    for secret in (PUSHPRESS_SIGNING_SECRET, PLAYBYPOINT_TOKEN, signature, signature[::-1]):
        assert secret not in shown
    assert "webhook refused" in all_logs.text


DELIVERIES = sorted((SAMPLES / "deliveries").glob("*.json"))


@pytest.mark.parametrize("sample", DELIVERIES, ids=[path.stem for path in DELIVERIES])
def test_the_delivery_samples_are_accepted_as_they_are(club: Club, sample: Path) -> None:
    """events/webhooks/deliveries/: a body and the headers its platform sends with it, signed
    with the secret the sample names (the harness's, so the club holds it)."""
    delivery = json.loads(sample.read_text())
    assert delivery["secret"] in {PUSHPRESS_SIGNING_SECRET, PLAYBYPOINT_TOKEN}
    body = (SAMPLES / delivery["body_file"]).read_bytes()
    response = post(club, delivery["platform"], body, delivery["headers"])
    assert response.status == 202, response.body
