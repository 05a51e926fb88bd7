"""Client-side pacing under PushPress's rate limit, which PushPress does not publish.

PushPress documents that it answers 429 when it throttles (the SDK's ``RateLimited`` error) but
states no number (see docs/pushpress-api.md). This client therefore paces each API key at a
conservative ``DEFAULT_REQUESTS_PER_SECOND`` of our own choosing, honours ``Retry-After`` on
429s, and lets the caller change the rate once PushPress confirms a figure.

The pacing itself is the HTTP client kit's generic cell rate algorithm (``Pacer``, and a
``PacerRegistry`` that hands every client of one identity the same pacer), the Kisi client's
too. PushPress clients keep a registry of their own.
"""

from http_client_kit import pacing as kit_pacing
from http_client_kit.pacing import api_key_digest

# Our choice, not PushPress's: PushPress publishes no limit. 2 requests/s (120/min) is below the
# published limits of comparable club-management APIs, and a daily sync listing 100 records a
# page reads 12,000 records a minute at that pace.
DEFAULT_REQUESTS_PER_SECOND = 2.0


class PacerRegistry(kit_pacing.PacerRegistry):
    """One pacer per API key; the first request for a key fixes its rate and burst (by default
    ``DEFAULT_REQUESTS_PER_SECOND``)."""

    default_requests_per_second = DEFAULT_REQUESTS_PER_SECOND


SHARED_PACERS = PacerRegistry()


def pacer_key_for_api_key(api_key: str) -> str:
    """The pacer key of an API key: a truncated SHA-256, stable and useless to recover the key.

    PushPress does not say what its limit is counted per; the API key is the narrowest identity
    every request carries (a multi-company key shares one budget across its companies).
    """
    return f"pushpress-api-key-sha256:{api_key_digest(api_key)}"
