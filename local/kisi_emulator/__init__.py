"""A stateful Kisi API emulator: Kisi's wire format, rate limit and error codes over real HTTP,
with fault injection and a control API, for tests, benchmarks and the local runtime.

    emulator = KisiEmulator(rate_limit=False)          # clock=ManualClock() in tests
    emulator.seed_demo()
    with start_emulator(emulator=emulator) as running:  # loopback, a free port
        httpx.get(running.base_url + "/user", headers=kisi_headers(DEMO_API_KEY))  # .testing

Status codes (Kisi's documentation leaves these open, see docs/kisi-api.md; README.md says the
same):

- Missing or unknown key: 401 `{"code": "000401", ...}`. Rate limit: 429 `{"code": "000429",
  ...}` with `Retry-After: 1`, 5 requests per 1 s sliding window per key owner (per client
  address without a valid key). An unknown endpoint is 404 `000404` even without a key.
- Malformed JSON, bad `limit`/`offset`/filters, `offset` > 20000: 400 `000400`.
- Body not wrapped in the resource name, invalid fields: 422 `{"errors": {field: [msg]}}`;
  deleting a user who holds API keys: 422 `{"errors": {"base": [...]}}`.
- Unknown record, or one of another organisation: 404 `000404`; an unknown user or group in
  POST /role_assignments is also 404 (not 422). Duplicate email or assignment: 409 `000409`.
- Unlock: unknown lock 404 `fad10e`; locked down 409 `fad001`; wireless lock offline 503
  `fad107`; lock not configured 503 `fac001`; a code forced on a lock through the control API
  answers with its own status: `fac001`-`fac004` and `ffffff` 503, the access-denied family
  (`fcd8ef`, `afc496`, `fcd8ff`, `34ffaa`, `f35ade`, `f358de`) 403. The key owner with
  `access_enabled: false` gets 403 `fcd8ff`.
- Injected faults: 5xx with code `000<status>` (503 `000503` by default), 429 storm as the rate
  limit, a dropped request under a timeout fault answers 504 `000504` once the hold ends.
"""

from emulator_kit.clock import Clock, ManualClock, SystemClock
from emulator_kit.wire import EmulatorRequest, EmulatorResponse
from kisi_emulator.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_API_KEY,
    DEMO_GROUP_NAME,
    DEMO_ORGANIZATION_NAME,
    load_demo_seed,
)
from kisi_emulator.emulator import KisiEmulator
from kisi_emulator.faults import FaultKind, FaultSpec
from kisi_emulator.seed import SeedDocument
from kisi_emulator.server import RunningEmulator, start_emulator
from kisi_emulator.wire import KisiError, KisiValidationError

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_API_KEY",
    "DEMO_GROUP_NAME",
    "DEMO_ORGANIZATION_NAME",
    "Clock",
    "EmulatorRequest",
    "EmulatorResponse",
    "FaultKind",
    "FaultSpec",
    "KisiEmulator",
    "KisiError",
    "KisiValidationError",
    "ManualClock",
    "RunningEmulator",
    "SeedDocument",
    "SystemClock",
    "load_demo_seed",
    "start_emulator",
]
