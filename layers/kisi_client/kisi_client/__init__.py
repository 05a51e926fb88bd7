"""Kisi REST API client: httpx + pydantic, no AWS imports. See ``KisiClient``."""

from http_client_kit.pacing import Pacer
from kisi_client.client import GROUP_BASIC_ROLE, KisiClient, kisi_timestamp
from kisi_client.errors import (
    KisiConflict,
    KisiError,
    KisiForbidden,
    KisiInvalidCredentials,
    KisiMalformedResponse,
    KisiNotFound,
    KisiPaginationLimitExceeded,
    KisiRateLimited,
    KisiUnavailable,
    KisiValidationError,
    UnlockFailureReason,
)
from kisi_client.models import (
    Assignee,
    CurrentUser,
    Group,
    KisiIdentity,
    Lock,
    Organization,
    Place,
    RoleAssignment,
    User,
    emails_match,
    is_managed_by,
)
from kisi_client.pacing import (
    DEFAULT_REQUESTS_PER_SECOND,
    KISI_REQUESTS_PER_SECOND,
    SHARED_PACERS,
    PacerRegistry,
    pacer_key_for_api_key,
)
from kisi_client.pagination import MAX_OFFSET, CollectionRange, parse_collection_range
from kisi_client.retry import DEFAULT_RETRY_POLICY, NO_RETRY, RetryPolicy
from kisi_client.transport import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, shared_http_client

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUESTS_PER_SECOND",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_TIMEOUT",
    "GROUP_BASIC_ROLE",
    "KISI_REQUESTS_PER_SECOND",
    "MAX_OFFSET",
    "NO_RETRY",
    "SHARED_PACERS",
    "Assignee",
    "CollectionRange",
    "CurrentUser",
    "Group",
    "KisiClient",
    "KisiConflict",
    "KisiError",
    "KisiForbidden",
    "KisiIdentity",
    "KisiInvalidCredentials",
    "KisiMalformedResponse",
    "KisiNotFound",
    "KisiPaginationLimitExceeded",
    "KisiRateLimited",
    "KisiUnavailable",
    "KisiValidationError",
    "Lock",
    "Organization",
    "Pacer",
    "PacerRegistry",
    "Place",
    "RetryPolicy",
    "RoleAssignment",
    "UnlockFailureReason",
    "User",
    "emails_match",
    "is_managed_by",
    "kisi_timestamp",
    "pacer_key_for_api_key",
    "parse_collection_range",
    "shared_http_client",
]
