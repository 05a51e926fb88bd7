"""Webhooks the emulator delivers, checked by the client's verifier (two implementations of
PushPress's signing, written apart): what each change sends, rotation, lost, failed,
redelivered, reordered and stale deliveries."""

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from pushpress_client import (
    PushPressClient,
    SignedContent,
    WebhookFailure,
    WebhookVerificationError,
    verify_webhook,
)
from pushpress_emulator import BodyFormat, ManualClock, PushPressEmulator, RunningEmulator
from pushpress_emulator.testing import ReceivedWebhook, WebhookReceiver

from .conftest import MakeClient

SECRET = "pp-webhook-secret-for-tests"


@pytest.fixture
def hook(
    emulator: PushPressEmulator, ids: SimpleNamespace, receiver: WebhookReceiver
) -> dict[str, Any]:
    return emulator.register_webhook(ids.club, receiver.url, signing_secret=SECRET)


def verified(
    delivery: ReceivedWebhook, secrets: list[str], clock: ManualClock, **options: Any
) -> Any:
    return verify_webhook(delivery.headers, delivery.body, secrets, now=clock.now(), **options)


def test_a_new_customer_is_delivered_signed_with_the_customer_as_the_api_shows_it(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
    clock: ManualClock,
    make_client: MakeClient,
) -> None:
    created = emulator.create_customer(ids.club, email="new@example.com", first="Nia", last="Diaz")

    (delivery,) = receiver.received
    result = verified(delivery, [SECRET], clock)
    api_view = make_client().get_customer(created["id"])
    assert result.event == "customer.created"
    assert result.created == int(clock.now().timestamp())
    assert result.customer() == api_view
    assert result.signed_content is SignedContent.DATA
    assert delivery.headers["content-type"] == "application/json"


def test_indented_bodies_verify_because_data_is_what_is_signed(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
    clock: ManualClock,
) -> None:
    emulator.configure(body_format=BodyFormat.PRETTY)

    emulator.update_enrollment(ids.club, ids.enrollments["maya_24h"], status="paused")

    (delivery,) = receiver.received
    assert b"\n  " in delivery.body
    assert verified(delivery, [SECRET], clock).enrollment().status == "paused"


def test_each_change_sends_pushpress_s_event_and_only_those(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
    clock: ManualClock,
) -> None:
    enrollment = ids.enrollments["maya_24h"]
    customer = ids.customers["m5"]

    emulator.update_enrollment(ids.club, enrollment, status="pendcancel", end_date="2025-05-31")
    emulator.update_enrollment(ids.club, enrollment, end_date="2025-06-30")  # no status change
    emulator.create_enrollment(ids.club, customer_id=customer, plan_id=ids.plans["24h"])
    emulator.update_customer(ids.club, customer, email="m5.new@example.com")
    emulator.update_customer(ids.club, customer, role="ex-member")
    emulator.update_customer(ids.club, customer, first="")  # unchanged: first was empty
    emulator.delete_enrollment(ids.club, enrollment)
    emulator.delete_customer(ids.club, customer)

    events = [verified(d, [SECRET], clock) for d in receiver.received]
    assert [e.event for e in events] == [
        "enrollment.status.changed",
        "enrollment.created",
        "customer.details.changed",
        "customer.status.changed",
        "enrollment.deleted",
        "customer.deleted",
    ]
    assert events[0].enrollment().end_date == "2025-05-31"
    assert events[1].enrollment().lists_24_hour_access
    assert events[2].customer().email == "m5.new@example.com"
    assert events[4].data == {"id": enrollment}
    assert events[5].data == {"id": customer, "companyId": ids.club}


def test_a_registration_gets_only_the_events_it_subscribed_to(
    emulator: PushPressEmulator, ids: SimpleNamespace, receiver: WebhookReceiver
) -> None:
    emulator.register_webhook(ids.club, receiver.url, event_types=["enrollment.status.changed"])

    emulator.create_customer(ids.club, email="quiet@example.com")
    emulator.update_enrollment(ids.club, ids.enrollments["maya_24h"], status="alert")

    assert [d.body.count(b"enrollment.status.changed") for d in receiver.received] == [1]


def test_another_company_s_changes_are_not_delivered(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
) -> None:
    emulator.create_customer(ids.other, email="elsewhere@example.com")

    assert receiver.received == []


def test_rotation_signs_new_deliveries_with_the_new_secret_only(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
    clock: ManualClock,
) -> None:
    emulator.create_customer(ids.club, email="before@example.com")
    rotated = emulator.rotate_webhook_secret(ids.club, hook["id"])
    new = rotated["signingSecret"]
    emulator.create_customer(ids.club, email="after@example.com")
    emulator.redeliver(1)  # PushPress retrying a delivery signed before the rotation

    before, after, retried = receiver.received
    assert verified(after, [new, SECRET], clock).secret_index == 0
    assert verified(before, [new, SECRET], clock).secret_index == 1
    assert verified(retried, [new, SECRET], clock).secret_index == 1
    with pytest.raises(WebhookVerificationError) as raised:
        verified(after, [SECRET], clock)
    assert raised.value.reason is WebhookFailure.FORGED


