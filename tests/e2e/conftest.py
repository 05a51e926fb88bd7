"""The local runtime (`make run`'s stack) in a subprocess, reached over real HTTP."""

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from access_core.ingest.signature import signature_headers
from local_runtime.demo_tenant import DEMO_TENANT_ID
from tests.local_stack_process import running_local_stack


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

    def post_demo_events(self, events: list[dict[str, Any]]) -> None:
        """Canonical events to the demo tenant, each with a new id, signed with its secret."""
        secret = self.cheat_sheet_value("webhook signing secret")
        for event in events:
            body = json.dumps({**event, "id": uuid.uuid4().hex}).encode()
            response = self.http.post(
                f"/webhooks/canonical/{DEMO_TENANT_ID}",
                content=body,
                headers={"content-type": "application/json"}
                | signature_headers(secret, int(time.time()), body),
            )
            assert response.status_code == 202, response.text

    def token(self, subject: str, tenant_id: str, roles: list[str]) -> str:
        response = self.http.post(
            "/_local/tokens", json={"sub": subject, "tenant_id": tenant_id, "roles": roles}
        )
        return str(response.json()["token"])


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    log_path = tmp_path_factory.mktemp("local-stack") / "stack.log"
    with running_local_stack(log_path) as (base_url, process):
        yield LocalStackProcess(base_url, process, log_path)
