"""The cheat sheet's curl examples: template routes, a `{proxy+}` route expanded operation by
operation from docs/openapi.json."""

import json

from local_runtime.demo_tenant import OPENAPI_DOCUMENT, _example_path, _operations


def test_a_proxy_route_lists_every_documented_operation_under_it() -> None:
    documented = json.loads(OPENAPI_DOCUMENT.read_text())["paths"]
    expected = {
        (method.upper(), path)
        for path, operations in documented.items()
        if path.startswith("/v1/admin/")
        for method in operations
    }

    listed = set(_operations("ANY", "/v1/admin/{proxy+}"))

    assert listed == expected
    assert ("PUT", "/v1/admin/tenants/{tenant_id}/settings") in listed


def test_a_plain_route_is_listed_as_it_is() -> None:
    assert list(
        _operations("POST", "/v1/reservations/{reservation_id}/doors/{lock_id}/unlock")
    ) == [("POST", "/v1/reservations/{reservation_id}/doors/{lock_id}/unlock")]
    assert list(_operations("ANY", "/health")) == [("GET", "/health")]


def test_path_parameters_get_example_values() -> None:
    assert (
        _example_path("/v1/admin/tenants/{tenant_id}/members/{member_id}/access", "demo-club")
        == "/v1/admin/tenants/demo-club/members/m-1/access"
    )
    assert _example_path("/x/{unknown}", "t") == "/x/<unknown>"
