"""The emulator over real HTTP: the emulator kit's `ThreadingHTTPServer` on loopback, in a
background thread, answering as `KisiEmulator/1.0`."""

from emulator_kit import server
from emulator_kit.wire import EmulatorResponse
from kisi_emulator.emulator import KisiEmulator
from kisi_emulator.wire import bad_request

SHUTDOWN_POLL_SECONDS = server.SHUTDOWN_POLL_SECONDS


class EmulatorRequestHandler(server.EmulatorRequestHandler):
    server_version = "KisiEmulator/1.0"

    def bad_length_response(self) -> EmulatorResponse:
        return bad_request("Content-Length must be an integer.").to_response()


class RunningEmulator(server.RunningEmulator[KisiEmulator]):
    """A served emulator; a context manager that stops the server on exit (requests held by
    faults are let go first)."""


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    emulator: KisiEmulator | None = None,
    log_requests: bool = False,
) -> RunningEmulator:
    """Serve `emulator` (a new, rate-limited one by default) on host:port (0: a free port)."""
    return RunningEmulator(
        emulator or KisiEmulator(),
        EmulatorRequestHandler,
        host=host,
        port=port,
        log_requests=log_requests,
        name="kisi-emulator",
    )
