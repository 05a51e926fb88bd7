"""PushPress Platform API v3 client: httpx + pydantic, no AWS imports. See ``PushPressClient``
and, for webhook deliveries, ``pushpress_client.webhooks.verify_webhook``.

Names are loaded on first use (PEP 562): a function that only verifies webhooks or reads
the models (`pushpress_client.webhooks`, `.models`) does not import httpx and the client."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from http_client_kit.pacing import Pacer
    from pushpress_client.client import PushPressClient
    from pushpress_client.errors import (
        PushPressAuthError,
        PushPressBadRequest,
        PushPressError,
        PushPressInvalidResponse,
        PushPressNotFound,
        PushPressRateLimited,
        PushPressUnavailable,
    )
    from pushpress_client.models import (
        TWENTY_FOUR_HOUR_ACCESS_ENTITLEMENT,
        BillingSchedule,
        CheckinDetails,
        Company,
        Customer,
        CustomerAccount,
        CustomerName,
        CustomerRole,
        Enrollment,
        EnrollmentStatus,
        Entitlement,
        Plan,
        PlanCategory,
        PlanPolicies,
        RecurrenceDetails,
    )
    from pushpress_client.pacing import (
        DEFAULT_REQUESTS_PER_SECOND,
        SHARED_PACERS,
        PacerRegistry,
        pacer_key_for_api_key,
    )
    from pushpress_client.pagination import DEFAULT_PAGE_SIZE, Page
    from pushpress_client.retry import DEFAULT_RETRY_POLICY, NO_RETRY, RetryPolicy
    from pushpress_client.transport import (
        API_KEY_HEADER,
        COMPANY_ID_HEADER,
        DEFAULT_BASE_URL,
        DEFAULT_TIMEOUT,
        shared_http_client,
    )
    from pushpress_client.webhooks import (
        DEFAULT_TOLERANCE_SECONDS,
        SIGNATURE_HEADER,
        SignedContent,
        VerifiedWebhook,
        WebhookFailure,
        WebhookVerificationError,
        verify_webhook,
    )

_EXPORTED_FROM: dict[str, str] = {
    "PushPressClient": "pushpress_client.client",
    "PushPressAuthError": "pushpress_client.errors",
    "PushPressBadRequest": "pushpress_client.errors",
    "PushPressError": "pushpress_client.errors",
    "PushPressInvalidResponse": "pushpress_client.errors",
    "PushPressNotFound": "pushpress_client.errors",
    "PushPressRateLimited": "pushpress_client.errors",
    "PushPressUnavailable": "pushpress_client.errors",
    "TWENTY_FOUR_HOUR_ACCESS_ENTITLEMENT": "pushpress_client.models",
    "BillingSchedule": "pushpress_client.models",
    "CheckinDetails": "pushpress_client.models",
    "Company": "pushpress_client.models",
    "Customer": "pushpress_client.models",
    "CustomerAccount": "pushpress_client.models",
    "CustomerName": "pushpress_client.models",
    "CustomerRole": "pushpress_client.models",
    "Enrollment": "pushpress_client.models",
    "EnrollmentStatus": "pushpress_client.models",
    "Entitlement": "pushpress_client.models",
    "Plan": "pushpress_client.models",
    "PlanCategory": "pushpress_client.models",
    "PlanPolicies": "pushpress_client.models",
    "RecurrenceDetails": "pushpress_client.models",
    "DEFAULT_REQUESTS_PER_SECOND": "pushpress_client.pacing",
    "SHARED_PACERS": "pushpress_client.pacing",
    "Pacer": "http_client_kit.pacing",
    "PacerRegistry": "pushpress_client.pacing",
    "pacer_key_for_api_key": "pushpress_client.pacing",
    "DEFAULT_PAGE_SIZE": "pushpress_client.pagination",
    "Page": "pushpress_client.pagination",
    "DEFAULT_RETRY_POLICY": "pushpress_client.retry",
    "NO_RETRY": "pushpress_client.retry",
    "RetryPolicy": "pushpress_client.retry",
    "API_KEY_HEADER": "pushpress_client.transport",
    "COMPANY_ID_HEADER": "pushpress_client.transport",
    "DEFAULT_BASE_URL": "pushpress_client.transport",
    "DEFAULT_TIMEOUT": "pushpress_client.transport",
    "shared_http_client": "pushpress_client.transport",
    "DEFAULT_TOLERANCE_SECONDS": "pushpress_client.webhooks",
    "SIGNATURE_HEADER": "pushpress_client.webhooks",
    "SignedContent": "pushpress_client.webhooks",
    "VerifiedWebhook": "pushpress_client.webhooks",
    "WebhookFailure": "pushpress_client.webhooks",
    "WebhookVerificationError": "pushpress_client.webhooks",
    "verify_webhook": "pushpress_client.webhooks",
}

__all__ = [
    "API_KEY_HEADER",
    "COMPANY_ID_HEADER",
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_REQUESTS_PER_SECOND",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOLERANCE_SECONDS",
    "NO_RETRY",
    "SHARED_PACERS",
    "SIGNATURE_HEADER",
    "TWENTY_FOUR_HOUR_ACCESS_ENTITLEMENT",
    "BillingSchedule",
    "CheckinDetails",
    "Company",
    "Customer",
    "CustomerAccount",
    "CustomerName",
    "CustomerRole",
    "Enrollment",
    "EnrollmentStatus",
    "Entitlement",
    "Pacer",
    "PacerRegistry",
    "Page",
    "Plan",
    "PlanCategory",
    "PlanPolicies",
    "PushPressAuthError",
    "PushPressBadRequest",
    "PushPressClient",
    "PushPressError",
    "PushPressInvalidResponse",
    "PushPressNotFound",
    "PushPressRateLimited",
    "PushPressUnavailable",
    "RecurrenceDetails",
    "RetryPolicy",
    "SignedContent",
    "VerifiedWebhook",
    "WebhookFailure",
    "WebhookVerificationError",
    "pacer_key_for_api_key",
    "shared_http_client",
    "verify_webhook",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTED_FROM.get(name)
    if module is None:
        raise AttributeError(f"module 'pushpress_client' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
