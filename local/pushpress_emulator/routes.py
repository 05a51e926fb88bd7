"""The one routing table: every emulated PushPress endpoint and every control endpoint."""

from collections.abc import Callable

from emulator_kit import control_api as shared_control
from emulator_kit.routes import CONTROL_PREFIX, Route, RouteMatch, RouteTable, control
from emulator_kit.wire import EmulatorResponse
from pushpress_emulator import api, control_api
from pushpress_emulator.call import Call
from pushpress_emulator.wire import API_PREFIX

__all__ = ["CONTROL_PREFIX", "ROUTES", "ROUTE_TABLE", "Route", "RouteMatch", "match_route"]


def _api(method: str, path: str, handler: Callable[[Call], EmulatorResponse]) -> Route[Call]:
    """``/v3/customers/{uuid}``: a ``{name}`` matches one path segment."""
    return Route(method, API_PREFIX + path, handler)


_COMPANY = "/companies/{id}"

ROUTES: tuple[Route[Call], ...] = (
    _api("GET", "/company", api.get_company),
    _api("GET", "/customers", api.list_customers),
    _api("GET", "/customers/{uuid}", api.get_customer),
    _api("GET", "/enrollments", api.list_enrollments),
    _api("GET", "/enrollments/{uuid}", api.get_enrollment),
    _api("GET", "/plans/{id}", api.get_plan),
    # health, reset, seed, seed/demo, api_keys/{key}, faults, counts, config, clock
    *shared_control.ROUTES,
    control("GET", "/companies", control_api.list_companies),
    control("GET", _COMPANY, control_api.company_state),
    control("POST", _COMPANY + "/api_keys", control_api.add_api_key),
    control("POST", _COMPANY + "/customers", control_api.create_customer),
    control("PATCH", _COMPANY + "/customers/{customer_id}", control_api.update_customer),
    control("DELETE", _COMPANY + "/customers/{customer_id}", control_api.delete_customer),
    control("POST", _COMPANY + "/plans", control_api.create_plan),
    control("PATCH", _COMPANY + "/plans/{plan_id}", control_api.update_plan),
    control("POST", _COMPANY + "/enrollments", control_api.create_enrollment),
    control("PATCH", _COMPANY + "/enrollments/{enrollment_id}", control_api.update_enrollment),
    control("DELETE", _COMPANY + "/enrollments/{enrollment_id}", control_api.delete_enrollment),
    control("POST", _COMPANY + "/webhooks", control_api.register_webhook),
    control("PATCH", _COMPANY + "/webhooks/{webhook_id}", control_api.change_webhook),
    control("POST", _COMPANY + "/webhooks/{webhook_id}/rotate", control_api.rotate_webhook_secret),
    control("GET", "/deliveries", control_api.list_deliveries),
    control("POST", "/deliveries/drop", control_api.drop_deliveries),
    control("POST", "/deliveries/pending/send", control_api.deliver_pending),
    control("POST", "/deliveries/{delivery_id}/redeliver", control_api.redeliver),
    control("DELETE", "/faults/{fault_id}", control_api.clear_fault),
    control("PATCH", "/config", control_api.change_config),
)


ROUTE_TABLE = RouteTable(ROUTES, unquote_params=True)


def match_route(method: str, path: str) -> RouteMatch[Call] | None:
    """The route for this method and path (its parameters percent-decoded); a known path with
    another method is no route."""
    return ROUTE_TABLE.match(method, path)
