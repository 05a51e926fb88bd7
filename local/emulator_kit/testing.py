"""Helpers for tests of any emulator: an in-process httpx transport, a pytest fixture that
serves one, and the emulator's CLI as a subprocess."""

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from emulator_kit.wire import EmulatorRequest, EmulatorResponse

FixtureScope = Literal["session", "package", "module", "class", "function"]
LOCAL_DIR = Path(__file__).resolve().parent.parent
"""The folder of the emulators' packages: the import path of their CLI."""


def in_process_transport(
    handle: Callable[[EmulatorRequest], EmulatorResponse],
) -> httpx.MockTransport:
    """An httpx transport answering from an emulator's `handle` without a socket (timeout
    faults then only delay: a real client timeout needs the HTTP server)."""

    def answer(request: httpx.Request) -> httpx.Response:
        emulated = handle(
            EmulatorRequest.from_target(
                request.method,
                request.url.raw_path.decode("ascii"),
                dict(request.headers),
                request.read(),
            )
        )
        return httpx.Response(
            emulated.status, headers=emulated.all_headers(), content=emulated.body_bytes()
        )

    return httpx.MockTransport(answer)


def served_fixture[R](
    name: str, serve: Callable[[], AbstractContextManager[R]], scope: FixtureScope
) -> Any:
    """A pytest fixture called `name` yielding what `serve()` enters (a running emulator)."""

    @pytest.fixture(scope=scope, name=name)
    def fixture() -> Iterator[R]:
        with serve() as running:
            yield running

    return fixture


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_cli(module: str, *arguments: str) -> tuple[subprocess.Popen[str], str]:
    """`python -m <module> --quiet <arguments>` as a subprocess, and its banner, read up to the
    banner's last line (the one that says Ctrl-C)."""
    process = subprocess.Popen(  # noqa: S603 (this interpreter, a module the test names)
        [sys.executable, "-m", module, "--quiet", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(LOCAL_DIR)},
    )
    assert process.stdout is not None
    banner = []
    for line in process.stdout:
        banner.append(line)
        if "Ctrl-C" in line:
            break
    return process, "".join(banner)
