"""Invariants of template.yaml, checked offline (no AWS, no sam; `make template` lints it).

Each invariant is a `check_*` function over the parsed template. The `test_*` functions run them on
the real template; `test_check_rejects_violation` runs them on copies broken on purpose, so every
check is shown to fail when its invariant does not hold.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from access_core.infrastructure.config import settings_from

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
DATA_MODEL = ROOT / "docs" / "data-model.md"
UV_LOCK = ROOT / "uv.lock"

RUNTIME = "python3.13"
FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"
LAYERS = {
    "KisiClientLayer": "layers/kisi_client",
    "PushPressClientLayer": "layers/pushpress_client",
    "AccessCoreLayer": "layers/access_core",
}
SSM_PARAMETERS = "kisi-access-bridge/${Stage}/*"
SSM_PARAMETER_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/" + SSM_PARAMETERS
)
KMS_KEYS_ARN = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"
KMS_VIA_SSM = "ssm.${AWS::Region}.amazonaws.com"
# Variables every function needs (access_core.infrastructure.config and Powertools read them).
COMMON_ENVIRONMENT = {
    "STAGE": {"Ref": "Stage"},
    "TABLE_NAME": {"Ref": "BridgeTable"},
    "IDEMPOTENCY_TABLE_NAME": {"Ref": "IdempotencyTable"},
    "COMMAND_QUEUE_URL": {"Ref": "CommandQueue"},
    "SSM_PREFIX": {"Fn::Sub": "/kisi-access-bridge/${Stage}"},
    "KISI_BASE_URL": {"Ref": "KisiBaseUrl"},
    "KISI_INTEGRATION_CONTACT": {"Ref": "KisiIntegrationContact"},
    "POWERTOOLS_METRICS_NAMESPACE": "KisiAccessBridge",
    "POWERTOOLS_LOG_LEVEL": {"Ref": "LogLevel"},
    "LOG_LEVEL": {"Ref": "LogLevel"},
}
# Resource "*" is allowed only for actions without resource-level permissions. Inside the template
# there is none; SAM adds its own managed policies (logs, X-Ray, SQS poller) and the
# ssm:DescribeParameters statement of SSMParameterReadPolicy, which are not in this file.
STAR_RESOURCE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# SAM policy templates the stack may use, and the argument naming the resource.
POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy": "TableName",
    "DynamoDBReadPolicy": "TableName",
    "DynamoDBWritePolicy": "TableName",
    "SQSSendMessagePolicy": "QueueName",
    "SSMParameterReadPolicy": "ParameterName",
}
CLOUDWATCH_RETENTION_DAYS = {
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
}  # fmt: skip
ROUTES = {
    ("POST", "/webhooks/{platform}/{tenant_id}"): "WebhookFunction",
    ("POST", "/webhooks/kisi/{tenant_id}"): "WebhookFunction",
    ("GET", "/v1/reservations/{reservation_id}/doors"): "UnlockFunction",
    ("POST", "/v1/reservations/{reservation_id}/doors/{lock_id}/unlock"): "UnlockFunction",
    ("ANY", "/v1/admin/{proxy+}"): "AdminFunction",
}
PUBLIC_ROUTE_PREFIX = "/webhooks/"
ENQUEUERS = {
    "WebhookFunction",
    "KisiWorkerFunction",
    "AdminFunction",
    "SyncDailyFunction",
    "SyncWeeklyFunction",
}

Template = dict[str, Any]


# ------------------------------------------------------------------------------- template access


def load_template() -> Template:
    # cfn-lint's loader understands the short intrinsic tags (!Ref, !Sub, !GetAtt, ...) and turns
    # them into their long form ({"Ref": ...}); the JSON round trip drops its node classes.
    template: Template = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))
    return template


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


def resources(t: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in t["Resources"].items() if r["Type"] == type_}


def merge(base: Any, override: Any) -> Any:
    """SAM's Globals rule: maps merge, lists add up, scalars are overridden."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    return override


def functions(t: Template) -> dict[str, dict[str, Any]]:
    """Every function's properties with the Globals applied."""
    globals_ = t.get("Globals", {}).get("Function", {})
    return {name: merge(globals_, r["Properties"]) for name, r in resources(t, FUNCTION).items()}


