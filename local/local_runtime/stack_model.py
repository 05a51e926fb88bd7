"""What template.yaml declares, resolved for one machine: each function's environment (Globals
plus its own, intrinsics resolved against the local resources), its HTTP routes and whether they
need a JWT, its SQS event sources, its schedules and the static files it serves (the admin
console). A route or variable added to the template
appears locally without touching this folder."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local_runtime.aws_resources import StackResources
from local_runtime.lambda_events import LOCAL_ACCOUNT_ID, LOCAL_REGION
from local_runtime.static_site import ASSETS_METADATA, StaticSite, response_headers
from local_runtime.template import PROJECT_ROOT, load_template

LOCAL_STACK_NAME = "kisi-access-bridge-local"


@dataclass(frozen=True)
class Route:
    method: str  # "ANY" or an HTTP method
    path: str  # template form: /v1/reservations/{reservation_id}/doors, /v1/admin/{proxy+}
    function: str
    jwt_required: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when this route serves `method path`, else None."""
        if self.method not in {"ANY", method.upper()}:
            return None
        found = _path_pattern(self.path).fullmatch(path)
        return found.groupdict() if found else None

    @property
    def specificity(self) -> tuple[int, int]:
        """API Gateway prefers literal segments, then fewer greedy ones."""
        segments = self.path.strip("/").split("/")
        literal = sum(1 for s in segments if not s.startswith("{"))
        greedy = sum(1 for s in segments if s.endswith("+}"))
        return (-greedy, literal)


def _path_pattern(path: str) -> re.Pattern[str]:
    pattern = ""
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            pattern += rf"/(?P<{segment[1:-2]}>.+)"
        elif segment.startswith("{") and segment.endswith("}"):
            pattern += rf"/(?P<{segment[1:-1]}>[^/]+)"
        else:
            pattern += "/" + re.escape(segment)
    return re.compile(pattern or "/")


@dataclass(frozen=True)
class SqsEventSource:
    function: str
    queue: str  # logical id
    batch_size: int


@dataclass(frozen=True)
class Schedule:
    function: str
    name: str
    expression: str
    input: dict[str, Any]


