"""The one routing table: every Kisi endpoint and every control endpoint."""

from emulator_kit import control_api as shared_control
from emulator_kit.routes import CONTROL_PREFIX, Route, RouteMatch, RouteTable, control
from kisi_emulator import control_api, kisi_api
from kisi_emulator.call import Call

__all__ = ["CONTROL_PREFIX", "ROUTES", "ROUTE_TABLE", "Route", "RouteMatch", "match_route"]

ROUTES: tuple[Route[Call], ...] = (
    Route("GET", "/user", kisi_api.current_user),
    Route("GET", "/organization", kisi_api.current_organization),
    Route("GET", "/places", kisi_api.list_places),
    Route("GET", "/places/{id}", kisi_api.show_place),
    Route("GET", "/locks", kisi_api.list_locks),
    Route("GET", "/locks/{id}", kisi_api.show_lock),
    Route("POST", "/locks/{id}/unlock", kisi_api.unlock_lock),
    Route("GET", "/users", kisi_api.list_users),
    Route("POST", "/users", kisi_api.create_user),
    Route("GET", "/users/{id}", kisi_api.show_user),
    Route("PATCH", "/users/{id}", kisi_api.update_user),
    Route("DELETE", "/users/{id}", kisi_api.delete_user),
    Route("GET", "/groups", kisi_api.list_groups),
    Route("GET", "/groups/{id}", kisi_api.show_group),
    Route("GET", "/role_assignments", kisi_api.list_role_assignments),
    Route("POST", "/role_assignments", kisi_api.create_role_assignment),
    Route("DELETE", "/role_assignments/{id}", kisi_api.delete_role_assignment),
    # health, reset, seed, seed/demo, api_keys/{key}, faults, counts, config, clock
    *shared_control.ROUTES,
    control("GET", "/organizations", control_api.list_organizations),
    control("GET", "/organizations/{id}", control_api.organization_state),
    control("GET", "/organizations/{id}/unlocks", control_api.unlock_log),
    control("GET", "/organizations/{id}/access", control_api.access_by_email),
    control("GET", "/organizations/{id}/users/{user_id}/access", control_api.user_access),
    control("PATCH", "/organizations/{id}/locks/{lock_id}", control_api.change_lock),
    control("POST", "/organizations/{id}/locks/{lock_id}/unlock-as", control_api.unlock_as),
    control("POST", "/organizations/{id}/event-webhooks", control_api.add_event_webhook),
    control("GET", "/organizations/{id}/event-deliveries", control_api.event_deliveries),
    control("DELETE", "/faults/{id}", control_api.clear_fault),
    control("PATCH", "/config", control_api.change_config),
)

ROUTE_TABLE = RouteTable(ROUTES)


def match_route(method: str, path: str) -> RouteMatch[Call] | None:
    """The route for this method and path; a known path with another method is no route."""
    return ROUTE_TABLE.match(method, path)
