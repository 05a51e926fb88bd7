"""The PushPress Platform API endpoints the bridge uses (all reads)."""

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from http_client_kit.transport import ApiClient, ApiRequest
from pushpress_client.errors import PushPressInvalidResponse
from pushpress_client.models import (
    Company,
    Customer,
    CustomerRole,
    Enrollment,
    EnrollmentStatus,
    Plan,
    PushPressModel,
)
from pushpress_client.pacing import (
    DEFAULT_REQUESTS_PER_SECOND,
    SHARED_PACERS,
    PacerRegistry,
    pacer_key_for_api_key,
)
from pushpress_client.pagination import (
    DEFAULT_PAGE_SIZE,
    FIRST_PAGE,
    Page,
    iterate_pages,
    next_page_number,
)
from pushpress_client.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from pushpress_client.transport import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT,
    PushPressTransport,
)

type QueryValue = str | int | None


class PushPressClient(ApiClient):
    """A PushPress Platform API client for one API key (and, for a multi-company key, one
    ``company_id``, sent as the ``company-id`` header).

    Cheap to create: every instance shares the process's connection pool (unless given
    ``http_client``) and the pacer of its API key in ``pacers``, so a Lambda can build one per
    invocation or keep one across warm invocations alike.

    What PushPress does not offer, and this client therefore cannot: a filter by modification
    time ("changed since") on customers or enrollments (neither carries a modification time),
    a list of plans (only ``GET /plans/{id}``), and creating check-ins.
    """

    _transport: PushPressTransport

    def __init__(
        self,
        api_key: str,
        *,
        company_id: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND,
        pacer_key: str | None = None,
        pacers: PacerRegistry = SHARED_PACERS,
        page_size: int = DEFAULT_PAGE_SIZE,
        http_client: httpx.Client | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.pacer_key = pacer_key or pacer_key_for_api_key(api_key)
        self.page_size = page_size
        self._transport = PushPressTransport(
            api_key,
            pacer=pacers.pacer_for(self.pacer_key, requests_per_second=requests_per_second),
            retry=retry,
            company_id=company_id,
            base_url=base_url,
            user_agent=user_agent,
            timeout=timeout,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return (
            f"PushPressClient(base_url={self.base_url!r}, company_id={self.company_id!r}, "
            f"pacer_key={self.pacer_key!r})"
        )

    @property
    def company_id(self) -> str | None:
        return self._transport.company_id

    # Company

    def get_company(self) -> Company:
        return self._request_object(ApiRequest("GET", "/company"), Company)

    def validate_credentials(self) -> Company:
        """The company the key acts for; raises ``PushPressAuthError`` when PushPress refuses
        the key (or the key may not act for ``company_id``)."""
        return self.get_company()

    # Customers

    def get_customer(self, customer_id: str) -> Customer:
        """One customer (email, name, role); ``PushPressNotFound`` when there is none."""
        return self._request_object(
            ApiRequest("GET", "/customers/{uuid}", {"uuid": _checked_id(customer_id)}), Customer
        )

    def customers_page(
        self,
        page: int = FIRST_PAGE,
        *,
        email: str | None = None,
        role: CustomerRole | str | None = None,
        limit: int | None = None,
    ) -> Page[Customer]:
        """One page of ``GET /customers`` (filters: ``email``, ``role``), for resumable reads."""
        return self._page(
            "/customers", Customer, page, limit, {"email": email, "role": _text(role)}
        )

    def iter_customers(
        self, *, email: str | None = None, role: CustomerRole | str | None = None
    ) -> Iterator[Customer]:
        """Every customer matching the filters, page after page."""
        return iterate_pages(
            lambda page: self.customers_page(page, email=email, role=role),
            lambda customer: customer.id,
            endpoint="GET /customers",
        )

    # Enrollments

    def get_enrollment(self, enrollment_id: str) -> Enrollment:
        return self._request_object(
            ApiRequest("GET", "/enrollments/{uuid}", {"uuid": _checked_id(enrollment_id)}),
            Enrollment,
        )

    def enrollments_page(
        self,
        page: int = FIRST_PAGE,
        *,
        customer_id: str | None = None,
        status: EnrollmentStatus | str | None = None,
        limit: int | None = None,
    ) -> Page[Enrollment]:
        """One page of ``GET /enrollments`` (filters: ``customerId``, ``status``)."""
        return self._page(
            "/enrollments",
            Enrollment,
            page,
            limit,
            {"customerId": customer_id, "status": _text(status)},
        )

    def iter_enrollments(
        self,
        *,
        customer_id: str | None = None,
        status: EnrollmentStatus | str | None = None,
    ) -> Iterator[Enrollment]:
        """Every enrollment matching the filters, page after page."""
        return iterate_pages(
            lambda page: self.enrollments_page(page, customer_id=customer_id, status=status),
            lambda enrollment: enrollment.id,
            endpoint="GET /enrollments",
        )

    # Plans

    def get_plan(self, plan_id: str) -> Plan:
        """One plan; ``plan.allows_24_hour_access`` is its "24-hr access" policy."""
        return self._request_object(
            ApiRequest("GET", "/plans/{id}", {"id": _checked_id(plan_id)}), Plan
        )

    # Plumbing

    def _request_object[M: PushPressModel](self, request: ApiRequest, model: type[M]) -> M:
        return self._transport.fetch(request, model)

    def _page[M: PushPressModel](
        self,
        path: str,
        model: type[M],
        page: int,
        limit: int | None,
        filters: Mapping[str, QueryValue],
    ) -> Page[M]:
        if page < FIRST_PAGE:
            raise ValueError("page numbers start at 1")
        size = limit if limit is not None else self.page_size
        if size < 1:
            raise ValueError("limit must be at least 1")
        query: dict[str, str | int] = {k: v for k, v in filters.items() if v is not None}
        query.update(page=page, limit=size)
        request = ApiRequest("GET", path, query=query)
        response = self._transport.send(request)
        items = self._parse_result_array(
            model, self._transport.json_of(response, request.endpoint), request.endpoint
        )
        return Page(
            items=items, page=page, limit=size, next_page=next_page_number(page, len(items))
        )

    def _parse_result_array[M: PushPressModel](
        self, model: type[M], data: Any, endpoint: str
    ) -> list[M]:
        """The items of a listing: ``{"data": {"resultArray": [...]}}``."""
        inner = data.get("data") if isinstance(data, dict) else None
        items = inner.get("resultArray") if isinstance(inner, dict) else None
        if not isinstance(items, list):
            raise PushPressInvalidResponse(
                f"PushPress answered a listing without data.resultArray (a {type(data).__name__})",
                endpoint=endpoint,
            )
        return [self._transport.parse(model, item, endpoint) for item in items]


def _text(value: str | None) -> str | None:
    return None if value is None else str(value)


def _checked_id(value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("ids must be non-empty strings")
    return value.strip()