@dataclass
class StackModel:
    resources: StackResources
    parameters: dict[str, str]
    template: dict[str, Any] = field(default_factory=load_template)

    # ---- intrinsic functions -----------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        ((name, argument),) = value.items()
        match name:
            case "Ref":
                return self._ref(argument)
            case "Fn::Sub":
                return self._sub(argument)
            case "Fn::GetAtt":
                logical_id, attribute = argument
                return self._get_att(logical_id, attribute)
            case "Fn::Join":
                separator, items = argument
                return separator.join(str(self.resolve(i)) for i in items)
            case "Fn::If":
                condition, when_true, when_false = argument
                chosen = when_true if self.condition(condition) else when_false
                return self.resolve(chosen)
            case _:
                return {name: self.resolve(argument)}

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.template.get("Conditions", {})[name]))

    def _evaluate(self, expression: Any) -> Any:
        if isinstance(expression, dict) and len(expression) == 1:
            ((name, argument),) = expression.items()
            if name == "Fn::Equals":
                left, right = (self.resolve(a) for a in argument)
                return left == right
            if name == "Fn::Not":
                return not self._evaluate(argument[0])
            if name == "Condition":
                return self.condition(argument)
        return self.resolve(expression)

    def _pseudo(self) -> dict[str, str]:
        return {
            "AWS::StackName": LOCAL_STACK_NAME,
            "AWS::Region": LOCAL_REGION,
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def _ref(self, name: str) -> Any:
        pseudo = self._pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources.table_names:
            return self.resources.table_names[name]
        if name in self.resources.queue_urls:
            return self.resources.queue_urls[name]
        return f"{LOCAL_STACK_NAME}-{name}"

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id in self.resources.queue_urls:
            url = self.resources.queue_urls[logical_id]
            by_attribute = {
                "Arn": self.resources.queue_arns[logical_id],
                "QueueUrl": url,
                "QueueName": url.rsplit("/", 1)[-1],
            }
            return by_attribute[attribute]
        if logical_id in self.resources.table_names and attribute == "Arn":
            table = self.resources.table_names[logical_id]
            return f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:table/{table}"
        return f"{LOCAL_STACK_NAME}-{logical_id}.{attribute}"

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(logical_id, attribute)
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, text)

    # ---- functions ---------------------------------------------------------------------------

    def functions(self) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.template["Resources"].items()
            if resource.get("Type") == "AWS::Serverless::Function"
        }

    def function_environment(self, logical_id: str) -> dict[str, str]:
        shared = (
            self.template.get("Globals", {})
            .get("Function", {})
            .get("Environment", {})
            .get("Variables", {})
        )
        own = self.functions()[logical_id].get("Environment", {}).get("Variables", {})
        merged: Mapping[str, Any] = {**shared, **own}
        return {name: str(self.resolve(value)) for name, value in merged.items()}

    def function_timeout(self, logical_id: str) -> float:
        globals_timeout = self.template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
        return float(self.functions()[logical_id].get("Timeout", globals_timeout))

    def _events(self, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (function, event_name, event.get("Properties", {}))
            for function, properties in self.functions().items()
            for event_name, event in (properties.get("Events") or {}).items()
            if event.get("Type") == kind
        ]

    def routes(self) -> list[Route]:
        api = next(
            resource.get("Properties", {})
            for resource in self.template["Resources"].values()
            if resource.get("Type") == "AWS::Serverless::HttpApi"
        )
        default_authorizer = api.get("Auth", {}).get("DefaultAuthorizer")
        routes = []
        for function, _, properties in self._events("HttpApi"):
            authorizer = properties.get("Auth", {}).get("Authorizer", default_authorizer)
            routes.append(
                Route(
                    method=str(properties.get("Method", "ANY")).upper(),
                    path=properties["Path"],
                    function=function,
                    jwt_required=authorizer not in {None, "NONE"},
                )
            )
        return sorted(routes, key=lambda r: r.specificity, reverse=True)

    def jwt_configuration(self) -> tuple[str, list[str]]:
        """The JWT authorizer's issuer and audiences, resolved."""
        for resource in self.template["Resources"].values():
            if resource.get("Type") != "AWS::Serverless::HttpApi":
                continue
            for authorizer in resource["Properties"]["Auth"]["Authorizers"].values():
                configuration = authorizer["JwtConfiguration"]
                audience = self.resolve(configuration["audience"])
                return str(self.resolve(configuration["issuer"])), [str(a) for a in audience]
        raise LookupError("template.yaml declares no JWT authorizer")

    def sqs_event_sources(self) -> list[SqsEventSource]:
        return [
            SqsEventSource(
                function=function,
                queue=properties["Queue"]["Fn::GetAtt"][0],
                batch_size=int(properties.get("BatchSize", 10)),
            )
            for function, _, properties in self._events("SQS")
        ]

    def schedules(self) -> list[Schedule]:
        return [
            Schedule(
                function=function,
                name=event_name,
                expression=properties["ScheduleExpression"],
                input=json.loads(properties.get("Input") or "{}"),
            )
            for function, event_name, properties in self._events("ScheduleV2")
        ]

    def static_sites(self) -> list[StaticSite]:
        """The folders the stack serves as static files: every bucket whose `ConsoleAssets`
        metadata names one (the admin console), at its key prefix, with the headers of the
        response headers policy it names (see static_site.py)."""
        sites = []
        for resource in self.template["Resources"].values():
            assets = (resource.get("Metadata") or {}).get(ASSETS_METADATA)
            if resource.get("Type") != "AWS::S3::Bucket" or not assets:
                continue
            policy_id = assets.get("ResponseHeadersPolicy")
            policy = (
                self.template["Resources"][policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
                if policy_id
                else {}
            )
            sites.append(
                StaticSite(
                    url_prefix="/" + str(assets["KeyPrefix"]).strip("/") + "/",
                    directory=PROJECT_ROOT / str(assets["Source"]),
                    headers=response_headers(self.resolve(policy)),
                )
            )
        return sites
