"""The whole stack on one machine: moto server (DynamoDB, SQS, SSM), the Kisi emulator (unless
KISI_BASE_URL names another Kisi), the PushPress emulator (unless PUSHPRESS_BASE_URL names another
PushPress), the template's resources, the front door, the SQS poller and
the schedules. `make run` starts it; `make demo` and the e2e tests drive it over real HTTP."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

import pushpress_emulator
from kisi_emulator import KisiEmulator, RunningEmulator, start_emulator
from local_runtime.aws_resources import create_stack_resources
from local_runtime.front_door import FrontDoor, serve
from local_runtime.functions_host import FunctionsHost
from local_runtime.jwt_issuer import LOCAL_AUDIENCE, LocalIssuer
from local_runtime.lambda_events import LOCAL_REGION
from local_runtime.schedules import next_fire
from local_runtime.sqs_poller import SqsEventSourcePoller
from local_runtime.stack_model import Schedule, StackModel
from local_runtime.template import PROJECT_ROOT, load_template

logger = logging.getLogger(__name__)

STATE_DIR = PROJECT_ROOT / "local" / ".state"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_REGION": LOCAL_REGION,
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LocalStackConfig:
    host: str = "127.0.0.1"
    port: int = 3000
    moto_port: int = 0  # 0: a free port
    kisi_port: int = 0
    kisi_base_url: str | None = None  # another Kisi (the emulator is then not started)
    pushpress_port: int = 0
    pushpress_base_url: str | None = None  # another PushPress (the emulator is then not started)
    kisi_rate_limit: bool = True
    run_schedules: bool = True
    state_dir: Path = STATE_DIR
    poll_wait_seconds: int = 1
    parameters: dict[str, str] = field(default_factory=dict)


class LocalStack(AbstractContextManager["LocalStack"]):
    def __init__(self, config: LocalStackConfig | None = None) -> None:
        self.config = config or LocalStackConfig()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.kisi: RunningEmulator | None = None
        self.kisi_base_url = ""
        self.pushpress: pushpress_emulator.RunningEmulator | None = None
        self.pushpress_base_url = ""
        self.base_url = ""

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalStack:
        config = self.config
        moto_port = config.moto_port or free_port(config.host)
        # moto's server logs every request through werkzeug at INFO.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto = ThreadedMotoServer(ip_address=config.host, port=moto_port, verbose=False)
        self._moto.start()
        self.aws_endpoint = f"http://{config.host}:{moto_port}"
        os.environ.update(FAKE_CREDENTIALS)
        os.environ["AWS_ENDPOINT_URL"] = self.aws_endpoint

        if config.kisi_base_url:
            self.kisi_base_url = config.kisi_base_url
        else:
            emulator = KisiEmulator(rate_limit=config.kisi_rate_limit)
            emulator.seed_demo()
            self.kisi = start_emulator(config.host, config.kisi_port, emulator=emulator)
            self.kisi_base_url = self.kisi.base_url
        if config.pushpress_base_url:
            self.pushpress_base_url = config.pushpress_base_url
        else:
            directory = pushpress_emulator.PushPressEmulator()
            directory.seed_demo()
            self.pushpress = pushpress_emulator.start_emulator(
                config.host, config.pushpress_port, emulator=directory
            )
            self.pushpress_base_url = self.pushpress.api_url

        self.resources = create_stack_resources(boto3.client("dynamodb"), boto3.client("sqs"))
        self.issuer = LocalIssuer(config.state_dir / "jwt-private-key.pem")
        self.model = StackModel(self.resources, self._parameters())
        base_environment = {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_DEV": "false",
        }
        self.functions = FunctionsHost(self.model, base_environment)
        self.front_door = FrontDoor(
            self.model,
            self.functions,
            self.issuer,
            {
                "health": self._health,
                "schedules": self._run_schedule_endpoint,
                "tokens": self._mint_token_endpoint,
                "queues": self._queues_endpoint,
            },
            # The console's config.json, which scripts/deploy-console writes for a deployment.
            static_sites=[
                site.with_generated({"config.json": self._console_config})
                for site in self.model.static_sites()
            ],
        )
        self._server = serve(self.front_door, config.host, config.port)
        self.port = self._server.server_address[1]
        self.base_url = f"http://{config.host}:{self.port}"
        for source in self.model.sqs_event_sources():
            poller = SqsEventSourcePoller(
                boto3.client("sqs"),
                self.resources.queue_urls[source.queue],
                self.resources.queue_arns[source.queue],
                self.functions.handler_for(source.function),
                batch_size=source.batch_size,
                function_name=source.function,
                function_timeout_seconds=self.model.function_timeout(source.function),
            )
            self._spawn(f"poller-{source.function}", self._poll_forever, poller)
        if config.run_schedules:
            for schedule in self.model.schedules():
                self._spawn(f"schedule-{schedule.name}", self._schedule_forever, schedule)
        return self

    def stop(self) -> None:
        self._stop.set()
        if hasattr(self, "_server"):
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.kisi is not None:
            self.kisi.stop()
        if self.pushpress is not None:
            self.pushpress.stop()
        if hasattr(self, "_moto"):
            self._moto.stop()
        os.environ.pop("AWS_ENDPOINT_URL", None)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- helpers for the demo and tests ------------------------------------------------------

    def call_in_functions_environment(self, function: str, work: Any) -> Any:
        """Run `work()` with a function's environment (e.g. to seed a tenant as the admin would)."""
        return self.functions.invoke_callable(function, work)

    def run_schedule(self, name: str, payload: dict[str, Any] | None = None) -> Any:
        schedule = next(s for s in self.model.schedules() if s.name == name)
        return self.functions.invoke(schedule.function, {**schedule.input, **(payload or {})})

    def queue_depths(self) -> dict[str, int]:
        sqs = boto3.client("sqs")
        depths = {}
        for logical_id, url in self.resources.queue_urls.items():
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            depths[logical_id] = int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
        return depths

    # ---- background work ---------------------------------------------------------------------

    def _parameters(self) -> dict[str, str]:
        defaults = {
            name: str(spec.get("Default", ""))
            for name, spec in load_template().get("Parameters", {}).items()
        }
        return {
            **defaults,
            "Stage": "dev",
            "JwtIssuer": self.issuer.issuer,
            "JwtAudience": LOCAL_AUDIENCE,
            "KisiBaseUrl": self.kisi_base_url,
            "PushPressBaseUrl": self.pushpress_base_url,
            **self.config.parameters,
        }

    def _spawn(self, name: str, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _poll_forever(self, poller: SqsEventSourcePoller) -> None:
        while not self._stop.is_set():
            try:
                poller.poll_once(wait_seconds=self.config.poll_wait_seconds)
            except Exception:
                logger.exception("SQS poller failed; retrying")
                self._stop.wait(1)

    def _schedule_forever(self, schedule: Schedule) -> None:
        while not self._stop.is_set():
            now = datetime.now(UTC)
            fire_at = next_fire(schedule.expression, now)
            if self._stop.wait((fire_at - now).total_seconds()):
                return
            try:
                self.functions.invoke(schedule.function, dict(schedule.input))
            except Exception:
                logger.exception("schedule %s failed", schedule.name)

    # ---- local-only endpoints ----------------------------------------------------------------

    def _health(self, _rest: str, _payload: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            "status": "ok",
            "kisi_base_url": self.kisi_base_url,
            "pushpress_base_url": self.pushpress_base_url,
        }

    def _run_schedule_endpoint(self, rest: str, payload: dict[str, Any]) -> tuple[int, Any]:
        names = {s.name for s in self.model.schedules()}
        if rest not in names:
            return 404, {"error": "unknown_schedule", "schedules": sorted(names)}
        return 200, self.run_schedule(rest, payload)

    def _mint_token_endpoint(self, _rest: str, payload: dict[str, Any]) -> tuple[int, Any]:
        subject, tenant = payload.get("sub"), payload.get("tenant_id")
        if not subject or not tenant:
            return 422, {"error": "invalid_request", "message": "sub and tenant_id are required"}
        roles = payload.get("roles") or []
        return 200, {"token": self.issuer.mint(str(subject), str(tenant), roles=roles)}

    def _queues_endpoint(self, _rest: str, _payload: dict[str, Any]) -> tuple[int, Any]:
        return 200, self.queue_depths()

    def _console_config(self) -> bytes:
        """What the admin console reads at start: where partner webhooks go, and the local
        token endpoint its sign-in screen offers ("mint a local admin token")."""
        return json.dumps(
            {
                "webhookBaseUrl": f"{self.base_url}/",
                "localTokens": "/_local/tokens",
                "stage": "local",
            }
        ).encode()


def wait_until_idle(stack: LocalStack, timeout_seconds: float = 60.0) -> None:
    """Wait until the command queue is empty (the poller has run everything)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if stack.queue_depths().get("CommandQueue", 0) == 0:
            return
        time.sleep(0.2)
    raise TimeoutError("the command queue did not drain")
