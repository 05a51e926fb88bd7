"""Kisi's limit/offset pagination: ``X-Collection-Range`` and where the next page starts."""

import re
from dataclasses import dataclass

# Kisi rejects offsets above this, so with a page of `limit` items at most
# MAX_OFFSET + limit items of one listing are readable.
MAX_OFFSET = 20_000

# Kisi's maximum `limit` per resource; the client always asks for the maximum.
USERS_PAGE_LIMIT = 100
LOCKS_PAGE_LIMIT = 250
GROUPS_PAGE_LIMIT = 250
ROLE_ASSIGNMENTS_PAGE_LIMIT = 250

_COLLECTION_RANGE = re.compile(r"(?:(?P<start>\d{1,12})-(?P<end>\d{1,12})|\*)/(?P<total>\d{1,12})")


@dataclass(frozen=True, slots=True)
class CollectionRange:
    """``<start>-<end>/<total>``, or ``*/<total>`` (start and end None) when the page is empty."""

    start: int | None
    end: int | None
    total: int

    def __str__(self) -> str:
        if self.start is None or self.end is None:
            return f"*/{self.total}"
        return f"{self.start}-{self.end}/{self.total}"


def parse_collection_range(header: str | None) -> CollectionRange | None:
    """Parse ``X-Collection-Range``; None when it is missing or does not make sense."""
    if header is None:
        return None
    match = _COLLECTION_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    total = int(match["total"])
    if match["start"] is None:
        return CollectionRange(start=None, end=None, total=total)
    start, end = int(match["start"]), int(match["end"])
    if not start <= end < total:
        return None
    return CollectionRange(start=start, end=end, total=total)


def next_page_offset(
    *, offset: int, limit: int, received: int, collection_range: CollectionRange | None
) -> int | None:
    """Offset of the page after one that started at ``offset`` and held ``received`` items.

    None when that page was the last. With a sensible header, its total decides; without one, a
    page shorter than ``limit`` ends the listing. An empty page always ends it, so a server
    whose header overstates the total cannot make the client loop.
    """
    if received == 0:
        return None
    following = offset + received
    if collection_range is not None:
        return following if following < collection_range.total else None
    return following if received >= limit else None


def readable_total(limit: int) -> int:
    """How many items of a listing paged by ``limit`` Kisi's offset cap lets a client read."""
    return MAX_OFFSET + limit
