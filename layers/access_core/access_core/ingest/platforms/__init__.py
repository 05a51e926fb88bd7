"""Webhook platform adapters: each platform's payload translated at the edge into canonical events.

    adapter = get_adapter("pushpress")        # None: unknown platform
    translation = adapter.translate(body)      # PayloadInvalid -> 422 naming the fields
    translation.ignored_reason                 # set -> 202 accepted and ignored, nothing written
    translation.events                         # the canonical events to apply, in order

docs/webhooks.md documents the formats and the mapping tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from access_core.ingest.platforms.base import (
    FieldError,
    PayloadInvalid,
    PlatformAdapter,
    Translation,
)
from access_core.ingest.platforms.canonical import CanonicalAdapter
from access_core.ingest.platforms.playbypoint import PlaybypointAdapter
from access_core.ingest.platforms.pushpress import PushPressAdapter

__all__ = [
    "ADAPTERS",
    "FieldError",
    "PayloadInvalid",
    "PlatformAdapter",
    "Translation",
    "get_adapter",
]

ADAPTERS: Mapping[str, PlatformAdapter] = MappingProxyType(
    {
        adapter.name: adapter
        for adapter in (CanonicalAdapter(), PushPressAdapter(), PlaybypointAdapter())
    }
)


def get_adapter(platform: str) -> PlatformAdapter | None:
    return ADAPTERS.get(platform)
