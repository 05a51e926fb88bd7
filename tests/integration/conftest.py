"""Integration fixtures: AWS on moto in-process, the Kisi emulator on loopback."""

import logging
from collections.abc import Iterator

import pytest
from moto import mock_aws

from kisi_emulator.server import RunningEmulator
from kisi_emulator.testing import running_emulator

FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


class LogCapture(logging.Handler):
    """Collects every record of every logger (Powertools' loggers do not propagate to root)."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_RECORD_FIELDS}
        self.lines.append(f"{record.getMessage()} {extras!r} {record.exc_text or ''}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


_STANDARD_RECORD_FIELDS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


@pytest.fixture
def all_logs() -> Iterator[LogCapture]:
    """Every log line the stack emits at the levels it runs with (no level is lowered here)."""
    capture = LogCapture()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        logger.addHandler(capture)
    yield capture
    for logger in loggers:
        logger.removeHandler(capture)


@pytest.fixture
def kisi() -> Iterator[RunningEmulator]:
    """The Kisi emulator on loopback, without its rate limit."""
    with running_emulator() as running:
        yield running
