"""Pieces shared by the integration tests: one club on an in-process stack (real handlers, moto,
the Kisi emulator), its Kisi seed, and the platform events it sends."""

import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import boto3

from access_core import bootstrap
from access_core.domain.model import Member, Tenant
from kisi_client import KisiClient
from kisi_emulator.server import RunningEmulator
from local_runtime.in_process import SSM_PREFIX, HttpResult, InProcessStack
from local_runtime.lambda_events import LocalLambdaContext, http_api_event
from pushpress_emulator.deliveries import signature_for

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

TENANT_ID = "club-1"
API_KEY = "kisi-test-key-0123456789abcdef"
ADMIN_EMAIL = "owner@club.example"
UNMANAGED_EMAIL = "coach@club.example"
GOLD_PLAN = "gold-24h"
DAY_PASS_PLAN = "day-pass"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# The club's secrets for the platforms' own webhook schemes (docs/webhooks.md): the signing
# secret PushPress shows for its webhook, the bearer token Playbypoint sends.
PUSHPRESS_SIGNING_SECRET = "pushpress-signing-secret-0123456789"
PLAYBYPOINT_TOKEN = "playbypoint-token-0123456789abcdef"


@dataclass
class Club:
    """One club: its stack, its Kisi organisation and the platform events it sends."""

    stack: InProcessStack
    kisi: RunningEmulator
    organization_id: int
    group_id: int
    other_group_id: int
    webhook_secret: str
    unmanaged_user_id: int

    def post(self, event_type: str, data: dict[str, Any], event_id: str | None = None) -> Any:
        envelope = {"id": event_id or f"evt-{uuid.uuid4().hex}", "type": event_type, "data": data}
        return self.post_platform("canonical", envelope)

    def post_platform(self, platform: str, body: bytes | dict[str, Any]) -> Any:
        """Post a body in `platform`'s own format, authenticated the platform's own way
        (`native_headers`; canonical: our HMAC), e.g. a sample file's bytes."""
        if platform == "canonical":
            return self.stack.post_webhook(platform, TENANT_ID, body, secret=self.webhook_secret)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = native_headers(platform, raw)
        return self.stack.post_webhook(platform, TENANT_ID, raw, secret=None, extra_headers=headers)

    def membership(
        self,
        member_id: str,
        email: str,
        status: str,
        updated_at: datetime,
        plan_id: str | None = GOLD_PLAN,
        cancellation_at: datetime | None = None,
        event_id: str | None = None,
    ) -> Any:
        data: dict[str, Any] = {
            "member_id": member_id,
            "email": email,
            "name": member_id.title(),
            "plan_id": plan_id,
            "status": status,
            "updated_at": updated_at.isoformat(),
        }
        if cancellation_at is not None:
            data["cancellation_at"] = cancellation_at.isoformat()
        return self.post("membership.upserted", data, event_id)

    def plan(
        self, plan_id: str, has_24h_access: bool, updated_at: datetime, group_id: int | None = None
    ) -> Any:
        data = {
            "plan_id": plan_id,
            "name": plan_id,
            "has_24h_access": has_24h_access,
            "kisi_group_id": group_id,
            "updated_at": updated_at.isoformat(),
        }
        return self.post("plan.updated", data)

    def stored_member(self, member_id: str) -> Member:
        member = bootstrap.container().stores.members.get(TENANT_ID, member_id)
        assert member is not None
        return member

    def stack_tenant(self) -> Tenant:
        tenant = bootstrap.container().stores.tenants.get(TENANT_ID)
        assert tenant is not None
        return tenant

    def stack_audit(self) -> list[dict[str, Any]]:
        """The tenant's audit entries, newest first."""
        return bootstrap.container().stores.audit.recent(TENANT_ID)

    def converge(self) -> int:
        return self.stack.drain_commands()

    # ---- what Kisi holds -------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return self.kisi.emulator.snapshot(self.organization_id)

    def users_by_email(self) -> dict[str, list[dict[str, Any]]]:
        users: dict[str, list[dict[str, Any]]] = {}
        for user in self.snapshot()["users"]:
            users.setdefault(user["email"].lower(), []).append(user)
        return users

    def group_assignments(self, group_id: int | None = None) -> dict[str, dict[str, Any]]:
        """Assignments of the group by the assignee's email."""
        wanted = group_id or self.group_id
        snapshot = self.snapshot()
        emails = {u["id"]: u["email"].lower() for u in snapshot["users"]}
        return {
            emails[a["assignee_id"]]: a
            for a in snapshot["role_assignments"]
            if a["applies_to_id"] == wanted
        }

    def group_emails(self, group_id: int | None = None) -> set[str]:
        return set(self.group_assignments(group_id))


