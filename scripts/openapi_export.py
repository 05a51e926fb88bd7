"""docs/openapi.json, generated from the code: the Admin and Unlock resolvers' own OpenAPI schemas
(Powertools), merged into one document with the JWT bearer security scheme.

    scripts/export-openapi            # write docs/openapi.json
    scripts/export-openapi --check    # exit 1 when docs/openapi.json is stale

tests/integration/test_openapi.py fails when the committed document differs from what this builds.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"
TITLE = "Kisi Access Bridge API"
DESCRIPTION = (
    "The HTTP API of the Kisi Access Bridge: the club Admin API (`/v1/admin/...`, club admins) "
    "and the Unlock API (`/v1/reservations/...`, players in the mobile app). Every route needs a "
    "JWT (API Gateway's JWT authorizer); the tenant comes from the token's tenant claim. Partner "
    "platform webhooks (`POST /webhooks/{platform}/{tenant_id}`, HMAC-signed) are documented in "
    "docs/webhooks.md."
)
# (handler module, its folder): each exposes its APIGatewayHttpResolver as `app`.
RESOLVERS = (("admin_handler", "functions/admin"), ("unlock_handler", "functions/unlock"))
IMPORT_ROOTS = ("layers/kisi_client", "layers/access_core", *(folder for _, folder in RESOLVERS))
SECURITY_SCHEME = "bearerAuth"
COMPONENT_REF = "#/components/schemas/"


class OpenApiConflict(RuntimeError):
    """Two resolvers define the same operation, or the same component differently."""


def _version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


def _resolver_schemas() -> Iterator[dict[str, Any]]:
    for root in IMPORT_ROOTS:
        if str(ROOT / root) not in sys.path:
            sys.path.append(str(ROOT / root))
    # Importing a handler builds its Powertools tools: no X-Ray outside Lambda.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    for module_name, folder in RESOLVERS:
        app = getattr(importlib.import_module(module_name), "app", None)
        if app is None:
            raise OpenApiConflict(f"{folder}/{module_name}.py exposes no resolver named app")
        schema = app.get_openapi_schema(title=TITLE, version=_version())
        yield schema.model_dump(by_alias=True, exclude_none=True, mode="json")


def _merge(schemas: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {}
    for schema in schemas:
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if method in paths.setdefault(path, {}):
                    raise OpenApiConflict(f"{method.upper()} {path} is defined twice")
                paths[path][method] = operation
        for name, definition in schema.get("components", {}).get("schemas", {}).items():
            if components.setdefault(name, definition) != definition:
                raise OpenApiConflict(f"component {name} differs between resolvers")
    return paths, components


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        reference = value.get("$ref")
        if isinstance(reference, str) and reference.startswith(COMPONENT_REF):
            yield reference.removeprefix(COMPONENT_REF)
        for child in value.values():
            yield from _references(child)
    elif isinstance(value, list):
        for child in value:
            yield from _references(child)


def _used_components(paths: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Only the components the operations reach (Powertools adds its own unused ones)."""
    used: set[str] = set()
    pending = list(_references(paths))
    while pending:
        name = pending.pop()
        if name not in used:
            used.add(name)
            pending.extend(_references(components[name]))
    return {name: components[name] for name in sorted(used)}


def build_document() -> dict[str, Any]:
    paths, components = _merge(list(_resolver_schemas()))
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": _version(), "description": DESCRIPTION},
        "servers": [{"url": "/", "description": "The stack's HttpApiUrl output"}],
        "security": [{SECURITY_SCHEME: []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": _used_components(paths, components),
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A JWT of the stack's issuer and audience (JwtIssuer, "
                    "JwtAudience) with `sub`, the tenant claim (`tenant_id`) and `roles` "
                    "(`admin` for the Admin API).",
                }
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run scripts/export-openapi", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
