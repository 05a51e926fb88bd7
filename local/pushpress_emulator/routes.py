"""The one routing table: every emulated PushPress endpoint and every control endpoint."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from pushpress_emulator import api, control_api
from pushpress_emulator.call import Call
from pushpress_emulator.wire import API_PREFIX, EmulatorResponse

CONTROL_PREFIX = "/_emulator"

Handler = Callable[[Call], EmulatorResponse]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    """``/v3/customers/{uuid}``: a ``{name}`` matches one path segment."""
    handler: Handler
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def name(self) -> str:
        """How calls are counted: ``METHOD /path/template``."""
        return f"{self.method} {self.template}"

    @property
    def is_control(self) -> bool:
        return self.template.startswith(CONTROL_PREFIX)


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    params: dict[str, str]


def _api(method: str, path: str, handler: Handler) -> Route:
    return Route(method, API_PREFIX + path, handler)


def _control(method: str, path: str, handler: Handler) -> Route:
    return Route(method, CONTROL_PREFIX + path, handler)


_COMPANY = "/companies/{id}"

ROUTES: tuple[Route, ...] = (
    _api("GET", "/company", api.get_company),
    _api("GET", "/customers", api.list_customers),
    _api("GET", "/customers/{uuid}", api.get_customer),
    _api("GET", "/enrollments", api.list_enrollments),
    _api("GET", "/enrollments/{uuid}", api.get_enrollment),
    _api("GET", "/plans/{id}", api.get_plan),
    _control("GET", "/health", control_api.health),
    _control("POST", "/reset", control_api.reset),
    _control("POST", "/seed", control_api.seed),
    _control("POST", "/seed/demo", control_api.seed_demo),
    _control("GET", "/companies", control_api.list_companies),
    _control("GET", _COMPANY, control_api.company_state),
    _control("POST", _COMPANY + "/api_keys", control_api.add_api_key),
    _control("POST", _COMPANY + "/customers", control_api.create_customer),
    _control("PATCH", _COMPANY + "/customers/{customer_id}", control_api.update_customer),
    _control("DELETE", _COMPANY + "/customers/{customer_id}", control_api.delete_customer),
    _control("POST", _COMPANY + "/plans", control_api.create_plan),
    _control("PATCH", _COMPANY + "/plans/{plan_id}", control_api.update_plan),
    _control("POST", _COMPANY + "/enrollments", control_api.create_enrollment),
    _control("PATCH", _COMPANY + "/enrollments/{enrollment_id}", control_api.update_enrollment),
    _control("DELETE", _COMPANY + "/enrollments/{enrollment_id}", control_api.delete_enrollment),
    _control("POST", _COMPANY + "/webhooks", control_api.register_webhook),
    _control("PATCH", _COMPANY + "/webhooks/{webhook_id}", control_api.change_webhook),
    _control("POST", _COMPANY + "/webhooks/{webhook_id}/rotate", control_api.rotate_webhook_secret),
    _control("DELETE", "/api_keys/{key}", control_api.revoke_api_key),
    _control("GET", "/deliveries", control_api.list_deliveries),
    _control("POST", "/deliveries/drop", control_api.drop_deliveries),
    _control("POST", "/deliveries/pending/send", control_api.deliver_pending),
    _control("POST", "/deliveries/{delivery_id}/redeliver", control_api.redeliver),
    _control("GET", "/faults", control_api.list_faults),
    _control("POST", "/faults", control_api.inject_fault),
    _control("DELETE", "/faults", control_api.clear_faults),
    _control("DELETE", "/faults/{fault_id}", control_api.clear_fault),
    _control("GET", "/counts", control_api.counts),
    _control("DELETE", "/counts", control_api.reset_counts),
    _control("GET", "/config", control_api.config),
    _control("PATCH", "/config", control_api.change_config),
    _control("GET", "/clock", control_api.clock),
    _control("POST", "/clock/advance", control_api.advance_clock),
)


def match_route(method: str, path: str) -> RouteMatch | None:
    """The route for this method and path; a known path with another method is no route."""
    for route in ROUTES:
        if route.method != method:
            continue
        found = route.pattern.match(path)
        if found is not None:
            return RouteMatch(route, {k: unquote(v) for k, v in found.groupdict().items()})
    return None
