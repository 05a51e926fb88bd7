"""The Kisi endpoints the access engine uses, and the idempotent helpers built on them."""

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from http_client_kit.transport import ApiClient, ApiRequest
from kisi_client.errors import (
    KisiConflict,
    KisiError,
    KisiMalformedResponse,
    KisiNotFound,
    KisiPaginationLimitExceeded,
)
from kisi_client.models import (
    MANAGED_BY_METADATA_KEY,
    CurrentUser,
    Group,
    KisiIdentity,
    KisiModel,
    Lock,
    Organization,
    RoleAssignment,
    User,
    check_marker,
    emails_match,
    is_managed_by,
    managed_notes,
)
from kisi_client.pacing import (
    DEFAULT_REQUESTS_PER_SECOND,
    SHARED_PACERS,
    PacerRegistry,
    pacer_key_for_api_key,
)
from kisi_client.pagination import (
    GROUPS_PAGE_LIMIT,
    LOCKS_PAGE_LIMIT,
    MAX_OFFSET,
    ROLE_ASSIGNMENTS_PAGE_LIMIT,
    USERS_PAGE_LIMIT,
    next_page_offset,
    parse_collection_range,
    readable_total,
)
from kisi_client.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from kisi_client.transport import (
    DEFAULT_BASE_URL,
    DEFAULT_INTEGRATION_IDENTIFIER,
    DEFAULT_TIMEOUT,
    KisiTransport,
)

logger = logging.getLogger("kisi_client")

GROUP_BASIC_ROLE = "group_basic"

type QueryValue = str | int | None


