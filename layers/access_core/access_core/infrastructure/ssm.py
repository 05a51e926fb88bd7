"""Tenant secrets in SSM Parameter Store (SecureString), cached across warm invocations.

Parameter names, under `{prefix}/tenants/{tenant_id}/`:

| name | what |
| --- | --- |
| `kisi-api-key` | the tenant's Kisi API key (plain text) |
| `webhook-secret` | the bridge's own webhook signing secrets (the `canonical` set) |
| `pushpress-webhook-secret` | the PushPress webhook `signingSecret`s the admin pasted |
| `playbypoint-webhook-secret` | the Playbypoint webhook bearer tokens |
| `kisi-webhook-secret` | the signature keys of Kisi's Event Webhook (the check-in write-back) |

Every webhook secret name ends in `webhook-secret`, so an IAM policy can grant the webhook
function exactly those (`.../tenants/*/*webhook-secret`) and not the Kisi keys. A webhook
secret set is a JSON document, `{"format": "webhook-secrets", "version": 1, "secrets":
[{"value", "added_at", "valid_until"}]}`, newest first (domain/secrets.py has the rotation
rules); a plain string, as written before rotation overlaps existed or by hand
(docs/deploy.md), is read as one current secret. Values are never logged, returned, or put in
an exception message.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from access_core.domain.errors import SecretsUnavailable
from access_core.domain.events import utc_iso
from access_core.domain.secrets import (
    DEFAULT_ROTATION_OVERLAP,
    StoredSecret,
    WebhookSecretStatus,
    secret_status,
    usable,
    with_new_secret,
    without_previous,
)

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

DEFAULT_SECRET_MAX_AGE_SECONDS = 300
# A webhook signed with a secret the cache does not know yet makes the store read SSM again, but
# not more often than this per tenant and secret set: bad signatures must not turn into SSM
# traffic.
WEBHOOK_SECRET_REFRESH_SECONDS = 10.0
KISI_API_KEY = "kisi-api-key"
# A platform's API key (e.g. pushpress-api-key): not a webhook secret, so the webhook function's
# read permission (.../*webhook-secret) does not reach it.
PLATFORM_API_KEY = "{platform}-api-key"
WEBHOOK_SECRET = "webhook-secret"
CANONICAL_SECRETS = "canonical"
SECRET_SET_FORMAT = "webhook-secrets"
# A value stored as a plain string has no recorded time.
LEGACY_ADDED_AT = datetime(1970, 1, 1, tzinfo=UTC)
_SECRET_SET_NAME = re.compile(r"[a-z][a-z0-9]{1,30}")


def _parameter_not_found(cause: BaseException | None) -> bool:
    return (
        isinstance(cause, ClientError)
        and cause.response.get("Error", {}).get("Code") == "ParameterNotFound"
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def webhook_secret_parameter(platform: str) -> str:
    """The last part of the parameter name of `platform`'s webhook secret set."""
    if not _SECRET_SET_NAME.fullmatch(platform):
        raise ValueError(f"not a webhook secret set name: {platform[:40]!r}")
    return WEBHOOK_SECRET if platform == CANONICAL_SECRETS else f"{platform}-{WEBHOOK_SECRET}"


def encode_secret_set(secrets: Sequence[StoredSecret]) -> str:
    entries = [
        {
            "value": secret.value,
            "added_at": utc_iso(secret.added_at),
            "valid_until": utc_iso(secret.valid_until) if secret.valid_until else None,
        }
        for secret in secrets
    ]
    return json.dumps({"format": SECRET_SET_FORMAT, "version": 1, "secrets": entries})


def decode_secret_set(stored: str | None) -> list[StoredSecret]:
    """A stored value as a secret set. A document this store did not write (a plain string) is
    one current secret; a broken set document is no secret at all (refuse, never guess)."""
    if not stored:
        return []
    try:
        document: Any = json.loads(stored)
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("format") != SECRET_SET_FORMAT:
        return [StoredSecret(stored, added_at=LEGACY_ADDED_AT)]
    try:
        return [
            StoredSecret(
                str(entry["value"]),
                added_at=datetime.fromisoformat(entry["added_at"]),
                valid_until=datetime.fromisoformat(entry["valid_until"])
                if entry["valid_until"]
                else None,
            )
            for entry in document["secrets"]
        ]
    except (KeyError, TypeError, ValueError):
        return []


