"""The local runtime reads routes, environments and event sources from template.yaml itself."""

import pytest

from local_runtime.aws_resources import StackResources
from local_runtime.stack_model import Route, StackModel
from local_runtime.template import load_template

RESOURCES = StackResources(
    table_names={"BridgeTable": "BridgeTable", "IdempotencyTable": "IdempotencyTable"},
    queue_urls={
        "CommandQueue": "http://localhost/q/CommandQueue.fifo",
        "CommandDeadLetterQueue": "http://localhost/q/CommandDeadLetterQueue.fifo",
    },
    queue_arns={
        "CommandQueue": "arn:aws:sqs:us-east-1:123456789012:CommandQueue.fifo",
        "CommandDeadLetterQueue": "arn:aws:sqs:us-east-1:123456789012:CommandDeadLetterQueue.fifo",
    },
)


@pytest.fixture
def model() -> StackModel:
    parameters = {
        "Stage": "dev",
        "JwtIssuer": "https://issuer",
        "JwtAudience": "aud",
        "KisiBaseUrl": "http://kisi",
        "KisiIntegrationContact": "",
        "LogLevel": "INFO",
    }
    return StackModel(RESOURCES, parameters)


def test_every_http_api_event_of_the_template_is_a_route(model: StackModel) -> None:
    declared = {
        (event["Properties"].get("Method", "ANY").upper(), event["Properties"]["Path"])
        for resource in load_template()["Resources"].values()
        for event in (resource.get("Properties", {}).get("Events") or {}).values()
        if event.get("Type") == "HttpApi"
    }
    assert {(r.method, r.path) for r in model.routes()} == declared
    assert len(declared) >= 4


def test_only_the_webhook_routes_skip_the_jwt_authorizer(model: StackModel) -> None:
    open_routes = {r.path for r in model.routes() if not r.jwt_required}
    assert open_routes == {"/webhooks/{platform}/{tenant_id}", "/webhooks/kisi/{tenant_id}"}


def test_routes_match_paths_and_extract_parameters(model: StackModel) -> None:
    def find(method: str, path: str) -> tuple[str, dict[str, str]] | None:
        for route in model.routes():
            found = route.match(method, path)
            if found is not None:
                return route.function, found
        return None

    assert find("POST", "/webhooks/pushpress/club-1") == (
        "WebhookFunction",
        {"platform": "pushpress", "tenant_id": "club-1"},
    )
    # Kisi's events have their own route, more specific than the platforms' one.
    assert find("POST", "/webhooks/kisi/club-1") == ("WebhookFunction", {"tenant_id": "club-1"})
    assert find("POST", "/v1/reservations/r-1/doors/7/unlock") == (
        "UnlockFunction",
        {"reservation_id": "r-1", "lock_id": "7"},
    )
    assert find("DELETE", "/v1/admin/tenants/club-1/kisi-credentials") == (
        "AdminFunction",
        {"proxy": "tenants/club-1/kisi-credentials"},
    )
    assert find("GET", "/webhooks/pushpress/club-1") is None
    assert find("GET", "/nothing/here") is None


def test_literal_routes_win_over_greedy_ones() -> None:
    greedy = Route("ANY", "/v1/{proxy+}", "A", True)
    literal = Route("GET", "/v1/things/{id}", "B", True)
    assert sorted([greedy, literal], key=lambda r: r.specificity, reverse=True)[0] is literal


def test_each_function_gets_the_globals_and_its_own_environment(model: StackModel) -> None:
    for function in model.functions():
        environment = model.function_environment(function)
        assert environment["TABLE_NAME"] == "BridgeTable"
        assert environment["COMMAND_QUEUE_URL"] == RESOURCES.queue_urls["CommandQueue"]
        assert environment["SSM_PREFIX"] == "/kisi-access-bridge/dev"
        assert environment["KISI_BASE_URL"] == "http://kisi"
        assert environment["POWERTOOLS_SERVICE_NAME"]
        assert not any("Fn::" in v or "Ref" in v for v in environment.values())


def test_event_sources_and_schedules_come_from_the_template(model: StackModel) -> None:
    [source] = model.sqs_event_sources()
    assert (source.function, source.queue, source.batch_size) == (
        "KisiWorkerFunction",
        "CommandQueue",
        10,
    )
    schedules = {s.name: s for s in model.schedules()}
    assert schedules["Daily"].function == "SyncDailyFunction"
    assert schedules["Weekly"].expression.startswith("cron(")
    assert model.jwt_configuration() == ("https://issuer", ["aud"])


def test_intrinsics_resolve_against_local_resources(model: StackModel) -> None:
    assert (
        model.resolve({"Fn::GetAtt": ["CommandQueue", "Arn"]})
        == RESOURCES.queue_arns["CommandQueue"]
    )
    assert model.resolve({"Fn::Sub": "${AWS::StackName}-${Stage}"}) == (
        "kisi-access-bridge-local-dev"
    )
    assert model.resolve({"Fn::Sub": ["${X}/y", {"X": {"Ref": "Stage"}}]}) == "dev/y"
    assert model.resolve({"Fn::If": ["IsProd", "a", "b"]}) == "b"
