"""``python -m pushpress_emulator`` starts, serves the demo club, delivers signed webhooks to
the URL it is given, and stops on a signal."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

import pushpress_emulator
from emulator_kit import testing
from emulator_kit.testing import LOCAL_DIR, free_port
from pushpress_client import verify_webhook
from pushpress_emulator import DEMO_API_KEY, DEMO_COMPANY_NAME
from pushpress_emulator.testing import WebhookReceiver, pushpress_headers


def start_cli(*arguments: str) -> tuple[subprocess.Popen[str], str]:
    return testing.start_cli("pushpress_emulator", *arguments)


def test_the_cli_serves_the_demo_club_and_delivers_signed_webhooks() -> None:
    port = free_port()
    with WebhookReceiver() as receiver:
        process, banner = start_cli(
            "--port", str(port), "--webhook-url", receiver.url, "--webhook-secret", "cli-secret"
        )
        try:
            base = f"http://127.0.0.1:{port}"
            company = httpx.get(
                f"{base}/v3/company", headers=pushpress_headers(DEMO_API_KEY), timeout=5
            )
            created = httpx.post(
                f"{base}/_emulator/companies/{company.json()['id']}/customers",
                json={"email": "cli@example.com"},
                timeout=5,
            )
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=10)

    assert process.returncode == 0, stderr
    assert company.json()["name"] == DEMO_COMPANY_NAME
    assert created.status_code == 201
    assert DEMO_API_KEY in banner
    assert "cli-secret" in banner
    (delivery,) = receiver.received
    assert (
        verify_webhook(delivery.headers, delivery.body, ["cli-secret"], now=None).event
        == "customer.created"
    )


def test_a_non_loopback_webhook_url_is_refused() -> None:
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "pushpress_emulator",
            "--port",
            "0",
            "--webhook-url",
            "http://192.0.2.1/x",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(LOCAL_DIR)},
        check=False,
    )

    assert process.returncode == 2
    assert "loopback" in process.stderr


def test_seed_choices_load_the_demo_nothing_or_a_file(tmp_path: Path) -> None:
    from pushpress_emulator.__main__ import load_seed, parse_arguments

    document = tmp_path / "seed.json"
    document.write_text('{"companies": [{"name": "From File"}]}', encoding="utf-8")

    assert load_seed("none") is None
    assert load_seed("demo") == pushpress_emulator.demo_seed()
    assert load_seed(str(document)) == {"companies": [{"name": "From File"}]}
    assert parse_arguments(["--port", "0", "--no-rate-limit"]).no_rate_limit


def test_the_in_process_transport_answers_without_a_socket() -> None:
    from pushpress_client import PacerRegistry, PushPressClient
    from pushpress_emulator import PushPressEmulator
    from pushpress_emulator.testing import in_process_transport

    emulator = PushPressEmulator(rate_limit=False)
    emulator.seed_demo()
    client = PushPressClient(
        DEMO_API_KEY,
        base_url="http://pushpress.invalid/v3",
        pacers=PacerRegistry(),
        requests_per_second=1000,
        http_client=httpx.Client(transport=in_process_transport(emulator)),
    )

    emails = [c.email for c in client.iter_customers()]

    assert emails[:1] == ["maya.okafor@example.com"]
    assert len(emails) == 3
    assert emulator.call_count("GET /v3/customers") == 2
