"""`python -m kisi_emulator`: serve a Kisi emulator, seeded with the demo organisation.

PYTHONPATH=local .venv/bin/python -m kisi_emulator --port 8181 [--no-rate-limit]
    [--seed demo|none|path.json] [--fault-seed N] [--quiet]
"""

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from kisi_emulator.demo import load_demo_seed
from kisi_emulator.emulator import KisiEmulator
from kisi_emulator.server import RunningEmulator, start_emulator


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kisi_emulator",
        description="A stateful Kisi API emulator with Kisi's rate limit and fault injection.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8181, help="port (0 picks a free one)")
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="turn off the 5 requests/s per Kisi user"
    )
    parser.add_argument(
        "--seed",
        default="demo",
        help="'demo' (default), 'none', or the path of a seed JSON document",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of probabilistic faults")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser.parse_args(argv)


def load_seed(choice: str) -> dict[str, Any] | None:
    if choice == "none":
        return None
    if choice == "demo":
        return load_demo_seed()
    document: dict[str, Any] = json.loads(Path(choice).read_text(encoding="utf-8"))
    return document


def print_banner(running: RunningEmulator, seeded: dict[str, Any]) -> None:
    emulator = running.emulator
    rate = "5 requests/s per Kisi user" if emulator.rate_limit_enabled else "off"
    print(f"Kisi emulator listening on {running.base_url} (rate limit: {rate})")
    names = {organization["id"]: organization["name"] for organization in emulator.organizations()}
    for organization in seeded["organizations"].values():
        label = f"{names[organization['id']]} (organization {organization['id']})"
        for key in organization["api_keys"]:
            print(f"  {label}: API key {key}")
            print(f"    try: curl -H 'Authorization: KISI-LOGIN {key}' {running.base_url}/user")
    print(f"  control API: {running.control_url}/ (no auth), e.g. GET {running.control_url}/counts")
    print("  see local/kisi_emulator/README.md; Ctrl-C to stop", flush=True)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    emulator = KisiEmulator(rate_limit=not arguments.no_rate_limit, fault_seed=arguments.fault_seed)
    document = load_seed(arguments.seed)
    seeded = emulator.seed(document) if document is not None else {"organizations": {}}
    try:
        running = start_emulator(
            arguments.host, arguments.port, emulator=emulator, log_requests=not arguments.quiet
        )
    except OSError as error:
        print(f"cannot listen on {arguments.host}:{arguments.port}: {error}", file=sys.stderr)
        return 2

    stop_requested = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    # Before the banner: whoever reads it may signal at once.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print_banner(running, seeded)
    stop_requested.wait()
    running.stop()
    print("Kisi emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
