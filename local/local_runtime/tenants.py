"""Registers a tenant the way the admin API stores one (Kisi key checked against Kisi and kept in
SSM, the Kisi identity recorded, a webhook signing secret): used to seed tests and the demo tenant
before any admin has logged in. Runs inside the functions' environment."""

from __future__ import annotations

import secrets
from typing import Any

from access_core import bootstrap
from access_core.domain.model import ConnectionState, Tenant
from kisi_client import KisiClient


def register_tenant(
    tenant_id: str,
    *,
    api_key: str | None,
    kisi_base_url: str,
    kisi_group_id: int | None = None,
    webhook_secret: str | None = None,
    **settings: Any,
) -> str:
    """Store the tenant; returns its webhook signing secret."""
    secret = webhook_secret or secrets.token_urlsafe(32)
    store = bootstrap.container().secret_store
    store.put_webhook_secret(tenant_id, secret)
    tenant = Tenant(tenant_id=tenant_id, kisi_group_id=kisi_group_id, **settings)
    if api_key is not None:
        identity = KisiClient(api_key, base_url=kisi_base_url).validate_credentials()
        store.put_kisi_api_key(tenant_id, api_key)
        tenant = tenant.model_copy(
            update={
                "connection_state": ConnectionState.CONNECTED,
                "kisi_identity": identity.rate_limit_key,
                "kisi_organization_id": identity.organization.id,
                "kisi_key_hint": api_key[-4:],
            }
        )
    bootstrap.container().stores.tenants.put(tenant)
    return secret
