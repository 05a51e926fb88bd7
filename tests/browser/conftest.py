"""Browser tests of the admin console: Playwright (Python) driving the system Chromium against a
local stack (`python -m local_runtime run`, what `make run` starts) over real HTTP.

Playwright cannot download its own browser here: `scripts/ensure-chromium` finds Debian's
Chromium (/usr/bin/chromium) or installs it with apt-get (CI runs as root). When no Chromium can
be had, these tests fail; they are skipped only when SKIP_BROWSER_TESTS=1 asks for it.
UPDATE_SCREENSHOTS=1 writes the screenshots the test takes to docs/console/ (otherwise to a
temporary folder).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.local_stack_process import running_local_stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENSURE_CHROMIUM = PROJECT_ROOT / "scripts" / "ensure-chromium"
SCREENSHOTS = PROJECT_ROOT / "docs" / "console"
# The flags this machine's closed network needs (docs: README, "Browser tests").
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ConsoleStack:
    """The local stack in a subprocess: its front door serves the API and the console."""

    def __init__(self, base_url: str, process: subprocess.Popen[str], log_path: Path) -> None:
        self.base_url = base_url
        self.console_url = f"{base_url}/console/"
        self.process = process
        self.log_path = log_path
        self.http = httpx.Client(base_url=base_url, timeout=30)
        kisi_base_url = self.http.get("/_local/health").json()["kisi_base_url"]
        self.kisi = httpx.Client(base_url=kisi_base_url, timeout=30)

    def wait_until_idle(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.http.get("/_local/queues").json().get("CommandQueue", 0) == 0:
                return
            time.sleep(0.2)
        raise TimeoutError("the command queue did not drain")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if os.environ.get("SKIP_BROWSER_TESTS") == "1":
        pytest.skip("SKIP_BROWSER_TESTS=1: browser tests skipped on request")
    found = subprocess.run(
        [str(ENSURE_CHROMIUM)], capture_output=True, text=True, timeout=900, check=False
    )
    if found.returncode != 0:
        pytest.fail(
            "No Chromium for the browser tests (scripts/ensure-chromium):\n"
            + found.stderr[-2000:]
            + "\nInstall Chromium, set CHROMIUM=/path/to/chromium, or set SKIP_BROWSER_TESTS=1."
        )
    return found.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def console_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    log_path = tmp_path_factory.mktemp("console-stack") / "stack.log"
    with running_local_stack(log_path) as (base_url, process):
        yield ConsoleStack(base_url, process, log_path)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_executable: str) -> Iterator[Browser]:
    # A new, empty profile for every launch (Playwright's default).
    launched = playwright.chromium.launch(
        executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser, console_stack: ConsoleStack) -> Iterator[BrowserContext]:
    opened = browser.new_context(
        base_url=console_stack.base_url,
        viewport={"width": 1280, "height": 860},
        permissions=["clipboard-read", "clipboard-write"],
    )
    opened.set_default_timeout(15_000)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


class Screenshots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    def take(self, page: Page, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        self.taken.append(path)


@pytest.fixture
def screenshots(tmp_path: Path) -> Screenshots:
    update = os.environ.get("UPDATE_SCREENSHOTS") == "1"
    return Screenshots(SCREENSHOTS if update else tmp_path / "screenshots")
