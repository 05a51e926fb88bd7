"""Tenant secrets in SSM Parameter Store (SecureString), cached across warm invocations.

Parameter names: `{prefix}/tenants/{tenant_id}/kisi-api-key` and `.../webhook-secret`. Values are
never logged, returned, or put in an exception message.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

DEFAULT_SECRET_MAX_AGE_SECONDS = 300
# A webhook signed with a secret the cache does not know yet makes the store read SSM again, but
# not more often than this per tenant: bad signatures must not turn into SSM traffic.
WEBHOOK_SECRET_REFRESH_SECONDS = 10.0
KISI_API_KEY = "kisi-api-key"
WEBHOOK_SECRET = "webhook-secret"


class SsmSecretStore:
    def __init__(
        self,
        client: SSMClient,
        prefix: str,
        max_age_seconds: int = DEFAULT_SECRET_MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._monotonic = monotonic
        self._webhook_secret_refreshed_at: dict[str, float] = {}
        self._provider = SSMProvider(boto3_client=client)
        self._prefix = prefix.rstrip("/")
        self._max_age = max_age_seconds

    def parameter_name(self, tenant_id: str, secret: str) -> str:
        return f"{self._prefix}/tenants/{tenant_id}/{secret}"

    def _read(self, tenant_id: str, secret: str, *, fresh: bool = False) -> str | None:
        try:
            value = self._provider.get(
                self.parameter_name(tenant_id, secret),
                max_age=self._max_age,
                decrypt=True,
                force_fetch=fresh,
            )
        except GetParameterError:
            return None
        return str(value) if value else None

    def _write(self, tenant_id: str, secret: str, value: str) -> None:
        name = self.parameter_name(tenant_id, secret)
        self._client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        self._provider.clear_cache()  # type: ignore[no-untyped-call]

    def _delete(self, tenant_id: str, secret: str) -> None:
        with contextlib.suppress(self._client.exceptions.ParameterNotFound):
            self._client.delete_parameter(Name=self.parameter_name(tenant_id, secret))
        self._provider.clear_cache()  # type: ignore[no-untyped-call]

    def kisi_api_key(self, tenant_id: str, *, hint: str | None = None) -> str | None:
        """The tenant's key. `hint`: the key's last characters as the tenant item records them. A
        cached key that does not end with it was replaced meanwhile (by the admin function, whose
        write cannot clear this container's cache), so it is read again."""
        key = self._read(tenant_id, KISI_API_KEY)
        if key is not None and hint and not key.endswith(hint):
            key = self._read(tenant_id, KISI_API_KEY, fresh=True)
        return key

    def webhook_secret(self, tenant_id: str, *, refresh: bool = False) -> str | None:
        """The tenant's signing secret. `refresh`: read SSM again (the admin function rotated it,
        and its write cannot clear this container's cache), at most once per
        WEBHOOK_SECRET_REFRESH_SECONDS per tenant; otherwise the cached value."""
        if refresh:
            now = self._monotonic()
            last = self._webhook_secret_refreshed_at.get(tenant_id)
            refresh = last is None or now - last >= WEBHOOK_SECRET_REFRESH_SECONDS
            if refresh:
                self._webhook_secret_refreshed_at[tenant_id] = now
        return self._read(tenant_id, WEBHOOK_SECRET, fresh=refresh)

    def put_kisi_api_key(self, tenant_id: str, api_key: str) -> None:
        self._write(tenant_id, KISI_API_KEY, api_key)

    def delete_kisi_api_key(self, tenant_id: str) -> None:
        self._delete(tenant_id, KISI_API_KEY)

    def put_webhook_secret(self, tenant_id: str, secret: str) -> None:
        self._write(tenant_id, WEBHOOK_SECRET, secret)

    def __repr__(self) -> str:
        return f"SsmSecretStore(prefix={self._prefix!r})"
