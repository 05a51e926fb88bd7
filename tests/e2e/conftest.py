"""The local runtime (`make run`'s stack) in a subprocess, reached over real HTTP."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local_runtime.local_stack import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCAL_PYTHONPATH = os.pathsep.join(
    str(PROJECT_ROOT / p)
    for p in ("layers/kisi_client", "layers/pushpress_client", "layers/access_core", "local")
)


READY_LINE = "Kisi Access Bridge is running locally"


class LocalStackProcess:
    def __init__(self, base_url: str, process: subprocess.Popen[str], log_path: Path) -> None:
        self.base_url = base_url
        self.process = process
        self.log_path = log_path
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def cheat_sheet_value(self, label: str) -> str:
        """A value `make run` printed in its cheat sheet, e.g. the demo webhook secret."""
        for line in self.log_path.read_text().splitlines():
            if line.strip().startswith(label):
                return line.strip().removeprefix(label).strip()
        raise LookupError(f"{label!r} not in the cheat sheet")

    def token(self, subject: str, tenant_id: str, roles: list[str]) -> str:
        response = self.http.post(
            "/_local/tokens", json={"sub": subject, "tenant_id": tenant_id, "roles": roles}
        )
        return str(response.json()["token"])


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("local-stack") / "stack.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "PYTHONPATH": LOCAL_PYTHONPATH,
    }
    environment.pop("KISI_BASE_URL", None)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local_runtime", "run", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the local stack exited early:\n{log_path.read_text()[-3000:]}")
        # The cheat sheet is printed once the demo tenant exists: the stack is ready then.
        if READY_LINE in log_path.read_text():
            break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"the local stack did not start:\n{log_path.read_text()[-3000:]}")
    yield LocalStackProcess(base_url, process, log_path)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
