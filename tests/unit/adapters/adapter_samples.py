"""The sample webhook bodies under events/webhooks/, and the helpers the adapter tests share."""

import json
from pathlib import Path
from typing import Any

import pytest

from access_core.ingest.platforms import FieldError, PayloadInvalid, PlatformAdapter, get_adapter
from access_core.ingest.platforms.base import Translation

SAMPLES_ROOT = Path(__file__).resolve().parents[3] / "events" / "webhooks"
PLATFORMS = ("canonical", "pushpress", "playbypoint")


def load(platform: str, name: str) -> Any:
    """A sample body as parsed JSON (tests change it before translating it)."""
    return json.loads((SAMPLES_ROOT / platform / name).read_text())


def sample_names(platform: str) -> set[str]:
    return {path.name for path in (SAMPLES_ROOT / platform).glob("*.json")}


def valid_samples() -> list[tuple[str, str]]:
    """(platform, file name) of every sample that is not an `invalid_*` example."""
    return [
        (platform, name)
        for platform in PLATFORMS
        for name in sorted(sample_names(platform))
        if not name.startswith("invalid_")
    ]


class Samples:
    """One platform's registered adapter and samples, as its adapter tests use them.

    `derived_ids`: the platform's events take the id derived for the delivery (the canonical
    envelope brings its own)."""

    def __init__(self, platform: str, *, derived_ids: bool = True) -> None:
        adapter = get_adapter(platform)
        assert adapter is not None
        self.platform = platform
        self.adapter: PlatformAdapter = adapter
        self.derived_ids = derived_ids

    def only_event[E](self, translation: Translation, kind: type[E]) -> E:
        """The translation's one event, a `kind`."""
        assert translation.ignored_reason is None
        assert len(translation.events) == 1
        event = translation.events[0]
        if self.derived_ids:
            assert event.event_id == translation.source_event_id
        assert isinstance(event, kind)
        return event

    def translate_sample(self, name: str) -> Translation:
        return self.adapter.translate(load(self.platform, name))

    def errors_of(self, payload: object) -> list[FieldError]:
        with pytest.raises(PayloadInvalid) as caught:
            self.adapter.translate(payload)
        return caught.value.errors

    def fields_of(self, payload: object) -> list[str]:
        return [error.field for error in self.errors_of(payload)]
