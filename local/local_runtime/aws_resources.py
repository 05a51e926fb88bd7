"""Creates the template's DynamoDB tables and SQS queues on moto (in-process or server), from the
template's own properties, so that there is no second copy of the schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from local_runtime.template import load_template, resources_of_type

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sqs.client import SQSClient

_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
)
# SQS attributes as CloudFormation names them -> as the SQS API names them.
_QUEUE_ATTRIBUTES = {
    "FifoQueue": "FifoQueue",
    "ContentBasedDeduplication": "ContentBasedDeduplication",
    "VisibilityTimeout": "VisibilityTimeout",
    "MessageRetentionPeriod": "MessageRetentionPeriod",
    "DelaySeconds": "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "DeduplicationScope": "DeduplicationScope",
    "FifoThroughputLimit": "FifoThroughputLimit",
}


@dataclass
class StackResources:
    """Where the template's resources live locally, by logical id."""

    table_names: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)


def create_tables(client: DynamoDBClient, template: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        properties = resource["Properties"]
        request = {key: properties[key] for key in _TABLE_KEYS if key in properties}
        client.create_table(TableName=logical_id, **request)
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=logical_id,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        names[logical_id] = logical_id
    return names


def create_queues(
    client: SQSClient, template: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    # Dead-letter queues first: the others point at them.
    ordered = sorted(
        queues.items(), key=lambda item: "RedrivePolicy" in item[1].get("Properties", {})
    )
    for logical_id, resource in ordered:
        properties = resource.get("Properties", {})
        fifo = bool(properties.get("FifoQueue"))
        attributes: dict[Any, str] = {
            api_name: _attribute_text(properties[cfn_name])
            for cfn_name, api_name in _QUEUE_ATTRIBUTES.items()
            if cfn_name in properties
        }
        redrive = properties.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = (
                f'{{"deadLetterTargetArn": "{arns[target]}", '
                f'"maxReceiveCount": {int(redrive["maxReceiveCount"])}}}'
            )
        name = logical_id + (".fifo" if fifo else "")
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        urls[logical_id] = url
        arns[logical_id] = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    return urls, arns


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def create_stack_resources(
    dynamodb: DynamoDBClient, sqs: SQSClient, template: dict[str, Any] | None = None
) -> StackResources:
    template = template or load_template()
    urls, arns = create_queues(sqs, template)
    return StackResources(
        table_names=create_tables(dynamodb, template), queue_urls=urls, queue_arns=arns
    )