class SsmSecretStore:
    def __init__(
        self,
        client: SSMClient,
        prefix: str,
        max_age_seconds: int = DEFAULT_SECRET_MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        clock: Callable[[], datetime] = utc_now,
        rotation_overlap: timedelta = DEFAULT_ROTATION_OVERLAP,
    ) -> None:
        self._client = client
        self._monotonic = monotonic
        self._clock = clock
        self._rotation_overlap = rotation_overlap
        self._webhook_secret_refreshed_at: dict[tuple[str, str], float] = {}
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
        except GetParameterError as error:
            # Powertools wraps every failure; only a missing parameter means "no secret". A
            # throttled or failing SSM must not read as one (the worker would record the member
            # failed, the webhook refuse an authentic delivery): it is raised, and retried.
            if _parameter_not_found(error.__context__):
                return None
            raise SecretsUnavailable() from error
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
        """The tenant's current bridge signing secret (the newest of the `canonical` set)."""
        current = usable(
            self.webhook_secrets(tenant_id, CANONICAL_SECRETS, refresh=refresh), self._clock()
        )
        return current[0] if current else None

    def webhook_secrets(
        self, tenant_id: str, platform: str, *, refresh: bool = False
    ) -> list[StoredSecret]:
        """The tenant's secret set for `platform`, newest first (expired entries included until
        the next write drops them). `refresh`: read SSM again (the admin function rotated it, and
        its write cannot clear this container's cache), at most once per
        WEBHOOK_SECRET_REFRESH_SECONDS per tenant and set; otherwise the cached value. A missing
        parameter is not cached: its read always goes to SSM."""
        name = webhook_secret_parameter(platform)
        if refresh:
            now = self._monotonic()
            last = self._webhook_secret_refreshed_at.get((tenant_id, platform))
            refresh = last is None or now - last >= WEBHOOK_SECRET_REFRESH_SECONDS
            if refresh:
                self._webhook_secret_refreshed_at[(tenant_id, platform)] = now
        return decode_secret_set(self._read(tenant_id, name, fresh=refresh))

    def add_webhook_secret(
        self, tenant_id: str, platform: str, secret: str, *, overlap: timedelta | None = None
    ) -> WebhookSecretStatus:
        """Make `secret` current; the others stay valid for `overlap` (default: the store's
        rotation overlap). Reads the stored set fresh, so that two containers' caches cannot
        drop each other's secrets (two admins rotating at the same instant: the last write
        wins)."""
        name = webhook_secret_parameter(platform)
        now = self._clock()
        stored = decode_secret_set(self._read(tenant_id, name, fresh=True))
        window = self._rotation_overlap if overlap is None else overlap
        secrets = with_new_secret(stored, secret, now=now, overlap=window)
        self._write(tenant_id, name, encode_secret_set(secrets))
        return secret_status(platform, secrets, now)

    def end_webhook_secret_overlap(self, tenant_id: str, platform: str) -> WebhookSecretStatus:
        name = webhook_secret_parameter(platform)
        stored = decode_secret_set(self._read(tenant_id, name, fresh=True))
        secrets = without_previous(stored)
        if secrets != stored:
            self._write(tenant_id, name, encode_secret_set(secrets))
        return secret_status(platform, secrets, self._clock())

    def delete_webhook_secrets(self, tenant_id: str, platform: str) -> None:
        self._delete(tenant_id, webhook_secret_parameter(platform))

    def webhook_secret_status(self, tenant_id: str, platform: str) -> WebhookSecretStatus:
        name = webhook_secret_parameter(platform)
        stored = decode_secret_set(self._read(tenant_id, name, fresh=True))
        return secret_status(platform, stored, self._clock())

    def put_kisi_api_key(self, tenant_id: str, api_key: str) -> None:
        self._write(tenant_id, KISI_API_KEY, api_key)

    def delete_kisi_api_key(self, tenant_id: str) -> None:
        self._delete(tenant_id, KISI_API_KEY)

    def platform_api_key(
        self, tenant_id: str, platform: str, *, hint: str | None = None
    ) -> str | None:
        """The tenant's API key for its platform (as `kisi_api_key`, `hint` its last
        characters)."""
        name = PLATFORM_API_KEY.format(platform=platform)
        key = self._read(tenant_id, name)
        if key is not None and hint and not key.endswith(hint):
            key = self._read(tenant_id, name, fresh=True)
        return key

    def put_platform_api_key(self, tenant_id: str, platform: str, api_key: str) -> None:
        self._write(tenant_id, PLATFORM_API_KEY.format(platform=platform), api_key)

    def delete_platform_api_key(self, tenant_id: str, platform: str) -> None:
        self._delete(tenant_id, PLATFORM_API_KEY.format(platform=platform))

    def put_webhook_secret(self, tenant_id: str, secret: str) -> None:
        """A new bridge signing secret; the previous one stays valid for the rotation overlap."""
        self.add_webhook_secret(tenant_id, CANONICAL_SECRETS, secret)

    def __repr__(self) -> str:
        return f"SsmSecretStore(prefix={self._prefix!r})"
