"""`python -m kisi_emulator`: serve a Kisi emulator, seeded with the demo organisation.

PYTHONPATH=local .venv/bin/python -m kisi_emulator --port 8181 [--no-rate-limit]
    [--seed demo|none|path.json] [--fault-seed N] [--quiet]
"""

import argparse
import sys
from functools import partial
from typing import Any

from emulator_kit import cli
from kisi_emulator.demo import load_demo_seed
from kisi_emulator.emulator import KisiEmulator
from kisi_emulator.server import RunningEmulator, start_emulator


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.argument_parser(
        "python -m kisi_emulator",
        "A stateful Kisi API emulator with Kisi's rate limit and fault injection.",
        default_port=8181,
        rate_limit="5 requests/s per Kisi user",
    )
    return parser.parse_args(argv)


def load_seed(choice: str) -> dict[str, Any] | None:
    return cli.load_seed(choice, load_demo_seed)


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
    cli.print_banner_end(running, "kisi_emulator")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    emulator = KisiEmulator(rate_limit=not arguments.no_rate_limit, fault_seed=arguments.fault_seed)
    document = load_seed(arguments.seed)
    seeded = emulator.seed(document) if document is not None else {"organizations": {}}
    banner = partial(print_banner, seeded=seeded)
    return cli.serve_until_stopped(start_emulator, emulator, arguments, banner, "Kisi")


if __name__ == "__main__":
    sys.exit(main())
