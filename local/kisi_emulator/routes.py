"""The one routing table: every Kisi endpoint and every control endpoint."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kisi_emulator import control_api, kisi_api
from kisi_emulator.call import Call
from kisi_emulator.wire import EmulatorResponse

CONTROL_PREFIX = "/_emulator"

Handler = Callable[[Call], EmulatorResponse]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    """`/users/{id}`: a `{name}` matches one path segment."""
    handler: Handler
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def name(self) -> str:
        """How calls are counted: `METHOD /path/template`."""
        return f"{self.method} {self.template}"

    @property
    def is_control(self) -> bool:
        return self.template.startswith(CONTROL_PREFIX)


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    params: dict[str, str]


def _control(method: str, path: str, handler: Handler) -> Route:
    return Route(method, CONTROL_PREFIX + path, handler)


ROUTES: tuple[Route, ...] = (
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
    _control("GET", "/health", control_api.health),
    _control("POST", "/reset", control_api.reset),
    _control("POST", "/seed", control_api.seed),
    _control("POST", "/seed/demo", control_api.seed_demo),
    _control("GET", "/organizations", control_api.list_organizations),
    _control("GET", "/organizations/{id}", control_api.organization_state),
    _control("GET", "/organizations/{id}/unlocks", control_api.unlock_log),
    _control("GET", "/organizations/{id}/access", control_api.access_by_email),
    _control("GET", "/organizations/{id}/users/{user_id}/access", control_api.user_access),
    _control("PATCH", "/organizations/{id}/locks/{lock_id}", control_api.change_lock),
    _control("DELETE", "/api_keys/{key}", control_api.revoke_api_key),
    _control("GET", "/faults", control_api.list_faults),
    _control("POST", "/faults", control_api.inject_fault),
    _control("DELETE", "/faults", control_api.clear_faults),
    _control("DELETE", "/faults/{id}", control_api.clear_fault),
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
            return RouteMatch(route, found.groupdict())
    return None
