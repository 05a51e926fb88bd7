"""The emulator over real HTTP: a `ThreadingHTTPServer` on loopback, in a background thread."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from emulator_kit.emulator import ApiEmulator
from emulator_kit.routes import CONTROL_PREFIX
from emulator_kit.wire import EmulatorRequest, EmulatorResponse

SHUTDOWN_POLL_SECONDS = 0.02
"""How often a serving thread looks for a stop request (the stop latency of each test)."""


class StopsOnExit:
    """A context manager whose exit calls `stop()`."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class BackgroundServer:
    """`server` serving in a daemon thread (`<name>-<port>`) until `stop` (idempotent)."""

    def __init__(self, server: ThreadingHTTPServer, name: str) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name=f"{name}-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        self._stopped = False

    @property
    def port(self) -> int:
        return self._server.server_port

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        emulator: ApiEmulator[Any, Any],
        handler: type["EmulatorRequestHandler"],
        log_requests: bool,
    ) -> None:
        self.emulator = emulator
        self.log_requests = log_requests
        super().__init__(address, handler)


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Hands every request to the emulator; an emulator names itself (`server_version`) and
    its answer to a `Content-Length` that is not a number."""

    server: EmulatorHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as a pooled client expects
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def bad_length_response(self) -> EmulatorResponse:
        """The emulator's 400 for a `Content-Length` that is not an integer."""
        raise NotImplementedError

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(self.bad_length_response())
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


class RunningEmulator[E: ApiEmulator[Any, Any]](StopsOnExit):
    """A served emulator; a context manager that stops the server on exit.

    `base_url` is the server's root, `control_url` the control API's.
    """

    def __init__(
        self,
        emulator: E,
        handler: type[EmulatorRequestHandler],
        *,
        host: str,
        port: int,
        log_requests: bool,
        name: str,
    ) -> None:
        self.emulator = emulator
        self.host = host
        self._server = BackgroundServer(
            EmulatorHTTPServer((host, port), emulator, handler, log_requests), name
        )
        self.port = self._server.port
        self.base_url = f"http://{self.host}:{self.port}"
        self.control_url = self.base_url + CONTROL_PREFIX
        self._stopped = False

    def stop(self) -> None:
        """Stop serving (idempotent); requests held by faults are let go first."""
        if self._stopped:
            return
        self._stopped = True
        self.emulator.release_waiting_requests()
        self._server.stop()
        self.emulator.close()
