"""``python -m pushpress_emulator``: serve a PushPress emulator, seeded with the demo club.

PYTHONPATH=local .venv/bin/python -m pushpress_emulator --port 8282 [--no-rate-limit]
    [--seed demo|none|path.json] [--webhook-url http://127.0.0.1:3000/webhooks/pushpress/demo]
    [--webhook-secret S] [--pretty-bodies] [--fault-seed N] [--quiet]
"""

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from pushpress_emulator.deliveries import BodyFormat
from pushpress_emulator.demo import demo_seed
from pushpress_emulator.emulator import PushPressEmulator
from pushpress_emulator.server import RunningEmulator, start_emulator
from pushpress_emulator.wire import ApiError


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pushpress_emulator",
        description="A stateful PushPress Platform API emulator with signed webhook deliveries.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8282, help="port (0 picks a free one)")
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="turn off the 5 requests/s per API key"
    )
    parser.add_argument(
        "--seed", default="demo", help="'demo' (default), 'none', or a seed JSON document's path"
    )
    parser.add_argument(
        "--webhook-url",
        help="register this loopback URL for every event of every seeded company",
    )
    parser.add_argument("--webhook-secret", help="its signing secret (default: generated)")
    parser.add_argument("--pretty-bodies", action="store_true", help="send indented webhook bodies")
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of probabilistic faults")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser.parse_args(argv)


def load_seed(choice: str) -> dict[str, Any] | None:
    if choice == "none":
        return None
    if choice == "demo":
        return demo_seed()
    document: dict[str, Any] = json.loads(Path(choice).read_text(encoding="utf-8"))
    return document


def print_banner(running: RunningEmulator, seeded: dict[str, Any]) -> None:
    emulator = running.emulator
    rate = "5 requests/s per API key" if emulator.rate_limit_enabled else "off"
    print(f"PushPress emulator: API {running.api_url} (rate limit: {rate})")
    for ref, company in seeded["companies"].items():
        print(f"  {ref} (company {company['id']})")
        for key in company["api_keys"]:
            print(f"    API key {key}")
            print(f"    try: curl -H 'API-KEY: {key}' {running.api_url}/customers")
    for webhook in emulator.webhook_registrations():
        print(f"  webhooks -> {webhook['url']} (signing secret {webhook['signingSecret']})")
    print(f"  control API: {running.control_url}/ (no auth), e.g. GET {running.control_url}/counts")
    print("  see local/pushpress_emulator/README.md; Ctrl-C to stop", flush=True)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    emulator = PushPressEmulator(
        rate_limit=not arguments.no_rate_limit,
        fault_seed=arguments.fault_seed,
        body_format=BodyFormat.PRETTY if arguments.pretty_bodies else BodyFormat.COMPACT,
    )
    document = load_seed(arguments.seed)
    seeded = emulator.seed(document) if document is not None else {"companies": {}}
    if arguments.webhook_url:
        try:
            for company in seeded["companies"].values():
                emulator.register_webhook(
                    company["id"], arguments.webhook_url, signing_secret=arguments.webhook_secret
                )
        except ApiError as error:
            print(f"cannot register {arguments.webhook_url}: {error.message}", file=sys.stderr)
            return 2
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

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print_banner(running, seeded)
    stop_requested.wait()
    running.stop()
    print("PushPress emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
