"""The emulator's Event Webhooks: a user's unlock in the Kisi app (`unlock-as`) sends Kisi's
`lock.unlock` event, signed, to the organisation's registrations only, and keeps what each
receiver answered."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from kisi_emulator import RunningEmulator

SECRET = "event-signature-key-0123456789"


class Receiver:
    """A loopback HTTP endpoint answering 202 `{"ok": true}` and keeping each request."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                answer = b'{"ok": true}'
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def unlock_as(control: httpx.Client, org: int, lock: int, email: str) -> httpx.Response:
    return control.post(f"/organizations/{org}/locks/{lock}/unlock-as", json={"email": email})


def test_an_app_unlock_sends_a_signed_event_to_the_organisations_webhooks(
    kisi: RunningEmulator,
    control: httpx.Client,
    ids_a: dict[str, Any],
    ids_b: dict[str, Any],
    receiver: Receiver,
) -> None:
    registered = control.post(
        f"/organizations/{ids_a['id']}/event-webhooks", json={"url": receiver.url, "secret": SECRET}
    )
    kisi.emulator.add_event_webhook(ids_b["id"], receiver.url + "/b")
    front = ids_a["locks"]["front"]

    answer = unlock_as(control, ids_a["id"], front, "ann.smith@example.com")

    assert registered.json()["signed"] is True
    assert "secret" not in registered.json()
    assert answer.status_code == 200, answer.text
    ((headers, body),) = receiver.requests
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-signature"] == f"sha256={expected}"
    event = json.loads(body)
    assert event["type"] == "lock.unlock"
    assert event["success"] is True
    assert (event["object_id"], event["object_name"]) == (front, "Front Door")
    assert event["actor_email"] == "Ann.Smith@example.com"
    assert event["actor_id"] == ids_a["users"]["ann"]
    (delivery,) = answer.json()["deliveries"]
    assert (delivery["status"], delivery["response"]) == (202, {"ok": True})
    assert control.get(f"/organizations/{ids_a['id']}/event-deliveries").json() == [delivery]
    assert kisi.emulator.unlock_log(ids_a["id"])[-1]["actor_email"] == "Ann.Smith@example.com"


def test_a_refused_unlock_is_sent_too_and_an_unsigned_webhook_gets_no_signature(
    kisi: RunningEmulator, control: httpx.Client, ids_a: dict[str, Any], receiver: Receiver
) -> None:
    kisi.emulator.add_event_webhook(ids_a["id"], receiver.url)
    front = ids_a["locks"]["front"]
    kisi.emulator.set_lock_state(ids_a["id"], front, locked_down=True)

    unlock_as(control, ids_a["id"], front, "joanna@example.com")

    ((headers, body),) = receiver.requests
    assert "x-signature" not in headers
    event = json.loads(body)
    assert (event["success"], event["error_code"]) == (False, "fad001")


def test_unknown_users_and_locks_are_404_and_reset_forgets_the_webhooks(
    kisi: RunningEmulator, control: httpx.Client, ids_a: dict[str, Any], receiver: Receiver
) -> None:
    kisi.emulator.add_event_webhook(ids_a["id"], receiver.url)
    front = ids_a["locks"]["front"]

    assert unlock_as(control, ids_a["id"], front, "nobody@example.com").status_code == 404
    assert unlock_as(control, ids_a["id"], 999_999, "joanna@example.com").status_code == 404
    kisi.emulator.reset()
    assert kisi.emulator.event_deliveries(ids_a["id"]) == []
    assert receiver.requests == []
