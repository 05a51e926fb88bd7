"""The local runtime serves the admin console as the stack's CloudFront distribution does: the
folder, path and headers come from template.yaml, and nothing outside the folder is served."""

from pathlib import Path

import pytest

from local_runtime.aws_resources import StackResources
from local_runtime.front_door import FrontDoor
from local_runtime.functions_host import FunctionsHost
from local_runtime.jwt_issuer import LocalIssuer
from local_runtime.stack_model import StackModel
from local_runtime.static_site import StaticSite, response_headers
from local_runtime.template import PROJECT_ROOT, load_template

HEADERS = {"content-security-policy": "default-src 'none'", "cache-control": "no-cache"}


@pytest.fixture
def site(tmp_path: Path) -> StaticSite:
    root = tmp_path / "console"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>console</title>")
    (root / "js" / "app.js").write_text("export {};")
    (root / ".secret.js").write_text("hidden")
    (root / "notes.md").write_text("not a console file type")
    (tmp_path / "outside.js").write_text("outside the folder")
    (root / "linked.js").symlink_to(tmp_path / "outside.js")
    return StaticSite("/console/", root, HEADERS, {"config.json": lambda: b'{"stage": "test"}'})


def test_the_template_declares_the_console_folder_path_and_headers() -> None:
    (site,) = StackModel(StackResources(), {"Stage": "dev"}).static_sites()
    assert site.url_prefix == "/console/"
    assert site.directory == PROJECT_ROOT / "console"
    assert (site.directory / "index.html").is_file()
    policy = load_template()["Resources"]["ConsoleResponseHeadersPolicy"]["Properties"]
    assert site.headers == response_headers(policy["ResponseHeadersPolicyConfig"])
    csp = site.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; script-src 'self';")
    assert "unsafe" not in csp
    assert site.headers["cache-control"] == "no-cache"
    assert site.headers["x-frame-options"] == "DENY"
    assert site.headers["x-content-type-options"] == "nosniff"
    assert site.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_files_are_served_with_their_type_and_the_policy_headers(site: StaticSite) -> None:
    page = site.answer("GET", "/console/", {})
    assert page.status == 200
    assert page.body.startswith(b"<!doctype html>")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == "default-src 'none'"
    script = site.answer("GET", "/console/js/app.js", {})
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert site.answer("GET", "/console/config.json", {}).body == b'{"stage": "test"}'


def test_a_folder_without_its_slash_is_redirected(site: StaticSite) -> None:
    assert site.handles("/console")
    answer = site.answer("GET", "/console", {})
    assert (answer.status, answer.headers["location"]) == (301, "/console/")
    assert not site.handles("/consoles/x.js")


def test_an_unchanged_file_is_answered_304(site: StaticSite) -> None:
    first = site.answer("GET", "/console/js/app.js", {})
    again = site.answer("GET", "/console/js/app.js", {"if-none-match": first.headers["etag"]})
    assert (again.status, again.body) == (304, b"")


@pytest.mark.parametrize(
    "path",
    [
        "/console/../outside.js",
        "/console/%2e%2e/outside.js",
        "/console/linked.js",
        "/console/.secret.js",
        "/console/notes.md",
        "/console/js",
        "/console/missing.js",
    ],
)
def test_nothing_outside_the_folder_or_of_an_unknown_type_is_served(
    site: StaticSite, path: str
) -> None:
    assert site.answer("GET", path, {}).status == 404


def test_only_reading_methods_are_allowed(site: StaticSite) -> None:
    assert site.answer("POST", "/console/index.html", {}).status == 403


def test_the_headers_policy_translation() -> None:
    headers = response_headers(
        {
            "SecurityHeadersConfig": {
                "ContentSecurityPolicy": {
                    "ContentSecurityPolicy": "default-src\n 'none';  img-src 'self'"
                },
                "ReferrerPolicy": {"ReferrerPolicy": "no-referrer"},
                "StrictTransportSecurity": {"AccessControlMaxAgeSec": 60, "Preload": True},
            },
            "CustomHeadersConfig": {"Items": [{"Header": "X-Custom", "Value": "1"}]},
        }
    )
    assert headers == {
        "content-security-policy": "default-src 'none'; img-src 'self'",
        "referrer-policy": "no-referrer",
        "strict-transport-security": "max-age=60; preload",
        "x-custom": "1",
    }


def test_the_front_door_serves_the_console_beside_the_api(tmp_path: Path) -> None:
    model = StackModel(
        StackResources(), {"Stage": "dev", "JwtIssuer": "https://i", "JwtAudience": "a"}
    )
    issuer = LocalIssuer(tmp_path / "key.pem")
    sites = [site.with_generated({"config.json": lambda: b"{}"}) for site in model.static_sites()]
    door = FrontDoor(model, FunctionsHost(model, {}), issuer, {}, static_sites=sites)

    page = door.handle("GET", "/console/?x=1", {}, b"")
    assert page.status == 200
    assert b'<script type="module" src="js/app.js">' in page.body
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert door.handle("GET", "/console/config.json", {}, b"").body == b"{}"
    assert door.handle("GET", "/console", {}, b"").status == 301
    # The API's routes are untouched: no token, the JWT authorizer's 401.
    assert door.handle("GET", "/v1/admin/tenants/t/status", {}, b"").status == 401
