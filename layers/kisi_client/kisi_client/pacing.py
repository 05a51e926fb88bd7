"""Client-side pacing under Kisi's limit of 5 requests per second per Kisi user.

The HTTP client kit's ``Pacer`` spaces the requests of one Kisi identity; a ``PacerRegistry``
hands every client of the same identity the same pacer, so two clients in one process never add
up to more than the identity's budget. Pacing is per process: across processes, the SQS FIFO
message group (one per Kisi identity) keeps requests serial.
"""

from http_client_kit import pacing as kit_pacing
from http_client_kit.pacing import api_key_digest

KISI_REQUESTS_PER_SECOND = 5.0
# Below Kisi's limit: leaves headroom for synchronous unlocks and for network jitter that can
# bunch requests together on the way to Kisi.
DEFAULT_REQUESTS_PER_SECOND = 4.0


class PacerRegistry(kit_pacing.PacerRegistry):
    """One pacer per identity key; the first request for a key fixes its rate and burst (by
    default ``DEFAULT_REQUESTS_PER_SECOND``)."""

    default_requests_per_second = DEFAULT_REQUESTS_PER_SECOND


SHARED_PACERS = PacerRegistry()


def pacer_key_for_api_key(api_key: str) -> str:
    """A key for a pacer when the Kisi user behind ``api_key`` is not known yet.

    A truncated SHA-256 of the key: stable, and useless to recover the key from.
    """
    return f"api-key-sha256:{api_key_digest(api_key)}"