class KisiClient(ApiClient):
    """A Kisi API client for one API key.

    Cheap to create: every instance shares the process's connection pool (unless given
    ``http_client``) and the pacer of its ``pacer_key`` in ``pacers``. Pass the Kisi user id
    (``KisiIdentity.rate_limit_key``) as ``pacer_key`` once known: Kisi's limit is per user,
    and several keys of one user share it. Without it, the key is derived from a hash of the
    API key.
    """

    _transport: KisiTransport

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        integration_identifier: str = DEFAULT_INTEGRATION_IDENTIFIER,
        integration_contact: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND,
        pacer_key: str | None = None,
        pacers: PacerRegistry = SHARED_PACERS,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.pacer_key = pacer_key or pacer_key_for_api_key(api_key)
        self._transport = KisiTransport(
            api_key,
            pacer=pacers.pacer_for(self.pacer_key, requests_per_second=requests_per_second),
            base_url=base_url,
            integration_identifier=integration_identifier,
            integration_contact=integration_contact,
            timeout=timeout,
            retry=retry,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"KisiClient(base_url={self.base_url!r}, pacer_key={self.pacer_key!r})"

    # Identity

    def get_current_user(self) -> CurrentUser:
        return self._request_object(ApiRequest("GET", "/user"), CurrentUser)

    def get_organization(self) -> Organization:
        return self._request_object(ApiRequest("GET", "/organization"), Organization)

    def validate_credentials(self) -> KisiIdentity:
        """Check the key; raises ``KisiInvalidCredentials`` when Kisi refuses it."""
        user = self.get_current_user()
        organization = user.organization or self.get_organization()
        return KisiIdentity(user_id=user.id, user_email=user.email, organization=organization)

    # Locks

    def iter_locks(self, *, place_id: int | None = None) -> Iterator[Lock]:
        return self._iter_collection(
            "/locks", Lock, limit=LOCKS_PAGE_LIMIT, filters={"place_id": place_id}
        )

    def get_lock(self, lock_id: int) -> Lock:
        return self._request_object(
            ApiRequest("GET", "/locks/{lock_id}", {"lock_id": lock_id}), Lock
        )

    def unlock(self, lock_id: int) -> str:
        """Open the door; return Kisi's message.

        Retried only when Kisi provably did not act (429, connection never opened), within the
        retry policy: after a 5xx or a timeout the door may have opened, and the person at it,
        not this client, decides whether to try again. A 2xx opened the door even if its body is
        unreadable, so that is a success. On failure, ``error.unlock_failure_reason`` says why.
        """
        request = ApiRequest("POST", "/locks/{lock_id}/unlock", {"lock_id": lock_id})
        response = self._transport.send(request)
        try:
            payload = response.json()
        except ValueError:
            return ""
        message = payload.get("message") if isinstance(payload, dict) else None
        return message if isinstance(message, str) else ""

    # Users

    def iter_users(self, *, email: str | None = None, query: str | None = None) -> Iterator[User]:
        """Users, optionally filtered by Kisi (``query`` is fuzzy: do not trust its results)."""
        return self._iter_collection(
            "/users", User, limit=USERS_PAGE_LIMIT, filters={"email": email, "query": query}
        )

    def get_user(self, user_id: int) -> User:
        return self._request_object(
            ApiRequest("GET", "/users/{user_id}", {"user_id": user_id}), User
        )

    def find_user_by_email(self, email: str) -> User | None:
        """The user whose email equals ``email`` ignoring case, via Kisi's ``email`` filter."""
        return next(
            (
                user
                for user in self.iter_users(email=email.strip())
                if emails_match(user.email, email)
            ),
            None,
        )

    def create_user(
        self,
        email: str,
        name: str | None,
        *,
        send_emails: bool,
        marker: str,
        access_enabled: bool = True,
    ) -> User:
        """``POST /users`` once, marked as ours. Prefer ``ensure_user``, which cannot duplicate.

        ``send_emails=True``: a regular user, invited by Kisi's email. False: a managed user
        (``confirm: true``) who gets no email.
        """
        user_fields: dict[str, Any] = {
            "email": email.strip(),
            "name": name,
            "send_emails": send_emails,
            "access_enabled": access_enabled,
            "metadata": {MANAGED_BY_METADATA_KEY: check_marker(marker)},
            "notes": managed_notes(marker),
        }
        if not send_emails:
            user_fields["confirm"] = True
        return self._request_object(ApiRequest("POST", "/users", body={"user": user_fields}), User)

    def ensure_user(
        self,
        email: str,
        name: str | None,
        *,
        send_emails: bool,
        marker: str,
        lookup_first: bool = True,
    ) -> tuple[User, bool]:
        """The Kisi user with this email, and whether this call created it.

        An existing user is adopted as is (not modified, and not marked as ours). A missing one
        is created with ``marker``. ``POST /users`` is never re-sent: after a 409 or a failure
        that may have created the user, the user is looked up by email instead.

        ``lookup_first=False`` tries the create first and looks up only after Kisi's 409 for an
        existing email: one call fewer for a new user, one more for an existing one.
        """
        check_marker(marker)
        existing = self.find_user_by_email(email) if lookup_first else None
        if existing is not None:
            return existing, False
        user, failure = self._create_or_find(
            lambda: self.create_user(email, name, send_emails=send_emails, marker=marker),
            lambda: self._find_user_after_failed_create(email),
        )
        created = failure is None or (failure.possibly_executed and is_managed_by(user, marker))
        return user, created

    def update_user(self, user_id: int, **fields: Any) -> None:
        """``PATCH /users/{id}`` with ``fields`` (e.g. ``access_enabled=False`` to suspend)."""
        if not fields:
            raise ValueError("update_user needs at least one field")
        self._transport.send(
            ApiRequest("PATCH", "/users/{user_id}", {"user_id": user_id}, body={"user": fields})
        )

    def delete_user(self, user_id: int) -> bool:
        """Delete the user; False if it was already gone. Deleting loses its unlock history."""
        return self._delete(ApiRequest("DELETE", "/users/{user_id}", {"user_id": user_id}))

    # Groups and role assignments

    def get_group(self, group_id: int) -> Group:
        return self._request_object(
            ApiRequest("GET", "/groups/{group_id}", {"group_id": group_id}), Group
        )

    def iter_groups(self, *, query: str | None = None) -> Iterator[Group]:
        return self._iter_collection(
            "/groups", Group, limit=GROUPS_PAGE_LIMIT, filters={"query": query}
        )

    def iter_group_assignments(self, group_id: int) -> Iterator[RoleAssignment]:
        """Every role assignment of the group, 250 a page: the cheapest read of its members."""
        return self._iter_group_assignments(group_id)

    def group_assignments_page(
        self, group_id: int, offset: int = 0
    ) -> tuple[list[RoleAssignment], int | None]:
        """One page (250) of the group's role assignments from ``offset``, and the offset of
        the next page (None after the last). For listings that resume where they stopped;
        a next offset above ``MAX_OFFSET`` is returned as is: Kisi will not serve it."""
        query: dict[str, str | int] = {
            "applies_to_type": "Group",
            "applies_to_id": group_id,
            "limit": ROLE_ASSIGNMENTS_PAGE_LIMIT,
            "offset": offset,
        }
        request = ApiRequest("GET", "/role_assignments", query=query)
        response = self._transport.send(request)
        items = self._parse_list(
            RoleAssignment, self._transport.json_of(response, request.endpoint), request.endpoint
        )
        following = next_page_offset(
            offset=offset,
            limit=ROLE_ASSIGNMENTS_PAGE_LIMIT,
            received=len(items),
            collection_range=parse_collection_range(response.headers.get("X-Collection-Range")),
        )
        return items, following

    def find_group_assignment(self, user_id: int, group_id: int) -> RoleAssignment | None:
        """The user's assignment in the group (a ``group_basic`` one if there are several).

        Asks Kisi to filter by assignee as well, and checks every result itself, so the answer
        is right whether or not Kisi applies that filter.
        """
        fallback = None
        for assignment in self._iter_group_assignments(
            group_id, {"assignee_type": "User", "assignee_id": user_id}
        ):
            if assignment.user_id != user_id or assignment.group_id != group_id:
                continue
            if assignment.role_id == GROUP_BASIC_ROLE:
                return assignment
            fallback = fallback or assignment
        return fallback

    def create_group_assignment(
        self,
        user_id: int,
        group_id: int,
        *,
        valid_until: datetime | None = None,
        valid_from: datetime | None = None,
        notify: bool = False,
    ) -> RoleAssignment:
        """``POST /role_assignments`` once. Prefer ``ensure_group_assignment``."""
        body = {
            "role_assignment": {
                "role_id": GROUP_BASIC_ROLE,
                "applies_to_type": "Group",
                "applies_to_id": group_id,
                "assignee_type": "User",
                "assignee_id": user_id,
                "notify": notify,
                "valid_from": kisi_timestamp(valid_from),
                "valid_until": kisi_timestamp(valid_until),
            }
        }
        return self._request_object(
            ApiRequest("POST", "/role_assignments", body=body), RoleAssignment
        )

    def ensure_group_assignment(
        self,
        user_id: int,
        group_id: int,
        *,
        valid_until: datetime | None,
        valid_from: datetime | None = None,
    ) -> RoleAssignment:
        """The user's assignment in the group, created (``group_basic``) if missing.

        An assignment that already exists is returned as it is, even if its dates differ from
        the ones asked for: the caller compares and, if needed, calls
        ``replace_group_assignment``. Never re-sends the POST; recovers by lookup like
        ``ensure_user``.
        """
        assignment, _ = self._create_or_find(
            lambda: self.create_group_assignment(
                user_id, group_id, valid_until=valid_until, valid_from=valid_from
            ),
            lambda: self.find_group_assignment(user_id, group_id),
        )
        return assignment

    def replace_group_assignment(
        self,
        assignment: RoleAssignment,
        *,
        valid_until: datetime | None,
        valid_from: datetime | None = None,
    ) -> RoleAssignment:
        """Delete ``assignment`` and create the same one with new dates.

        Kisi has no update for assignments. Between the two calls the user has no access
        through this group; if the create fails, calling ``ensure_group_assignment`` again
        (e.g. on the command's retry) restores it.
        """
        if assignment.user_id is None or assignment.group_id is None:
            raise ValueError("only a user's assignment in a group can be replaced")
        self.remove_assignment(assignment.id)
        return self.ensure_group_assignment(
            assignment.user_id, assignment.group_id, valid_until=valid_until, valid_from=valid_from
        )

    def remove_assignment(self, assignment_id: int) -> bool:
        """Delete the assignment; False if it was already gone (404), which is not an error."""
        return self._delete(
            ApiRequest(
                "DELETE", "/role_assignments/{assignment_id}", {"assignment_id": assignment_id}
            )
        )

    # Plumbing

    def _iter_group_assignments(
        self, group_id: int, extra_filters: Mapping[str, QueryValue] | None = None
    ) -> Iterator[RoleAssignment]:
        filters: dict[str, QueryValue] = {"applies_to_type": "Group", "applies_to_id": group_id}
        return self._iter_collection(
            "/role_assignments",
            RoleAssignment,
            limit=ROLE_ASSIGNMENTS_PAGE_LIMIT,
            filters={**filters, **(extra_filters or {})},
        )

    def _find_user_after_failed_create(self, email: str) -> User | None:
        """After a create failed, Kisi's exact filter first, then its fuzzy search (compared
        exactly), in case the filter missed a user whose stored email differs in case."""
        found = self.find_user_by_email(email)
        if found is not None:
            return found
        return next(
            (u for u in self.iter_users(query=email.strip()) if emails_match(u.email, email)),
            None,
        )

    def _create_or_find[T](
        self, create: Callable[[], T], find: Callable[[], T | None]
    ) -> tuple[T, KisiError | None]:
        """``create()`` once; after a 409 or a failure that may have created the object, return
        what ``find()`` finds, with the error, or re-raise the error if it finds nothing."""
        try:
            return create(), None
        except KisiError as error:
            if not (isinstance(error, KisiConflict) or error.possibly_executed):
                raise
            existing = find()
            if existing is None:
                raise
            logger.info("Kisi create failed, found the existing object instead: %s", error)
            return existing, error

    def _request_object[M: KisiModel](self, request: ApiRequest, model: type[M]) -> M:
        return self._transport.fetch(request, model)

    def _parse_list[M: KisiModel](self, model: type[M], data: Any, endpoint: str) -> list[M]:
        if not isinstance(data, list):
            raise KisiMalformedResponse(
                f"Kisi answered with {type(data).__name__}, not a JSON array of {model.__name__}",
                endpoint=endpoint,
            )
        return [self._transport.parse(model, item, endpoint) for item in data]

    def _delete(self, request: ApiRequest) -> bool:
        try:
            self._transport.send(request)
        except KisiNotFound:
            return False
        return True

    def _iter_collection[M: KisiModel](
        self,
        path: str,
        model: type[M],
        *,
        limit: int,
        filters: Mapping[str, QueryValue],
    ) -> Iterator[M]:
        query = {name: value for name, value in filters.items() if value is not None}
        offset = 0
        while True:
            request = ApiRequest("GET", path, query={**query, "limit": limit, "offset": offset})
            response = self._transport.send(request)
            data = self._transport.json_of(response, request.endpoint)
            items = self._parse_list(model, data, request.endpoint)
            collection_range = parse_collection_range(response.headers.get("X-Collection-Range"))
            if collection_range is not None and collection_range.total > readable_total(limit):
                raise _too_large(request.endpoint, f"{collection_range.total} items")
            yield from items
            following = next_page_offset(
                offset=offset, limit=limit, received=len(items), collection_range=collection_range
            )
            if following is None:
                return
            if following > MAX_OFFSET:
                raise _too_large(request.endpoint, f"more than {following} items")
            offset = following


def _too_large(endpoint: str, size: str) -> KisiPaginationLimitExceeded:
    return KisiPaginationLimitExceeded(
        f"Kisi lists {size}, more than its offset limit of {MAX_OFFSET} lets a client read",
        endpoint=endpoint,
    )


def kisi_timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as Kisi writes them; naive datetimes are refused."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes sent to Kisi must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
