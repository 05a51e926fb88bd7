"""What `python -m <emulator>` shares: the common arguments, the seed choice, and serving until
Ctrl-C or SIGTERM."""

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol


class Served(Protocol):
    @property
    def control_url(self) -> str: ...

    def stop(self) -> None: ...


def argument_parser(
    prog: str, description: str, *, default_port: int, rate_limit: str
) -> argparse.ArgumentParser:
    """A parser with every emulator's arguments: host, port, rate limit, seed, fault seed, quiet;
    `rate_limit` says what `--no-rate-limit` turns off."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=default_port, help="port (0 picks a free one)")
    parser.add_argument("--no-rate-limit", action="store_true", help=f"turn off the {rate_limit}")
    parser.add_argument(
        "--seed", default="demo", help="'demo' (default), 'none', or a seed JSON document's path"
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of probabilistic faults")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def load_seed(choice: str, demo: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """The seed document `--seed` names: `demo()`, none, or a JSON file."""
    if choice == "none":
        return None
    if choice == "demo":
        return demo()
    document: dict[str, Any] = json.loads(Path(choice).read_text(encoding="utf-8"))
    return document


def print_banner_end(running: Served, package: str) -> None:
    """The banner's last lines: the control API, the emulator's README, how to stop."""
    print(f"  control API: {running.control_url}/ (no auth), e.g. GET {running.control_url}/counts")
    print(f"  see local/{package}/README.md; Ctrl-C to stop", flush=True)


def serve_until_stopped[E, R: Served](
    start: Callable[..., R],
    emulator: E,
    arguments: argparse.Namespace,
    banner: Callable[[R], None],
    name: str,
) -> int:
    """`start(host, port, emulator=, log_requests=)` as the arguments say (exit 2 when the
    address is taken), print the banner, serve until SIGINT or SIGTERM, stop; `name` ("Kisi")
    is in the last line."""
    try:
        running = start(
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
    banner(running)
    stop_requested.wait()
    running.stop()
    print(f"{name} emulator stopped", flush=True)
    return 0