def events(t: Template, type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, props in functions(t).items():
        for event in props.get("Events", {}).values():
            if event["Type"] == type_:
                yield name, event["Properties"]


def ref(value: Any) -> str | None:
    """The logical id a {"Ref": x} or {"Fn::GetAtt": [x, attr]} points at."""
    if isinstance(value, dict) and "Ref" in value:
        name: str = value["Ref"]
        return name
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target: list[str] | str = value["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else target.split(".")[0]
    return None


def getatt(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), list):
        name, attribute = value["Fn::GetAtt"]
        return name, attribute
    return None


def sub(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        text: str = value["Fn::Sub"]
        return text
    return None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policies(t: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, props in functions(t).items():
        for policy in as_list(props.get("Policies", [])):
            yield name, policy


def statements(t: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, policy in policies(t):
        if isinstance(policy, dict) and "Statement" in policy:
            for statement in as_list(policy["Statement"]):
                yield name, statement


def policy_template_targets(t: Template, policy_name: str) -> dict[str, set[Any]]:
    """Function -> the resources (logical ids) a SAM policy template gives it."""
    targets: dict[str, set[Any]] = {}
    for name, policy in policies(t):
        if isinstance(policy, dict) and policy_name in policy:
            argument = policy[policy_name][POLICY_TEMPLATES[policy_name]]
            targets.setdefault(name, set()).add(ref(argument) or sub(argument))
    return targets


# ------------------------------------------------------------------------------- checks


def check_stage_parameter(t: Template) -> None:
    stage = t["Parameters"]["Stage"]
    assert set(stage["AllowedValues"]) == {"dev", "staging", "prod"}
    assert stage["Default"] in stage["AllowedValues"]


def check_parameters(t: Template) -> None:
    params = t["Parameters"]
    for name in ("JwtIssuer", "JwtAudience"):  # asked by sam deploy --guided
        assert "Default" not in params[name], name
    assert params["KisiBaseUrl"]["Default"] == "https://api.kisi.io"
    for name in ("KisiIntegrationContact", "AlarmEmail"):
        assert params[name]["Default"] == "", name
    retention = params["LogRetentionDays"]
    assert int(retention["Default"]) == 30
    assert {int(v) for v in retention["AllowedValues"]} <= CLOUDWATCH_RETENTION_DAYS
    assert int(retention["Default"]) in {int(v) for v in retention["AllowedValues"]}


def check_runtime_and_layers(t: Template) -> None:
    globals_ = t["Globals"]["Function"]
    assert globals_["Runtime"] == RUNTIME
    assert globals_["Architectures"] == ["x86_64"]
    layers = resources(t, LAYER)
    assert set(layers) == set(LAYERS)
    for name, layer in layers.items():
        assert layer["Metadata"]["BuildMethod"] == globals_["Runtime"], name
        assert layer["Properties"]["CompatibleRuntimes"] == [globals_["Runtime"]], name
        assert layer["Properties"]["ContentUri"].rstrip("/") == LAYERS[name], name
        assert layer["Metadata"].get("BuildArchitecture", "x86_64") == "x86_64", name
    for name, props in functions(t).items():
        assert props["Runtime"] == RUNTIME, name
        assert props["Architectures"] == ["x86_64"], name
        assert props["Tracing"] == "Active", name


def check_every_function_uses_both_layers(t: Template) -> None:
    for name, props in functions(t).items():
        used = {ref(layer) for layer in props.get("Layers", [])}
        assert used >= set(LAYERS), f"{name} uses {used}"


def check_every_function_has_its_own_log_group(t: Template) -> None:
    seen: set[str] = set()
    for name, props in functions(t).items():
        group = ref(props.get("LoggingConfig", {}).get("LogGroup"))
        assert group, f"{name} has no LoggingConfig.LogGroup"
        assert group not in seen, f"{name} shares {group}"
        seen.add(group)
        resource = t["Resources"][group]
        assert resource["Type"] == "AWS::Logs::LogGroup", name
        assert resource["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def check_environment(t: Template) -> None:
    services = set()
    for name, props in functions(t).items():
        variables = props["Environment"]["Variables"]
        for key, value in COMMON_ENVIRONMENT.items():
            assert variables.get(key) == value, f"{name}: {key}"
        service = variables.get("POWERTOOLS_SERVICE_NAME")
        assert service, f"{name} has no POWERTOOLS_SERVICE_NAME"
        assert service not in services, f"{name} reuses service name {service}"
        services.add(service)
        # The shared settings loader accepts what the template provides.
        settings_from(dict.fromkeys(variables, "set-by-cloudformation"))


def data_model_indexes() -> dict[str, tuple[str, str]]:
    """`ByPlan` -> ("GSI1PK", "GSI1SK"), ... from the index table of docs/data-model.md."""
    row = re.compile(r"^\| `(\w+)` \| `(\w+)` = .*?\| `(\w+)` = ", re.MULTILINE)
    return {name: (pk, sk) for name, pk, sk in row.findall(DATA_MODEL.read_text())}


def data_model_ttl(table: str) -> str:
    match = re.search(rf"`{table}`[^`]*?TTL(?: attribute)? `(\w+)`", DATA_MODEL.read_text())
    assert match, f"docs/data-model.md names no TTL attribute for {table}"
    return match.group(1)


def check_bridge_table(t: Template) -> None:
    table = t["Resources"]["BridgeTable"]
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": data_model_ttl("BridgeTable"),
        "Enabled": True,
    }
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    expected = data_model_indexes()
    assert set(expected) == {"ByPlan", "ByChange", "Unsynced", "AccessEnds", "ByEmail", "Tenants"}
    indexes = {
        index["IndexName"]: (
            [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]],
            index["Projection"]["ProjectionType"],
        )
        for index in props["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        # The daily run needs only the tenant ids: the Tenants index projects the keys alone.
        name: ([(pk, "HASH"), (sk, "RANGE")], "KEYS_ONLY" if name == "Tenants" else "ALL")
        for name, (pk, sk) in expected.items()
    }
    key_attributes = {"PK", "SK"} | {a for pair in expected.values() for a in pair}
    definitions = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
    assert definitions == dict.fromkeys(key_attributes, "S")


def check_idempotency_table(t: Template) -> None:
    props = t["Resources"]["IdempotencyTable"]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": data_model_ttl("IdempotencyTable"),
        "Enabled": True,
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def worker(t: Template) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(function name, its properties, its SQS event) for the consumer of CommandQueue."""
    consumers = [
        (name, event)
        for name, event in events(t, "SQS")
        if getatt(event["Queue"]) == ("CommandQueue", "Arn")
    ]
    assert len(consumers) == 1, consumers
    name, event = consumers[0]
    return name, functions(t)[name], event


def check_command_queue(t: Template) -> None:
    queue = t["Resources"]["CommandQueue"]["Properties"]
    assert queue["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is False  # senders set deduplication ids
    assert queue["DeduplicationScope"] == "messageGroup"
    assert queue["FifoThroughputLimit"] == "perMessageGroupId"
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 4 * 24 * 3600
    redrive = queue["RedrivePolicy"]
    assert getatt(redrive["deadLetterTargetArn"]) == ("CommandDeadLetterQueue", "Arn")
    assert redrive["maxReceiveCount"] == 10
    dlq = t["Resources"]["CommandDeadLetterQueue"]["Properties"]
    assert dlq["FifoQueue"] is True  # a FIFO queue's DLQ must be FIFO
    assert dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600


def check_visibility_timeout_covers_worker(t: Template) -> None:
    _, props, _ = worker(t)
    visibility = t["Resources"]["CommandQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * props["Timeout"], (visibility, props["Timeout"])


def check_worker_event_source(t: Template) -> None:
    _, _, event = worker(t)
    assert event["BatchSize"] == 10
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 2 <= event["ScalingConfig"]["MaximumConcurrency"] <= 10
    assert "MaximumBatchingWindowInSeconds" not in event  # not supported on FIFO queues


def check_dead_letter_alarms(t: Template) -> None:
    alarmed = set()
    for alarm in resources(t, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("Namespace") != "AWS/SQS" or "DeadLetter" not in str(props["Dimensions"]):
            continue
        assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["Threshold"] == 0
        assert {"Ref": "AlarmTopic"} in props["AlarmActions"]
        for dimension in props["Dimensions"]:
            if dimension["Name"] == "QueueName":
                alarmed.add(getatt(dimension["Value"]))
    assert ("CommandDeadLetterQueue", "QueueName") in alarmed
    assert ("ScheduleDeadLetterQueue", "QueueName") in alarmed
    assert resources(t, "AWS::SNS::Topic").keys() == {"AlarmTopic"}


def check_operations_alarms(t: Template) -> None:
    """Issue 14, M5: every function's errors and throttles, the command queue's oldest message,
    API 5xx and Kisi credential failures page the alarm topic, each explained in
    docs/operations.md."""
    alarms = resources(t, "AWS::CloudWatch::Alarm")
    watched: set[tuple[str, str, str]] = set()
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        for dimension in props["Dimensions"]:
            value = dimension["Value"]
            found = getatt(value)
            target = ref(value) or (found[0] if found else value)
            watched.add((props["Namespace"], props["MetricName"], str(target)))
    for function in resources(t, "AWS::Serverless::Function"):
        if function.startswith("Console"):
            continue
        assert ("AWS/Lambda", "Errors", function) in watched, function
        assert ("AWS/Lambda", "Throttles", function) in watched, function
    assert ("AWS/SQS", "ApproximateAgeOfOldestMessage", "CommandQueue") in watched
    assert ("AWS/ApiGateway", "5xx", "HttpApi") in watched
    for service in ("kisi-worker", "unlock"):
        assert ("KisiAccessBridge", "KisiCredentialsInvalid", service) in watched
    assert ("KisiAccessBridge", "SyncCredentialsInvalid", "sync-daily") in watched
    assert ("KisiAccessBridge", "RevokesQuarantined", "kisi-worker") in watched
    runbook = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    for heading in (
        "Commands waiting",
        "API 5xx",
        "Function errors and throttles",
        "Kisi credentials refused",
        "Revokes held in quarantine",
    ):
        assert f"## {heading}" in runbook, heading


def check_alarm_email_is_optional(t: Template) -> None:
    assert t["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    subscriptions = resources(t, "AWS::SNS::Subscription")
    assert subscriptions, "no subscription to the alarm topic"
    for subscription in subscriptions.values():
        assert subscription["Condition"] == "HasAlarmEmail"
        assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def check_schedules(t: Template) -> None:
    scheduled = {}
    for name, schedule in events(t, "ScheduleV2"):
        retry = schedule["RetryPolicy"]
        assert retry["MaximumRetryAttempts"] >= 1, name
        assert retry["MaximumEventAgeInSeconds"] >= 60, name
        assert getatt(schedule["DeadLetterConfig"]["Arn"]) == ("ScheduleDeadLetterQueue", "Arn")
        assert sub(schedule["Name"]), f"{name}: schedule names must be per stack"
        scheduled[name] = schedule["ScheduleExpression"]
        # Scheduler invokes asynchronously: a run that fails must land in the same DLQ.
        on_failure = functions(t)[name]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        assert getatt(on_failure["Destination"]) == ("ScheduleDeadLetterQueue", "Arn"), name
    assert scheduled == {
        "SyncDailyFunction": "cron(15 3 * * ? *)",
        "SyncWeeklyFunction": "cron(30 4 ? * SUN *)",
    }


def check_routes_and_auth(t: Template) -> None:
    apis = resources(t, "AWS::Serverless::HttpApi")
    assert set(apis) == {"HttpApi"}
    auth = apis["HttpApi"]["Properties"]["Auth"]
    default = auth["DefaultAuthorizer"]
    authorizer = auth["Authorizers"][default]
    assert authorizer["IdentitySource"] == "$request.header.Authorization"
    assert authorizer["JwtConfiguration"]["issuer"] == {"Ref": "JwtIssuer"}
    assert {"Ref": "JwtAudience"} in authorizer["JwtConfiguration"]["audience"]
    routes = {}
    for name, event in events(t, "HttpApi"):
        key = (event["Method"].upper(), event["Path"])
        assert ref(event.get("ApiId")) == "HttpApi", key
        routes[key] = name
        override = event.get("Auth", {}).get("Authorizer", default)
        if event["Path"].startswith(PUBLIC_ROUTE_PREFIX):
            assert override == "NONE", f"{key}: webhooks are HMAC-signed, not JWT"
        else:
            assert override == default, f"{key} must require a JWT"
    assert routes == ROUTES


def check_http_api_logs_and_throttling(t: Template) -> None:
    props = t["Resources"]["HttpApi"]["Properties"]
    group = ref(props["AccessLogSettings"]["DestinationArn"])
    assert t["Resources"][group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    throttling = props["DefaultRouteSettings"]
    assert throttling["ThrottlingBurstLimit"] > 0
    assert throttling["ThrottlingRateLimit"] > 0
    # Issue 14, M2: every route has its own throttle, below the stage's.
    routes = {f"{e['Method']} {e['Path']}" for _name, e in events(t, "HttpApi")}
    per_route = props["RouteSettings"]
    assert set(per_route) == routes
    for settings in per_route.values():
        assert 0 < settings["ThrottlingRateLimit"] <= throttling["ThrottlingRateLimit"]
        assert 0 < settings["ThrottlingBurstLimit"] <= throttling["ThrottlingBurstLimit"]
    for function in ("WebhookFunction", "UnlockFunction"):
        reserved = t["Resources"][function]["Properties"]["ReservedConcurrentExecutions"]
        assert reserved == {
            "Fn::If": [
                "ReservesConcurrency",
                {"Ref": "ReservedConcurrency"},
                {"Ref": "AWS::NoValue"},
            ]
        }


def own_resource(value: Any, t: Template) -> bool:
    """A Ref/GetAtt to a resource of this template, or an ARN in this account, region, stage."""
    if isinstance(value, str):
        return False  # a literal ARN (or "*") is never scoped to this stack
    target = ref(value)
    if target is not None:
        return target in t["Resources"]
    arn = sub(value)
    return arn is not None and arn in {SSM_PARAMETER_ARN, KMS_KEYS_ARN}


def check_iam_scoped_to_own_resources(t: Template) -> None:
    for name, policy in policies(t):
        assert isinstance(policy, dict), f"{name}: managed policy {policy!r}"
        if "Statement" in policy:
            continue
        (template_name, arguments), *rest = policy.items()
        assert not rest, f"{name}: {policy}"
        assert template_name in POLICY_TEMPLATES, f"{name}: {template_name}"
        argument = arguments[POLICY_TEMPLATES[template_name]]
        if template_name == "SSMParameterReadPolicy":
            assert str(sub(argument)).startswith("kisi-access-bridge/${Stage}/"), name
        else:
            assert ref(argument) in t["Resources"], f"{name}: {template_name} {argument}"
    for name, statement in statements(t):
        assert statement["Effect"] == "Allow", name
        actions = set(as_list(statement["Action"]))
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                assert actions <= STAR_RESOURCE_ACTIONS, f"{name}: {actions} on *"
            else:
                assert own_resource(resource, t), f"{name}: {resource}"


# Least privilege (issue 14, M1): each function reads only the secrets it uses.
SECRET_READS = {
    "WebhookFunction": {"kisi-access-bridge/${Stage}/tenants/*/*webhook-secret"},
    "UnlockFunction": {"kisi-access-bridge/${Stage}/tenants/*/kisi-api-key"},
    "AdminFunction": {SSM_PARAMETERS},
    **{
        name: {
            "kisi-access-bridge/${Stage}/tenants/*/kisi-api-key",
            "kisi-access-bridge/${Stage}/tenants/*/pushpress-api-key",
        }
        for name in ("KisiWorkerFunction", "SyncDailyFunction", "SyncWeeklyFunction")
    },
}


def check_each_function_reads_only_its_secrets(t: Template) -> None:
    reads: dict[str, set[str]] = {}
    for name, policy in policies(t):
        if isinstance(policy, dict) and "SSMParameterReadPolicy" in policy:
            path = sub(policy["SSMParameterReadPolicy"]["ParameterName"])
            reads.setdefault(name, set()).add(str(path))
    assert reads == SECRET_READS
    # The webhook secret names and the API key names never overlap (ssm.py's names).
    from access_core.infrastructure.ssm import KISI_API_KEY, PLATFORM_API_KEY, WEBHOOK_SECRET

    assert not KISI_API_KEY.endswith(WEBHOOK_SECRET)
    assert not PLATFORM_API_KEY.format(platform="pushpress").endswith(WEBHOOK_SECRET)


def check_kms_only_through_ssm(t: Template) -> None:
    kms_users: dict[str, set[str]] = {}
    for name, statement in statements(t):
        actions = set(as_list(statement["Action"]))
        if not any(a.startswith("kms:") for a in actions):
            continue
        assert actions <= {"kms:Decrypt", "kms:Encrypt"}, name
        assert as_list(statement["Resource"]) == [{"Fn::Sub": KMS_KEYS_ARN}], name
        via = statement["Condition"]["StringEquals"]["kms:ViaService"]
        assert via == {"Fn::Sub": KMS_VIA_SSM}, name
        kms_users[name] = kms_users.get(name, set()) | actions
    readers = set(policy_template_targets(t, "SSMParameterReadPolicy"))
    assert readers == set(functions(t)), "every function reads a tenant secret"
    assert set(kms_users) == readers
    assert {n for n, actions in kms_users.items() if "kms:Encrypt" in actions} == {"AdminFunction"}


def check_ssm_writes_only_from_admin(t: Template) -> None:
    writers = set()
    for name, statement in statements(t):
        actions = set(as_list(statement["Action"]))
        if actions & {"ssm:PutParameter", "ssm:DeleteParameter"}:
            writers.add(name)
            assert actions <= {"ssm:PutParameter", "ssm:DeleteParameter", "ssm:GetParameter"}
            assert as_list(statement["Resource"]) == [{"Fn::Sub": SSM_PARAMETER_ARN}], name
    assert writers == {"AdminFunction"}


def check_table_and_queue_access(t: Template) -> None:
    crud = policy_template_targets(t, "DynamoDBCrudPolicy")
    idempotency_users = {name for name, tables in crud.items() if "IdempotencyTable" in tables}
    assert idempotency_users == {"WebhookFunction"}
    read = policy_template_targets(t, "DynamoDBReadPolicy")
    write = policy_template_targets(t, "DynamoDBWritePolicy")
    for name in functions(t):
        # Every function reads and writes BridgeTable (audit entries at least), deletes only admin.
        full = "BridgeTable" in crud.get(name, set())
        assert full == (name == "AdminFunction"), name
        assert full or "BridgeTable" in read.get(name, set()) & write.get(name, set()), name
    senders = {n for n, q in policy_template_targets(t, "SQSSendMessagePolicy").items() if q}
    assert senders == ENQUEUERS
    worker_name, _, _ = worker(t)
    for name in senders:
        # The worker alone also sends to the DLQ: a poison command, moved there by itself.
        expected = {"CommandQueue"} | ({"CommandDeadLetterQueue"} if name == worker_name else set())
        assert policy_template_targets(t, "SQSSendMessagePolicy")[name] == expected, name


def check_worker_receive_limit_matches_the_queue(t: Template) -> None:
    """The worker requeues a command held back by a fault before the queue's receive limit."""
    from access_core.membership.worker import RECEIVE_LIMIT

    redrive = t["Resources"]["CommandQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == RECEIVE_LIMIT


def check_worker_can_delay_messages(t: Template) -> None:
    name, _, _ = worker(t)
    assert any(
        "sqs:ChangeMessageVisibility" in as_list(statement["Action"])
        and as_list(statement["Resource"]) == [{"Fn::GetAtt": ["CommandQueue", "Arn"]}]
        for function, statement in statements(t)
        if function == name
    )


def check_outputs(t: Template) -> None:
    assert {
        "HttpApiUrl",
        "WebhookUrlPattern",
        "CommandQueueUrl",
        "CommandQueueArn",
        "CommandDeadLetterQueueUrl",
        "CommandDeadLetterQueueArn",
        "BridgeTableName",
        "IdempotencyTableName",
        "KisiClientLayerArn",
        "AccessCoreLayerArn",
    } <= set(t["Outputs"])


CHECKS: list[Callable[[Template], None]] = [
    check_stage_parameter,
    check_parameters,
    check_runtime_and_layers,
    check_every_function_uses_both_layers,
    check_every_function_has_its_own_log_group,
    check_environment,
    check_bridge_table,
    check_idempotency_table,
    check_command_queue,
    check_visibility_timeout_covers_worker,
    check_worker_event_source,
    check_dead_letter_alarms,
    check_alarm_email_is_optional,
    check_operations_alarms,
    check_schedules,
    check_routes_and_auth,
    check_http_api_logs_and_throttling,
    check_iam_scoped_to_own_resources,
    check_each_function_reads_only_its_secrets,
    check_kms_only_through_ssm,
    check_ssm_writes_only_from_admin,
    check_table_and_queue_access,
    check_worker_can_delay_messages,
    check_worker_receive_limit_matches_the_queue,
    check_outputs,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_template_invariant(template: Template, check: Callable[[Template], None]) -> None:
    check(template)


# ------------------------------------------------------------------------------- the checks bite


def props(t: Template, name: str) -> dict[str, Any]:
    properties: dict[str, Any] = t["Resources"][name]["Properties"]
    return properties


def event(t: Template, function: str, name: str) -> dict[str, Any]:
    properties: dict[str, Any] = props(t, function)["Events"][name]["Properties"]
    return properties


def policy_template(t: Template, function: str, name: str) -> dict[str, Any]:
    policy: dict[str, Any] = next(p for p in props(t, function)["Policies"] if name in p)[name]
    return policy


def first_statement(t: Template, function: str) -> dict[str, Any]:
    policies = props(t, function)["Policies"]
    statement: dict[str, Any] = next(p for p in policies if "Statement" in p)["Statement"][0]
    return statement


# (what breaks, the check that must notice, how to break a copy of the template)
VIOLATIONS: list[tuple[str, Callable[[Template], None], Callable[[Template], None]]] = [
    (
        "no Stage parameter",
        check_stage_parameter,
        lambda t: t["Parameters"].pop("Stage"),
    ),
    (
        "layer built for another runtime",
        check_runtime_and_layers,
        lambda t: t["Resources"]["AccessCoreLayer"]["Metadata"].update(BuildMethod="python3.12"),
    ),
    (
        "globals runtime drifts from the layers",
        check_runtime_and_layers,
        lambda t: t["Globals"]["Function"].update(Runtime="python3.12"),
    ),
    (
        "a function without the access core layer",
        check_every_function_uses_both_layers,
        lambda t: t["Globals"]["Function"].update(Layers=[{"Ref": "KisiClientLayer"}]),
    ),
    (
        "a function without its log group",
        check_every_function_has_its_own_log_group,
        lambda t: props(t, "AdminFunction").pop("LoggingConfig"),
    ),
    (
        "a log group without retention",
        check_every_function_has_its_own_log_group,
        lambda t: props(t, "UnlockLogGroup").pop("RetentionInDays"),
    ),
    (
        "SSM prefix not per stage",
        check_environment,
        lambda t: t["Globals"]["Function"]["Environment"]["Variables"].update(
            SSM_PREFIX="/kisi-access-bridge"
        ),
    ),
    (
        "a GSI on the wrong key",
        check_bridge_table,
        lambda t: props(t, "BridgeTable")["GlobalSecondaryIndexes"][1]["KeySchema"][0].update(
            AttributeName="GSI3PK"
        ),
    ),
    (
        "a GSI missing",
        check_bridge_table,
        lambda t: props(t, "BridgeTable")["GlobalSecondaryIndexes"].pop(),
    ),
    (
        "PITR off",
        check_bridge_table,
        lambda t: props(t, "BridgeTable")["PointInTimeRecoverySpecification"].update(
            PointInTimeRecoveryEnabled=False
        ),
    ),
    (
        "TTL on another attribute",
        check_bridge_table,
        lambda t: props(t, "BridgeTable")["TimeToLiveSpecification"].update(AttributeName="ttl"),
    ),
    (
        "idempotency TTL off",
        check_idempotency_table,
        lambda t: props(t, "IdempotencyTable").pop("TimeToLiveSpecification"),
    ),
    (
        "standard DLQ behind the FIFO queue",
        check_command_queue,
        lambda t: props(t, "CommandDeadLetterQueue").pop("FifoQueue"),
    ),
    (
        "no redrive",
        check_command_queue,
        lambda t: props(t, "CommandQueue").pop("RedrivePolicy"),
    ),
    (
        "worker timeout raised without the visibility timeout",
        check_visibility_timeout_covers_worker,
        lambda t: props(t, "KisiWorkerFunction").update(Timeout=61),
    ),
    (
        "no partial batch failures",
        check_worker_event_source,
        lambda t: event(t, "KisiWorkerFunction", "Commands").pop("FunctionResponseTypes"),
    ),
    (
        "unbounded worker concurrency",
        check_worker_event_source,
        lambda t: event(t, "KisiWorkerFunction", "Commands").pop("ScalingConfig"),
    ),
    (
        "no alarm on the command DLQ",
        check_dead_letter_alarms,
        lambda t: t["Resources"].pop("CommandDeadLetterQueueAlarm"),
    ),
    (
        "unconditional email subscription",
        check_alarm_email_is_optional,
        lambda t: t["Resources"]["AlarmEmailSubscription"].pop("Condition"),
    ),
    (
        "schedule without retry policy",
        check_schedules,
        lambda t: event(t, "SyncWeeklyFunction", "Weekly").pop("RetryPolicy"),
    ),
    (
        "schedule without DLQ",
        check_schedules,
        lambda t: event(t, "SyncDailyFunction", "Daily").pop("DeadLetterConfig"),
    ),
    (
        "webhook behind the JWT authorizer",
        check_routes_and_auth,
        lambda t: event(t, "WebhookFunction", "Webhook").pop("Auth"),
    ),
    (
        "an app route without JWT",
        check_routes_and_auth,
        lambda t: event(t, "UnlockFunction", "Unlock").update(Auth={"Authorizer": "NONE"}),
    ),
    (
        "Resource star",
        check_iam_scoped_to_own_resources,
        lambda t: first_statement(t, "KisiWorkerFunction").update(Resource="*"),
    ),
    (
        "SSM read path shared by every stage",
        check_iam_scoped_to_own_resources,
        lambda t: policy_template(t, "UnlockFunction", "SSMParameterReadPolicy").update(
            ParameterName="kisi-access-bridge/*"
        ),
    ),
    (
        "a managed policy",
        check_iam_scoped_to_own_resources,
        lambda t: props(t, "UnlockFunction")["Policies"].append("AmazonDynamoDBFullAccess"),
    ),
    (
        "KMS without kms:ViaService",
        check_kms_only_through_ssm,
        lambda t: first_statement(t, "UnlockFunction").pop("Condition"),
    ),
    (
        "SSM writes outside admin",
        check_ssm_writes_only_from_admin,
        lambda t: first_statement(t, "KisiWorkerFunction").update(Action="ssm:PutParameter"),
    ),
    (
        "idempotency table granted to the worker",
        check_table_and_queue_access,
        lambda t: props(t, "KisiWorkerFunction")["Policies"].append(
            {"DynamoDBCrudPolicy": {"TableName": {"Ref": "IdempotencyTable"}}}
        ),
    ),
    (
        "worker cannot delay rate-limited messages",
        check_worker_can_delay_messages,
        lambda t: first_statement(t, "KisiWorkerFunction").update(Action="sqs:GetQueueUrl"),
    ),
]


@pytest.mark.parametrize(
    ("check", "violate"),
    [pytest.param(check, violate, id=what) for what, check, violate in VIOLATIONS],
)
def test_check_rejects_violation(
    template: Template,
    check: Callable[[Template], None],
    violate: Callable[[Template], None],
) -> None:
    broken = copy.deepcopy(template)
    violate(broken)
    with pytest.raises((AssertionError, KeyError, TypeError)):
        check(broken)


# ------------------------------------------------------------------------------- files on disk


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads(UV_LOCK.read_text())
    return {normalized(p["name"]): p["version"] for p in lock["package"] if "version" in p}


REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(?P<version>\S+)$")


def check_requirements_pinned(requirements: str, locked: dict[str, str]) -> None:
    pins = 0
    for line in requirements.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = REQUIREMENT.match(line)
        assert match, f"not pinned with ==: {line!r}"
        name = normalized(match["name"])
        assert name in locked, f"{name} is not in uv.lock"
        assert match["version"] == locked[name], f"{name}: {match['version']} != {locked[name]}"
        pins += 1
    assert pins, "no requirements"


@pytest.mark.parametrize("layer", sorted(LAYERS.values()))
def test_layer_requirements_pin_the_locked_versions(layer: str) -> None:
    check_requirements_pinned((ROOT / layer / "requirements.txt").read_text(), locked_versions())


@pytest.mark.parametrize(
    "requirements",
    ["pydantic>=2.14", "pydantic==1.0.0", "no-such-package==1.0", "# only a comment"],
)
def test_requirements_check_rejects(requirements: str) -> None:
    with pytest.raises(AssertionError):
        check_requirements_pinned(requirements, locked_versions())


def handler_files() -> set[str]:
    return {str(p.relative_to(ROOT)) for p in ROOT.glob("functions/*/*_handler.py")}


def template_handlers(t: Template) -> dict[str, str]:
    """Function -> the file its Handler points at (functions/<dir>/<module>.py)."""
    handlers = {}
    for name, props in functions(t).items():
        module, _, attribute = props["Handler"].rpartition(".")
        assert attribute == "handler", name
        handlers[name] = f"{props['CodeUri'].rstrip('/')}/{module}.py"
    return handlers


def test_every_handler_file_has_a_function_and_vice_versa(template: Template) -> None:
    handlers = template_handlers(template)
    assert set(handlers.values()) == handler_files()
    modules = [Path(path).stem for path in handlers.values()]
    assert len(modules) == len(set(modules)), "handler modules share one import path"
    for name, path in handlers.items():
        tree = ast.parse((ROOT / path).read_text())
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert "handler" in defined, f"{name}: {path} defines no handler()"
        assert path.startswith("functions/"), name


def test_handler_check_notices_a_missing_function(template: Template) -> None:
    broken = copy.deepcopy(template)
    broken["Resources"].pop("SyncWeeklyFunction")
    assert set(template_handlers(broken).values()) != handler_files()
