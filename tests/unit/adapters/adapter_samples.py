"""The sample webhook bodies under events/webhooks/, shared by the adapter tests."""

import json
from pathlib import Path

SAMPLES_ROOT = Path(__file__).resolve().parents[3] / "events" / "webhooks"
PLATFORMS = ("canonical", "pushpress", "playbypoint")


def load(platform: str, name: str) -> object:
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
