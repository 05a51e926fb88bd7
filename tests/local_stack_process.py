"""The local runtime (`make run`'s stack) in a subprocess on a free port, for the tests that reach
it over real HTTP (tests/e2e, tests/browser)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from local_runtime.local_stack import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Every layer's content and the local runtime, as `make run` puts them on the path.
LOCAL_PYTHONPATH = os.pathsep.join(
    [str(p) for p in sorted((PROJECT_ROOT / "layers").iterdir()) if p.is_dir()]
    + [str(PROJECT_ROOT / "local")]
)
# The cheat sheet is printed once the demo tenant exists: the stack is ready then.
READY_LINE = "Kisi Access Bridge is running locally"
START_SECONDS = 60


@contextmanager
def running_local_stack(log_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The stack's base URL and process while it runs; its output goes to `log_path`. The
    emulators are its own (KISI_BASE_URL and PUSHPRESS_BASE_URL are not passed on)."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "PYTHONPATH": LOCAL_PYTHONPATH,
    }
    environment.pop("KISI_BASE_URL", None)
    environment.pop("PUSHPRESS_BASE_URL", None)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local_runtime", "run", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the local stack exited early:\n{log_path.read_text()[-3000:]}")
        if READY_LINE in log_path.read_text():
            break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"the local stack did not start:\n{log_path.read_text()[-3000:]}")
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
