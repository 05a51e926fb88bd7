"""The demo tenant `make run` creates, and the cheat sheet it prints."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kisi_client import KisiClient
from kisi_emulator import DEMO_API_KEY, DEMO_GROUP_NAME
from local_runtime.local_stack import LocalStack
from local_runtime.tenants import register_tenant
from pushpress_emulator import DEMO_API_KEY as PUSHPRESS_DEMO_API_KEY

DEMO_TENANT_ID = "demo-club"
DEMO_PLAYER_ID = "player-1"
DEMO_ADMIN_ID = "admin-1"
# The resolvers' operations, generated from the code (a test keeps it current): a template route
# `ANY /v1/admin/{proxy+}` is listed operation by operation from it.
OPENAPI_DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
EXAMPLE_PATH_VALUES = {
    "platform": "canonical",
    "reservation_id": "res-1",
    "lock_id": "1",
    "member_id": "m-1",
}


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    webhook_secret: str
    kisi_group_id: int | None
    player_token: str
    admin_token: str


def create_demo_tenant(stack: LocalStack) -> DemoTenant:
    """Connects the demo tenant to the emulator's demo organisation (or, with KISI_BASE_URL, to
    the Kisi whose key is in KISI_DEMO_API_KEY, if any)."""
    api_key = DEMO_API_KEY if stack.kisi is not None else os.environ.get("KISI_DEMO_API_KEY")
    group_id = None
    if api_key:
        client = KisiClient(api_key, base_url=stack.kisi_base_url)
        group_id = next(
            (g.id for g in client.iter_groups(query=DEMO_GROUP_NAME) if g.name == DEMO_GROUP_NAME),
            None,
        )

    def register() -> str:
        return register_tenant(
            DEMO_TENANT_ID,
            api_key=api_key,
            kisi_base_url=stack.kisi_base_url,
            kisi_group_id=group_id,
            name="Demo Tennis & Fitness Club",
            door_access_enabled=True,
            pre_reservation_window_minutes=15,
        )

    secret = stack.call_in_functions_environment("WebhookFunction", register)
    return DemoTenant(
        tenant_id=DEMO_TENANT_ID,
        webhook_secret=secret,
        kisi_group_id=group_id,
        player_token=stack.issuer.mint(DEMO_PLAYER_ID, DEMO_TENANT_ID, roles=["player"]),
        admin_token=stack.issuer.mint(DEMO_ADMIN_ID, DEMO_TENANT_ID, roles=["admin"]),
    )


def cheat_sheet(stack: LocalStack, demo: DemoTenant) -> str:
    base = stack.base_url
    lines = [
        "Kisi Access Bridge is running locally (Ctrl-C stops it).",
        "",
        f"  HTTP API (front door)   {base}",
        f"  Admin console           {base}/console/  (sign in: mint a local admin token)",
        f"  Kisi                    {stack.kisi_base_url}"
        + ("  (emulator; control API under /_emulator/)" if stack.kisi else ""),
        f"  PushPress API           {stack.pushpress_base_url}"
        + (
            f"  (emulator, API key {PUSHPRESS_DEMO_API_KEY}; control API under /_emulator/)"
            if stack.pushpress
            else ""
        ),
        f"  AWS (moto server)       {stack.aws_endpoint}",
        "",
        f"Demo tenant: {demo.tenant_id}  (Kisi group {demo.kisi_group_id})",
        f"  webhook signing secret  {demo.webhook_secret}",
        f"  player token ({DEMO_PLAYER_ID})  {demo.player_token}",
        f"  admin token ({DEMO_ADMIN_ID})   {demo.admin_token}",
        "",
        "More tokens:  make token TENANT=<tenant> SUB=<subject> ROLES=admin",
        "Schedules now: curl -X POST "
        + base
        + "/_local/schedules/<name>  "
        + " ".join(s.name for s in stack.model.schedules()),
        "",
        "Routes (from template.yaml; bodies in docs/admin-api.md and docs/unlock-api.md):",
    ]
    example_body = json.dumps(
        {
            "id": "evt-1",
            "type": "membership.upserted",
            "data": {
                "member_id": "m-1",
                "email": "ada@example.com",
                "plan_id": "gold-24h",
                "status": "active",
                "updated_at": "2026-11-23T10:00:00Z",
            },
        }
    )
    for route in stack.model.routes():
        if not route.jwt_required:
            lines.append(f"  {route.method} {route.path}  (signed webhook, see below)")
            continue
        token = "$ADMIN_TOKEN" if "/admin/" in route.path else "$PLAYER_TOKEN"
        for method, path in _operations(route.method, route.path):
            example = _example_path(path, demo.tenant_id)
            lines.append(f'  curl -X {method} {base}{example} -H "Authorization: Bearer {token}"')
    lines += [
        "",
        "A signed webhook (docs/webhooks.md):",
        f"  BODY='{example_body}'",
        "  TS=$(date +%s)",
        '  SIG=$(printf \'%s.%s\' "$TS" "$BODY"'
        f" | openssl dgst -sha256 -hmac '{demo.webhook_secret}' | sed 's/^.* //')",
        f"  curl -X POST {base}/webhooks/canonical/{demo.tenant_id}"
        " -H 'content-type: application/json'"
        ' -H "x-bridge-timestamp: $TS" -H "x-bridge-signature: v1=$SIG" -d "$BODY"',
        "",
        f"  export ADMIN_TOKEN={demo.admin_token}",
        f"  export PLAYER_TOKEN={demo.player_token}",
    ]
    return "\n".join(lines)


def _operations(method: str, path: str) -> Iterator[tuple[str, str]]:
    """A template route's operations: itself, or for a `{proxy+}` route every documented
    operation under it."""
    if not path.endswith("{proxy+}") or not OPENAPI_DOCUMENT.exists():
        yield ("GET" if method == "ANY" else method), path
        return
    prefix = path.removesuffix("{proxy+}")
    paths = json.loads(OPENAPI_DOCUMENT.read_text())["paths"]
    for documented in sorted(paths):
        if documented.startswith(prefix):
            for operation in sorted(paths[documented]):
                yield operation.upper(), documented


def _example_path(path: str, tenant_id: str) -> str:
    values = {**EXAMPLE_PATH_VALUES, "tenant_id": tenant_id}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), f"<{m.group(1)}>"), path)
