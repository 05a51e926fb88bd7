"""docs/openapi.json is what the code documents (scripts/export-openapi writes it; this fails when
it is stale) and a valid OpenAPI 3.1 document that covers every JSON route of template.yaml."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from local_runtime.aws_resources import StackResources
from local_runtime.stack_model import StackModel
from scripts import openapi_export


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(openapi_export.OUTPUT.read_text())
    return document


def export_check(*arguments: str) -> subprocess.CompletedProcess[str]:
    """`scripts/export-openapi --check`, in a child process: importing the handlers here, before
    a test sets the functions' environment, would build their Powertools tools without it for
    the rest of the session."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.openapi_export", "--check", *arguments],
        cwd=openapi_export.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_committed_document_is_what_the_code_documents() -> None:
    check = export_check()

    assert check.returncode == 0, check.stderr + check.stdout


def test_the_stale_check_fails_on_a_changed_document(tmp_path: Path) -> None:
    changed = tmp_path / "openapi.json"
    changed.write_text(openapi_export.OUTPUT.read_text().replace("Kisi", "Kisu", 1))

    check = export_check("--output", str(changed))

    assert check.returncode == 1
    assert "stale" in check.stderr


def test_the_document_is_valid_openapi_3_1(committed: dict[str, Any]) -> None:
    assert committed["openapi"].startswith("3.1")
    validate(committed)


def test_the_validator_refuses_a_broken_document(committed: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(committed))
    first_path = next(iter(broken["paths"].values()))
    next(iter(first_path.values()))["responses"] = "none"

    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_json_api_route_of_the_template_is_documented(committed: dict[str, Any]) -> None:
    """The template's Admin and Unlock routes (the webhook route is documented in
    docs/webhooks.md): each serves at least one documented operation, and each documented
    operation is served by a template route."""
    routes = [
        route
        for route in StackModel(StackResources(), {}).routes()
        if route.function in {"AdminFunction", "UnlockFunction"}
    ]
    assert {route.function for route in routes} == {"AdminFunction", "UnlockFunction"}
    operations = [
        (method.upper(), re.sub(r"\{\w+\}", "x", path))
        for path, item in committed["paths"].items()
        for method in item
    ]
    for method, path in operations:
        assert any(route.match(method, path) is not None for route in routes), (method, path)
    for route in routes:
        assert any(route.match(method, path) is not None for method, path in operations), route


def test_every_operation_documents_its_refusals_with_the_error_model(
    committed: dict[str, Any],
) -> None:
    for path, item in committed["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "200" in responses, (method, path)
            assert {"401", "403", "404", "422"} <= set(responses), (method, path)
            assert operation.get("summary"), (method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema["$ref"].endswith(("/ApiError", "/UnlockError")), (status, path)
