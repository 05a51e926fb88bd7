"""Settings read from the environment the template gives every function (and the local runtime)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_KISI_BASE_URL = "https://api.kisi.io"
DEFAULT_PUSHPRESS_BASE_URL = "https://api.pushpress.com/v3"


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    idempotency_table_name: str
    command_queue_url: str
    ssm_prefix: str
    kisi_base_url: str
    kisi_integration_contact: str
    pushpress_base_url: str = DEFAULT_PUSHPRESS_BASE_URL


def settings_from(environ: Mapping[str, str]) -> Settings:
    """Build settings from an environment mapping; a missing required variable names itself."""

    def required(name: str) -> str:
        value = environ.get(name, "")
        if not value:
            raise RuntimeError(f"environment variable {name} is not set")
        return value

    return Settings(
        stage=environ.get("STAGE", "dev"),
        table_name=required("TABLE_NAME"),
        idempotency_table_name=environ.get("IDEMPOTENCY_TABLE_NAME", ""),
        command_queue_url=required("COMMAND_QUEUE_URL"),
        ssm_prefix=required("SSM_PREFIX").rstrip("/"),
        kisi_base_url=environ.get("KISI_BASE_URL") or DEFAULT_KISI_BASE_URL,
        kisi_integration_contact=environ.get("KISI_INTEGRATION_CONTACT", ""),
        pushpress_base_url=environ.get("PUSHPRESS_BASE_URL") or DEFAULT_PUSHPRESS_BASE_URL,
    )
