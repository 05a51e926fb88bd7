"""When Kisi may be called for a tenant, and with which key: the one rule every function follows."""

from __future__ import annotations

from access_core.domain.model import ConnectionState, Tenant
from access_core.domain.ports import SecretStore


def tenant_kisi_key(
    secrets: SecretStore, tenant: Tenant, *, recheck_refused: bool = False
) -> str | None:
    """The tenant's Kisi key when Kisi may be called for it; None otherwise.

    Kisi is called for a connected tenant only: a disconnected one has no key, and a key Kisi
    refused (invalid_credentials) is not used again, so that nothing hammers Kisi with it, until
    an admin connects a new one. `recheck_refused`: the daily sync's once-a-day check of a refused
    key, so that a key repaired in Kisi's dashboard reconnects the tenant. The tenant's key hint
    makes a container that cached a replaced key read it again.
    """
    usable = tenant.kisi_connected or (
        recheck_refused and tenant.connection_state is ConnectionState.INVALID_CREDENTIALS
    )
    if not usable:
        return None
    return secrets.kisi_api_key(tenant.tenant_id, hint=tenant.kisi_key_hint)
