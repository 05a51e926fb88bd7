"""``python -m pushpress_emulator``: serve a PushPress emulator, seeded with the demo club.

PYTHONPATH=local .venv/bin/python -m pushpress_emulator --port 8282 [--no-rate-limit]
    [--seed demo|none|path.json] [--webhook-url http://127.0.0.1:3000/webhooks/pushpress/demo]
    [--webhook-secret S] [--pretty-bodies] [--fault-seed N] [--quiet]
"""

import argparse
import sys
from functools import partial
from typing import Any

from emulator_kit import cli
from pushpress_emulator.deliveries import BodyFormat
from pushpress_emulator.demo import demo_seed
from pushpress_emulator.emulator import PushPressEmulator
from pushpress_emulator.server import RunningEmulator, start_emulator
from pushpress_emulator.wire import ApiError


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.argument_parser(
        "python -m pushpress_emulator",
        "A stateful PushPress Platform API emulator with signed webhook deliveries.",
        default_port=8282,
        rate_limit="5 requests/s per API key",
    )
    parser.add_argument(
        "--webhook-url",
        help="register this loopback URL for every event of every seeded company",
    )
    parser.add_argument("--webhook-secret", help="its signing secret (default: generated)")
    parser.add_argument("--pretty-bodies", action="store_true", help="send indented webhook bodies")
    return parser.parse_args(argv)


def load_seed(choice: str) -> dict[str, Any] | None:
    return cli.load_seed(choice, demo_seed)


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
    cli.print_banner_end(running, "pushpress_emulator")


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
    banner = partial(print_banner, seeded=seeded)
    return cli.serve_until_stopped(start_emulator, emulator, arguments, banner, "PushPress")


if __name__ == "__main__":
    sys.exit(main())