def seed_kisi(kisi: RunningEmulator) -> dict[str, Any]:
    document = {
        "admins": [{"ref": "owner", "email": ADMIN_EMAIL}],
        "organizations": [
            {
                "ref": "club",
                "name": "Test Club",
                "api_keys": [{"key": API_KEY, "admin": "owner"}],
                "places": [{"ref": "hq", "name": "Clubhouse"}],
                "locks": [{"ref": "front", "name": "Front Door", "place": "hq"}],
                "groups": [
                    {"ref": "24h", "name": "24h Members", "place": "hq", "locks": ["front"]},
                    {"ref": "vip", "name": "VIP", "place": "hq", "locks": ["front"]},
                ],
                "users": [{"ref": "coach", "email": UNMANAGED_EMAIL, "name": "Coach"}],
                "role_assignments": [{"user": "coach", "group": "24h"}],
            }
        ],
    }
    club_ids: dict[str, Any] = kisi.emulator.seed(document)["organizations"]["club"]
    return club_ids


def make_club(
    kisi: RunningEmulator,
    *,
    worker_kisi_client: Callable[[Tenant, str], KisiClient] | None = None,
    **tenant_settings: Any,
) -> Club:
    """A connected club on a new in-process stack; `worker_kisi_client` replaces how the worker
    and the syncs build a tenant's Kisi client (see `bootstrap.Container`)."""
    seeded = seed_kisi(kisi)
    stack = InProcessStack.create(kisi.base_url, worker_kisi_client=worker_kisi_client)
    secret = stack.add_tenant(
        TENANT_ID, api_key=API_KEY, kisi_group_id=seeded["groups"]["24h"], **tenant_settings
    )
    club = Club(
        stack=stack,
        kisi=kisi,
        organization_id=seeded["id"],
        group_id=seeded["groups"]["24h"],
        other_group_id=seeded["groups"]["vip"],
        webhook_secret=secret,
        unmanaged_user_id=seeded["users"]["coach"],
    )
    secrets = bootstrap.container().secret_store
    secrets.add_webhook_secret(TENANT_ID, "pushpress", PUSHPRESS_SIGNING_SECRET)
    secrets.add_webhook_secret(TENANT_ID, "playbypoint", PLAYBYPOINT_TOKEN)
    club.plan(GOLD_PLAN, True, T0 - timedelta(days=30))
    club.plan(DAY_PASS_PLAN, False, T0 - timedelta(days=30))
    club.converge()
    kisi.emulator.reset_counts()
    return club


def native_headers(
    platform: str,
    body: bytes,
    *,
    pushpress_secret: str = PUSHPRESS_SIGNING_SECRET,
    playbypoint_token: str = PLAYBYPOINT_TOKEN,
) -> dict[str, str]:
    """What PushPress (`webhook-signature`, signed by the PushPress emulator's own signer) or
    Playbypoint (`Authorization: Bearer`) sends with `body`."""
    if platform == "pushpress":
        return {"webhook-signature": signature_for(json.loads(body)["data"], pushpress_secret)}
    if platform == "playbypoint":
        return {"authorization": f"Bearer {playbypoint_token}"}
    raise ValueError(f"no native scheme for {platform!r}")


@contextmanager
def restored_environment() -> Iterator[None]:
    """Put the process environment (and the handlers' cached clients) back afterwards."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.stop()


# ---- the Admin API -----------------------------------------------------------------------------

ADMIN_ROUTE_KEY = "ANY /v1/admin/{proxy+}"


def admin_claims(
    tenant_id: str = TENANT_ID, subject: str = "admin-7", roles: str = "[admin]"
) -> dict[str, str]:
    """Claims as API Gateway's JWT authorizer passes them (a list claim flattened to text)."""
    return {"sub": subject, "tenant_id": tenant_id, "roles": roles}


@dataclass
class AdminApi:
    """Calls the Admin function in-process, as API Gateway would for `/v1/admin/tenants/{id}`."""

    stack: InProcessStack
    tenant_id: str = TENANT_ID

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        claims: Mapping[str, Any] | Literal["admin"] | None = "admin",
        query: Mapping[str, str] | None = None,
        raw_body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResult:
        full_path = f"/v1/admin/tenants/{self.tenant_id}{path}"
        payload = raw_body if raw_body is not None else None
        if payload is None and body is not None:
            payload = json.dumps(body).encode()
        event = http_api_event(
            method=method,
            route_key=ADMIN_ROUTE_KEY,
            path=full_path,
            path_parameters={"proxy": full_path.removeprefix("/v1/admin/")},
            query=query,
            headers={"content-type": "application/json", **(headers or {})},
            body=payload,
            jwt_claims=admin_claims(self.tenant_id) if claims == "admin" else claims,
        )
        return self.stack.invoke_http("AdminFunction", event)


def player_claims(tenant_id: str = TENANT_ID, subject: str = "player-3") -> dict[str, str]:
    """A mobile-app player's claims: a subject and a tenant, no admin role."""
    return {"sub": subject, "tenant_id": tenant_id, "roles": "[player]"}


def run_schedule(club: Club, function: str, **event: Any) -> dict[str, Any]:
    """Invoke a sync function as EventBridge (or the local front door) does."""
    result: dict[str, Any] = club.stack.handler(function)(
        event, LocalLambdaContext(function_name=function, timeout_seconds=900)
    )
    return result


