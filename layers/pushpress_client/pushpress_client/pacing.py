"""Client-side pacing under PushPress's rate limit, which PushPress does not publish.

PushPress documents that it answers 429 when it throttles (the SDK's ``RateLimited`` error) but
states no number (see docs/pushpress-api.md). This client therefore paces each API key at a
conservative ``DEFAULT_REQUESTS_PER_SECOND`` of our own choosing, honours ``Retry-After`` on
429s, and lets the caller change the rate once PushPress confirms a figure.

The pacing itself is the Kisi client's generic cell rate algorithm (``Pacer``, and a
``PacerRegistry`` that hands every client of one identity the same pacer): one implementation
for both clients. A function that uses this layer therefore also has the kisi_client layer,
which every function of the stack has. PushPress clients keep a registry of their own.
"""

import hashlib

from kisi_client.pacing import Clock, Pacer, PacerRegistry, Sleep

__all__ = [
    "DEFAULT_REQUESTS_PER_SECOND",
    "SHARED_PACERS",
    "Clock",
    "Pacer",
    "PacerRegistry",
    "Sleep",
    "pacer_key_for_api_key",
]

# Our choice, not PushPress's: PushPress publishes no limit. 2 requests/s (120/min) is below the
# published limits of comparable club-management APIs, and a daily sync listing 100 records a
# page reads 12,000 records a minute at that pace.
DEFAULT_REQUESTS_PER_SECOND = 2.0

SHARED_PACERS = PacerRegistry()


def pacer_key_for_api_key(api_key: str) -> str:
    """The pacer key of an API key: a truncated SHA-256, stable and useless to recover the key.

    PushPress does not say what its limit is counted per; the API key is the narrowest identity
    every request carries (a multi-company key shares one budget across its companies).
    """
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return f"pushpress-api-key-sha256:{digest}"
