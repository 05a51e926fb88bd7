"""PushPress's page/limit pagination.

List endpoints take ``page`` (1-based) and ``limit`` and answer
``{"data": {"resultArray": [...]}}`` with no total. PushPress's SDK stops at the first page
that is empty or shorter than ``limit``. PushPress publishes no maximum ``limit``: if it served
fewer items than asked (a server-side cap), a short page would not mean the end, and stopping
there would silently drop the rest of the listing. This client therefore reads until an empty
page (one request more per listing than the SDK), and stops with ``PushPressInvalidResponse``
when a page repeats ids already seen, so a server that ignores ``page`` cannot make it loop.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pushpress_client.errors import PushPressInvalidResponse

FIRST_PAGE = 1
# The SDK's iterator assumes 10 when no limit is given (PushPress's default page size).
PUSHPRESS_DEFAULT_LIMIT = 10
# What this client asks for; PushPress publishes no maximum (see the module docstring).
DEFAULT_PAGE_SIZE = 100
# A bound on one listing: 100,000 pages of 100 is far beyond any club.
MAX_PAGES = 100_000


@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a listing and the page number to ask for next (None after the last)."""

    items: list[T]
    page: int
    limit: int
    next_page: int | None


def next_page_number(page: int, received: int) -> int | None:
    """The page after ``page``, or None when ``page`` was empty (the end of the listing)."""
    return page + 1 if received > 0 else None


def iterate_pages[T](
    fetch: Callable[[int], Page[T]],
    identity: Callable[[T], str],
    *,
    endpoint: str,
    first_page: int = FIRST_PAGE,
    max_pages: int = MAX_PAGES,
) -> Iterator[T]:
    """Every item of a listing, fetching page after page with ``fetch(page_number)``.

    Items whose ``identity`` was already yielded are skipped (a record that moved between pages
    while the listing was read); a page with nothing new ends the listing with an error.
    """
    seen: set[str] = set()
    page_number: int | None = first_page
    pages_read = 0
    while page_number is not None:
        if pages_read >= max_pages:
            raise PushPressInvalidResponse(
                f"PushPress listing did not end within {max_pages} pages", endpoint=endpoint
            )
        page = fetch(page_number)
        pages_read += 1
        fresh = [item for item in page.items if identity(item) not in seen]
        if page.items and not fresh:
            raise PushPressInvalidResponse(
                f"PushPress page {page_number} repeats only items already listed: "
                "the listing does not advance",
                endpoint=endpoint,
            )
        for item in fresh:
            seen.add(identity(item))
            yield item
        page_number = page.next_page
