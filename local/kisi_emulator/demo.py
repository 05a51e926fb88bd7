"""The demo organisation of the CLI and the local runtime, kept in `demo_seed.json`.

"Demo Tennis & Fitness Club": one admin with a known API key, two places, five locks (Locker
Rooms offline, Court Gate South locked down), the groups "24h Members" and "Staff", and three
users already in Kisi: Front Desk (unmanaged staff, in no platform), Jordan Lee (already in
"24h Members", to be adopted) and Casey Morgan (mixed-case email).
"""

import json
from importlib import resources
from typing import Any

DEMO_SEED_FILE = "demo_seed.json"


def load_demo_seed() -> dict[str, Any]:
    """A fresh copy of the demo seed document."""
    text = resources.files("kisi_emulator").joinpath(DEMO_SEED_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


_DEMO = load_demo_seed()
_DEMO_ORGANIZATION = _DEMO["organizations"][0]

DEMO_ORGANIZATION_NAME: str = _DEMO_ORGANIZATION["name"]
DEMO_API_KEY: str = _DEMO_ORGANIZATION["api_keys"][0]["key"]
DEMO_ADMIN_EMAIL: str = _DEMO["admins"][0]["email"]
DEMO_GROUP_NAME: str = _DEMO_ORGANIZATION["groups"][0]["name"]
