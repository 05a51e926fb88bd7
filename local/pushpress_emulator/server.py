"""The emulator over real HTTP: a ``ThreadingHTTPServer`` on loopback, in a background thread."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from pushpress_emulator.emulator import PushPressEmulator
from pushpress_emulator.routes import CONTROL_PREFIX
from pushpress_emulator.wire import API_PREFIX, EmulatorRequest, EmulatorResponse, bad_request

SHUTDOWN_POLL_SECONDS = 0.02
"""How often the serving thread looks for a stop request (the stop latency of each test)."""


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], emulator: PushPressEmulator, log_requests: bool
    ) -> None:
        self.emulator = emulator
        self.log_requests = log_requests
        super().__init__(address, EmulatorRequestHandler)


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    server: EmulatorHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as a pooled client expects
    server_version = "PushPressEmulator/1.0"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(bad_request("Content-Length must be an integer").to_response())
            self.close_connection = True
            return
        body = self.rfile.read(length) if length > 0 else b""
        request = EmulatorRequest.from_target(
            self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
        )
        self._send(self.server.emulator.handle(request))

    def _send(self, response: EmulatorResponse) -> None:
        payload = response.body_bytes()
        try:
            self.send_response(response.status)
            for name, value in response.all_headers().items():
                self.send_header(name, value)
            if response.status != 204:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout fault held the answer past its timeout).
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            super().log_message(format, *args)


class RunningEmulator:
    """A served emulator; a context manager that stops the server on exit.

    ``api_url`` is what a client takes as its base URL (``http://127.0.0.1:<port>/v3``, as
    ``https://api.pushpress.com/v3``); ``control_url`` is the control API.
    """

    def __init__(self, server: EmulatorHTTPServer, host: str) -> None:
        self.emulator = server.emulator
        self._server = server
        self.host = host
        self.port = server.server_port
        self.base_url = f"http://{self.host}:{self.port}"
        self.api_url = self.base_url + API_PREFIX
        self.control_url = self.base_url + CONTROL_PREFIX
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name=f"pushpress-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._stopped = False

    def stop(self) -> None:
        """Stop serving (idempotent); requests held by faults are let go first."""
        if self._stopped:
            return
        self._stopped = True
        self.emulator.release_waiting_requests()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.emulator.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    emulator: PushPressEmulator | None = None,
    log_requests: bool = False,
) -> RunningEmulator:
    """Serve ``emulator`` (a new, rate-limited one by default) on host:port (0: a free port)."""
    server = EmulatorHTTPServer((host, port), emulator or PushPressEmulator(), log_requests)
    return RunningEmulator(server, host)
