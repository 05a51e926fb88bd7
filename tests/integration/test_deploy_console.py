"""scripts/deploy-console puts the console folder the template names into the console bucket
(with each file's type and the stack's config.json), removes what the folder no longer has and
invalidates the distribution's cache (S3 on moto; the invalidation through a recording fake)."""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_runtime.static_site import CONTENT_TYPES
from local_runtime.template import PROJECT_ROOT
from scripts import deploy_console

BUCKET = "console-bucket"


class RecordingCloudFront:
    def __init__(self) -> None:
        self.invalidations: list[dict[str, Any]] = []

    def create_invalidation(self, **request: Any) -> None:
        self.invalidations.append(request)


class FakeCloudFormation:
    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        outputs = [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]
        parameters = [{"ParameterKey": "Stage", "ParameterValue": "dev"}]
        return {"Stacks": [{"StackName": StackName, "Outputs": outputs, "Parameters": parameters}]}


def test_the_template_names_the_console_folder_and_prefix() -> None:
    assert deploy_console.console_assets() == (PROJECT_ROOT / "console", "console/")


def test_every_console_file_is_planned_with_its_type_and_the_config_last() -> None:
    uploads = deploy_console.planned_uploads(
        PROJECT_ROOT / "console", "console/", {"webhookBaseUrl": "https://api/"}
    )
    keys = {u.key: u.content_type for u in uploads}
    assert keys["console/index.html"] == CONTENT_TYPES[".html"]
    assert keys["console/js/app.js"] == CONTENT_TYPES[".js"]
    assert keys["console/css/console.css"] == CONTENT_TYPES[".css"]
    assert uploads[-1].key == "console/config.json"
    assert json.loads(uploads[-1].body) == {"webhookBaseUrl": "https://api/"}
    files = {
        p.relative_to(PROJECT_ROOT).as_posix()
        for p in (PROJECT_ROOT / "console").rglob("*")
        if p.is_file()
    }
    assert set(keys) - {"console/config.json"} == files


def test_deploy_puts_the_files_removes_stale_ones_and_invalidates(
    aws: None, tmp_path: Path
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="console/old.js", Body=b"gone")
    s3.put_object(Bucket=BUCKET, Key="elsewhere/keep.txt", Body=b"not ours")
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "js" / "app.js").write_text("export {};")
    (tmp_path / ".hidden.js").write_text("no")
    (tmp_path / "README.md").write_text("no")
    uploads = deploy_console.planned_uploads(tmp_path, "console/", {"stage": "dev"})
    cloudfront = RecordingCloudFront()

    planned = deploy_console.deploy(
        s3, cloudfront, bucket=BUCKET, distribution_id="E1", prefix="console/", uploads=uploads,
        dry_run=True,
    )  # fmt: skip
    assert "would delete s3://console-bucket/console/old.js" in planned
    assert cloudfront.invalidations == []
    assert deploy_console.existing_keys(s3, BUCKET, "console/") == {"console/old.js"}

    deploy_console.deploy(
        s3, cloudfront, bucket=BUCKET, distribution_id="E1", prefix="console/", uploads=uploads
    )
    assert deploy_console.existing_keys(s3, BUCKET, "") == {
        "console/index.html",
        "console/js/app.js",
        "console/config.json",
        "elsewhere/keep.txt",
    }
    script = s3.get_object(Bucket=BUCKET, Key="console/js/app.js")
    assert script["ContentType"] == "text/javascript; charset=utf-8"
    (invalidation,) = cloudfront.invalidations
    assert invalidation["DistributionId"] == "E1"
    assert invalidation["InvalidationBatch"]["Paths"] == {"Quantity": 1, "Items": ["/console/*"]}

    assert deploy_console.empty(s3, BUCKET, dry_run=False) == [
        "deleted 4 object(s) of console-bucket"
    ]
    assert deploy_console.existing_keys(s3, BUCKET, "") == set()


def test_stack_outputs_name_what_is_missing() -> None:
    outputs = {name: f"value-{name}" for name in deploy_console.OUTPUTS}
    found, parameters = deploy_console.stack_outputs(FakeCloudFormation(outputs), "s")
    assert found == outputs
    assert parameters == {"Stage": "dev"}
    del outputs["ConsoleBucketName"]
    with pytest.raises(LookupError, match="ConsoleBucketName"):
        deploy_console.stack_outputs(FakeCloudFormation(outputs), "s")
