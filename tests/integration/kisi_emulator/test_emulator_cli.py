"""`python -m kisi_emulator` starts, serves the demo organisation and stops on a signal."""

import json
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from emulator_kit import testing
from emulator_kit.testing import free_port
from kisi_emulator import DEMO_API_KEY, DEMO_ORGANIZATION_NAME
from kisi_emulator.__main__ import load_seed, main, parse_arguments
from kisi_emulator.testing import kisi_headers


def start_cli(*arguments: str) -> tuple[subprocess.Popen[str], str]:
    """The CLI as a subprocess; answers it and its banner once it prints the last banner line."""
    return testing.start_cli("kisi_emulator", *arguments)


def stop_cli(process: subprocess.Popen[str], signal_number: signal.Signals) -> tuple[int, str, str]:
    process.send_signal(signal_number)
    stdout, stderr = process.communicate(timeout=10)
    return process.returncode, stdout, stderr


def test_the_cli_serves_the_demo_organization_and_stops_on_ctrl_c() -> None:
    port = free_port()
    process, banner = start_cli("--port", str(port))
    try:
        base_url = f"http://127.0.0.1:{port}"
        response = httpx.get(f"{base_url}/user", headers=kisi_headers(DEMO_API_KEY), timeout=5)
        health = httpx.get(f"{base_url}/_emulator/health", timeout=5)
    finally:
        returncode, stdout, stderr = stop_cli(process, signal.SIGINT)

    assert f"listening on {base_url}" in banner
    assert DEMO_API_KEY in banner
    assert f"{base_url}/_emulator/" in banner
    assert response.status_code == 200
    assert response.json()["organization"]["name"] == DEMO_ORGANIZATION_NAME
    assert health.json()["status"] == "ok"
    assert returncode == 0, stderr
    assert "stopped" in stdout


def test_the_cli_takes_a_seed_file_and_can_run_without_the_rate_limit(tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(
        json.dumps(
            {
                "admins": [{"ref": "a", "email": "a@example.com"}],
                "organizations": [
                    {"name": "File Club", "api_keys": [{"key": "file-key-1", "admin": "a"}]}
                ],
            }
        )
    )
    port = free_port()
    process, banner = start_cli("--port", str(port), "--seed", str(seed_file), "--no-rate-limit")
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers=kisi_headers("file-key-1")
        ) as client:
            statuses = [client.get("/organization").status_code for _ in range(12)]
    finally:
        returncode, _, stderr = stop_cli(process, signal.SIGTERM)

    assert "rate limit: off" in banner
    assert "File Club" in banner
    assert statuses == [200] * 12
    assert returncode == 0, stderr


def test_the_cli_defaults() -> None:
    arguments = parse_arguments([])

    assert (arguments.host, arguments.port, arguments.seed) == ("127.0.0.1", 8181, "demo")
    assert arguments.no_rate_limit is False
    assert load_seed("none") is None
    demo = load_seed("demo")
    assert demo is not None
    assert demo["organizations"][0]["name"] == DEMO_ORGANIZATION_NAME


def test_the_cli_exits_2_when_the_port_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        returncode = main(["--port", str(port), "--seed", "none"])

    assert returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
