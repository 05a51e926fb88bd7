"""Check-in write-back: Kisi's event webhook (`lock.unlock`) recorded as a check-in on the club's
platform for the member it matches (docs/webhooks.md, "Kisi's unlock events").

POST /webhooks/kisi/{tenant_id}: verified with Kisi's signature (`X-Signature`, the hex
HMAC-SHA256 of the raw body keyed with the signature key set on the Kisi integration; the
tenant's `kisi` webhook secrets, with the usual rotation overlap), deduplicated by Kisi's event
`uuid` (Powertools idempotency, as every webhook), and acted on only when the club turned the
write-back on. The member is the one whose email is the unlocking user's; an unlock that matches
no member (a coach, a player's unlock through the bridge's Unlock API, which Kisi attributes to
the club key's user) is left alone. Recording goes through a `CheckinRecorder`, the platform's
port; a platform without a check-in API (PushPress's Platform API has none) has no recorder, and
the event is answered `not_recorded` with that reason, nothing written.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from access_core.domain import json_text
from access_core.domain.checkins import Checkin, CheckinRecorders
from access_core.domain.errors import FieldProblem, MalformedRequest
from access_core.domain.events import Email
from access_core.domain.model import Tenant
from access_core.ingest.service import (
    InvalidPayload,
    WebhookDependencies,
    WebhookReceipt,
    WebhookRequest,
    authenticated_tenant,
)
from access_core.ingest.verification import (
    ACCEPTED,
    FORGED,
    MALFORMED_HEADER,
    MISSING_HEADER,
    NO_SECRET,
    Verification,
    refused,
)

logger = logging.getLogger(__name__)

KISI = "kisi"
SIGNATURE_HEADER = "x-signature"
SIGNATURE_PREFIX = "sha256="
UNLOCK_EVENT = "lock.unlock"


@dataclass(frozen=True)
class KisiSignature:
    """`X-Signature: sha256=<hex>` (the bare hex accepted too [assumed]), the HMAC-SHA256 of the
    raw body; every accepted secret is compared, in constant time."""

    secret_set: str = KISI

    def verify(
        self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: datetime
    ) -> Verification:
        if not secrets:
            return refused(NO_SECRET)
        value = headers.get(SIGNATURE_HEADER, "").strip()
        if not value:
            return refused(MISSING_HEADER)
        presented = value.removeprefix(SIGNATURE_PREFIX).strip().lower()
        if len(presented) != 64 or not all(c in "0123456789abcdef" for c in presented):
            return refused(MALFORMED_HEADER)
        matched = False
        for secret in secrets:
            expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            matched |= hmac.compare_digest(presented, expected)
        return ACCEPTED if matched else refused(FORGED)


class KisiEvent(BaseModel):
    """The fields of Kisi's event the write-back uses (docs/kisi-api.md); others are ignored."""

    model_config = ConfigDict(extra="ignore")

    uuid: str = Field(min_length=1, max_length=128)
    type: str = Field(max_length=100)
    success: bool | None = None
    actor_type: str | None = None
    actor_id: int | None = None
    actor_email: Email | None = None
    object_type: str | None = None
    object_id: int | None = None
    object_name: str | None = None
    created_at: AwareDatetime


VERIFIER = KisiSignature()


def receive_kisi_event(
    request: WebhookRequest, deps: WebhookDependencies, recorders: CheckinRecorders
) -> WebhookReceipt:
    """Raises a `DomainError` (nothing written) for a body too large, a bad signature or an
    unknown tenant (alike), a body that is not JSON or not an event."""
    tenant = authenticated_tenant(request, VERIFIER, deps, deps.clock())
    try:
        event = KisiEvent.model_validate(json_text.loads(request.body))
    except json_text.NotJson as error:
        raise MalformedRequest(f"The body is not valid JSON: {error}.") from None
    except ValidationError as invalid:
        raise InvalidPayload(
            "The payload is not a Kisi event.",
            fields=[
                FieldProblem(field=".".join(map(str, e["loc"])) or "body", message=e["msg"])
                for e in invalid.errors()
            ],
        ) from None
    ignored = _ignored_reason(tenant, event)
    if ignored is not None:
        deps.metrics.count("KisiEventIgnored")
        return WebhookReceipt("ignored", event.uuid, {"reason": ignored})
    key = {"tenant_id": tenant.tenant_id, "platform": KISI, "event_id": event.uuid}
    fingerprint = hashlib.sha256(request.body).hexdigest()
    outcome = deps.idempotency.run_once(
        key, fingerprint, lambda: _write_back(tenant, event, deps, recorders)
    )
    deps.metrics.count(f"Checkin{outcome['outcome'].title().replace('_', '')}")
    return WebhookReceipt("accepted", event.uuid, outcome)


def _ignored_reason(tenant: Tenant, event: KisiEvent) -> str | None:
    if event.type != UNLOCK_EVENT:
        return "event_type_not_handled"
    if event.success is False:
        return "unlock_failed"
    if not tenant.checkin_write_back:
        return "checkin_write_back_off"
    return None


def _write_back(
    tenant: Tenant, event: KisiEvent, deps: WebhookDependencies, recorders: CheckinRecorders
) -> dict[str, object]:
    """Match the unlock to a member and record it: `recorded`, `unmatched` or `not_recorded`."""
    if not event.actor_email:
        return {"outcome": "unmatched", "reason": "no_actor_email"}
    members = [
        member
        for member in deps.stores.members.with_email(tenant.tenant_id, event.actor_email)
        if not member.deleted
    ]
    if not members:
        return {"outcome": "unmatched", "reason": "no_member_with_email"}
    # A family shares one Kisi user: the check-in is the first member's (by id), as Kisi cannot
    # tell which of them opened the door.
    member = min(members, key=lambda m: m.member_id)
    recorder = recorders(tenant)
    if recorder is None:
        logger.info(
            "check-in not recorded: the platform has no check-in API",
            extra={"tenant_id": tenant.tenant_id, "platform": tenant.platform},
        )
        return {
            "outcome": "not_recorded",
            "reason": "platform_has_no_checkin_api",
            "member_id": member.member_id,
        }
    checkin = Checkin(
        tenant_id=tenant.tenant_id,
        member_id=member.member_id,
        email=event.actor_email,
        lock_id=event.object_id if event.object_type in (None, "Lock") else None,
        door_name=event.object_name,
        at=event.created_at,
        kisi_event_id=event.uuid,
    )
    checkin_id = recorder.record_checkin(checkin)
    return {"outcome": "recorded", "member_id": member.member_id, "checkin_id": checkin_id}
