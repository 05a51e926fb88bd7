"""A stateful PushPress Platform API v3 emulator over real HTTP, with fault injection, a
control API and webhook deliveries signed the way PushPress signs them.

    emulator = PushPressEmulator(rate_limit=False)       # clock=ManualClock() in tests
    ids = emulator.seed_demo()
    with start_emulator(emulator=emulator) as running:   # loopback, a free port
        httpx.get(running.api_url + "/customers", headers=pushpress_headers(DEMO_API_KEY))

Choices where PushPress publishes nothing (README.md says the same): error bodies are
``{"message": ...}``; missing or unknown ``API-KEY`` 401; a key of several companies without
``company-id`` 400, with a company it does not serve 403; unknown record 404; bad ``page``,
``limit`` or filter values 400; ``limit`` above 100 is clamped to 100; rate limit 5 requests/s
per API key (429, ``Retry-After: 1``).
"""

from emulator_kit.clock import Clock, ManualClock, SystemClock
from emulator_kit.wire import EmulatorRequest, EmulatorResponse
from pushpress_emulator.deliveries import BodyFormat, DeliveryStatus
from pushpress_emulator.demo import DEMO_API_KEY, DEMO_COMPANY_NAME, demo_seed
from pushpress_emulator.emulator import PushPressEmulator
from pushpress_emulator.faults import FaultKind, FaultSpec
from pushpress_emulator.seed import SeedDocument
from pushpress_emulator.server import RunningEmulator, start_emulator

__all__ = [
    "DEMO_API_KEY",
    "DEMO_COMPANY_NAME",
    "BodyFormat",
    "Clock",
    "DeliveryStatus",
    "EmulatorRequest",
    "EmulatorResponse",
    "FaultKind",
    "FaultSpec",
    "ManualClock",
    "PushPressEmulator",
    "RunningEmulator",
    "SeedDocument",
    "SystemClock",
    "demo_seed",
    "start_emulator",
]
