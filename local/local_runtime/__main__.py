"""`python -m local_runtime`: run the stack locally, mint tokens, run a schedule now.

run       [--port 3000] [--host 127.0.0.1]  start everything; Ctrl-C stops it
token     --tenant T --sub S [--roles admin,player]   print a JWT the local stack accepts
schedule  NAME [--url http://127.0.0.1:3000] [--tenant T] [--dry-run]   run a schedule now
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

import httpx

from local_runtime.jwt_issuer import LocalIssuer
from local_runtime.local_stack import STATE_DIR, LocalStack, LocalStackConfig


def _run(arguments: argparse.Namespace) -> int:
    from local_runtime.demo_tenant import cheat_sheet, create_demo_tenant

    config = LocalStackConfig(
        host=arguments.host,
        port=arguments.port,
        kisi_base_url=os.environ.get("KISI_BASE_URL") or None,
        pushpress_base_url=os.environ.get("PUSHPRESS_BASE_URL") or None,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with LocalStack(config) as stack:
        demo = create_demo_tenant(stack)
        print(cheat_sheet(stack, demo), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
        print("\nstopping...", flush=True)
    return 0


def _token(arguments: argparse.Namespace) -> int:
    issuer = LocalIssuer(STATE_DIR / "jwt-private-key.pem")
    roles = [r for r in arguments.roles.split(",") if r]
    print(issuer.mint(arguments.sub, arguments.tenant, roles=roles))
    return 0


def _schedule(arguments: argparse.Namespace) -> int:
    payload: dict[str, object] = {}
    if arguments.tenant:
        payload["tenant_id"] = arguments.tenant
    if arguments.dry_run:
        payload["dry_run"] = True
    response = httpx.post(
        f"{arguments.url}/_local/schedules/{arguments.name}", json=payload, timeout=900
    )
    print(json.dumps(response.json(), indent=2))
    return 0 if response.is_success else 1


def _demo(arguments: argparse.Namespace) -> int:
    from local_runtime.demo_scenario import DemoScenario, Transcript

    if arguments.url:
        return 0 if DemoScenario(arguments.url).run() else 1
    # The stack runs in this process: its functions' log lines and metrics go to a file, so that
    # the terminal shows the transcript alone.
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log_path = STATE_DIR / "demo-stack.log"
    with _terminal() as terminal, log_path.open("w") as log, _output_to(log):

        def show(line: str) -> None:
            print(line, file=terminal, flush=True)

        config = LocalStackConfig(port=0, run_schedules=False)
        with LocalStack(config) as stack:
            show(f"(a local stack of its own at {stack.base_url}; its logs: {log_path})")
            return 0 if DemoScenario(stack.base_url, Transcript(out=show)).run() else 1


@contextlib.contextmanager
def _terminal() -> Iterator[TextIO]:
    """This process's standard output as it is now, even after `_output_to` moves fd 1."""
    sys.stdout.flush()
    with os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1) as terminal:
        yield terminal


@contextlib.contextmanager
def _output_to(log: TextIO) -> Iterator[None]:
    """Send file descriptors 1 and 2 (whoever writes them: print, loggers, threads) to `log`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local_runtime",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the stack locally")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    run.set_defaults(action=_run)
    token = commands.add_parser("token", help="mint a JWT for the local stack")
    token.add_argument("--tenant", required=True)
    token.add_argument("--sub", required=True)
    token.add_argument("--roles", default="player")
    token.set_defaults(action=_token)
    schedule = commands.add_parser("schedule", help="run a schedule of the running stack now")
    schedule.add_argument("name")
    schedule.add_argument("--url", default="http://127.0.0.1:3000")
    schedule.add_argument("--tenant")
    schedule.add_argument("--dry-run", action="store_true")
    schedule.set_defaults(action=_schedule)
    demo = commands.add_parser("demo", help="run the end-to-end demo scenario")
    demo.add_argument("--url", help="a running stack (default: start one)")
    demo.set_defaults(action=_demo)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result: int = arguments.action(arguments)
    return result


if __name__ == "__main__":
    sys.exit(main())
