"""One routing table per emulator: its API endpoints and its control endpoints."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from emulator_kit.wire import EmulatorResponse

CONTROL_PREFIX = "/_emulator"


@dataclass(frozen=True)
class Route[C]:
    method: str
    template: str
    """`/users/{id}`: a `{name}` matches one path segment."""
    handler: Callable[[C], EmulatorResponse]
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
class RouteMatch[C]:
    route: Route[C]
    params: dict[str, str]


def control[C](method: str, path: str, handler: Callable[[C], EmulatorResponse]) -> Route[C]:
    """A route of the control API: `path` under `/_emulator`."""
    return Route(method, CONTROL_PREFIX + path, handler)


class RouteTable[C]:
    """The routes in order; `unquote_params` percent-decodes the path parameters matched."""

    def __init__(self, routes: Sequence[Route[C]], *, unquote_params: bool = False) -> None:
        self.routes = tuple(routes)
        self._unquote = unquote_params

    def match(self, method: str, path: str) -> RouteMatch[C] | None:
        """The route for this method and path; a known path with another method is no route."""
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found is not None:
                params = found.groupdict()
                if self._unquote:
                    params = {name: unquote(value) for name, value in params.items()}
                return RouteMatch(route, params)
        return None


def is_control_path(path: str) -> bool:
    """Whether `path` is under the control API (a known control route or not)."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
