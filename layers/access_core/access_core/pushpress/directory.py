"""PushPress's API for one tenant's key as a `PlatformDirectory` (domain/ports.py): records read
through `pushpress_client` and mapped to canonical events by `mapping.py`, versioned by the time
they were read.

Errors: every `pushpress_client` error is raised again as the domain's own, so that callers
need not know the client: `PushPressAuthError` (401/403/407/511) as `PlatformAuthError` (mark
the tenant's PushPress key invalid), `PushPressRateLimited` and `PushPressUnavailable` (429,
5xx, timeouts, connection failures, after the client's own retries) as `PlatformUnavailable`
with PushPress's `retry_after`, anything else (`PushPressBadRequest`, `PushPressInvalidResponse`)
as `PlatformError`. The original error is chained (`__cause__`); none of them holds the key.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from access_core.domain.events import (
    MemberProfileUpdated,
    MembershipUpserted,
    PlanUpdated,
    preferred_membership,
)
from access_core.domain.ports import (
    DirectoryPage,
    MemberFacts,
    PlatformAccount,
    PlatformAuthError,
    PlatformError,
    PlatformUnavailable,
    SkippedRecord,
)
from access_core.pushpress.mapping import (
    GRANTING_ENROLLMENT_STATUSES,
    UnmappableRecord,
    member_deleted,
    membership_ended,
    membership_from_enrollment,
    profile_from_customer,
    pull_event_id,
)
from pushpress_client import (
    Customer,
    Enrollment,
    Page,
    PushPressAuthError,
    PushPressClient,
    PushPressError,
    PushPressNotFound,
    PushPressRateLimited,
    PushPressUnavailable,
)


@contextmanager
def platform_errors() -> Iterator[None]:
    """`pushpress_client` errors as the domain's PlatformError kinds."""
    try:
        yield
    except PushPressAuthError as error:
        raise PlatformAuthError(str(error)) from error
    except (PushPressRateLimited, PushPressUnavailable) as error:
        raise PlatformUnavailable(str(error), retry_after=error.retry_after) from error
    except PushPressError as error:
        raise PlatformError(str(error)) from error


def skipped(record_id: str, unmappable: UnmappableRecord) -> SkippedRecord:
    return SkippedRecord(
        record_id, tuple(f"{p.field or 'record'}: {p.message}" for p in unmappable.problems)
    )


