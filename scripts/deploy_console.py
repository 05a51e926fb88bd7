"""Uploads the admin console (console/) to a deployed stack and invalidates its CloudFront cache.

    scripts/deploy-console --stack-name kisi-access-bridge-dev --dry-run   # what would change
    scripts/deploy-console --stack-name kisi-access-bridge-dev             # upload + invalidate
    scripts/deploy-console --stack-name kisi-access-bridge-dev --empty     # before `sam delete`

What to upload and where comes from template.yaml (the console bucket's `ConsoleAssets`
metadata: the folder and the key prefix), the bucket and the distribution from the stack's
outputs. Every file of a console type (local_runtime.static_site.CONTENT_TYPES, the types the
local runtime serves) is put with its Content-Type; objects under the prefix that the folder no
longer has are deleted; `config.json` is written from the stack (the webhook URL partners use,
the stage). The response headers (CSP, Cache-Control) come from the distribution's policy, not
from the objects. Uses boto3's usual configuration (AWS_PROFILE, AWS_REGION).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local_runtime.static_site import ASSETS_METADATA, CONTENT_TYPES
from local_runtime.template import PROJECT_ROOT, load_template

CONFIG_FILE = "config.json"
OUTPUTS = ("ConsoleBucketName", "ConsoleDistributionId", "HttpApiUrl", "ConsoleUrl")


@dataclass(frozen=True)
class Upload:
    key: str
    body: bytes
    content_type: str


def console_assets(template: dict[str, Any] | None = None) -> tuple[Path, str]:
    """(the folder, the key prefix) the template's console bucket declares."""
    resources = (template or load_template())["Resources"]
    for resource in resources.values():
        assets = (resource.get("Metadata") or {}).get(ASSETS_METADATA)
        if resource.get("Type") == "AWS::S3::Bucket" and assets:
            return PROJECT_ROOT / str(assets["Source"]), str(assets["KeyPrefix"]).strip("/") + "/"
    raise LookupError(f"template.yaml has no bucket with {ASSETS_METADATA} metadata")


def planned_uploads(source: Path, prefix: str, config: dict[str, Any]) -> list[Upload]:
    """Every console file under `source` (no dotfiles, known types only) and the config."""
    uploads = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        hidden = any(part.startswith(".") for part in relative.split("/"))
        if not path.is_file() or hidden or content_type is None or relative == CONFIG_FILE:
            continue
        uploads.append(Upload(prefix + relative, path.read_bytes(), content_type))
    body = (json.dumps(config, indent=2) + "\n").encode()
    uploads.append(Upload(prefix + CONFIG_FILE, body, CONTENT_TYPES[".json"]))
    return uploads


def stack_outputs(cloudformation: Any, stack_name: str) -> tuple[dict[str, str], dict[str, str]]:
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])
    }
    missing = [name for name in OUTPUTS if name not in outputs]
    if missing:
        raise LookupError(f"stack {stack_name} has no output {', '.join(missing)}: deploy it first")
    return outputs, parameters


def existing_keys(s3: Any, bucket: str, prefix: str) -> set[str]:
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def deploy(
    s3: Any,
    cloudfront: Any | None,
    *,
    bucket: str,
    distribution_id: str,
    prefix: str,
    uploads: Sequence[Upload],
    dry_run: bool = False,
) -> list[str]:
    """Put every upload, delete the objects no upload names, invalidate the prefix; answers what
    it did (or would do), line by line."""
    wanted = {upload.key for upload in uploads}
    stale = sorted(existing_keys(s3, bucket, prefix) - wanted)
    verb = "would " if dry_run else ""
    lines = [
        f"{verb}put s3://{bucket}/{u.key} ({u.content_type}, {len(u.body)} B)" for u in uploads
    ]
    lines += [f"{verb}delete s3://{bucket}/{key}" for key in stale]
    if dry_run:
        return [*lines, f"would invalidate /{prefix}* on {distribution_id}"]
    for upload in uploads:
        s3.put_object(
            Bucket=bucket, Key=upload.key, Body=upload.body, ContentType=upload.content_type
        )
    for start in range(0, len(stale), 1000):
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    if cloudfront is not None:
        cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": [f"/{prefix}*"]},
                "CallerReference": f"deploy-console-{time.time_ns()}",
            },
        )
        lines.append(f"invalidated /{prefix}* on {distribution_id} (a few minutes at the edge)")
    return lines


def empty(s3: Any, bucket: str, *, dry_run: bool) -> list[str]:
    keys = sorted(existing_keys(s3, bucket, ""))
    if not dry_run:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return [f"{'would delete' if dry_run else 'deleted'} {len(keys)} object(s) of {bucket}"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/deploy-console",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack-name", required=True)
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would change, change nothing"
    )
    parser.add_argument("--empty", action="store_true", help="delete every object of the bucket")
    arguments = parser.parse_args(argv)
    outputs, parameters = stack_outputs(boto3.client("cloudformation"), arguments.stack_name)
    s3 = boto3.client("s3")
    bucket = outputs["ConsoleBucketName"]
    if arguments.empty:
        lines = empty(s3, bucket, dry_run=arguments.dry_run)
    else:
        source, prefix = console_assets()
        config = {"webhookBaseUrl": outputs["HttpApiUrl"], "stage": parameters.get("Stage", "")}
        lines = deploy(
            s3,
            boto3.client("cloudfront"),
            bucket=bucket,
            distribution_id=outputs["ConsoleDistributionId"],
            prefix=prefix,
            uploads=planned_uploads(source, prefix, config),
            dry_run=arguments.dry_run,
        )
        lines.append(f"the console: {outputs['ConsoleUrl']}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
