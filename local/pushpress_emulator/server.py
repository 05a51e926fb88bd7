"""The emulator over real HTTP: the emulator kit's ``ThreadingHTTPServer`` on loopback, in a
background thread, answering as ``PushPressEmulator/1.0``."""

from emulator_kit import server
from emulator_kit.wire import EmulatorResponse
from pushpress_emulator.emulator import PushPressEmulator
from pushpress_emulator.wire import API_PREFIX, bad_request

SHUTDOWN_POLL_SECONDS = server.SHUTDOWN_POLL_SECONDS


class EmulatorRequestHandler(server.EmulatorRequestHandler):
    server_version = "PushPressEmulator/1.0"

    def bad_length_response(self) -> EmulatorResponse:
        return bad_request("Content-Length must be an integer").to_response()


class RunningEmulator(server.RunningEmulator[PushPressEmulator]):
    """A served emulator; a context manager that stops the server on exit (requests held by
    faults are let go first, then the emulator's delivery connections closed).

    ``api_url`` is what a client takes as its base URL (``http://127.0.0.1:<port>/v3``, as
    ``https://api.pushpress.com/v3``); ``control_url`` is the control API.
    """

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    emulator: PushPressEmulator | None = None,
    log_requests: bool = False,
) -> RunningEmulator:
    """Serve ``emulator`` (a new, rate-limited one by default) on host:port (0: a free port)."""
    return RunningEmulator(
        emulator or PushPressEmulator(),
        EmulatorRequestHandler,
        host=host,
        port=port,
        log_requests=log_requests,
        name="pushpress-emulator",
    )