class PushPressDirectory:
    """`access_plan_ids`: the plans that carry 24-hour access (the admin's setting), which decide
    which of a customer's enrollments counts when it has several (`preferred_membership`)."""

    granting_statuses: tuple[str, ...] = tuple(s.value for s in GRANTING_ENROLLMENT_STATUSES)

    def __init__(
        self,
        client: PushPressClient,
        *,
        clock: Callable[[], datetime],
        access_plan_ids: Collection[str] | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        self._access_plan_ids = access_plan_ids
        self._calls_before = client.total_requests

    def __repr__(self) -> str:
        return f"PushPressDirectory({self._client!r})"

    @property
    def calls_made(self) -> int:
        return self._client.total_requests - self._calls_before

    def check_credentials(self) -> PlatformAccount:
        """`GET /company`: whom the key acts for."""
        with platform_errors():
            company = self._client.validate_credentials()
        return PlatformAccount(account_id=company.id, name=company.name)

    def member_facts(self, member_id: str, *, enrollment_id: str | None = None) -> MemberFacts:
        """`GET /customers/{id}` (404: the member is deleted, nothing more is read), then the
        enrollment `enrollment_id` or the customer's enrollments (`GET /enrollments?customerId=`,
        one page: a customer has a handful), of which the preferred one is the membership."""
        read_at = self._clock()
        with platform_errors():
            customer = self._customer(member_id)
            if customer is None:
                deleted = member_deleted(
                    member_id,
                    event_id=pull_event_id("customer", member_id, read_at),
                    updated_at=read_at,
                )
                return MemberFacts(member_id, read_at, deleted=deleted)
            enrollments = self._enrollments_of(member_id, enrollment_id)
        memberships, problems = mapped(enrollments, enrollment_event, read_at)
        membership = preferred_membership(memberships, self._access_plan_ids)
        if membership is None and not enrollments:
            membership = membership_ended(
                event_id=pull_event_id("membership", member_id, read_at),
                updated_at=read_at,
                customer_id=member_id,
            )
        profiles, profile_problems = mapped([customer], customer_event, read_at)
        return MemberFacts(
            member_id,
            read_at,
            membership,
            profiles[0] if profiles else None,
            skipped=(*problems, *profile_problems),
        )

    def list_enrollments(self, *, status: str | None = None, page: int = 1) -> DirectoryPage:
        """One page of `GET /enrollments` (`status`: one of PushPress's values, or every one)."""
        read_at = self._clock()
        with platform_errors():
            listed = self._client.enrollments_page(page, status=status)
        return directory_page(listed, *mapped(listed.items, enrollment_event, read_at), read_at)

    def list_customers(self, *, page: int = 1) -> DirectoryPage:
        """One page of `GET /customers`, as profile events (a customer without a valid email is
        skipped and reported)."""
        read_at = self._clock()
        with platform_errors():
            listed = self._client.customers_page(page)
        return directory_page(listed, *mapped(listed.items, customer_event, read_at), read_at)

    def plan(self, plan_id: str) -> PlanUpdated | None:
        """`GET /plans/{id}`: its "24-hr access" policy (`policies.allow24HourAccess`)."""
        read_at = self._clock()
        with platform_errors():
            try:
                found = self._client.get_plan(plan_id)
            except PushPressNotFound:
                return None
        return PlanUpdated(
            event_id=pull_event_id("plan", found.id, read_at),
            plan_id=found.id,
            name=(found.name or "")[:200],
            has_24h_access=found.allows_24_hour_access,
            updated_at=read_at,
        )

    def _customer(self, member_id: str) -> Customer | None:
        try:
            return self._client.get_customer(member_id)
        except PushPressNotFound:
            return None

    def _enrollments_of(self, member_id: str, enrollment_id: str | None) -> list[Enrollment]:
        if enrollment_id is not None:
            try:
                enrollment = self._client.get_enrollment(enrollment_id)
            except PushPressNotFound:
                return []
            # An enrollment of another customer says nothing of this one.
            return [enrollment] if enrollment.customer_id == member_id else []
        page = self._client.enrollments_page(customer_id=member_id)
        return [e for e in page.items if e.customer_id == member_id]


def enrollment_event(enrollment: Enrollment, read_at: datetime) -> MembershipUpserted:
    return membership_from_enrollment(
        enrollment,
        event_id=pull_event_id("enrollment", enrollment.id, read_at),
        updated_at=read_at,
    )


def customer_event(customer: Customer, read_at: datetime) -> MemberProfileUpdated:
    return profile_from_customer(
        customer, event_id=pull_event_id("customer", customer.id, read_at), updated_at=read_at
    )


def mapped[RecordT: (Enrollment, Customer), EventT](
    records: Iterable[RecordT],
    to_event: Callable[[RecordT, datetime], EventT],
    read_at: datetime,
) -> tuple[list[EventT], list[SkippedRecord]]:
    """Each record as its event; a record that maps to none is skipped and reported."""
    events: list[EventT] = []
    problems: list[SkippedRecord] = []
    for record in records:
        try:
            events.append(to_event(record, read_at))
        except UnmappableRecord as unmappable:
            problems.append(skipped(record.id, unmappable))
    return events, problems


def directory_page(
    listed: Page[Enrollment] | Page[Customer],
    events: Sequence[MembershipUpserted | MemberProfileUpdated],
    problems: Sequence[SkippedRecord],
    read_at: datetime,
) -> DirectoryPage:
    return DirectoryPage(
        events=tuple(events),
        skipped=tuple(problems),
        listed=len(listed.items),
        page=listed.page,
        next_page=listed.next_page,
        read_at=read_at,
    )
