"""Who is calling the HTTP API: the JWT claims API Gateway's authorizer verified, as a Caller.

API Gateway (HTTP API, JWT authorizer) passes claims as strings; a list claim arrives flattened as
"[admin player]". The tenant comes from a claim, never from the URL alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ADMIN_ROLE = "admin"
DEFAULT_TENANT_CLAIM = "tenant_id"
DEFAULT_ROLES_CLAIM = "roles"


@dataclass(frozen=True)
class Caller:
    subject: str
    tenant_id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


def _roles(value: Any) -> frozenset[str]:
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(v) for v in value)
    if isinstance(value, str):
        text = value.strip().removeprefix("[").removesuffix("]")
        return frozenset(part for part in text.replace(",", " ").split() if part)
    return frozenset()


def caller_from_claims(
    claims: Mapping[str, Any] | None,
    *,
    tenant_claim: str | None = None,
    roles_claim: str | None = None,
) -> Caller | None:
    """The caller, or None when the token lacks a subject or a tenant (answer 401/403)."""
    if not claims:
        return None
    tenant_key = tenant_claim or os.environ.get("JWT_TENANT_CLAIM") or DEFAULT_TENANT_CLAIM
    roles_key = roles_claim or os.environ.get("JWT_ROLES_CLAIM") or DEFAULT_ROLES_CLAIM
    subject = str(claims.get("sub") or "").strip()
    tenant_id = str(claims.get(tenant_key) or "").strip()
    if not subject or not tenant_id:
        return None
    return Caller(subject=subject, tenant_id=tenant_id, roles=_roles(claims.get(roles_key)))


def claims_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The verified claims in an API Gateway HTTP API (payload 2.0) event, if any."""
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    jwt = authorizer.get("jwt") or {}
    claims = jwt.get("claims")
    return claims if isinstance(claims, Mapping) else None