def stack_state(stack: InProcessStack) -> dict[str, Any]:
    """Everything a request could change, for before/after comparisons: every item of the bridge
    table (all tenants, audit included) but the per-caller request counts (a refused request
    counts against its caller's usage limit too), every SSM parameter under the stack's prefix
    (decrypted) and the depth of every queue."""
    dynamodb = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=stack.resources.table_names["BridgeTable"]
    ):
        items.extend(item for item in page["Items"] if item.get("entity") != {"S": "usage"})
    parameters: dict[str, str] = {}
    for found in stack.ssm.get_paginator("get_parameters_by_path").paginate(
        Path=SSM_PREFIX, Recursive=True, WithDecryption=True
    ):
        parameters |= {p["Name"]: p["Value"] for p in found["Parameters"]}
    return {
        "items": sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"])),
        "parameters": parameters,
        "queues": {name: stack.queue_depth(name) for name in sorted(stack.resources.queue_urls)},
    }


def secret_parameters(stack: InProcessStack, tenant_id: str = TENANT_ID) -> dict[str, str]:
    """The tenant's SSM parameters by their last name part (kisi-api-key, webhook-secret)."""
    prefix = f"{SSM_PREFIX}/tenants/{tenant_id}/"
    return {
        name.removeprefix(prefix): value
        for name, value in stack_state(stack)["parameters"].items()
        if name.startswith(prefix)
    }


def seed_kisi_locks(club: Club, count: int, place: str = "Annex") -> list[int]:
    """`count` more locks in a new place of the club's Kisi organisation; their ids in order."""
    document = {
        "organizations": [
            {
                "ref": "club",
                "id": club.organization_id,
                "places": [{"ref": place, "name": place}],
                "locks": [
                    {"ref": f"{place}-{n}", "name": f"{place} door {n:03}", "place": place}
                    for n in range(count)
                ],
            }
        ]
    }
    seeded = club.kisi.emulator.seed(document)["organizations"]["club"]
    return [seeded["locks"][f"{place}-{n}"] for n in range(count)]


def delete_kisi_lock(club: Club, lock_id: int) -> None:
    """A lock deleted in Kisi's dashboard. The emulator (like the API subset we use) has no call
    for it, so this reaches into its state, under its lock."""
    emulator = club.kisi.emulator
    with emulator._lock:
        del emulator._state.organization(club.organization_id).locks[lock_id]


# ---- the Unlock API (players) -------------------------------------------------------------------

PLAYER_ID = "player-3"


@dataclass
class UnlockApi:
    """Calls the Unlock function in-process, as API Gateway would for the mobile app's routes."""

    stack: InProcessStack
    tenant_id: str = TENANT_ID
    player_id: str = PLAYER_ID

    def doors(
        self,
        reservation_id: str,
        *,
        claims: Mapping[str, Any] | Literal["player"] | None = "player",
    ) -> HttpResult:
        return self._call(
            "GET",
            "GET /v1/reservations/{reservation_id}/doors",
            f"/v1/reservations/{reservation_id}/doors",
            {"reservation_id": reservation_id},
            claims,
        )

    def unlock(
        self,
        reservation_id: str,
        lock_id: int | str,
        *,
        claims: Mapping[str, Any] | Literal["player"] | None = "player",
    ) -> HttpResult:
        return self._call(
            "POST",
            "POST /v1/reservations/{reservation_id}/doors/{lock_id}/unlock",
            f"/v1/reservations/{reservation_id}/doors/{lock_id}/unlock",
            {"reservation_id": reservation_id, "lock_id": str(lock_id)},
            claims,
        )

    def _call(
        self,
        method: str,
        route_key: str,
        path: str,
        path_parameters: Mapping[str, str],
        claims: Mapping[str, Any] | Literal["player"] | None,
    ) -> HttpResult:
        event = http_api_event(
            method=method,
            route_key=route_key,
            path=path,
            path_parameters=path_parameters,
            jwt_claims=player_claims(self.tenant_id, self.player_id)
            if claims == "player"
            else claims,
        )
        return self.stack.invoke_http("UnlockFunction", event)


def stack_contents(stack: InProcessStack) -> dict[str, Any]:
    """`stack_state` plus the idempotency table's items and the bodies of the messages waiting on
    each queue (received, then made visible again at once: they stay where they were)."""
    dynamodb = boto3.client("dynamodb")
    idempotency = dynamodb.scan(TableName=stack.resources.table_names["IdempotencyTable"])
    messages: dict[str, list[str]] = {}
    for name, url in sorted(stack.resources.queue_urls.items()):
        received: list[MessageTypeDef] = []
        while batch := stack.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", []):
            received += batch
        for message in received:
            stack.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        messages[name] = sorted(m["Body"] for m in received)
    items = sorted(json.dumps(item, sort_keys=True) for item in idempotency["Items"])
    return {**stack_state(stack), "idempotency_items": items, "messages": messages}