def test_a_lost_delivery_is_recorded_as_dropped_and_can_be_sent_later(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
    clock: ManualClock,
) -> None:
    emulator.drop_deliveries(1, event="enrollment.status.changed")

    emulator.create_customer(ids.club, email="kept@example.com")
    emulator.update_enrollment(ids.club, ids.enrollments["maya_24h"], status="canceled")
    emulator.update_enrollment(ids.club, ids.enrollments["maya_24h"], status="active")

    statuses = [(d["event"], d["status"]) for d in emulator.deliveries()]
    assert statuses == [
        ("customer.created", "delivered"),
        ("enrollment.status.changed", "dropped"),
        ("enrollment.status.changed", "delivered"),
    ]
    assert len(receiver.received) == 2
    emulator.redeliver(2)
    assert verified(receiver.received[-1], [SECRET], clock).enrollment().status == "canceled"


def test_a_failing_receiver_is_recorded_and_a_redelivery_succeeds(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
) -> None:
    receiver.status = 500
    emulator.create_customer(ids.club, email="retry@example.com")
    receiver.status = 204

    first = emulator.deliveries()[0]
    again = emulator.redeliver(1)

    assert (first["status"], first["response_status"]) == ("failed", 500)
    assert (again["status"], again["attempts"], again["response_status"]) == ("delivered", 2, 204)
    assert receiver.received[0].body == receiver.received[1].body


def test_an_unreachable_receiver_is_a_failed_delivery(
    emulator: PushPressEmulator, ids: SimpleNamespace
) -> None:
    with WebhookReceiver() as gone:
        url = gone.url
    emulator.register_webhook(ids.club, url)

    emulator.create_customer(ids.club, email="nobody-home@example.com")

    (delivery,) = emulator.deliveries()
    assert delivery["status"] == "failed"
    assert delivery["response_status"] is None


def test_held_deliveries_can_arrive_out_of_order(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
    clock: ManualClock,
) -> None:
    emulator.configure(deliver_webhooks=False)
    enrollment = ids.enrollments["maya_24h"]
    emulator.update_enrollment(ids.club, enrollment, status="paused")
    clock.advance(5)
    emulator.update_enrollment(ids.club, enrollment, status="active")
    assert receiver.received == []

    emulator.redeliver(2)
    emulator.redeliver(1)

    newer, older = (verified(d, [SECRET], clock) for d in receiver.received)
    assert (newer.enrollment().status, older.enrollment().status) == ("active", "paused")
    assert newer.created is not None
    assert older.created is not None
    assert newer.created > older.created


def test_pending_deliveries_are_sent_oldest_first(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
) -> None:
    emulator.configure(deliver_webhooks=False)
    emulator.create_customer(ids.club, email="one@example.com")
    emulator.create_customer(ids.club, email="two@example.com")

    sent = emulator.deliver_pending()

    assert [d["status"] for d in sent] == ["delivered", "delivered"]
    assert [b"one@" in d.body for d in receiver.received] == [True, False]


def test_an_old_delivery_sent_again_much_later_fails_the_age_check(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
    clock: ManualClock,
) -> None:
    emulator.create_customer(ids.club, email="late@example.com")
    clock.advance(timedelta(hours=2).total_seconds())
    emulator.redeliver(1)

    with pytest.raises(WebhookVerificationError) as raised:
        verified(receiver.received[1], [SECRET], clock, tolerance=300)
    assert raised.value.reason is WebhookFailure.STALE
    assert (
        verified(receiver.received[1], [SECRET], clock, tolerance=None).event == "customer.created"
    )


def test_an_inactive_registration_gets_nothing(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    hook: dict[str, Any],
    receiver: WebhookReceiver,
) -> None:
    emulator.set_webhook_active(ids.club, hook["id"], active=False)

    emulator.create_customer(ids.club, email="silent@example.com")

    assert receiver.received == []
    assert emulator.deliveries() == []


def test_a_receiver_may_call_the_api_back_while_the_delivery_is_in_flight(
    emulator: PushPressEmulator,
    ids: SimpleNamespace,
    served: RunningEmulator,
    make_client: MakeClient,
) -> None:
    looked_up: list[str] = []
    client: PushPressClient = make_client()

    class CallingBack(WebhookReceiver):
        def record(self, webhook: ReceivedWebhook) -> int:
            data = verify_webhook(webhook.headers, webhook.body, [SECRET], now=None).data
            looked_up.append(client.get_customer(data["id"]).email or "")
            return super().record(webhook)

    with CallingBack() as calling_back:
        emulator.register_webhook(ids.club, calling_back.url, signing_secret=SECRET)
        emulator.create_customer(ids.club, email="echo@example.com")

    assert looked_up == ["echo@example.com"]


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5/hook", "https://example.com/hook", "ftp://127.0.0.1/x"]
)
def test_deliveries_go_to_loopback_only(
    served: RunningEmulator, ids: SimpleNamespace, url: str
) -> None:
    response = httpx.post(
        f"{served.control_url}/companies/{ids.club}/webhooks", json={"url": url}, timeout=5
    )

    assert response.status_code == 422
    assert "loopback" in response.json()["message"]
